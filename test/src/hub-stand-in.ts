// A stand-in for the Hugging Face Hub, because the Hub cannot be reached from the test machines. It serves
// the two endpoints the seed reads, from repositories described in memory: the file list at `main`, and a
// file at a commit as a 302 to a second server on another port (the "CDN", as the Hub redirects to its
// CDN), which serves the bytes and refuses any request carrying an Authorization header. Test-only: the
// model cache's own tests use it on loopback, the e2e tests on the node link's host address, where pods
// on the test node (the operator's seed Jobs) reach it.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRepo {
  sha: string;
  files: Record<string, Buffer>;
  /** A gated repository: every request needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Sizes the file list reports instead of the real ones (a Hub listing that disagrees with its bytes). */
  listedSizes?: Record<string, number>;
}

export interface FakeHub {
  endpoint: string;
  /** Requests the CDN received with an Authorization header (it refuses them). */
  cdnAuthorizations: number;
  /** The files the CDN served, as `<repo>/<path>`. */
  served: string[];
  close(): Promise<void>;
}

async function listen(
  host: string,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return server;
}

const port = (server: Server) => (server.address() as AddressInfo).port;

/** Serves `repos` on `host` (default loopback): both servers listen there, and the redirect names it. */
export async function startFakeHub(
  repos: Record<string, FakeRepo>,
  { host = '127.0.0.1' }: { host?: string } = {},
): Promise<FakeHub> {
  const hub: FakeHub = { endpoint: '', cdnAuthorizations: 0, served: [], close: async () => {} };
  const cdn = await listen(host, (req, res) => {
    if (req.headers.authorization !== undefined) {
      hub.cdnAuthorizations++;
      res.writeHead(400).end('the CDN must not receive the Hub token');
      return;
    }
    // /<org>/<name>/<sha>/<path>
    const [org, name, sha, ...rest] = decodeURIComponent(new URL(req.url!, 'http://x').pathname)
      .slice(1)
      .split('/');
    const repo = repos[`${org}/${name}`];
    const bytes = repo && repo.sha === sha ? repo.files[rest.join('/')] : undefined;
    if (!bytes) return void res.writeHead(404).end();
    hub.served.push(`${org}/${name}/${rest.join('/')}`);
    res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
  });
  const api = await listen(host, (req, res) => {
    const url = new URL(req.url!, 'http://x');
    const info = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/main$/.exec(url.pathname);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const repo = repos[(info ?? resolve)?.[1] ?? ''];
    if (!repo) return void res.writeHead(404).end();
    if (repo.token && req.headers.authorization !== `Bearer ${repo.token}`)
      return void res.writeHead(401).end();
    if (info) {
      const siblings = Object.entries(repo.files).map(([rfilename, bytes]) => ({
        rfilename,
        size: repo.listedSizes?.[rfilename] ?? bytes.length,
      }));
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ sha: repo.sha, siblings }));
      return;
    }
    const [, id, sha, path] = resolve!;
    res.writeHead(302, { location: `http://${host}:${port(cdn)}/${id}/${sha}/${path}` }).end();
  });
  hub.endpoint = `http://${host}:${port(api)}`;
  hub.close = async () => {
    await Promise.all([api, cdn].map((s) => new Promise((r) => s.close(r))));
  };
  return hub;
}
