// The ML service: POST /v1/sentiment and /v1/embeddings over one micro-batched encoder, plus /healthz,
// /readyz (model loaded) and /metrics. Requests are validated up front with messages that say what to fix.
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { availableParallelism } from 'node:os';
import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { ENV, HEALTH_PATHS, HTTP_PORT, METRICS_PATH } from '@sentiment/crds';
import { pino, type Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { MicroBatcher } from './batcher.js';
import type { InferenceModel, SentimentResult } from './model.js';
import { ModelPool } from './model-pool.js';
import { defaultModelDir } from './paths.js';

export interface MlConfig {
  modelDir: string;
  port: number;
  /** Most texts per model call (across requests). */
  maxBatch: number;
  /** Most texts per request. */
  maxTexts: number;
  /** Longest text, in UTF-8 bytes (longer texts are windowed, not truncated, so this bounds the work). */
  maxTextBytes: number;
  /**
   * How long the first text of an idle model waits for company. 0 (the default) still gathers what
   * arrives in the same tick; under load batches fill anyway, because one model call runs at a time on each worker.
   */
  batchWindowMs: number;
  /** onnxruntime intra-op threads, all model workers together. */
  threads: number;
  /** Model workers (at most `threads`, which they share); one model call runs on each at a time. */
  workers: number;
}

/** CPUs this container may use: the cgroup v2 quota if one is set, else what the machine has. */
export function cpuLimit(): number {
  try {
    const [quota, period] = readFileSync('/sys/fs/cgroup/cpu.max', 'utf8').trim().split(/\s+/);
    if (quota && quota !== 'max') return Math.max(1, Math.ceil(Number(quota) / Number(period)));
  } catch {
    // no cgroup v2 limit visible
  }
  return availableParallelism();
}

export function configFromEnv(env: NodeJS.ProcessEnv = process.env): MlConfig {
  const int = (name: string, fallback: number, min = 1): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
    return n;
  };
  const threads = int('ML_THREADS', cpuLimit());
  // Each worker holds its own copy of the model, both encoders (~210 MiB): two by default, the most the
  // smallest profile's memory (768 Mi) keeps room for.
  const workers = int('ML_WORKERS', Math.min(threads, 2));
  if (workers > threads)
    throw new Error(
      `ML_WORKERS (${workers}) must be ≤ ML_THREADS (${threads}): each worker runs on its own thread`,
    );
  return {
    modelDir: env.ML_MODEL_DIR ?? defaultModelDir(),
    port: int(ENV.port, HTTP_PORT, 0),
    maxBatch: int('ML_MAX_BATCH', 128),
    maxTexts: int('ML_MAX_TEXTS', 256),
    maxTextBytes: int('ML_MAX_TEXT_BYTES', 32_768),
    batchWindowMs: int('ML_BATCH_WINDOW_MS', 0, 0),
    threads,
    workers,
  };
}

class BadRequest extends Error {}

function validTexts(body: unknown, config: MlConfig): string[] {
  const texts = (body as { texts?: unknown } | undefined)?.texts;
  if (!Array.isArray(texts)) throw new BadRequest('body must be JSON {"texts": ["…", …]}');
  if (texts.length === 0) throw new BadRequest('texts is empty: send at least one text');
  if (texts.length > config.maxTexts) {
    throw new BadRequest(
      `too many texts: ${texts.length} > ${config.maxTexts} per request (ML_MAX_TEXTS); split the batch`,
    );
  }
  texts.forEach((t, i) => {
    if (typeof t !== 'string')
      throw new BadRequest(`texts[${i}] must be a string, got ${t === null ? 'null' : typeof t}`);
    const bytes = Buffer.byteLength(t, 'utf8');
    if (bytes > config.maxTextBytes) {
      throw new BadRequest(
        `texts[${i}] is too long: ${bytes} bytes > ${config.maxTextBytes} (ML_MAX_TEXT_BYTES)`,
      );
    }
  });
  return texts as string[];
}

export interface MlServer {
  app: Koa;
  model: InferenceModel;
  registry: Registry;
  /** Listens (port 0: any free port) and returns the base URL. */
  listen(port?: number): Promise<string>;
  /** Stops accepting, finishes the batches under way, releases the model. */
  close(): Promise<void>;
}

export async function createMlServer(
  config: MlConfig,
  options: { log?: Logger; model?: InferenceModel } = {},
): Promise<MlServer> {
  const log =
    options.log ?? pino({ level: process.env.LOG_LEVEL ?? 'info', base: { component: 'sentiment-ml' } });
  // In worker threads, so HTTP (and the health checks) stay responsive while batches run.
  // A caller that lowers `threads` after configFromEnv (start-local, tests) keeps one worker per thread at most.
  const workers = options.model ? 1 : Math.min(config.workers, config.threads);
  const model =
    options.model ?? (await ModelPool.start(config.modelDir, workers, Math.floor(config.threads / workers)));
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sentiment_ml_' });
  const requests = new Counter({
    name: 'sentiment_ml_requests_total',
    help: 'Requests by route and status.',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'sentiment_ml_request_duration_seconds',
    help: 'Request latency by route.',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const batchSize = new Histogram({
    name: 'sentiment_ml_batch_size',
    help: 'Texts per model call, by route.',
    labelNames: ['route'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [registry],
  });
  const texts = new Counter({
    name: 'sentiment_ml_texts_total',
    help: 'Texts processed by route.',
    labelNames: ['route'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'sentiment_ml_model_info',
    help: 'The loaded model.',
    labelNames: ['l2', 'validation_accuracy'] as const,
    registers: [registry],
  }).set(
    { l2: String(model.manifest.l2), validation_accuracy: String(model.manifest.validationAccuracy) },
    1,
  );

  // Embeddings and sentiment run different encoders, so each has its own batches (of one kind of text).
  const batching = { maxBatch: config.maxBatch, windowMs: config.batchWindowMs, concurrency: workers };
  const embeddings = new MicroBatcher<string, Float32Array>((items) => model.embed(items), {
    ...batching,
    onBatch: (n) => batchSize.observe({ route: 'embeddings' }, n),
  });
  const sentiment = new MicroBatcher<string, SentimentResult>((items) => model.classify(items), {
    ...batching,
    onBatch: (n) => batchSize.observe({ route: 'sentiment' }, n),
  });
  let closing = false;

  const router = new Router();
  router.get(HEALTH_PATHS.live, (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get(HEALTH_PATHS.ready, (ctx) => {
    ctx.status = closing ? 503 : 200;
    ctx.body = closing ? { status: 'shutting down' } : { status: 'ready', model: model.manifest.encoder };
  });
  router.get(METRICS_PATH, async (ctx) => {
    ctx.type = registry.contentType;
    ctx.body = await registry.metrics();
  });
  router.post('/v1/sentiment', async (ctx) => {
    const input = validTexts(ctx.request.body, config);
    const results = await sentiment.submit(input);
    texts.inc({ route: 'sentiment' }, input.length);
    ctx.body = { results };
  });
  router.post('/v1/embeddings', async (ctx) => {
    const input = validTexts(ctx.request.body, config);
    const vectors = await embeddings.submit(input);
    texts.inc({ route: 'embeddings' }, input.length);
    ctx.body = {
      dimensions: vectors[0]?.length ?? 0,
      embeddings: vectors.map((v) => Array.from(v, (x) => Math.round(x * 1e6) / 1e6)),
    };
  });

  const app = new Koa();
  app.use(async (ctx, next) => {
    const route = ctx.path;
    const end = latency.startTimer({ route });
    try {
      await next();
    } catch (err) {
      const status = err instanceof BadRequest ? 400 : ((err as { status?: number }).status ?? 500);
      ctx.status = status;
      ctx.body = { error: status === 500 ? 'internal error' : (err as Error).message };
      if (status === 500) log.error({ err: (err as Error).message, route }, 'request failed');
    } finally {
      end();
      requests.inc({ route, status: String(ctx.status) });
    }
  });
  // Room for maxTexts texts of maxTextBytes each, JSON-escaped; anything larger is refused with 413.
  app.use(
    bodyParser({
      jsonLimit: config.maxTexts * config.maxTextBytes * 2 + 1024,
      enableTypes: ['json'],
      encoding: 'utf-8',
    }),
  );
  app.use(router.routes()).use(router.allowedMethods());

  let server: Server | undefined;
  return {
    app,
    model,
    registry,
    listen: (port = config.port) =>
      new Promise((resolve) => {
        server = app.listen(port, '0.0.0.0', () => {
          const addr = server!.address();
          resolve(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}`);
        });
      }),
    close: async () => {
      closing = true;
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      await Promise.all([embeddings.drain(), sentiment.drain()]);
      await model.release();
    },
  };
}
