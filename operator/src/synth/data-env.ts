// Connection URLs reach the containers as Secret references, never as values: either the user's
// Secret (data.*.secretRef) or the one the operator writes when it provisions the tenant's slice.
import * as kplus from 'cdk8s-plus-28';
import { DATA_SECRET_KEYS, ENV, dataSecretName } from '@sentiment/crds';
import type { SynthContext } from './context.js';

export function dataEnv(ctx: SynthContext): Record<string, kplus.EnvValue> {
  const provisioned = kplus.Secret.fromSecretName(ctx.chart, 'data-secret', dataSecretName(ctx.name));
  const ref = (id: string, r: { name: string; key: string } | undefined, key: string): kplus.EnvValue =>
    kplus.EnvValue.fromSecretValue(
      r
        ? { secret: kplus.Secret.fromSecretName(ctx.chart, id, r.name), key: r.key }
        : { secret: provisioned, key },
    );
  const { postgres, redis, opensearch } = ctx.spec.data;
  const env: Record<string, kplus.EnvValue> = {
    [ENV.databaseUrl]: ref('postgres-secret', postgres.secretRef, DATA_SECRET_KEYS.postgres),
    [ENV.redisUrl]: ref('redis-secret', redis.secretRef, DATA_SECRET_KEYS.redis),
  };
  // A credential-free endpoint travels in the ConfigMap instead (see platform.ts).
  if (opensearch.endpoint === undefined) {
    env[ENV.opensearchUrl] = ref('opensearch-secret', opensearch.secretRef, DATA_SECRET_KEYS.opensearch);
  }
  return env;
}
