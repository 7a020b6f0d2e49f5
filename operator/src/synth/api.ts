// The HTTP API: served component + the Ingress the AWS Load Balancer Controller turns into an ALB.
import * as kplus from 'cdk8s-plus-28';
import { HEALTH_PATHS, METRICS_PATH, SERVICE_PORT, authSecretName, componentName } from '@sentiment/crds';
import { ApiObject, JsonPatch } from 'cdk8s';
import type { SynthContext } from './context.js';
import { objectLabels } from './labels.js';
import { servedComponent } from './served.js';

const ALB = 'alb.ingress.kubernetes.io';
/** The ALB action that answers 404 itself: paths for the cluster's own probes and scrapers never reach the API. */
const NOT_ROUTED = 'not-routed';
const INTERNAL_PATHS = [HEALTH_PATHS.live, HEALTH_PATHS.ready, METRICS_PATH];

export function api(
  ctx: SynthContext,
  env: Record<string, kplus.EnvValue>,
  volumeMounts: kplus.VolumeMount[] = [],
): void {
  // The signing key and first admin come from the Secret the reconciler ensures (synth stays pure: it
  // only names it). Whole-Secret envFrom, so OIDC_* keys a user adds there reach the API too.
  const auth = kplus.Secret.fromSecretName(ctx.chart, 'auth-secret', authSecretName(ctx.name));
  const { service } = servedComponent(ctx, {
    component: 'api',
    spec: ctx.spec.api,
    env,
    secrets: [auth],
    volumeMounts,
  });
  const ing = ctx.spec.ingress;
  if (!ing.enabled) return;
  const annotations: Record<string, string> = {};
  if (ing.className === 'alb') {
    Object.assign(annotations, {
      [`${ALB}/scheme`]: 'internet-facing',
      // Fargate pods have no node port to target: the ALB must send to pod IPs.
      [`${ALB}/target-type`]: 'ip',
      [`${ALB}/healthcheck-path`]: HEALTH_PATHS.ready,
      [`${ALB}/listen-ports`]: ing.tls ? '[{"HTTP":80},{"HTTPS":443}]' : '[{"HTTP":80}]',
    });
    annotations[`${ALB}/actions.${NOT_ROUTED}`] = JSON.stringify({
      type: 'fixed-response',
      fixedResponseConfig: { contentType: 'text/plain', statusCode: '404', messageBody: 'not found' },
    });
    if (ing.tls) {
      annotations[`${ALB}/certificate-arn`] = ing.tls.certificateArn;
      annotations[`${ALB}/ssl-redirect`] = '443';
    }
  }
  const ingress = new kplus.Ingress(ctx.chart, 'ingress', {
    metadata: { name: componentName(ctx.name, 'api'), labels: objectLabels(ctx.name, 'api'), annotations },
    className: ing.className,
    rules: [
      {
        ...(ing.host !== undefined && { host: ing.host }),
        path: '/',
        pathType: kplus.HttpIngressPathType.PREFIX,
        backend: kplus.IngressBackend.fromService(service, { port: SERVICE_PORT }),
      },
    ],
  });
  if (ing.className === 'alb') {
    // Rules are matched in the order of the paths: the exact internal paths come before the API's prefix.
    INTERNAL_PATHS.forEach((path, i) =>
      ApiObject.of(ingress).addJsonPatch(
        JsonPatch.add(`/spec/rules/0/http/paths/${i}`, {
          path,
          pathType: 'Exact',
          backend: { service: { name: NOT_ROUTED, port: { name: 'use-annotation' } } },
        }),
      ),
    );
  }
}
