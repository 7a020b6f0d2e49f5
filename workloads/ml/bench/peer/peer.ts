// npm run bench -w workloads/ml, third part: this service's model stack (TypeScript WordPiece +
// onnxruntime-node, length-sorted sub-batches) against what a Python shop would run on the same model,
// texts and threads:
// - peer.py, on the same int8 file as ours: Hugging Face `tokenizers` + Python onnxruntime as fastembed
//   runs them, the same with our sorted sub-batches, and one call per text (packages pinned in
//   requirements.txt);
// - torch_peer.py: sentence-transformers on torch (CPU) from PyPI, on the published fp32 model (converted
//   once from its ONNX file to a Hugging Face BertModel, checked against onnxruntime before timing),
//   encode() with batch 32, as is and after torch's dynamic int8 quantisation (requirements-torch.txt;
//   PyPI's Linux torch is the CUDA build, so that venv is ~6 GB and takes minutes on the first run).
// Each runs in its own venv, made once. Ours runs before, between and after the peers; the median of all
// its rounds is compared. ROUNDS (default 5).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildModel } from '../../src/build/build.js';
import { loadUci } from '../../src/build/dataset.js';
import { pythonVenv } from '../../src/build/python-venv.js';
import { fetchEncoder } from '../../src/build/sources.js';
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
// The published fp32 model the int8 encoder was built from, for torch_peer.py.
const published = fetchEncoder(cacheDir);
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
/** Runs a peer script in its venv; the JSON line it prints. */
function peerRun(python: string, script: string, args: string[]): Record<string, number | string | null> {
  const out = execFileSync(python, [join(here, script), ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });
  return JSON.parse(out.toString()) as Record<string, number | string | null>;
}
try {
  const python = pythonVenv(cacheDir, 'bench-peer', join(here, 'requirements.txt'));
  console.error(
    "the torch peer's venv is ~6 GB (PyPI torch is the CUDA build): minutes to make on a first run",
  );
  const torchPython = pythonVenv(cacheDir, 'bench-peer-torch', join(here, 'requirements-torch.txt'));
  await encoder.embed(texts.slice(0, 64));
  const rounds = Math.ceil(ROUNDS / 3);
  await oursRounds(rounds);
  const peer = peerRun(python, 'peer.py', [model, tokenizer, textsFile, String(threads), String(ROUNDS)]);
  await oursRounds(rounds);
  const torch = peerRun(torchPython, 'torch_peer.py', [
    published.onnx,
    published.tokenizer,
    textsFile,
    String(threads),
    String(ROUNDS),
    join(cacheDir, 'bench-peer-torch-model'),
  ]);
  await oursRounds(rounds);
  const mine = median(ours);
  console.log(
    `\nagainst Python peers: the served int8 encoder, ${texts.length} UCI sentences, ${threads} thread(s), medians`,
  );
  console.log('stack                                                      texts/s   ours over it');
  const row = (name: string, rate: number | string | null | undefined, why?: unknown) =>
    console.log(
      typeof rate === 'number'
        ? `${name.padEnd(58)} ${rate.toFixed(0).padStart(7)} ${(mine / rate).toFixed(2).padStart(13)}`
        : `${name.padEnd(58)}     n/a   ${String(why ?? 'no figure')}`,
    );
  row('ours: TS tokenizer + onnxruntime-node, sorted sub-batches', mine);
  row('Python tokenizers + onnxruntime, 256 per call (fastembed)', peer.batched);
  row('Python tokenizers + onnxruntime, sorted sub-batches of 32', peer.sorted);
  row('Python, one call per text (the replaced app)', peer['one per text']);
  row('Python sentence-transformers on torch (fp32, batch 32)', torch['sentence-transformers']);
  row(
    'Python sentence-transformers on torch dynamic int8',
    torch['sentence-transformers int8 dynamic'],
    torch['int8 dynamic error'],
  );
  row('ours, one call per text', median(oursOnePerText));
  const cos = (c: unknown) => (typeof c === 'number' ? c.toFixed(7) : 'n/a');
  console.log(
    `torch model converted from ${published.onnx}: minimum cosine to onnxruntime ${cos(torch['min cosine'])}` +
      `; torch dynamic int8: ${cos(torch['int8 dynamic min cosine'])}`,
  );
} finally {
  await encoder.release();
  rmSync(work, { recursive: true, force: true });
}
