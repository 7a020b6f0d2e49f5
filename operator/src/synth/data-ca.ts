// The data services' CA bundle, when the installation has one (--data-ca-file): a ConfigMap per platform,
// mounted where the containers that reach the data services read it at start.
import * as kplus from 'cdk8s-plus-28';
import { DATA_CA } from '@sentiment/crds';
import type { SynthContext } from './context.js';
import { objectLabels } from './labels.js';

export interface DataCa {
  env: Record<string, kplus.EnvValue>;
  mounts: kplus.VolumeMount[];
}

/** The env and mounts for api and worker; nothing when the installation trusts the default CAs. */
export function dataCa(ctx: SynthContext, pem: string | undefined): DataCa {
  if (!pem) return { env: {}, mounts: [] };
  const configMap = new kplus.ConfigMap(ctx.chart, 'data-ca', {
    metadata: { name: `${ctx.name}${DATA_CA.configMapSuffix}`, labels: objectLabels(ctx.name, 'platform') },
    data: { [DATA_CA.key]: pem },
  });
  const volume = kplus.Volume.fromConfigMap(ctx.chart, 'data-ca-volume', configMap, { name: 'data-ca' });
  return {
    env: { [DATA_CA.env]: kplus.EnvValue.fromValue(`${DATA_CA.mountPath}/${DATA_CA.key}`) },
    mounts: [{ path: DATA_CA.mountPath, volume, readOnly: true }],
  };
}
