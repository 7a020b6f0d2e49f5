// --prometheus-url (env PROMETHEUS_URL, chart tenantMonitoring.prometheusUrl): the Prometheus HTTP API that
// KEDA queries to autoscale self-hosted LLMs. Checked here, so a typo stops the operator at start rather than
// leaving every ScaledObject failing its queries.
import type { SynthOptions } from '../synth/index.js';
import { CommandError } from './manifests.js';

export function prometheusUrl(value: string | undefined): Pick<SynthOptions, 'prometheusUrl'> {
  if (!value) return {};
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CommandError(`--prometheus-url: "${value}" is not a URL`, 2);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CommandError(`--prometheus-url: "${value}" is not an http(s) URL`, 2);
  return { prometheusUrl: value.replace(/\/+$/, '') };
}
