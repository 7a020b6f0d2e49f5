// `npm start`: the whole product on one machine with embedded defaults. The same API, worker and
// ML code as in the cluster; only the adapters differ (PGlite for Postgres, an in-process queue for
// Redis, Postgres full-text search for OpenSearch, templated answers without an LLM). Any of
// DATABASE_URL / REDIS_URL / OPENSEARCH_URL / LLM_PROVIDER in the environment switches that adapter
// to the real service.
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, openAsBlob } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { startLocalMl } from '@sentiment/ml';
import { ConfigError, loadConfig } from './config.js';
import { uploadCsv } from './sample/client.js';
import { jiraSampleCsv } from './sample/jira-sample.js';
import { createApiServer } from './server.js';

const ADMIN_EMAIL = 'admin@sentiment.local';

/** A value generated on first start and kept in `file` (mode 0600), so restarts keep logins valid. */
async function persistentSecret(file: string, bytes: number): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const value = randomBytes(bytes).toString('base64url');
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  return value;
}

async function main(): Promise<void> {
  const home = resolve(process.env.LOCAL_HOME ?? '.local');
  await mkdir(home, { recursive: true });
  const say = (line: string) => process.stderr.write(`[local] ${line}\n`);

  say('preparing the sentiment model (first run builds it: a few minutes)…');
  const { url: mlUrl, server: ml } = await startLocalMl({ log: say });

  const password = await persistentSecret(join(home, 'admin-password'), 12);
  const config = loadConfig({
    SENTIMENT_PLATFORM: 'local',
    LOCAL_MODE: 'true',
    DATA_DIR: process.env.DATABASE_URL ? undefined : join(home, 'pgdata'),
    WEB_DIR: resolve(process.env.WEB_DIR ?? 'workloads/web/dist'),
    JWT_SECRET: await persistentSecret(join(home, 'jwt-secret'), 48),
    BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL,
    BOOTSTRAP_ADMIN_PASSWORD: password,
    ...process.env,
    ML_URL: mlUrl,
  });
  const api = await createApiServer(config);
  const url = await api.listen(config.PORT);
  const { deps } = api;

  const [{ n }] = (await deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tickets')).rows as [
    { n: number },
  ];
  if (n === 0) {
    // Loaded through the public upload route, like an analyst's export.
    const sample = join(home, 'sample-jira-export.csv');
    await pipeline(
      jiraSampleCsv({ tickets: Number(process.env.SAMPLE_TICKETS ?? 500) }),
      createWriteStream(sample),
    );
    const token = await deps.tokens.issue(ADMIN_EMAIL, 'admin');
    const job = await uploadCsv(url, token, await openAsBlob(sample), 'sample-jira-export.csv');
    say(`loading the sample export (${sample}) as job ${job.id}; progress shows on the Jobs page`);
  }

  const adapters = `database ${config.DATABASE_URL ? 'postgres' : `PGlite (${config.DATA_DIR})`}, queue ${deps.queue.name}, search ${deps.search.name}, llm ${deps.llm?.provider ?? 'none (templated answers)'}`;
  process.stdout.write(`
SentimentPlatform (local) is running.
  Dashboard:  ${url.replace('127.0.0.1', 'localhost')}/
  Login:      ${ADMIN_EMAIL} / ${password}
  API:        ${url}/openapi.json   metrics: ${url}/metrics
  Adapters:   ${adapters}
  Data:       ${home} (delete it to start over)
Ctrl-C stops it.
`);
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      void api
        .close()
        .then(() => ml.close())
        .then(() => process.exit(0));
    });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
