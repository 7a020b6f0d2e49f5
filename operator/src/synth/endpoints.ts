// Where a platform's components answer, as status.endpoints shows them: the addresses of the Services and
// Ingress synth writes (every Service listens on SERVICE_PORT, see pod.ts), and Bedrock's model.
import {
  SERVICE_PORT,
  componentName,
  ingressMode,
  type ComponentName,
  type ResolvedSpec,
  type SentimentPlatformStatus,
} from '@sentiment/crds';

export function platformEndpoints(
  name: string,
  namespace: string,
  resolved: ResolvedSpec,
): NonNullable<SentimentPlatformStatus['endpoints']> {
  const service = (c: ComponentName) => `http://${componentName(name, c)}.${namespace}.svc:${SERVICE_PORT}`;
  const mode = ingressMode(resolved.ingress);
  const api =
    mode !== 'none' && resolved.ingress.host !== undefined
      ? `${mode}://${resolved.ingress.host}`
      : service('api');
  const llm =
    resolved.llm.provider === 'self-hosted'
      ? service('llm')
      : resolved.llm.provider === 'bedrock'
        ? `bedrock://${resolved.llm.bedrock.region}/${resolved.llm.bedrock.modelId}`
        : undefined;
  return { api, ml: service('ml'), ...(llm && { llm }) };
}
