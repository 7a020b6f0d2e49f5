// npm run bench -w workloads/ml, third part: this service's model stack (TypeScript WordPiece +
// onnxruntime-node, length-sorted sub-batches) against what a Python shop would run on the same model
// file, texts and threads: Hugging Face `tokenizers` + Python onnxruntime as fastembed runs them, and
// one call per text (peer.py; its packages pinned in requirements.txt, in a venv made once). Ours runs
// before and after the peer; the median of all its rounds is compared. ROUNDS (default 5).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../../src/build/build.js';
import { loadUci } from '../../src/build/dataset.js';
import { pythonVenv } from '../../src/build/python-venv.js';
import { Encoder } from '../../src/encoder.js';
import { defaultCacheDir, defaultModelDir, MODEL_FILES } from '../../src/paths.js';
import { cpuLimit } from '../../src/server.js';
import { embedAsServed, median } from '../served.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const here = fileURLToPath(new URL('.', import.meta.url));
const threads = cpuLimit();
const modelDir = defaultModelDir();
const cacheDir = defaultCacheDir();
await buildModel({ modelDir, cacheDir, threads });
const model = join(modelDir, MODEL_FILES.encoder);
const tokenizer = join(modelDir, MODEL_FILES.tokenizer);
// Newlines would split a text in the peer's file; UCI sentences are single lines anyway.
const texts = loadUci()
  .slice(0, 1024)
  .map((u) => u.text.replace(/\s+/g, ' '));
const work = mkdtempSync(join(tmpdir(), 'ml-peer-'));
const textsFile = join(work, 'texts.txt');
writeFileSync(textsFile, texts.join('\n'));

const encoder = await Encoder.load(model, tokenizer, { threads });
const ours: number[] = [];
const oursOnePerText: number[] = [];
async function oursRounds(n: number) {
  for (let r = 0; r < n; r++) {
    let t0 = performance.now();
    await embedAsServed(encoder, texts);
    ours.push(texts.length / ((performance.now() - t0) / 1000));
    t0 = performance.now();
    for (const t of texts) await encoder.embed([t]);
    oursOnePerText.push(texts.length / ((performance.now() - t0) / 1000));
  }
}
try {
  const python = pythonVenv(cacheDir, 'bench-peer', join(here, 'requirements.txt'));
  await encoder.embed(texts.slice(0, 64));
  await oursRounds(Math.ceil(ROUNDS / 2));
  const peer = JSON.parse(
    execFileSync(
      python,
      [join(here, 'peer.py'), model, tokenizer, textsFile, String(threads), String(ROUNDS)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    ).toString(),
  ) as Record<string, number>;
  await oursRounds(Math.ceil(ROUNDS / 2));
  const mine = median(ours);
  console.log(
    `\nagainst a Python peer: the served int8 encoder, ${texts.length} UCI sentences, ${threads} thread(s), medians`,
  );
  console.log('stack                                                      texts/s   ours over it');
  const row = (name: string, rate: number) =>
    console.log(`${name.padEnd(58)} ${rate.toFixed(0).padStart(7)} ${(mine / rate).toFixed(2).padStart(13)}`);
  row('ours: TS tokenizer + onnxruntime-node, sorted sub-batches', mine);
  row('Python tokenizers + onnxruntime, 256 per call (fastembed)', peer.batched!);
  row('Python tokenizers + onnxruntime, sorted sub-batches of 32', peer.sorted!);
  row('Python, one call per text (the replaced app)', peer['one per text']!);
  row('ours, one call per text', median(oursOnePerText));
} finally {
  await encoder.release();
  rmSync(work, { recursive: true, force: true });
}
