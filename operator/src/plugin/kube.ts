// Kubernetes access for the kubectl plugin, resolved as kubectl resolves it: --kubeconfig, else $KUBECONFIG
// or ~/.kube/config; --context, else the current one; -n, else the context's namespace, else `default`.
// Requests are raw JSON (kube/raw.ts), so objects compare exactly as the operator's caches hold them.
import { KubeConfig } from '@kubernetes/client-node';
import type { SentimentPlatform } from '@sentiment/crds';
import { CommandError } from '../commands/manifests.js';
import { isNotFound } from '../kube/client.js';
import { kubeRequest } from '../kube/raw.js';
import { PLATFORM_KIND, collectionPath, objectPath } from '../kube/resources.js';

/** The options every plugin command takes, for parseOptions. */
export const KUBE_OPTIONS = {
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  namespace: { type: 'string', short: 'n' },
} as const;

export const KUBE_HELP = `  -n, --namespace NS   (default: the context's namespace, else default)
  --kubeconfig PATH    kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
  --context NAME       kubeconfig context (default: the current one)`;

export interface Kube {
  kc: KubeConfig;
  /** -n, else the context's namespace, else default. */
  namespace: string;
}

export function connect(flags: { kubeconfig?: string; context?: string; namespace?: string }): Kube {
  const kc = new KubeConfig();
  try {
    if (flags.kubeconfig) kc.loadFromFile(flags.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new CommandError(`cannot load the kubeconfig: ${(err as Error).message}`, 1);
  }
  if (flags.context !== undefined) {
    if (!kc.getContextObject(flags.context))
      throw new CommandError(`context "${flags.context}" does not exist in the kubeconfig`, 1);
    kc.setCurrentContext(flags.context);
  }
  const namespace = flags.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  return { kc, namespace };
}

export function get<T>(kc: KubeConfig, path: string, query?: Record<string, string>): Promise<T> {
  return kubeRequest<T>(kc, { method: 'GET', path, ...(query && { query }) });
}

/** The object at `path`, or undefined where the API server answers 404. */
export async function getIfExists<T>(kc: KubeConfig, path: string): Promise<T | undefined> {
  try {
    return await get<T>(kc, path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The API server keeps a SentimentPlatform without spec (the schema does not require one): {} it is. */
const withSpec = (p: SentimentPlatform): SentimentPlatform => ({ ...p, spec: p.spec ?? {} });

export async function readPlatform(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<SentimentPlatform> {
  return withSpec(
    await get<SentimentPlatform>(
      kc,
      objectPath(PLATFORM_KIND.apiVersion, PLATFORM_KIND.kind, namespace, name),
    ),
  );
}

/** The SentimentPlatforms of a namespace (undefined: of all namespaces), or the one named. */
export async function readPlatforms(
  kc: KubeConfig,
  namespace: string | undefined,
  name?: string,
): Promise<SentimentPlatform[]> {
  if (name === undefined) {
    const list = await get<{ items: SentimentPlatform[] }>(kc, collectionPath(PLATFORM_KIND, namespace));
    return list.items.map(withSpec);
  }
  if (namespace === undefined)
    throw new CommandError('a platform cannot be named across all namespaces (-A)', 2);
  return [await readPlatform(kc, namespace, name)];
}
