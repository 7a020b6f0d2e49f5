// Container entry point: `node dist/main.js api`. Configuration errors end the process with the list.
import { ConfigError, loadConfig } from './config.js';
import { createApiServer } from './server.js';

async function main(): Promise<void> {
  const role = process.argv[2] ?? 'api';
  if (role !== 'api') throw new Error(`unknown role "${role}" (this build runs: api)`);
  const config = loadConfig();
  const server = await createApiServer(config);
  await server.listen();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => void server.close().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
