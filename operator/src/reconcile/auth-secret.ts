// The API's signing key and first admin (the API always runs, so every platform has one), generated once.
import type { KubernetesObject } from '@kubernetes/client-node';
import { authSecretName, type SentimentPlatform } from '@sentiment/crds';
import { isConflict } from '../kube/client.js';
import { childStore, type ReconcilerDeps } from './deps.js';
import { generateAuthValues, platformSecret, withOwner } from './objects.js';

type AuthSecretDeps = Pick<ReconcilerDeps, 'client' | 'children' | 'events' | 'tenancyVerifyIntervalMs'>;

export class AuthSecrets {
  /** When an auth Secret our cache does not show was last found to exist, by platform key. */
  private readonly foundAt = new Map<string, number>();

  constructor(private readonly deps: AuthSecretDeps) {}

  /**
   * Created, never applied: apply forces our values, and the cache holds only Secrets with our
   * managed-by label, so applying on a cache miss would overwrite a Secret the user brought, or rotate
   * ours while the watch lags behind our own create. A create answers 409 instead and changes nothing.
   */
  async ensure(platform: SentimentPlatform): Promise<void> {
    const { namespace = '', name } = platform.metadata;
    const key = `${namespace}/${name}`;
    if (childStore(this.deps, 'v1', 'Secret')?.get(authSecretName(name), namespace)) {
      this.foundAt.delete(key);
      return;
    }
    // Each attempt is a write request: a Secret known to exist outside the cache is not asked for
    // again until the interval passes, so a steady-state resync still writes nothing.
    const foundAt = this.foundAt.get(key);
    const now = Date.now();
    if (foundAt !== undefined && now - foundAt < this.deps.tenancyVerifyIntervalMs) return;
    const secret = withOwner(
      platformSecret(platform, authSecretName(name), 'auth', generateAuthValues()),
      platform,
    );
    let created = true;
    try {
      await this.deps.client.create(secret);
    } catch (err) {
      if (!isConflict(err)) throw err;
      created = false;
    }
    this.foundAt.set(key, now);
    if (created) {
      await this.deps.events.record(platform as KubernetesObject, {
        type: 'Normal',
        reason: 'AuthSecretCreated',
        action: 'Create',
        note: `generated the API's signing key and first admin login in Secret ${authSecretName(name)}`,
      });
    }
  }

  forget(key: string): void {
    this.foundAt.delete(key);
  }
}
