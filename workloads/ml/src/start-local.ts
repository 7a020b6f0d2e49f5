// The ML service for one machine (the local platform, other workspaces' tests): the model is built
// first if this machine has none yet (cached; one build at a time across processes), then the
// service listens on a free port.
import { availableParallelism } from 'node:os';
import { buildModel } from './build/build.js';
import { defaultCacheDir, defaultModelDir } from './paths.js';
import { configFromEnv, createMlServer, type MlServer } from './server.js';

export interface LocalMl {
  url: string;
  server: MlServer;
}

export async function startLocalMl(
  o: { threads?: number; log?: (message: string) => void } = {},
): Promise<LocalMl> {
  await buildModel({
    modelDir: defaultModelDir(),
    cacheDir: defaultCacheDir(),
    threads: availableParallelism(),
    log: o.log,
  });
  const config = configFromEnv({});
  const server = await createMlServer({ ...config, threads: o.threads ?? config.threads });
  return { url: await server.listen(0), server };
}
