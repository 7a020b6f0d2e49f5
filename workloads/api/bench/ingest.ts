// Ingest benchmark (issue #6): a Jira CSV uploaded over HTTP and processed end to end by a worker
// process (BullMQ on Redis, Postgres, OpenSearch, the real ML service), against the ML service's own
// throughput on the same tickets measured in the same run. Ingest is ML-bound when the ratio is near 1
// (goal ≥ 0.8). A second, much larger file of the same tickets (huge descriptions) shows whether the
// worker's peak RSS depends on file size (it should not: the upload is stored in Postgres in chunks and
// streamed back from there). Each run also says where the CPU went: milliseconds per ticket by process
// (this process: the API and the ML service; the worker; Postgres; OpenSearch; Redis).
// The ML service gets the machine's CPUs, as in its pod (ML_THREADS defaults to the CPU quota); the worker,
// the API, Postgres and OpenSearch share the same cores.
//   BENCH_TICKETS (default 10000, a few minutes per file; the issue's figure is BENCH_TICKETS=100000),
//   BENCH_BIG_DESCRIPTION_KB (default 4: the big file stays under the 500 MB upload limit at 100k tickets)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, openAsBlob } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import { Client as OpenSearch } from '@opensearch-project/opensearch';
import { loadTestEnv } from '@sentiment/testenv';
import { scoreTickets } from '../src/ingest/csv-job.js';
import { DEFAULT_MAPPING, mapRow, type TicketInput } from '../src/jira/mapping.js';
import { MlClient } from '../src/ml-client.js';
import { jiraSampleCsv } from '../src/sample/jira-sample.js';
import { createApiServer } from '../src/server.js';
import { cpuLimit, startLocalMl } from '@sentiment/ml';
import { createTestDatabase, testConfig } from '../test/helpers.js';
import { cpuBetween, cpuSeconds, type CpuGroups } from './process-cpu.js';

const TICKETS = Number(process.env.BENCH_TICKETS ?? 10_000);
const BIG_KB = Number(process.env.BENCH_BIG_DESCRIPTION_KB ?? 4);
const apiRoot = fileURLToPath(new URL('..', import.meta.url));
const env = loadTestEnv();
const work = join(tmpdir(), `ingest-bench-${randomBytes(4).toString('hex')}`);
await mkdir(work, { recursive: true });

/** Pads every Description cell to `kb` KiB: same tickets and texts to score, a far bigger file. */
const padDescriptions = (kb: number) =>
  new Transform({
    transform(chunk: Buffer, _enc, done) {
      done(
        null,
        chunk
          .toString()
          .replace(/("Since the last update[^"]*)"/g, (_m, d: string) => `${d} ${'x'.repeat(kb * 1024)}"`),
      );
    },
  });

async function writeExport(name: string, kb: number): Promise<{ path: string; bytes: number }> {
  const path = join(work, name);
  const src = jiraSampleCsv({ tickets: TICKETS, seed: 7 });
  await (kb > 0
    ? pipeline(src, padDescriptions(kb), createWriteStream(path))
    : pipeline(src, createWriteStream(path)));
  return { path, bytes: (await stat(path)).size };
}

async function tickets(path: string, limit: number): Promise<TicketInput[]> {
  const out: TicketInput[] = [];
  let header: string[] | undefined;
  for await (const rec of createReadStream(path).pipe(parse({ relax_column_count: true })) as AsyncIterable<
    string[]
  >) {
    if (!header) {
      header = rec;
      continue;
    }
    const m = mapRow(
      rec.map((c, i) => [header![i]!, c] as const),
      DEFAULT_MAPPING,
    );
    if (m.ok) out.push(m.ticket);
    if (out.length >= limit) break;
  }
  return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const ml = await startLocalMl();
const small = await writeExport('export.csv', 0);
const big = await writeExport('export-big.csv', BIG_KB);

// The ML service alone on the same work the worker sends it (scoreTickets: comments + embeddings,
// 64-ticket batches), on a sample, three rounds; the median is the ML-bound ceiling.
const client = new MlClient(ml.url, 64);
const sample = await tickets(small.path, Math.min(TICKETS, 1024));
const mlRates: number[] = [];
const mlCpu: number[] = [];
for (let round = 0; round < 3; round++) {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < sample.length; i += 64) await scoreTickets(client, sample.slice(i, i + 64));
  mlRates.push(sample.length / ((performance.now() - t0) / 1000));
  const cpu = process.cpuUsage(cpu0);
  mlCpu.push((cpu.user + cpu.system) / 1000 / sample.length);
}
const mlRate = median(mlRates);

async function ingest(file: { path: string; bytes: number }, label: string) {
  const tdb = await createTestDatabase(`bench_${label}`);
  const prefix = `bench-${randomBytes(4).toString('hex')}:`;
  const indexPrefix = `bench-${randomBytes(4).toString('hex')}`;
  const cfg: Record<string, string> = {
    LOCAL_MODE: 'false',
    LOG_LEVEL: 'info',
    DATABASE_URL: tdb.url,
    REDIS_URL: env.REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    OPENSEARCH_URL: env.OPENSEARCH_URL,
    OPENSEARCH_INDEX_PREFIX: indexPrefix,
    ML_URL: ml.url,
    // The big file is far past the 500 MB default.
    MAX_UPLOAD_BYTES: String(Math.max(file.bytes, 500 * 2 ** 20)),
    SENTIMENT_PLATFORM: 'bench',
    JWT_SECRET: 'b'.repeat(40),
    PORT: '0',
    WORKER_CONCURRENCY: '1',
  };
  const api = await createApiServer(testConfig(cfg));
  const base = await api.listen(0);
  const worker = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=source', 'src/main.ts', 'worker'],
    {
      cwd: apiRoot,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? work,
        // The data services' CA, as the operator mounts it in worker pods.
        ...(process.env.NODE_EXTRA_CA_CERTS && { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS }),
        ...cfg,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  // Stopped early (Ctrl-C, SIGTERM), the bench takes its worker with it rather than leave it consuming.
  const stop = (signal: NodeJS.Signals) => {
    worker.kill('SIGTERM');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  // The clock starts once the worker is consuming: process start-up is not ingest time.
  await new Promise<void>((resolve, reject) => {
    worker.once('exit', (code) => reject(new Error(`worker exited (${code}) before it started`)));
    worker.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ingest worker started')) resolve();
    });
  });
  const token = await api.deps.tokens.issue('bench', 'analyst');
  const processes = () =>
    cpuSeconds(
      { 'API + ML': process.pid, worker: worker.pid! },
      { Postgres: 'postgres', OpenSearch: 'java', Redis: 'redis-server' },
    );
  const cpu0 = processes();
  const t0 = performance.now();
  const form = new FormData();
  form.append('file', await openAsBlob(file.path), 'export.csv');
  const res = await fetch(`${base}/v1/ingest/csv`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  const uploadS = (performance.now() - t0) / 1000;
  const { id } = (await res.json()) as { id: string };
  let peakRss = 0;
  let job: {
    state: string;
    rowsScored: number;
    rowsIndexed: number;
    errorCount: number;
    failure: string | null;
  };
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const status = await readFile(`/proc/${worker.pid}/status`, 'utf8').catch(() => '');
    peakRss = Math.max(peakRss, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024);
    job = (await (
      await fetch(`${base}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as typeof job;
    if (job.state === 'completed' || job.state === 'failed') break;
  }
  const totalS = (performance.now() - t0) / 1000;
  const cpu = cpuBetween(cpu0, processes());
  process.off('SIGINT', stop).off('SIGTERM', stop);
  worker.kill('SIGTERM');
  await new Promise((r) => worker.once('exit', r));
  await api.close();
  const os = new OpenSearch({ node: env.OPENSEARCH_URL });
  await os.indices.delete({ index: `${indexPrefix}*` }).catch(() => undefined);
  await tdb.drop();
  if (job.state !== 'completed') throw new Error(`job ${job.state}: ${job.failure}`);
  return {
    label,
    mb: file.bytes / 2 ** 20,
    uploadS,
    totalS,
    rate: job.rowsScored / totalS,
    peakRss,
    job,
    cpu,
  };
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
console.log(
  `\ningest benchmark: ${TICKETS} tickets × 4 comments (CSV upload over HTTP → BullMQ → worker process → ML → Postgres + OpenSearch), ML threads ${cpuLimit()}`,
);
console.log(
  `ML service alone on the same work: ${mlRate.toFixed(1)} tickets/s (rounds: ${mlRates.map((r) => r.toFixed(1)).join(', ')}), ` +
    `${median(mlCpu).toFixed(1)} ms of CPU per ticket`,
);
/** CPU milliseconds per ticket by process, and the share of the cores (as the ML service counts them) kept busy. */
const cpuLine = (cpu: CpuGroups, tickets: number, seconds: number) => {
  const total = Object.values(cpu).reduce((a, b) => a + b, 0);
  const parts = Object.entries(cpu).map(([g, s]) => `${g} ${((s * 1000) / tickets).toFixed(1)}`);
  const cores = cpuLimit();
  return (
    `      CPU ms per ticket: ${parts.join(', ')}; total ${((total * 1000) / tickets).toFixed(1)} ` +
    `(${((total / (seconds * cores)) * 100).toFixed(0)} % of ${cores} cores)`
  );
};
// Each file's line as soon as it is done: at 100,000 tickets a file takes half an hour.
const report = (r: Awaited<ReturnType<typeof ingest>>) => {
  console.log(
    `${r.label.padEnd(5)} file ${r.mb.toFixed(1)} MB: upload ${r.uploadS.toFixed(1)} s, end to end ${r.totalS.toFixed(1)} s, ` +
      `${r.rate.toFixed(1)} tickets/s (ratio to ML ${(r.rate / mlRate).toFixed(2)}, goal ≥ 0.8), indexed ${r.job.rowsIndexed}, ` +
      `row errors ${r.job.errorCount}, worker peak RSS ${mib(r.peakRss)}\n` +
      cpuLine(r.cpu, r.job.rowsScored, r.totalS),
  );
  return r;
};
const runs = [report(await ingest(small, 'plain')), report(await ingest(big, 'big'))];
await ml.server.close();
await rm(work, { recursive: true, force: true });
const [a, b] = runs as [(typeof runs)[0], (typeof runs)[0]];
console.log(
  `worker peak RSS, ${(b.mb / a.mb).toFixed(0)}× bigger file: ${(b.peakRss / a.peakRss).toFixed(2)}× (flat ≈ 1)`,
);
