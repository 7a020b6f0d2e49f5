import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { loadTestEnv } from '@sentiment/testenv';
import { mlJobRetry, startWorker } from '../src/app/worker.js';
import { loadConfig } from '../src/config.js';
import { writeUploadChunks } from '../src/ingest/upload-chunks.js';
import { DEFAULT_MAPPING } from '../src/jira/mapping.js';
import { minRetryWindowMs } from '../src/ml-client.js';
import { bullmqQueue } from '../src/queue/bullmq.js';
import type { SearchBackend } from '../src/search/backend.js';
import { PostgresSearch } from '../src/search/postgres.js';
import { createApiServer, type ApiServer } from '../src/server.js';
import { createJob, getJob, type JobView } from '../src/store/jobs.js';
import { migrate } from '../src/store/migrations.js';
import { createPgliteDb } from '../src/store/pglite-db.js';
import type { Db } from '../src/store/db.js';
import { createTestDatabase, deleteRedisKeys, startMl, testConfig, type TestDatabase } from './helpers.js';
import { startMlProcess } from './ml-process.js';

const apiRoot = fileURLToPath(new URL('..', import.meta.url));
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const silent = pino({ level: 'silent' });

/**
 * A test's own enqueue, before what it tests, from a queue of its own that is closed whatever happens (an open
 * one keeps the test process alive). Retried when Redis "did not answer" in the queue's 5 s, which another test
 * in this worker holding the event loop (PGlite's WASM start) can cause; enqueuing is idempotent (the job id
 * is BullMQ's).
 */
async function enqueueJob(env: Record<string, string | undefined>, id: string): Promise<void> {
  const queue = bullmqQueue({ redisUrl: env.REDIS_URL!, prefix: env.REDIS_KEY_PREFIX!, log: silent });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await queue.enqueue(id);
      } catch (err) {
        if (attempt === 3 || !/did not answer/.test((err as Error).message)) throw err;
      }
    }
  } finally {
    await queue.close();
  }
}

let ml: Awaited<ReturnType<typeof startMl>>;
let tmp: string;
const databases: TestDatabase[] = [];
const prefixes: string[] = [];
const children: ChildProcess[] = [];

test.before(async () => {
  ml = await startMl();
  tmp = await mkdtemp(join(tmpdir(), 'worker-test-'));
});
test.after.always(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of databases) await d.drop();
  // Only the keys under this file's own random prefixes.
  await deleteRedisKeys(prefixes);
  await ml?.server.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Real Postgres, Redis (BullMQ) and ML; Postgres search (LOCAL_MODE only lifts the OpenSearch requirement). */
async function clusterEnv(
  label: string,
  extra: Record<string, string> = {},
): Promise<{ env: Record<string, string>; db: Db }> {
  const tdb = await createTestDatabase(label);
  databases.push(tdb);
  const prefix = `apitest-${randomBytes(4).toString('hex')}:`;
  prefixes.push(prefix);
  const env = {
    SENTIMENT_PLATFORM: 'test',
    LOCAL_MODE: 'true',
    DATABASE_URL: tdb.url,
    REDIS_URL: loadTestEnv().REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    ML_URL: ml.url,
    JWT_SECRET: 'k'.repeat(40),
    QUEUE_LOCK_MS: '2000',
    ...extra,
  };
  return { env, db: tdb.db };
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const finished = (db: Db, id: string, timeoutMs = 180_000) =>
  waitFor(
    `job ${id} to finish`,
    async () => {
      const j = await getJob(db, id);
      return j && (j.state === 'completed' || j.state === 'failed') ? j : undefined;
    },
    timeoutMs,
  );

type Part = [name: string, value: string | { blob: Blob; filename: string }];

async function upload(
  base: string,
  token: string,
  parts: Part[],
): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  for (const [name, v] of parts) {
    if (typeof v === 'string') form.append(name, v);
    else form.append(name, v.blob, v.filename);
  }
  const res = await fetch(`${base}/v1/ingest/csv`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const fileBlob = async (name: string) => new Blob([await readFile(fixture(name))]);

/** A queued CSV job with `file` stored as its upload, as the upload route leaves it. */
async function storedJob(
  db: Db,
  source: string,
  file: string | Buffer,
  options: object = {},
  chunkBytes?: number,
): Promise<string> {
  const id = await createJob(
    db,
    'csv',
    source,
    { storage: 'database', mapping: DEFAULT_MAPPING, ...options },
    'test',
  );
  await writeUploadChunks(db, id, typeof file === 'string' ? createReadStream(file) : [file], { chunkBytes });
  return id;
}

/** The stored upload of a job, reassembled from its chunks. */
const storedBytes = async (db: Db, id: string) =>
  Buffer.concat(
    (
      await db.query<{ data: Uint8Array }>('SELECT data FROM upload_chunks WHERE job_id = $1 ORDER BY seq', [
        id,
      ])
    ).rows.map((r) => r.data),
  );

const count = async (db: Db, sql: string, params: unknown[] = []) =>
  (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0]!.n;

/** Starts a multipart upload of `bytes` file bytes (of `declared`), and leaves it unfinished. */
function partialUpload(base: string, token: string, declared: number, bytes: number) {
  const boundary = 'b0undary';
  const req = request(`${base}/v1/ingest/csv`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(declared),
    },
  });
  req.on('error', () => undefined);
  req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="cut.csv"\r\n\r\n`);
  req.write('x'.repeat(bytes));
  return req;
}

test('CSV upload over HTTP: roles, limits, mapping; stored in the database, ingested by a worker, then deleted', async (t) => {
  const MAX = 3 * 1024 * 1024;
  const { env, db } = await clusterEnv('upload', { MAX_UPLOAD_BYTES: String(MAX) });
  const config = loadConfig(env);
  const api = await createApiServer(config);
  t.teardown(() => api.close());
  t.is(api.deps.queue.name, 'bullmq');
  const base = await api.listen(0);
  const analyst = await api.deps.tokens.issue('ana@example.com', 'analyst');
  const viewer = await api.deps.tokens.issue('vic@example.com', 'viewer');
  const renamed = { blob: await fileBlob('renamed-columns.csv'), filename: 'renamed-columns.csv' };
  const mapping = JSON.stringify({ id: 'Key', summary: 'Title' });

  t.is((await upload(base, viewer, [['file', renamed]])).status, 403);
  const plain = await fetch(`${base}/v1/ingest/csv`, {
    method: 'POST',
    headers: { authorization: `Bearer ${analyst}`, 'content-type': 'text/csv' },
    body: 'Key,Title\n',
  });
  t.is(plain.status, 415);

  const bad = async (parts: Part[], status: number, message: RegExp) => {
    const r = await upload(base, analyst, parts);
    t.is(r.status, status, JSON.stringify(r.body));
    t.regex(String(r.body.error), message);
  };
  await bad(
    [
      ['mapping', '{"id": '],
      ['file', renamed],
    ],
    400,
    /mapping: not valid JSON/,
  );
  await bad(
    [
      ['mapping', '{"id": ""}'],
      ['file', renamed],
    ],
    400,
    /mapping\.id: must not be empty/,
  );
  await bad(
    [
      ['mapping', '{"ticket": "Key"}'],
      ['file', renamed],
    ],
    400,
    /mapping.*ticket/,
  );
  await bad(
    [
      ['charset', 'utf-16'],
      ['file', renamed],
    ],
    400,
    /charset: must be one of utf-8, latin1/,
  );
  await bad(
    [
      ['file', renamed],
      ['mapping', mapping],
    ],
    400,
    /"mapping" must come before the file/,
  );
  await bad([['mapping', mapping]], 400, /no file/);
  await bad([['file', { blob: new Blob([]), filename: 'empty.csv' }]], 400, /the file is empty/);
  // Past the limit while streaming, after whole chunks were stored (the declared length is within the
  // framing allowance) ...
  await bad(
    [['file', { blob: new Blob([Buffer.alloc(MAX + 1000, 'x')]), filename: 'big.csv' }]],
    413,
    /exceeds 3145728 bytes/,
  );
  // ... and refused from the declared length alone.
  await bad(
    [['file', { blob: new Blob([Buffer.alloc(MAX + 200_000, 'x')]), filename: 'huge.csv' }]],
    413,
    /exceeds 3145728 bytes/,
  );
  t.is(await count(db, 'jobs'), 0, 'refused uploads leave no job behind');
  t.is(await count(db, 'upload_chunks'), 0, 'nor any chunk');

  // A client that goes away mid-upload leaves nothing behind either: 2 chunks stored, then cut off.
  const partial = partialUpload(base, analyst, MAX, 2.5 * 1024 * 1024);
  await waitFor(
    'the partial upload in the database',
    async () => ((await count(db, 'upload_chunks')) >= 2 ? true : undefined),
    10_000,
    20,
  );
  t.is(await count(db, `jobs WHERE state = 'uploading'`), 1);
  partial.destroy();
  await waitFor(
    'the partial upload to be deleted',
    async () => ((await count(db, 'jobs')) + (await count(db, 'upload_chunks')) === 0 ? true : undefined),
    10_000,
    20,
  );

  t.deepEqual(
    (
      (await (await fetch(`${base}/v1/jobs`, { headers: { authorization: `Bearer ${viewer}` } })).json()) as {
        items: unknown[];
      }
    ).items,
    [],
  );

  const accepted = await upload(base, analyst, [
    ['mapping', mapping],
    ['charset', 'utf-8'],
    ['file', renamed],
  ]);
  t.is(accepted.status, 202, JSON.stringify(accepted.body));
  const job = accepted.body as unknown as JobView;
  const size = (await stat(fixture('renamed-columns.csv'))).size;
  t.like(job, {
    kind: 'csv',
    state: 'queued',
    source: 'renamed-columns.csv',
    createdBy: 'ana@example.com',
    bytesTotal: size,
    bytesRead: 0,
    rowsRead: 0,
  });
  t.true(
    (await storedBytes(db, job.id)).equals(await readFile(fixture('renamed-columns.csv'))),
    'stored byte for byte',
  );

  // A second upload, bigger than a chunk and not UTF-8, also stored byte for byte; then its chunks
  // vanish before a worker sees it: retrying cannot help, so it fails at once.
  const big = randomBytes(2.5 * 1024 * 1024);
  const orphanUpload = await upload(base, analyst, [
    ['mapping', mapping],
    ['file', { blob: new Blob([big]), filename: 'random.csv' }],
  ]);
  t.is(orphanUpload.status, 202, JSON.stringify(orphanUpload.body));
  const orphan = orphanUpload.body as unknown as JobView;
  t.is(orphan.bytesTotal, big.length);
  t.is(await count(db, 'upload_chunks WHERE job_id = $1', [orphan.id]), 3);
  t.true((await storedBytes(db, orphan.id)).equals(big), 'reassembled from its chunks byte for byte');
  await db.query('DELETE FROM upload_chunks WHERE job_id = $1', [orphan.id]);

  const list = await fetch(`${base}/v1/jobs?limit=5`, { headers: { authorization: `Bearer ${viewer}` } });
  t.deepEqual(
    ((await list.json()) as { items: JobView[] }).items.map((j) => j.id),
    [orphan.id, job.id],
    'newest first',
  );
  t.is(
    (await fetch(`${base}/v1/jobs?limit=0`, { headers: { authorization: `Bearer ${viewer}` } })).status,
    400,
  );
  t.is((await getJob(db, job.id))!.state, 'queued', 'the API in cluster mode leaves jobs to the worker');

  // The worker has its own connections and no file system in common with the API: only the database.
  const worker = await startWorker(config, { log: silent });
  t.teardown(() => worker.close());
  const done = await finished(db, job.id);
  t.like(done, { state: 'completed', rowsRead: 3, rowsScored: 3, errorCount: 0, bytesRead: size });
  const tickets = (
    await db.query<{ id: string; summary: string; sentiment_label: string }>(
      'SELECT id, summary, sentiment_label FROM tickets ORDER BY id',
    )
  ).rows;
  t.deepEqual(
    tickets.map((r) => [r.id, r.summary]),
    [
      ['REN-1', 'Export fails'],
      ['REN-2', 'Dark mode'],
      ['REN-3', 'Invoice wrong'],
    ],
  );
  t.is(tickets.find((r) => r.id === 'REN-3')!.sentiment_label, 'negative');
  t.is(
    await count(db, 'upload_chunks WHERE job_id = $1', [job.id]),
    0,
    'the upload is deleted once ingested',
  );

  const failed = await finished(db, orphan.id, 30_000);
  t.is(failed.state, 'failed');
  t.regex(failed.failure ?? '', /the upload of job .* is no longer stored/);
  const metric = await worker.deps.registry.getSingleMetricAsString('sentiment_ingest_jobs_total');
  t.regex(metric, /state="completed"} 1\b/);
  t.regex(metric, /state="failed"} 1\b/);
  t.regex(
    await worker.deps.registry.getSingleMetricAsString('sentiment_ingest_rows_total'),
    /outcome="scored"} 3\b/,
  );

  // A failure that was never recorded (the row still says queued) runs again when a worker starts.
  await worker.close();
  await writeUploadChunks(db, orphan.id, createReadStream(fixture('renamed-columns.csv')));
  await db.query(`UPDATE jobs SET state = 'queued' WHERE id = $1`, [orphan.id]);
  const next = await startWorker(config, { log: silent });
  t.teardown(() => next.close());
  t.like(await finished(db, orphan.id), { state: 'completed', rowsScored: 3 });
  t.is(await count(db, 'upload_chunks'), 0);
});

/** A Jira export of `rows` rows, every one valid; some ids repeat (the later row wins). */
function syntheticExport(rows: number): { csv: string; distinctIds: number; comments: number } {
  const lines = [
    'Issue key,Summary,Description,Status,Priority,Assignee,Created,Updated,Comment,Comment,Comment',
  ];
  const lastComments = new Map<string, number>();
  const moods = [
    'Thanks, this works great now',
    'Still broken and I am very unhappy',
    'We are looking into it',
  ];
  for (let i = 0; i < rows; i++) {
    const id = i % 40 === 39 ? `CR-${i - 20}` : `CR-${i}`;
    const n = i % 4;
    const comments = Array.from({ length: 3 }, (_, k) =>
      k < n ? `"0${1 + k}/May/24 ${1 + (i % 11)}:00 AM;user${k};${moods[(i + k) % 3]} (#${i}-${k})"` : '',
    );
    lines.push(
      `${id},"Ticket ${i}","Description of ticket ${i}, with a comma",Open,High,agent${i % 7},01/May/24 9:00 AM,04/May/24 9:00 AM,${comments.join(',')}`,
    );
    lastComments.set(id, n);
  }
  return {
    csv: `${lines.join('\n')}\n`,
    distinctIds: lastComments.size,
    comments: [...lastComments.values()].reduce((a, b) => a + b, 0),
  };
}

/** `node src/main.ts worker` as its own process, with only `env` (the worker's settings). */
function workerProcess(env: Record<string, string>, output: string[]): ChildProcess {
  // Only this config, without the auth settings the operator gives the API alone: nothing from
  // the developer's environment may point the child elsewhere.
  const { JWT_SECRET: _api, ...workerEnv } = env;
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', 'src/main.ts', 'worker'], {
    cwd: apiRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmp,
      // The data services' CA, as the operator mounts it in worker pods.
      ...(process.env.NODE_EXTRA_CA_CERTS && { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS }),
      LOG_LEVEL: 'info',
      ...workerEnv,
      // Its metrics endpoint on a free loopback port: several worker processes share this machine.
      PORT: '0',
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  return child;
}

async function jobProgress(db: Db, id: string): Promise<{ state: string; checkpoint: number }> {
  return (
    await db.query<{ state: string; checkpoint: number }>(
      'SELECT state, checkpoint FROM jobs WHERE id = $1',
      [id],
    )
  ).rows[0]!;
}

test('a worker killed mid-job is resumed from its checkpoint by the next one, without duplicates', async (t) => {
  const ROWS = 3000;
  const { env, db } = await clusterEnv('crash', {
    INGEST_BATCH_ROWS: '25',
    ML_BATCH_SIZE: '32',
    WORKER_CONCURRENCY: '1',
    QUEUE_LOCK_MS: '2000',
  });
  const { csv, distinctIds, comments } = syntheticExport(ROWS);
  // Small chunks: the worker reads many windows of them, across the restart too.
  const id = await storedJob(
    db,
    'crash.csv',
    Buffer.from(csv),
    { bytesTotal: Buffer.byteLength(csv) },
    64 * 1024,
  );
  t.true((await count(db, 'upload_chunks WHERE job_id = $1', [id])) > 8);
  await enqueueJob(env, id);

  const output: string[] = [];
  const startChild = () => workerProcess(env, output);
  const progress = () => jobProgress(db, id);

  try {
    const started = Date.now();
    const first = startChild();
    const killedAt = await waitFor(
      'a first checkpoint',
      async () => {
        const p = await progress();
        return p.checkpoint > 0 ? p.checkpoint : undefined;
      },
      180_000,
      20,
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    t.true(killedAt < ROWS, `killed at checkpoint ${killedAt}, before the end`);
    t.is((await progress()).state, 'running', 'the dead worker left the job running');

    const killedAfter = Date.now() - started;
    const second = startChild();
    const resumed = await waitFor(
      'the second worker to commit',
      async () => ((await progress()).checkpoint > killedAt ? Date.now() : undefined),
      60_000,
      20,
    );
    const done = await finished(db, id, 300_000);
    t.log(
      `killed at row ${killedAt} after ${killedAfter} ms; next commit ${resumed - started - killedAfter} ms after the restart; done after ${Date.now() - started} ms`,
    );
    t.like(done, { state: 'completed', rowsRead: ROWS, errorCount: 0 });
    // rows_scored adds up per committed batch: a restart from row 0 would have counted the first rows twice.
    t.is(done.rowsScored, ROWS);
    t.true((await progress()).checkpoint === ROWS);

    const [counts] = (
      await db.query<{ tickets: number; distinct_ids: number; comments: number; distinct_comments: number }>(
        `SELECT (SELECT count(*)::int FROM tickets) AS tickets, (SELECT count(DISTINCT id)::int FROM tickets) AS distinct_ids,
                (SELECT count(*)::int FROM comments) AS comments,
                (SELECT count(DISTINCT (ticket_id, seq))::int FROM comments) AS distinct_comments`,
      )
    ).rows;
    t.deepEqual(counts, {
      tickets: distinctIds,
      distinct_ids: distinctIds,
      comments,
      distinct_comments: comments,
    });
    t.is(await count(db, 'upload_chunks WHERE job_id = $1', [id]), 0, 'the upload is deleted once ingested');

    second.kill('SIGTERM');
    t.is(await new Promise((r) => second.once('exit', r)), 0, 'SIGTERM closes the worker cleanly');
  } catch (err) {
    t.log(output.join('').slice(-5000));
    throw err;
  }
});

test('a worker told to stop (SIGTERM) mid-job hands the job back at its checkpoint: the next worker resumes it without waiting for the lock', async (t) => {
  const ROWS = 3000;
  // A lock far longer than this test may take: only the hand-back, not lock expiry, can move the job on.
  const { env, db } = await clusterEnv('handoff', {
    INGEST_BATCH_ROWS: '25',
    ML_BATCH_SIZE: '32',
    WORKER_CONCURRENCY: '1',
    QUEUE_LOCK_MS: '300000',
  });
  const { csv, distinctIds } = syntheticExport(ROWS);
  const id = await storedJob(db, 'handoff.csv', Buffer.from(csv), { bytesTotal: Buffer.byteLength(csv) });
  await enqueueJob(env, id);
  const output: string[] = [];
  try {
    const first = workerProcess(env, output);
    const stoppedAt = await waitFor(
      'a first checkpoint',
      async () => {
        const p = await jobProgress(db, id);
        return p.checkpoint > 0 ? p.checkpoint : undefined;
      },
      180_000,
      20,
    );
    const signalled = Date.now();
    first.kill('SIGTERM');
    t.is(await new Promise((r) => first.once('exit', r)), 0, 'the worker exits cleanly');
    const exitMs = Date.now() - signalled;
    t.true(exitMs < 30_000, `it stopped at its next checkpoint, ${exitMs} ms after SIGTERM`);
    const handedBack = await jobProgress(db, id);
    t.is(handedBack.state, 'queued', 'the job is back in the queue, not left running');
    t.true(
      handedBack.checkpoint < ROWS,
      `stopped at row ${handedBack.checkpoint} of ${ROWS} (first checkpoint ${stoppedAt})`,
    );

    const second = workerProcess(env, output);
    const done = await finished(db, id, 240_000);
    t.like(done, { state: 'completed', rowsRead: ROWS, rowsScored: ROWS, errorCount: 0 });
    t.is(await count(db, 'tickets'), distinctIds);
    t.regex(output.join(''), /handed back to the queue at its checkpoint/);
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));
  } catch (err) {
    t.log(output.join('').slice(-5000));
    throw err;
  }
});

test('local mode: the API process runs uploaded jobs on the in-process queue (PGlite), once each', async (t) => {
  const api: ApiServer = await createApiServer(testConfig({ ML_URL: ml.url }), { log: silent });
  t.teardown(() => api.close());
  t.is(api.deps.queue.name, 'in-process');
  const { db } = api.deps;
  const base = await api.listen(0);
  const analyst = await api.deps.tokens.issue('ana@example.com', 'analyst');

  // An upload cut off after two chunks leaves nothing in PGlite either.
  const partial = partialUpload(base, analyst, 3 * 1024 * 1024, 2.5 * 1024 * 1024);
  await waitFor(
    'the partial upload in the database',
    async () => ((await count(db, 'upload_chunks')) >= 2 ? true : undefined),
    10_000,
    20,
  );
  partial.destroy();
  await waitFor(
    'the partial upload to be deleted',
    async () => ((await count(db, 'jobs')) + (await count(db, 'upload_chunks')) === 0 ? true : undefined),
    10_000,
    20,
  );

  const r = await upload(base, analyst, [
    ['charset', 'latin1'],
    ['file', { blob: await fileBlob('latin1.csv'), filename: 'latin1.csv' }],
  ]);
  t.is(r.status, 202, JSON.stringify(r.body));
  const job = r.body as unknown as JobView;
  t.is(job.state, 'queued');
  const done = await finished(db, job.id);
  t.like(done, { state: 'completed', rowsRead: 2, rowsScored: 2 });
  const list = (await (
    await fetch(`${base}/v1/tickets?sort=id`, { headers: { authorization: `Bearer ${analyst}` } })
  ).json()) as { items: { id: string; summary: string }[] };
  t.deepEqual(
    list.items.map((i) => [i.id, i.summary]),
    [
      ['LAT-1', 'Problème de connexion'],
      ['LAT-2', 'Ça marche'],
    ],
  );
  t.is(await count(db, 'upload_chunks'), 0, 'the upload is deleted once ingested');
  t.regex(
    await (await fetch(`${base}/metrics`)).text(),
    /sentiment_ingest_jobs_total\{state="completed"} 1\b/,
  );

  // The same id enqueued twice while pending runs once: a second run would count its rows again.
  const twice = await storedJob(db, 'twice.csv', fixture('renamed-columns.csv'), {
    mapping: { ...DEFAULT_MAPPING, id: 'Key' },
  });
  await api.deps.queue.enqueue(twice);
  await api.deps.queue.enqueue(twice);
  t.like(await finished(db, twice), { state: 'completed', rowsScored: 3 });
  // And a finished job that comes round again is left alone.
  await api.deps.queue.enqueue(twice);
  await new Promise((r) => setTimeout(r, 500));
  t.like(await getJob(db, twice), { state: 'completed', rowsScored: 3 });

  // One attempt in local mode: a job that cannot run is failed with its reason ...
  const missing = await createJob(
    db,
    'csv',
    'gone.csv',
    { storage: 'database', mapping: DEFAULT_MAPPING },
    null,
  );
  await api.deps.queue.enqueue(missing);
  const failed = await finished(db, missing);
  t.is(failed.state, 'failed');
  t.regex(failed.failure ?? '', /the upload of job .* is no longer stored/);
  // ... and its upload deleted: a job queued with a file path (before uploads moved into the database)
  // has invalid options.
  const legacy = await storedJob(db, 'legacy.csv', fixture('latin1.csv'), {
    storage: undefined,
    path: '/tmp/x.csv',
  });
  t.is(await count(db, 'upload_chunks WHERE job_id = $1', [legacy]), 1);
  await api.deps.queue.enqueue(legacy);
  t.regex((await finished(db, legacy)).failure ?? '', /invalid options: storage/);
  t.is(await count(db, 'upload_chunks WHERE job_id = $1', [legacy]), 0, 'a failed job keeps no upload');
});

test('local mode: a job left running by a previous process is resumed when the API starts', async (t) => {
  const db = await createPgliteDb();
  t.teardown(() => db.close());
  await migrate(db);
  // No charset in the options: it is sniffed from the stored upload.
  const id = await storedJob(db, 'left.csv', fixture('latin1.csv'));
  await db.query(`UPDATE jobs SET state = 'running' WHERE id = $1`, [id]);

  const api = await createApiServer(testConfig({ ML_URL: ml.url }), { db, log: silent });
  t.teardown(() => api.close());
  t.like(await finished(db, id), { state: 'completed', rowsRead: 2, rowsScored: 2 });
  t.deepEqual(
    (await db.query<{ summary: string }>(`SELECT summary FROM tickets ORDER BY id`)).rows.map(
      (r) => r.summary,
    ),
    ['Problème de connexion', 'Ça marche'],
  );
  t.is(await count(db, 'upload_chunks'), 0);
});

test('an ML outage mid-job (hung, then down) is waited out on both queues: the jobs finish once ML is back, without duplicates, failed attempts or lost uploads', async (t) => {
  const mlp = await startMlProcess();
  t.teardown(() => mlp.close());
  const ROWS = 400;
  const HANG_MS = 10_000;
  const DOWN_MS = 12_000;
  // A hang is noticed within ~4 s; the retries last far less than the defaults (ml-client.test.ts) but
  // still longer than this outage.
  const knobs = {
    ML_URL: mlp.url,
    INGEST_BATCH_ROWS: '20',
    WORKER_CONCURRENCY: '1',
    ML_JOB_TIMEOUT_MS: '3000',
    ML_JOB_RETRIES: '20',
    ML_RETRY_DELAY_MS: '200',
    ML_RETRY_MAX_DELAY_MS: '4000',
  };
  const { env, db } = await clusterEnv('outage', knobs);
  const config = loadConfig(env);
  t.true(minRetryWindowMs(mlJobRetry(config)) > 1.4 * (HANG_MS + DOWN_MS));

  const logs = { worker: [] as string[], local: [] as string[] };
  const capture = (into: string[]) => pino({ level: 'info' }, { write: (s: string) => void into.push(s) });
  const { csv, distinctIds, comments } = syntheticExport(ROWS);
  const file = Buffer.from(csv);

  // Production: BullMQ and a worker; local mode: the API process on the in-process queue (one attempt).
  const bullId = await storedJob(db, 'outage.csv', file, { bytesTotal: file.length });
  await enqueueJob(env, bullId);
  const first = await startWorker(config, { log: capture(logs.worker) });
  let worker = first;
  t.teardown(() => worker.close());
  const local = await createApiServer(testConfig(knobs), { log: capture(logs.local) });
  t.teardown(() => local.close());
  const localDb = local.deps.db;
  const localId = await storedJob(localDb, 'outage.csv', file, { bytesTotal: file.length });
  await local.deps.queue.enqueue(localId);
  const jobs = [
    { name: 'bullmq', db, id: bullId },
    { name: 'in-process', db: localDb, id: localId },
  ];

  try {
    await waitFor(
      'both jobs to commit a first batch',
      async () => {
        for (const j of jobs) if ((await jobProgress(j.db, j.id)).checkpoint === 0) return undefined;
        return true;
      },
      120_000,
      20,
    );
    mlp.hang();
    const outage = Date.now();
    const seen = { worker: logs.worker.length, local: logs.local.length };
    const retried = (lines: string[], from: number, cause: RegExp) =>
      lines.slice(from).some((l) => l.includes('ML service unavailable; retrying') && cause.test(l));
    await waitFor(
      'both jobs to time out on the hung ML service and retry',
      async () =>
        retried(logs.worker, seen.worker, /timeout/) && retried(logs.local, seen.local, /timeout/)
          ? true
          : undefined,
      HANG_MS,
      50,
    );
    await new Promise((r) => setTimeout(r, outage + HANG_MS - Date.now()));
    await mlp.kill();

    // A worker stopped while it waits for ML hands the job back at once, without using up an attempt.
    const stopping = Date.now();
    await first.close();
    const stopMs = Date.now() - stopping;
    t.true(stopMs < 5000, `the worker stopped ${stopMs} ms after being told to`);
    t.is((await jobProgress(db, bullId)).state, 'queued');
    worker = await startWorker(config, { log: capture(logs.worker) });
    seen.worker = logs.worker.length;

    await new Promise((r) => setTimeout(r, outage + HANG_MS + DOWN_MS - Date.now()));
    t.true(retried(logs.worker, seen.worker, /fetch failed/), 'refused connections are retried');
    for (const j of jobs) {
      const during = (await getJob(j.db, j.id))!;
      t.true(['queued', 'running'].includes(during.state), `${j.name}: ${during.state} during the outage`);
      t.true(during.rowsRead < ROWS, `${j.name}: stopped at row ${during.rowsRead}`);
      t.true((await count(j.db, 'upload_chunks WHERE job_id = $1', [j.id])) > 0, `${j.name}: upload kept`);
    }

    await mlp.restart();
    for (const j of jobs) {
      const done = await finished(j.db, j.id, 180_000);
      t.like(done, { state: 'completed', rowsRead: ROWS, rowsScored: ROWS, errorCount: 0 }, j.name);
      t.is(await count(j.db, 'tickets'), distinctIds, `${j.name}: tickets`);
      t.is(await count(j.db, 'comments'), comments, `${j.name}: comments`);
      t.is(
        await count(j.db, 'upload_chunks WHERE job_id = $1', [j.id]),
        0,
        `${j.name}: upload deleted once done`,
      );
    }
    t.log(`outage ${HANG_MS + DOWN_MS} ms; both jobs done ${Date.now() - outage} ms after it began`);
    const attempts = (w: { deps: { registry: Registry } }) =>
      w.deps.registry.getSingleMetricAsString('sentiment_ingest_job_duration_seconds');
    t.regex(await attempts(first), /_count\{outcome="interrupted"} 1\b/);
    for (const w of [first, worker, local])
      t.notRegex(await attempts(w), /_count\{outcome="failed"}/, 'no attempt failed');
  } catch (err) {
    t.log(`worker:\n${logs.worker.join('').slice(-3000)}\nlocal:\n${logs.local.join('').slice(-3000)}`);
    throw err;
  }
});

test('batches are bounded by bytes as well as rows: 16 MB records are written one at a time, small rows together', async (t) => {
  // The default lock: parsing a 16 MB record holds the event loop longer than the 2 s the other tests use.
  const { env, db } = await clusterEnv('bytes', { QUEUE_LOCK_MS: '30000' });
  const config = loadConfig(env);
  t.is(config.INGEST_BATCH_BYTES, 4 * 1024 * 1024, 'the default');
  const header = 'Issue key,Summary,Description,Status,Priority,Assignee,Created,Updated,Comment';
  const row = (id: string, description: string) =>
    `${id},"Ticket ${id}","${description}",Open,High,agent,01/May/24 9:00 AM,04/May/24 9:00 AM,"02/May/24 1:00 AM;user;It still fails, awful"`;
  // Just under the parser's 16 MiB record limit: logs pasted into a description.
  const huge = 'ERROR 2024-05-01 connection reset by peer; retrying '.repeat((15.5 * 1024 * 1024) / 52);
  const plan = ['s', 's', 's', 'B', 's', 's', 'B', 'B', 's', 's', 's'];
  const lines = plan.map((kind, i) => row(`BY-${i + 1}`, kind === 'B' ? huge : 'short'));
  const file = Buffer.from(`${header}\n${lines.join('\n')}\n`);
  const id = await storedJob(db, 'huge.csv', file, { bytesTotal: file.length });

  // The real Postgres search backend, noting the text each batch hands it.
  const batches: number[][] = [];
  const real = new PostgresSearch(db);
  const search: SearchBackend = {
    name: real.name,
    ensure: () => real.ensure(),
    index: (items) => {
      batches.push(
        items.map(({ ticket: k }) =>
          [k.id, k.summary, k.description, ...k.comments.map((c) => c.text)].reduce(
            (n, s) => n + Buffer.byteLength(s),
            0,
          ),
        ),
      );
      return real.index(items);
    },
    search: (q, e) => real.search(q, e),
    refresh: () => real.refresh(),
    ready: () => real.ready(),
    close: async () => undefined,
  };
  await enqueueJob(env, id);
  const worker = await startWorker(config, { log: silent, search });
  t.teardown(() => worker.close());
  t.like(await finished(db, id), { state: 'completed', rowsRead: plan.length, rowsScored: plan.length });

  // Each big record alone; the small rows around them in batches of their own.
  t.deepEqual(
    batches.map((b) => b.length),
    [3, 1, 2, 1, 1, 3],
  );
  for (const b of batches) {
    const bytes = b.reduce((x, y) => x + y, 0);
    t.true(
      b.length === 1 || bytes <= config.INGEST_BATCH_BYTES,
      `a batch of ${b.length} rows, ${bytes} bytes`,
    );
  }
  t.is(
    (await db.query<{ n: number }>(`SELECT length(description) AS n FROM tickets WHERE id = 'BY-4'`)).rows[0]!
      .n,
    huge.trim().length,
    'the huge description is stored whole',
  );
});

test('an ML outage longer than the retry window fails the job with a reason naming the ML service, not the stream abort', async (t) => {
  const mlp = await startMlProcess();
  t.teardown(() => mlp.close());
  // Local mode: the in-process queue makes one attempt, so the job fails once its ML retries run out.
  const api = await createApiServer(
    testConfig({
      ML_URL: mlp.url,
      INGEST_BATCH_ROWS: '20',
      ML_JOB_RETRIES: '2',
      ML_RETRY_DELAY_MS: '100',
      ML_RETRY_MAX_DELAY_MS: '100',
    }),
    { log: silent },
  );
  t.teardown(() => api.close());
  const db = api.deps.db;
  const file = Buffer.from(syntheticExport(2000).csv);
  const id = await storedJob(db, 'gone.csv', file, { bytesTotal: file.length });
  await api.deps.queue.enqueue(id);
  await waitFor(
    'a first batch',
    async () => ((await jobProgress(db, id)).checkpoint > 0 ? true : undefined),
    120_000,
    20,
  );
  await mlp.kill();
  const done = await finished(db, id, 60_000);
  t.is(done.state, 'failed');
  t.true(done.rowsRead < 2000, `stopped at row ${done.rowsRead}`);
  t.regex(done.failure ?? '', /the ML service is unavailable: \/v1\/\w+ failed 3 times/);
});
