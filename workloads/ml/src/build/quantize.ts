// Static int8 quantisation of the encoder at build time, by onnxruntime's own quantiser (Python, pinned in
// scripts/quantize/requirements.txt, in a virtual environment the build makes once). Calibrated, fixed
// scales keep a text's vector independent of its batch (dynamic quantisation is not: it scales each batch
// by that batch's range). The result is cached by everything it depends on.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pythonVenv } from './python-venv.js';
import { run, sha256 } from './sources.js';

const SCRIPTS = fileURLToPath(new URL('../../scripts/quantize/', import.meta.url));
const SCRIPT = join(SCRIPTS, 'quantize_encoder.py');
const REQUIREMENTS = join(SCRIPTS, 'requirements.txt');

/**
 * Which FFN output projections scale each row of their input on its own: those whose layer lost the most
 * with one fixed range (cosine to the fp32 vector, UCI sentences): 0–5 and 8 (median 0.987–0.993); the
 * others cost ≤ 0.0004 each and keep the cheaper fixed range. How many snippets calibrate the fixed ranges.
 * Which layers' states (0-based) sentiment reads: the mean token states of layers 6 and 7 (1-based) tell
 * sentiment nearly as well as the last layer's [CLS] (UCI, −0.40 point) and better on the VADER tenth and
 * the support comments, for 7 of the 12 layers' work (package README, "Fewer layers per comment").
 */
export const QUANTIZATION = {
  rowScaledFfnOutputLayers: [0, 1, 2, 3, 4, 5, 8],
  calibrationSnippets: 256,
  sentimentReadLayers: [5, 6],
} as const;

/** Everything besides the model and the calibration texts that decides the quantised encoder. */
export const quantizerInputs = () => ({
  script: sha256(SCRIPT),
  requirements: sha256(REQUIREMENTS),
  ...QUANTIZATION,
});

export interface QuantizedEncoder {
  path: string;
  sha256: string;
  /**
   * The same encoder up to the last of the sentiment read layers, whose states it outputs; all its
   * `rowScaled` projections scale each row of their input on its own range.
   */
  sentiment: { path: string; sha256: string; layers: number; rowScaled: number };
  /** What the quantiser reported: projections with fixed activation ranges, and with a range per row. */
  static: number;
  rowScaled: number;
}

/** The int8 encoders for `fp32` calibrated on `calibration` (token ids per text), built or from the cache. */
export function quantizeEncoder(
  fp32: string,
  calibration: readonly (readonly number[])[],
  cacheDir: string,
  log: (m: string) => void,
): QuantizedEncoder {
  const lines = calibration.map((ids) => JSON.stringify(ids)).join('\n');
  const key = createHash('sha256')
    .update(JSON.stringify({ fp32: sha256(fp32), ...quantizerInputs() }))
    .update(lines)
    .digest('hex')
    .slice(0, 16);
  const out = join(cacheDir, `encoder-int8-${key}.onnx`);
  const sentimentOut = join(cacheDir, `sentiment-encoder-int8-${key}.onnx`);
  const report = `${out}.json`;
  if (!existsSync(out) || !existsSync(sentimentOut) || !existsSync(report)) {
    mkdirSync(cacheDir, { recursive: true });
    const python = pythonVenv(cacheDir, 'quantize', REQUIREMENTS);
    const ids = join(cacheDir, `calibration-${key}.jsonl`);
    writeFileSync(ids, `${lines}\n`);
    const t0 = Date.now();
    const printed = run(
      python,
      [
        SCRIPT,
        fp32,
        ids,
        `${out}.tmp`,
        QUANTIZATION.rowScaledFfnOutputLayers.join(','),
        `${sentimentOut}.tmp`,
        QUANTIZATION.sentimentReadLayers.join(','),
      ],
      'quantising the encoder',
    );
    rmSync(ids);
    writeFileSync(report, printed.trim().split('\n').at(-1)!);
    // Renamed last: an interrupted run leaves no file that looks finished.
    renameSync(`${sentimentOut}.tmp`, sentimentOut);
    renameSync(`${out}.tmp`, out);
    log(`quantised the encoder to int8 in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  }
  const counts = JSON.parse(readFileSync(report, 'utf8')) as {
    static: number;
    rowScaled: number;
    sentimentRowScaled: number;
  };
  return {
    path: out,
    sha256: sha256(out),
    sentiment: {
      path: sentimentOut,
      sha256: sha256(sentimentOut),
      layers: Math.max(...QUANTIZATION.sentimentReadLayers) + 1,
      rowScaled: counts.sentimentRowScaled,
    },
    static: counts.static,
    rowScaled: counts.rowScaled,
  };
}
