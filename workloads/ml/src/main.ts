// The container's entry point: load the model, serve, and shut down gracefully on SIGTERM.
import { pino } from 'pino';
import { configFromEnv, createMlServer } from './server.js';

const log = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { component: 'sentiment-ml' } });
const config = configFromEnv();
const server = await createMlServer(config, { log });
const url = await server.listen();
log.info(
  { url, threads: config.threads, maxBatch: config.maxBatch, model: server.model.manifest.encoder },
  'ML service listening',
);
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    log.info({ signal }, 'draining and shutting down');
    void server.close().then(() => process.exit(0));
  });
}
