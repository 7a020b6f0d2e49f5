// The whole verdict on a SentimentPlatform before anything is built from it: the schema's structural
// checks and the admission rules (what the API server enforces, for objects that never met one, e.g.
// `render -f`), then the checks that only make sense once the profile is applied (CEL cannot see
// presets, and the LLM sizing, which needs the resolved instance type and a model table CEL lacks),
// then warnings.
import { sizeLlm } from './llm-sizing.js';
import { ingressMode, resolveSpec } from './resolve.js';
import { admissionProblems, type Admitted } from './rules.js';
import { schemaProblems } from './schema-check.js';
import { openAPIV3Schema } from './schema.js';
import { TENANT_NAMING_ANNOTATION, TENANT_NAMINGS } from './tenancy.js';
import type { ResolvedServed, ResolvedSpec, ResolvedWorker, SentimentPlatformSpec } from './types.js';

export interface Verdict {
  /** Present when there are no problems. */
  resolved?: ResolvedSpec;
  /** Reasons the platform cannot be built; for status conditions and CLI errors. */
  problems: string[];
  /** Worth telling the user; the platform is still built. */
  warnings: string[];
}

export class InvalidSpecError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid SentimentPlatform spec:\n- ${problems.join('\n- ')}`);
    this.name = 'InvalidSpecError';
  }
}

function servedProblems(component: 'api' | 'worker' | 'ml', c: ResolvedServed | ResolvedWorker): string[] {
  const a = c.autoscaling;
  if (a.enabled && a.min > a.max) {
    // Only reachable by mixing an explicit bound with the profile's other one.
    return [
      `${component}.autoscaling.min (${a.min}) exceeds ${component}.autoscaling.max (${a.max}) once the profile is applied: set both`,
    ];
  }
  return [];
}

// What the worker's autoscaler needs that this check cannot see: whether KEDA is installed (the operator
// finds out at start), and what a Secret of the user's holds (KEDA reads Redis from separate keys).
function workerScalingWarnings(spec: SentimentPlatformSpec, resolved: ResolvedSpec): string[] {
  const a = resolved.worker.autoscaling;
  if (!a.enabled) return [];
  const warnings: string[] = [];
  // Only the user's own 0: a profile's is its documented choice, not something the user needs telling.
  if (spec.worker?.autoscaling?.min === 0)
    warnings.push(
      'worker.autoscaling.min 0 (no worker pod while no upload waits) takes effect only where KEDA is installed and the operator runs with --worker-scaling auto; elsewhere the worker keeps one pod',
    );
  if (resolved.data.redis.secretRef)
    warnings.push(
      'worker.autoscaling: data.redis.secretRef names a Secret of your own, so the worker scales on CPU (a HorizontalPodAutoscaler, at least one pod), not on its queue: KEDA reads the Redis address and credentials from separate keys, which only the Secret the operator provisions holds',
    );
  return warnings;
}

const SPEC_SCHEMA = openAPIV3Schema().properties!.spec!;

// CEL in a CRD cannot see annotations, so the operator checks the ones it reads.
function annotationProblems(annotations: Record<string, string> = {}): string[] {
  const naming = annotations[TENANT_NAMING_ANNOTATION];
  return naming === undefined || (TENANT_NAMINGS as readonly string[]).includes(naming)
    ? []
    : [
        `annotation ${TENANT_NAMING_ANNOTATION} is "${naming}": it takes ${TENANT_NAMINGS.map((n) => `"${n}"`).join(' or ')}`,
      ];
}

export function checkPlatform(
  obj: Admitted & { metadata: { annotations?: Record<string, string> } },
): Verdict {
  // Like the API server: structural errors first; CEL rules only run on a well-typed object.
  const structural = schemaProblems(obj.spec, SPEC_SCHEMA, 'spec');
  if (structural.length) return { problems: structural, warnings: [] };
  const problems = [...admissionProblems(obj), ...annotationProblems(obj.metadata.annotations)];
  if (problems.length) return { problems, warnings: [] };
  const resolved = resolveSpec(obj.spec);
  const sizing = resolved.llm.provider === 'self-hosted' ? sizeLlm(resolved.llm.selfHosted) : undefined;
  const resolvedProblems = [
    ...servedProblems('api', resolved.api),
    ...servedProblems('worker', resolved.worker),
    ...servedProblems('ml', resolved.ml),
    ...(sizing?.verdict === 'too-large' ? [sizing.problem] : []),
  ];
  if (resolvedProblems.length) return { problems: resolvedProblems, warnings: [] };
  const warnings = workerScalingWarnings(obj.spec, resolved);
  if (sizing?.verdict !== 'too-large' && sizing?.warning) warnings.push(sizing.warning);
  if (resolved.llm.provider === 'bedrock' && !resolved.serviceAccount.iamRoleArn) {
    warnings.push(
      'llm.provider is bedrock but serviceAccount.iamRoleArn is unset: pods reach Bedrock only with an IAM role (IRSA or EKS Pod Identity)',
    );
  }
  if (resolved.ingress.enabled && ingressMode(resolved.ingress) === 'none') {
    warnings.push(
      'ingress.host is unset, so the API gets no Ingress and is reachable only inside the cluster: set ingress.host to serve it over HTTPS, or ingress.enabled: false to say that is intended (ingress.tls.enabled: false serves plain HTTP on any host)',
    );
  }
  return { resolved, problems: [], warnings };
}

/** resolveSpec for callers that must not proceed on an invalid object. */
export function resolveChecked(obj: Admitted): ResolvedSpec {
  const verdict = checkPlatform(obj);
  if (!verdict.resolved) throw new InvalidSpecError(verdict.problems);
  return verdict.resolved;
}
