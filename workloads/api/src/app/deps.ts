// Everything a route or the worker needs, built once per process. Local mode and production differ
// only in which adapters fill these slots (see adapters.ts); the code paths above them are the same.
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AskLimiter } from '../ask/limits.js';
import type { LoginLimiter } from '../auth/login-limit.js';
import type { TokenService } from '../auth/tokens.js';
import type { ApiConfig } from '../config.js';
import type { Llm } from '../llm/llm.js';
import type { MlClient } from '../ml-client.js';
import type { JobQueue } from '../queue/queue.js';
import type { SearchBackend } from '../search/backend.js';
import type { Db } from '../store/db.js';

export interface AppDeps {
  config: ApiConfig;
  log: Logger;
  db: Db;
  /** Null in local mode. */
  redis: Redis | null;
  ml: MlClient;
  search: SearchBackend;
  queue: JobQueue;
  /** Null when LLM_PROVIDER=none: /v1/ask answers from a template. */
  llm: Llm | null;
  tokens: TokenService;
  limiter: LoginLimiter;
  askLimits: AskLimiter;
  registry: Registry;
}
