// Which optional kinds the API server serves (its discovery document of their group versions): the
// manager asks at start, the kubectl plugin to render as the operator does.
import { isNotFound } from './client.js';
import type { ResourceKind } from './resources.js';

/** Whether every one of these kinds is served; `get` is a GET of an API path, answered as JSON. */
export async function servesKinds(
  get: <T>(path: string) => Promise<T>,
  kinds: readonly ResourceKind[],
): Promise<boolean> {
  const served = await Promise.all(
    [...new Set(kinds.map((k) => k.apiVersion))].map(async (apiVersion) => {
      try {
        return (await get<{ resources: { name: string }[] }>(`/apis/${apiVersion}`)).resources;
      } catch (err) {
        if (isNotFound(err)) return [];
        throw err;
      }
    }),
  );
  return kinds.every((k) => served.flat().some((r) => r.name === k.plural));
}
