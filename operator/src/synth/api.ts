// The HTTP API: served component + the Ingress the AWS Load Balancer Controller turns into an ALB.
import * as kplus from 'cdk8s-plus-28';
import {
  DEFAULT_INGRESS_GROUP,
  HEALTH_PATHS,
  METRICS_PATH,
  SERVICE_PORT,
  authSecretName,
  componentName,
  ingressMode,
} from '@sentiment/crds';
import { ApiObject, JsonPatch } from 'cdk8s';
import type { SynthContext } from './context.js';
import { objectLabels } from './labels.js';
import { servedComponent } from './served.js';

const ALB = 'alb.ingress.kubernetes.io';
/** The ALB action that answers 404 itself: paths for the cluster's own probes and scrapers never reach the API. */
const NOT_ROUTED = 'not-routed';
const INTERNAL_PATHS = [HEALTH_PATHS.live, HEALTH_PATHS.ready, METRICS_PATH];
/** TLS 1.3 and 1.2 only, AWS's recommended policy; a listener setting, so the same on every tenant of the group. */
const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

export function api(
  ctx: SynthContext,
  env: Record<string, kplus.EnvValue>,
  volumeMounts: kplus.VolumeMount[] = [],
  ingressGroup = DEFAULT_INGRESS_GROUP,
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
  const mode = ingressMode(ing);
  if (mode === 'none') return;
  const annotations: Record<string, string> = {};
  if (ing.className === 'alb') {
    Object.assign(annotations, {
      [`${ALB}/scheme`]: 'internet-facing',
      // Fargate pods have no node port to target: the ALB must send to pod IPs.
      [`${ALB}/target-type`]: 'ip',
      [`${ALB}/healthcheck-path`]: HEALTH_PATHS.ready,
      [`${ALB}/actions.${NOT_ROUTED}`]: JSON.stringify({
        type: 'fixed-response',
        fixedResponseConfig: { contentType: 'text/plain', statusCode: '404', messageBody: 'not found' },
      }),
    });
    if (mode === 'https') {
      // One ALB for every HTTPS tenant: it routes by host and serves each host's certificate by SNI.
      // ssl-redirect applies to the whole group, which is why plain-HTTP tenants stay out of it.
      Object.assign(annotations, {
        [`${ALB}/group.name`]: ingressGroup,
        [`${ALB}/listen-ports`]: '[{"HTTP":80},{"HTTPS":443}]',
        [`${ALB}/ssl-redirect`]: '443',
        [`${ALB}/ssl-policy`]: TLS_POLICY,
        ...(ing.tls.certificateArn !== undefined && { [`${ALB}/certificate-arn`]: ing.tls.certificateArn }),
      });
    } else {
      annotations[`${ALB}/listen-ports`] = '[{"HTTP":80}]';
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
    // Without certificate-arn the load balancer controller discovers the ACM certificate by these hosts.
    ...(mode === 'https' && ing.host !== undefined && { tls: [{ hosts: [ing.host] }] }),
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
