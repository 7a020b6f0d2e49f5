// --ingress-group, shared by `run` and `render`: the ALB IngressGroup every HTTPS tenant joins.
import { DEFAULT_INGRESS_GROUP, INGRESS_GROUP_PATTERN } from '@sentiment/crds';
import { CommandError } from './manifests.js';

/** The flag's group, else `env`'s, else the default; throws a usage error for a name the controller refuses. */
export function ingressGroup(flag?: string, env?: string): string {
  const group = flag ?? (env || DEFAULT_INGRESS_GROUP);
  if (!new RegExp(INGRESS_GROUP_PATTERN).test(group))
    throw new CommandError(
      `--ingress-group: "${group}" is not a load balancer group name (lower-case letters, digits, '-' and '.', at most 63, alphanumeric at both ends)`,
      2,
    );
  return group;
}
