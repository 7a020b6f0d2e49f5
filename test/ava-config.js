// The ava configuration every workspace shares (each workspace's ava.config.js calls it): TypeScript
// through tsx with the `source` export condition, one process per file, and the test environment's CA.
// The data services of test/env serve TLS with certificates from its own CA; test processes trust it
// as production pods trust theirs, through NODE_EXTRA_CA_CERTS (read by Node at start, so it is set
// here, for the worker processes, rather than by the tests).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const envFile =
  process.env.SENTIMENT_TEST_ENV ?? join(dirname(fileURLToPath(import.meta.url)), '..', '.env.test');

/** The trust bundle test/env/up writes (the machine's extra CAs and the environment's CA), if it is up. */
function trustBundle() {
  if (!existsSync(envFile)) return undefined;
  const file = /^NODE_EXTRA_CA_CERTS_FILE=(.+)$/m.exec(readFileSync(envFile, 'utf8'))?.[1];
  return file && existsSync(file) ? file : undefined;
}

export function avaConfig({ files = ['test/**/*.test.ts'], timeout, concurrency }) {
  const trust = trustBundle();
  return {
    extensions: { ts: 'module' },
    nodeArguments: ['--import=tsx', '--conditions=source'],
    files,
    timeout,
    ...(concurrency && { concurrency }),
    workerThreads: false,
    ...(trust && { environmentVariables: { NODE_EXTRA_CA_CERTS: trust } }),
  };
}
