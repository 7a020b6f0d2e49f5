// Loopback stand-ins for the two LLM wire protocols, driven by the real SDKs: Bedrock Converse
// (POST /model/{modelId}/converse) and OpenAI chat completions (POST /v1/chat/completions). They
// record every request so tests assert what was sent, and answer with what the test scripts.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  createServer as createH2cServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** What the fake answers: `text` in the protocol's success shape, or an HTTP error, optionally late. */
export type Script =
  { text: string; delayMs?: number } | { status: number; message: string; delayMs?: number };

export interface FakeLlmServer {
  /** Bedrock: the endpoint URL; OpenAI: the base URL including /v1. */
  url: string;
  requests: RecordedRequest[];
  /** Answers the next requests with `script(request)`. */
  script(fn: (req: RecordedRequest) => Script): void;
  close(): Promise<void>;
}

type Kind = 'bedrock' | 'openai';

function successBody(kind: Kind, req: RecordedRequest, text: string): unknown {
  if (kind === 'bedrock') {
    return {
      output: { message: { role: 'assistant', content: [{ text }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 100, outputTokens: 20, totalTokens: 120 },
      metrics: { latencyMs: 5 },
    };
  }
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: (req.body as { model?: string }).model ?? 'unknown',
    choices: [
      { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop', logprobs: null },
    ],
    usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
  };
}

function errorBody(kind: Kind, message: string): { headers: Record<string, string>; body: unknown } {
  // Bedrock's REST-JSON errors name their type in a header; OpenAI's carry an error object.
  return kind === 'bedrock'
    ? { headers: { 'x-amzn-errortype': 'InternalServerException' }, body: { message } }
    : { headers: {}, body: { error: { message, type: 'server_error', code: null } } };
}

export async function startFakeLlm(kind: Kind): Promise<FakeLlmServer> {
  const requests: RecordedRequest[] = [];
  let scriptFn: (req: RecordedRequest) => Script = () => ({ text: 'no script' });
  const route = kind === 'bedrock' ? /^\/model\/[^/]+\/converse$/ : /^\/v1\/chat\/completions$/;
  // The Bedrock runtime client talks HTTP/2 (cleartext to an http:// endpoint), as to real Bedrock.
  const handler = (req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const rec: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: raw ? JSON.parse(raw) : null,
      };
      const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        if (res.destroyed || res.writableEnded) return;
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || !route.test((req.url ?? '').split('?')[0]!))
        return send(404, { message: `no route ${req.method} ${req.url}` });
      requests.push(rec);
      const s = scriptFn(rec);
      setTimeout(() => {
        if ('text' in s) return send(200, successBody(kind, rec, s.text));
        const e = errorBody(kind, s.message);
        send(s.status, e.body, e.headers);
      }, s.delayMs ?? 0);
    });
  };
  const sessions = new Set<Http2Session>();
  const server =
    kind === 'bedrock'
      ? createH2cServer(handler).on('session', (s: Http2Session) => {
          sessions.add(s);
          s.on('close', () => sessions.delete(s));
        })
      : createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: kind === 'bedrock' ? `http://127.0.0.1:${port}` : `http://127.0.0.1:${port}/v1`,
    requests,
    script(fn) {
      scriptFn = fn;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
