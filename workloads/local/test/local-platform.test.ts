// The README's main job, started as `npm start` starts it (only the home, port and sample size chosen):
// the sample export is loaded through the upload route and scored by the real ML service, the dashboard
// is served, and a restart keeps the data and the login without loading the sample twice.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, getJob, login } from '@sentiment/api';
import test from 'ava';
import { startLocalPlatform, type LocalPlatform } from '../src/platform.js';

const SAMPLE_TICKETS = 40;
const WEB_DIR = resolve('..', 'web', 'dist');

async function start(home: string, port = '0'): Promise<LocalPlatform> {
  // Only what the test chooses: the adapters' URLs of the test environment must not leak in.
  return startLocalPlatform({
    home,
    env: { PORT: port, SAMPLE_TICKETS: String(SAMPLE_TICKETS), WEB_DIR },
    log: () => {},
  });
}

async function overview(base: string, token: string): Promise<{ totals: { tickets: number } }> {
  const res = await fetch(`${base}/v1/dashboard/overview`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`overview answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { totals: { tickets: number } };
}

test('the local platform loads and scores the sample, serves the dashboard, and keeps data and login across a restart', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'local-platform-'));
  t.teardown(() => rm(home, { recursive: true, force: true }));

  const first = await start(home);
  try {
    t.true(first.adapters.startsWith('database PGlite'), first.adapters);
    t.regex(first.adapters, /queue in-process/);
    t.truthy(first.sampleJobId, 'an empty database gets the sample export');
    const token = await login(first.url, first.adminEmail, first.adminPassword);
    const deadline = Date.now() + 5 * 60_000;
    let job = await getJob(first.url, token, first.sampleJobId!);
    while ((job.state === 'queued' || job.state === 'running') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      job = await getJob(first.url, token, job.id);
    }
    t.is(job.state, 'completed', JSON.stringify(job));
    t.is(job.rowsScored, SAMPLE_TICKETS);
    t.is(job.errorCount, 0);
    t.is((await overview(first.url, token)).totals.tickets, SAMPLE_TICKETS);

    const page = await fetch(`${first.url}/`);
    t.is(page.status, 200);
    t.regex(await page.text(), /<div id="root">/);
  } finally {
    await first.close();
  }

  const second = await start(home);
  try {
    // A second start on a port that is taken says so, and leaves the running one serving.
    const taken = await t.throwsAsync(start(home, new URL(second.url).port), { instanceOf: ConfigError });
    t.regex(taken!.message, /^port \d+ is in use .*set PORT/);
    t.is((await fetch(`${second.url}/healthz`)).status, 200);
    t.is(second.adminPassword, first.adminPassword, 'the generated password is kept');
    t.is(second.sampleJobId, undefined, 'the sample is loaded once');
    const token = await login(second.url, second.adminEmail, second.adminPassword);
    t.is((await overview(second.url, token)).totals.tickets, SAMPLE_TICKETS);
  } finally {
    await second.close();
  }
});
