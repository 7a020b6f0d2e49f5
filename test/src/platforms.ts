// Reading SentimentPlatforms as their users see them (kubectl get sp): for the operator's and the
// end-to-end tests, which wait on the status the operator writes.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { API_GROUP, API_VERSION, PLURAL, type SentimentPlatform } from '@sentiment/crds';

/** The platform, or undefined once it is gone. */
export async function getPlatform(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
): Promise<SentimentPlatform | undefined> {
  try {
    return (await custom.getNamespacedCustomObject({
      group: API_GROUP,
      version: API_VERSION,
      namespace,
      plural: PLURAL,
      name,
    })) as SentimentPlatform;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  }
}

export const condition = (p: SentimentPlatform | undefined, type: string) =>
  p?.status?.conditions?.find((c) => c.type === type);
