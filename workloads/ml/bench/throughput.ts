// npm run bench -w workloads/ml: texts/s through HTTP at batch sizes 1, 8, 32, 128 next to the raw model
// (tokenizer + onnxruntime sessions, in this process) on the same texts, interleaved round by round so
// machine noise hits both; then p50/p99 latency of single-text requests from concurrent clients (where
// micro-batching earns its keep), and the service's memory. Loopback only, bounded in time.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadUci } from '../src/build/dataset.js';
import { SentimentModel } from '../src/model.js';
import { defaultModelDir } from '../src/paths.js';
import { cpuLimit } from '../src/server.js';
import { median } from './served.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const TEXTS_PER_ROUND = 256;
const texts = loadUci().map((u) => u.text);
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

// The service as its own process, as deployed (tsx compiles in memory: RSS includes that, noted below).
const port = 20000 + (process.pid % 10000);
const service = spawn(
  process.execPath,
  ['--import=tsx', '--conditions=source', join(import.meta.dirname, '..', 'src', 'main.ts')],
  {
    env: { ...process.env, PORT: String(port), LOG_LEVEL: 'warn', ML_MAX_TEXTS: '256' },
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);
const url = `http://127.0.0.1:${port}`;
for (let i = 0; ; i++) {
  if (
    (await fetch(`${url}/readyz`)
      .then((r) => r.ok)
      .catch(() => false)) === true
  )
    break;
  if (i > 600) throw new Error('ML service did not become ready in 60 s');
  await new Promise((r) => setTimeout(r, 100));
}
const model = await SentimentModel.load(defaultModelDir(), cpuLimit());
const post = (batch: string[]) =>
  fetch(`${url}/v1/sentiment`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ texts: batch }),
  }).then(async (r) => {
    if (!r.ok) throw new Error(`HTTP ${r.status}: ${await r.text()}`);
    return r.json();
  });

async function throughput(
  batchSize: number,
  round: number,
  run: (batch: string[]) => Promise<unknown>,
): Promise<number> {
  const start = (round * TEXTS_PER_ROUND) % (texts.length - TEXTS_PER_ROUND);
  const slice = texts.slice(start, start + TEXTS_PER_ROUND);
  const t0 = performance.now();
  for (let i = 0; i < slice.length; i += batchSize) await run(slice.slice(i, i + batchSize));
  return slice.length / ((performance.now() - t0) / 1000);
}

try {
  await post(texts.slice(0, 32));
  await model.classify(texts.slice(0, 32));
  console.log(
    `ML service benchmark: ${cpuLimit()} CPU(s), ${TEXTS_PER_ROUND} UCI sentences per round, median of ${ROUNDS} rounds`,
  );
  console.log('batch   raw texts/s   http texts/s   http/raw   overhead');
  for (const batch of [1, 8, 32, 128]) {
    const raw: number[] = [];
    const http: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      raw.push(await throughput(batch, r, (b) => model.classify(b)));
      http.push(await throughput(batch, r, post));
    }
    const ratio = median(http) / median(raw);
    console.log(
      `${String(batch).padStart(5)} ${median(raw).toFixed(0).padStart(13)} ${median(http).toFixed(0).padStart(14)} ${ratio.toFixed(3).padStart(10)} ${`${((1 - ratio) * 100).toFixed(1)}%`.padStart(10)}`,
    );
  }
  // Concurrent single-text clients: what the ingest worker and the API look like to the service.
  for (const clients of [1, 16, 64]) {
    const latencies: number[] = [];
    const deadline = performance.now() + 8000;
    let next = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < deadline) {
          const text = texts[next++ % texts.length]!;
          const s = performance.now();
          await post([text]);
          latencies.push(performance.now() - s);
        }
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    console.log(
      `${String(clients).padStart(3)} concurrent single-text clients: ${(latencies.length / secs).toFixed(0)} texts/s, p50 ${pct(latencies, 0.5).toFixed(1)} ms, p99 ${pct(latencies, 0.99).toFixed(1)} ms`,
    );
  }
  const status = readFileSync(`/proc/${service.pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
  console.log(
    `service memory: RSS ${kb('VmRSS').toFixed(0)} MiB, peak ${kb('VmHWM').toFixed(0)} MiB (includes tsx's in-memory compiler)`,
  );
} finally {
  service.kill('SIGTERM');
  await model.release();
}
