// The test API server (test/env), reached with the admin kubeconfig that `npm run env:up` writes.
// loadTestEnv() throws a clear instruction when the environment is not up: these tests fail, never skip.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ApiextensionsV1Api, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { loadTestEnv } from '@sentiment/testenv';
import { CRD_FILE } from '../scripts/paths.js';
import { CRD_NAME } from '../src/index.js';

export const env = loadTestEnv();
export const kc = new KubeConfig();
kc.loadFromFile(env.KUBECONFIG);
export const core = kc.makeApiClient(CoreV1Api);
export const custom = kc.makeApiClient(CustomObjectsApi);
const extensions = kc.makeApiClient(ApiextensionsV1Api);

/** The message of a failed API call (client-node 1.x puts the Status JSON in `body`). */
export function apiMessage(err: unknown): string {
  const body = (err as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      return (JSON.parse(body) as { message?: string }).message ?? body;
    } catch {
      return body;
    }
  }
  return (body as { message?: string } | undefined)?.message ?? String(err);
}
export const apiCode = (err: unknown): number | undefined => (err as { code?: number }).code;

/**
 * Installs the committed CRD YAML (server-side apply, idempotent) and waits until it serves. kubectl,
 * not client-node: client-node's typed serializer silently drops `x-kubernetes-*` schema keys.
 */
export async function installCrd(): Promise<void> {
  await kubectl(
    'apply',
    '--server-side',
    '--force-conflicts',
    '--field-manager=sentiment-crds-test',
    '-f',
    CRD_FILE,
  );
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const crd = await extensions.readCustomResourceDefinition({ name: CRD_NAME });
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${CRD_NAME} not Established after 30 s`);
}

/** A namespace of this test file's own; delete it in test.after.always. */
export async function tempNamespace(prefix: string): Promise<string> {
  const name = `${prefix}-${process.pid}-${Date.now().toString(36)}`;
  await core.createNamespace({ body: { metadata: { name } } });
  return name;
}

export async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(env.KUBECTL, ['--kubeconfig', env.KUBECONFIG, ...args]);
  return stdout;
}
