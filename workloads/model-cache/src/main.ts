// Container entry point: `node dist/main.js seed` (the operator's seed Job, crds MODEL_CACHE_SEED_ARGS) or
// `node dist/main.js fetch` (the LLM pod's init container, MODEL_CACHE_FETCH_ARGS). Exit 0 when the model
// is in the bucket (seed) or on disk (fetch); otherwise 1, the reason in one JSON log line.
import { MODEL_CACHE_FETCH_ARGS, MODEL_CACHE_SEED_ARGS } from '@sentiment/crds';
import { loadConfig } from './config.js';
import { runFetch } from './fetch.js';
import { createLogger, errorMessage } from './log.js';
import { createS3 } from './s3.js';
import { runSeed } from './seed.js';

const command = process.argv[2];
const log = createLogger(command ?? '');
// SIGTERM (a Job's deletion, the pod's) aborts the downloads and uploads; the process then exits 1.
const controller = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => controller.abort(sig));

async function main(): Promise<void> {
  const seed = MODEL_CACHE_SEED_ARGS[0];
  const fetch = MODEL_CACHE_FETCH_ARGS[0];
  if (command !== seed && command !== fetch)
    throw new Error(`usage: main.js ${seed}|${fetch} (got ${command ?? 'nothing'})`);
  const config = loadConfig(command);
  const s3 = createS3({ region: config.region });
  try {
    if (config.command === 'seed') await runSeed(config, { s3, log, signal: controller.signal });
    else await runFetch(config, { s3, log, signal: controller.signal });
  } finally {
    s3.destroy();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    // An abort's own message ("The operation was aborted") does not say by what.
    const interrupted = controller.signal.aborted
      ? `interrupted by ${String(controller.signal.reason)}: `
      : '';
    log.error(`${command ?? 'model cache'} failed: ${interrupted}${errorMessage(err)}`);
    process.exit(1);
  },
);
