// Redis restarted under a running job (an ElastiCache failover or node replacement): the API and the
// worker stay up, the job finishes with every row once, and the API queues new uploads afterwards.
// A Redis of the test's own, on its own port, so that restarting it disturbs no other test; with an
// append-only file, as a replicated ElastiCache keeps its data across a failover.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startWorker } from '../src/app/worker.js';
import { createApiServer } from '../src/server.js';
import { getJob } from '../src/store/jobs.js';
import { createTestDatabase, startMl, testConfig } from './helpers.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

function startRedis(port: number, dir: string): Promise<ChildProcess> {
  const p = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--save', ''],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    p.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('Ready to accept connections')) resolve(p);
    });
    p.on('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
  });
}

const ROWS = 1500;
const csv =
  'Issue key,Summary,Status,Priority,Created,Updated,Comment\n' +
  Array.from(
    { length: ROWS },
    (_, i) =>
      `RR-${i},Ticket ${i} about billing,Open,Medium,2024-01-01T00:00:00Z,2024-01-02T00:00:00Z,` +
      `"01/Jan/24 10:00 AM;customer;The invoice ${i} is wrong and nobody answers, this is frustrating"`,
  ).join('\n');

test('Redis restarted mid-job: no process exits, the job completes with every row once, uploads work again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'redis-restart-'));
  const port = await freePort();
  let redis = await startRedis(port, dir);
  const ml = await startMl();
  const tdb = await createTestDatabase('redis_restart');
  t.teardown(async () => {
    redis.kill('SIGKILL');
    await ml.server.close();
    await tdb.drop();
    await rm(dir, { recursive: true, force: true });
  });
  const exits: unknown[] = [];
  const onFatal = (err: unknown) => exits.push(err);
  process.on('uncaughtException', onFatal);
  process.on('unhandledRejection', onFatal);
  t.teardown(() => {
    process.off('uncaughtException', onFatal);
    process.off('unhandledRejection', onFatal);
  });

  const config = testConfig({
    DATABASE_URL: tdb.url,
    REDIS_URL: `redis://127.0.0.1:${port}`,
    REDIS_KEY_PREFIX: 'restart:',
    ML_URL: ml.url,
    INGEST_BATCH_ROWS: '50',
    // Long enough that a loaded test machine does not stall the job by itself (BullMQ gives up after 5).
    QUEUE_LOCK_MS: '10000',
  });
  // Warnings and errors, to explain a failure (the job's reason names only an error id).
  const logged: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => logged.push(line) });
  const api = await createApiServer(config, { log });
  t.teardown(() => api.close());
  const worker = await startWorker(config, { log });
  t.teardown(() => worker.close());
  const base = await api.listen(0);
  const token = await api.deps.tokens.issue('analyst@tenant.example', 'analyst');
  const upload = async (name: string, body: string) => {
    const form = new FormData();
    form.append('file', new Blob([body]), name);
    const res = await fetch(`${base}/v1/ingest/csv`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    return { status: res.status, body: (await res.json()) as { id: string; error?: string } };
  };

  const first = await upload('big.csv', csv);
  t.is(first.status, 202, first.body.error);
  const until = async (what: string, probe: () => Promise<boolean>, ms = 180_000) => {
    const deadline = Date.now() + ms;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await until(
    'the job to be under way',
    async () => ((await getJob(tdb.db, first.body.id))?.rowsRead ?? 0) > 0,
  );
  t.true((await getJob(tdb.db, first.body.id))!.rowsRead < ROWS, 'restarted while the job runs');

  // The restart: killed without a chance to save more than its append-only file, up again 2 s later.
  redis.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 2_000));
  redis = await startRedis(port, dir);

  await until('the job to finish', async () => {
    const j = await getJob(tdb.db, first.body.id);
    return j?.state === 'completed' || j?.state === 'failed';
  });
  const done = (await getJob(tdb.db, first.body.id))!;
  t.like(
    done,
    { state: 'completed', rowsScored: ROWS, errorCount: 0 },
    `${done.failure ?? ''}\n${logged.filter((l) => /"level":50/.test(l)).join('')}`,
  );
  const { n } = (await tdb.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tickets')).rows[0]!;
  t.is(n, ROWS, 'every row once');

  const second = await upload('small.csv', csv.split('\n').slice(0, 3).join('\n'));
  t.is(second.status, 202, 'the API queues uploads again');
  await until('the second job', async () => (await getJob(tdb.db, second.body.id))?.state === 'completed');
  t.deepEqual(exits, [], 'nothing crashed or was left unhandled');
});
