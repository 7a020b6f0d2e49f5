// The local platform (`npm start`): the whole product on one machine with embedded defaults. The same API, worker and
// ML code as in the cluster; only the adapters differ (PGlite for Postgres, an in-process queue for
// Redis, Postgres full-text search for OpenSearch, templated answers without an LLM). Any of
// DATABASE_URL / REDIS_URL / OPENSEARCH_URL / LLM_PROVIDER in the environment switches that adapter
// to the real service.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { createWriteStream, existsSync, openAsBlob } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  ConfigError,
  createApiServer,
  jiraSampleCsv,
  loadConfig,
  uploadCsv,
  type ApiServer,
} from '@sentiment/api';
import { startLocalMl } from '@sentiment/ml';

const ADMIN_EMAIL = 'admin@sentiment.local';

/** A value generated on first start and kept in `file` (mode 0600), so restarts keep logins valid. */
async function persistentSecret(file: string, bytes: number): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const value = randomBytes(bytes).toString('base64url');
  await writeFile(file, `${value}\n`, { mode: 0o600 });
  return value;
}

export interface LocalPlatform {
  url: string;
  adminEmail: string;
  adminPassword: string;
  /** Which adapter fills each slot, in one line. */
  adapters: string;
  /** The sample upload's job id, when this start loaded it (an empty database). */
  sampleJobId?: string;
  api: ApiServer;
  close(): Promise<void>;
}

export interface LocalPlatformOptions {
  /** Where data and generated secrets live (default `.local`). */
  home: string;
  /** The process environment: adapter URLs, PORT, SAMPLE_TICKETS, WEB_DIR. */
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

export async function startLocalPlatform({ home, env, log }: LocalPlatformOptions): Promise<LocalPlatform> {
  await mkdir(home, { recursive: true });
  log('preparing the sentiment model (first run builds it: a few minutes)…');
  const { url: mlUrl, server: ml } = await startLocalMl({ log });

  const password = await persistentSecret(join(home, 'admin-password'), 12);
  const config = loadConfig({
    SENTIMENT_PLATFORM: 'local',
    LOCAL_MODE: 'true',
    DATA_DIR: env.DATABASE_URL ? undefined : join(home, 'pgdata'),
    WEB_DIR: resolve(env.WEB_DIR ?? 'workloads/web/dist'),
    JWT_SECRET: await persistentSecret(join(home, 'jwt-secret'), 48),
    BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL,
    BOOTSTRAP_ADMIN_PASSWORD: password,
    ...env,
    ML_URL: mlUrl,
  });
  // Checked before the database opens: a second `npm start` must not open the first one's data directory.
  if (await portTaken(config.PORT, config.HOST ?? '127.0.0.1')) {
    await ml.close();
    throw portInUse(config.PORT);
  }
  const api = await createApiServer(config).catch(async (err: unknown) => {
    await ml.close();
    throw err;
  });
  const url = await api.listen(config.PORT).catch(async (err: unknown) => {
    await api.close();
    await ml.close();
    // Taken between the check above and now.
    throw (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? portInUse(config.PORT) : err;
  });
  const { deps } = api;

  let sampleJobId: string | undefined;
  const [{ n }] = (await deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM tickets')).rows as [
    { n: number },
  ];
  if (n === 0) {
    // Loaded through the public upload route, like an analyst's export.
    const sample = join(home, 'sample-jira-export.csv');
    await pipeline(jiraSampleCsv({ tickets: Number(env.SAMPLE_TICKETS ?? 500) }), createWriteStream(sample));
    const token = await deps.tokens.issue(ADMIN_EMAIL, 'admin');
    const job = await uploadCsv(url, token, await openAsBlob(sample), 'sample-jira-export.csv');
    sampleJobId = job.id;
    log(`loading the sample export (${sample}) as job ${job.id}; progress shows on the Jobs page`);
  }

  const adapters = `database ${config.DATABASE_URL ? 'postgres' : `PGlite (${config.DATA_DIR})`}, queue ${deps.queue.name}, search ${deps.search.name}, llm ${deps.llm?.provider ?? 'none (templated answers)'}`;
  return {
    url,
    adapters,
    adminEmail: ADMIN_EMAIL,
    adminPassword: password,
    sampleJobId,
    api,
    async close() {
      await api.close();
      await ml.close();
    },
  };
}

const portInUse = (port: number) =>
  new ConfigError(`port ${port} is in use (another \`npm start\`?): stop it, or set PORT to a free port`);

function portTaken(port: number, host: string): Promise<boolean> {
  if (port === 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    const probe = createServer()
      .once('error', () => resolve(true))
      .listen(port, host, () => probe.close(() => resolve(false)));
  });
}
