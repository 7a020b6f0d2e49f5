// Container entry point: `node dist/main.js api` serves HTTP; `node dist/main.js worker` runs ingest
// jobs (the operator starts the worker Deployment with WORKER_ARGS) and serves its metrics on PORT;
// `node dist/main.js reindex` (REINDEX_ARGS) rebuilds the search index from the database and exits.
// Configuration errors end the process with the full list.
import { REINDEX_ARGS } from '@sentiment/crds';
import { ConfigError, loadConfig } from './config.js';
import { runReindex } from './search/reindex.js';
import { createApiServer } from './server.js';
import { startWorker } from './app/worker.js';
import { serveWorkerMetrics } from './app/worker-http.js';

async function main(): Promise<void> {
  const role = process.argv[2] ?? 'api';
  const [reindex] = REINDEX_ARGS;
  if (role !== 'api' && role !== 'worker' && role !== reindex)
    throw new Error(`unknown role "${role}" (roles: api, worker, ${reindex})`);
  const config = loadConfig(process.env, role);
  if (role === reindex) process.exit(await runReindex(config));
  let close: () => Promise<void>;
  if (role === 'api') {
    const server = await createApiServer(config);
    await server.listen();
    close = () => server.shutdown(config.SHUTDOWN_DELAY_MS);
  } else {
    const worker = await startWorker(config);
    const metrics = await serveWorkerMetrics(worker.deps, config.PORT, config.HOST);
    close = async () => {
      metrics.close();
      await worker.close();
    };
  }
  for (const sig of ['SIGTERM', 'SIGINT'] as const)
    process.once(sig, () => void close().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
