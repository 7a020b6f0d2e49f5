// The OpenAPI document must describe every route the server mounts: the routers from allRoutes are
// walked, so a route added without documentation fails here. The document's open/guarded split, least
// roles and request limits are checked against the running server too.
import test from 'ava';
import { Registry } from 'prom-client';
import type { ApiServer } from '../src/server.js';
import { createApiServer } from '../src/server.js';
import { allRoutes } from '../src/routes/index.js';
import { createTestDatabase, testConfig, type TestDatabase } from './helpers.js';

interface Operation {
  security: Record<string, string[]>[];
  description: string;
  'x-required-role': string | null;
  responses: Record<string, unknown>;
  parameters?: { name: string; in: string; schema: unknown }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
}

let tdb: TestDatabase;
let api: ApiServer;
let base: string;
let doc: Document;
/** Every (method, OpenAPI path) the server routes, from the routers themselves. */
let mounted: { method: string; path: string }[];

test.before(async () => {
  tdb = await createTestDatabase('openapi');
  api = await createApiServer(testConfig({ DATABASE_URL: tdb.url }), { db: tdb.db });
  base = await api.listen(0);
  const res = await fetch(`${base}/openapi.json`);
  if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
  doc = (await res.json()) as Document;
  mounted = [];
  // A second set of routers, as the server builds them; their own registry, since some register metrics.
  for (const router of await allRoutes({ ...api.deps, registry: new Registry() })) {
    for (const layer of router.stack) {
      // HEAD comes with every GET (koa-router adds it); middleware layers have no methods.
      for (const method of layer.methods.filter((m) => m !== 'HEAD')) {
        if (typeof layer.path !== 'string')
          throw new Error(
            `route ${String(layer.path)} is a RegExp: document it by hand and extend this test`,
          );
        mounted.push({ method: method.toLowerCase(), path: layer.path.replace(/:(\w+)/g, '{$1}') });
      }
    }
  }
});

test.after.always(async () => {
  await api?.close();
  await tdb?.drop();
});

test('every mounted route is in the document', (t) => {
  // The walk itself must see the routers (an empty walk would pass vacuously).
  t.true(mounted.some((r) => r.method === 'get' && r.path === '/v1/dashboard/overview'));
  t.true(mounted.some((r) => r.method === 'get' && r.path === '/v1/tickets/{id}'));
  t.true(mounted.some((r) => r.method === 'post' && r.path === '/v1/auth/login'));
  const missing = mounted
    .filter((r) => !doc.paths[r.path]?.[r.method])
    .map((r) => `${r.method.toUpperCase()} ${r.path}`);
  t.deepEqual(missing, []);
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
  );
  const unmounted = documented.filter(
    (d) => !mounted.some((r) => `${r.method.toUpperCase()} ${r.path}` === d),
  );
  // Routes of the contract not (yet) served; informational, the document follows the contract.
  if (unmounted.length) t.log('documented but not mounted:', unmounted.join(', '));
});

test('document shape: OpenAPI 3.1, bearer scheme, path parameters declared, responses given', (t) => {
  t.is(doc.openapi, '3.1.0');
  t.like(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer' });
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const where = `${method} ${path}`;
      t.true(
        Object.keys(op.responses).some((s) => s.startsWith('2')),
        where,
      );
      const declared = (op.parameters ?? [])
        .filter((p) => p.in === 'path')
        .map((p) => p.name)
        .sort();
      t.deepEqual(declared, [...path.matchAll(/\{(\w+)\}/g)].map(([, n]) => n!).sort(), where);
      const role = op['x-required-role'];
      t.deepEqual(op.security, role ? [{ bearerAuth: [] }] : [], where);
      if (role) t.true(op.description.includes(`role ${role}`), where);
    }
  }
  t.truthy(
    doc.paths['/v1/dashboard/anomalies']?.get?.parameters?.find(
      (p) => p.name === 'window' && p.in === 'query',
    ),
  );
  t.truthy(doc.paths['/v1/tickets']?.get?.parameters?.find((p) => p.name === 'sort' && p.in === 'query'));
});

test('the documented roles match the server: open routes open, guarded ones 401 without a token, analyst routes 403 to a viewer', async (t) => {
  const viewer = await api.deps.tokens.issue('viewer@example', 'viewer');
  const call = (method: string, path: string, token?: string) =>
    fetch(base + path.replace(/\{\w+\}/g, 'no-such-id'), {
      method: method.toUpperCase(),
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      // An empty body: enough to pass the guards, invalid for every handler, so nothing is written.
      ...(method === 'post' ? { body: '{}' } : {}),
    });
  for (const { method, path } of mounted) {
    const role = doc.paths[path]?.[method]?.['x-required-role'];
    if (role === undefined) continue; // reported by the first test
    const anonymous = (await call(method, path)).status;
    if (role === null) {
      t.not(anonymous, 401, `${method} ${path} is documented as open`);
      continue;
    }
    t.is(anonymous, 401, `${method} ${path} is documented as guarded`);
    const asViewer = (await call(method, path, viewer)).status;
    if (role === 'viewer')
      t.false([401, 403].includes(asViewer), `${method} ${path} is documented for viewers`);
    else t.is(asViewer, 403, `${method} ${path} is documented for ${role}`);
  }
});

/** `node` with $refs into the document followed. */
function deref(node: unknown): unknown {
  const ref = (node as { $ref?: string } | undefined)?.$ref;
  return ref ? dig(doc, ...ref.slice(2).split('/')) : node;
}
/** Follows `keys` down from `node`, through $refs. */
function dig(node: unknown, ...keys: string[]): unknown {
  return keys.reduce((n, k) => deref((deref(n) as Record<string, unknown> | undefined)?.[k]), deref(node));
}
const queryParam = (path: string, name: string) =>
  doc.paths[path]?.get?.parameters?.find((p) => p.in === 'query' && p.name === name)?.schema;
const jsonBody = (path: string) => doc.paths[path]?.post?.requestBody?.content['application/json']?.schema;

test("request limits are the routes' own: at the limit accepted, one past it 400, the limit in the document", async (t) => {
  const admin = await api.deps.tokens.issue('admin@example', 'admin');
  const request = (method: 'GET' | 'POST', path: string, body?: unknown) =>
    fetch(base + path, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const cases = [
    ['GET', '/v1/search', 'q', 'maxLength', 500],
    ['GET', '/v1/search', 'status', 'maxLength', 100],
    ['GET', '/v1/search', 'assignee', 'maxLength', 200],
    ['GET', '/v1/search', 'offset', 'maximum', 9900],
    ['GET', '/v1/jobs', 'limit', 'maximum', 100],
    ['GET', '/v1/tickets', 'limit', 'maximum', 200],
    ['POST', '/v1/auth/login', 'password', 'maxLength', 1024],
    ['POST', '/v1/ask', 'question', 'maxLength', 1000],
    ['POST', '/v1/ingest/json', 'tickets', 'maxItems', 1000],
  ] as const;
  /** The other fields a request needs. */
  const rest: Record<string, Record<string, string>> = {
    '/v1/search': { q: 'invoice' },
    '/v1/auth/login': { email: 'nobody@example.com' },
  };
  const sized = (keyword: (typeof cases)[number][3], size: number) =>
    keyword === 'maxLength'
      ? 'x'.repeat(size)
      : keyword === 'maximum'
        ? size
        : Array.from({ length: size }, (_, i) => ({ id: `LIMIT-${i}` }));
  for (const [method, path, field, keyword, limit] of cases) {
    const where = `${method} ${path} ${field}`;
    const documented = method === 'GET' ? queryParam(path, field) : dig(jsonBody(path), 'properties', field);
    t.is(dig(documented, keyword), limit, `${where}: the document's ${keyword}`);
    const send = (size: number) => {
      const fields = { ...rest[path], [field]: sized(keyword, size) };
      return method === 'GET'
        ? request(method, `${path}?${new URLSearchParams(fields as Record<string, string>)}`)
        : request(method, path, fields);
    };
    t.not((await send(limit)).status, 400, `${where} at ${limit}`);
    const over = await send(limit + 1);
    t.is(over.status, 400, `${where} at ${limit + 1}`);
    t.regex(((await over.json()) as { error: string }).error, new RegExp(`^${field}: `), where);
  }
  // A JSON batch checks each ticket on its own: one past a field's limit fails that row, not the request.
  const item = dig(jsonBody('/v1/ingest/json'), 'properties', 'tickets', 'items', 'properties');
  t.is(dig(item, 'summary', 'maxLength'), 10_000);
  t.is(dig(item, 'status', 'anyOf', '0', 'maxLength'), 100);
  const batch = await request('POST', '/v1/ingest/json', {
    tickets: [
      { id: 'LIMIT-1', summary: 'x'.repeat(10_001) },
      { id: 'LIMIT-2', status: 'x'.repeat(101) },
    ],
  });
  t.is(batch.status, 201);
  const job = (await batch.json()) as { errors: { row: number; error: string }[] };
  t.deepEqual(
    job.errors.map((e) => [e.row, e.error.split(':')[0]]),
    [
      [1, 'summary'],
      [2, 'status'],
    ],
  );
});
