// Container entry point: `node dist/main.js api` serves HTTP; `node dist/main.js worker` runs ingest
// jobs (the operator starts the worker Deployment with WORKER_ARGS) and serves its metrics on PORT.
// Configuration errors end the process with the full list.
import { ConfigError, loadConfig } from './config.js';
import { createApiServer } from './server.js';
import { startWorker } from './app/worker.js';
import { serveWorkerMetrics } from './app/worker-http.js';

async function main(): Promise<void> {
  const role = process.argv[2] ?? 'api';
  if (role !== 'api' && role !== 'worker') throw new Error(`unknown role "${role}" (roles: api, worker)`);
  const config = loadConfig(process.env, role);
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
