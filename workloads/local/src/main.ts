// `npm start`: runs the local platform in the foreground until Ctrl-C.
import { resolve } from 'node:path';
import { ConfigError } from '@sentiment/api';
import { startLocalPlatform } from './platform.js';

async function main(): Promise<void> {
  const home = resolve(process.env.LOCAL_HOME ?? '.local');
  const platform = await startLocalPlatform({
    home,
    env: process.env,
    log: (line) => process.stderr.write(`[local] ${line}\n`),
  });
  process.stdout.write(`
SentimentPlatform (local) is running.
  Dashboard:  ${platform.url.replace('127.0.0.1', 'localhost')}/
  Login:      ${platform.adminEmail} / ${platform.adminPassword}
  API:        ${platform.url}/openapi.json   metrics: ${platform.url}/metrics
  Adapters:   ${platform.adapters}
  Data:       ${home} (delete it to start over)
Ctrl-C stops it.
`);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      void platform.close().then(() => process.exit(0));
    });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
