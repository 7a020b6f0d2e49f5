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
import type { ResolvedServed, ResolvedSpec } from './types.js';

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

function servedProblems(component: 'api' | 'ml', c: ResolvedServed): string[] {
  const a = c.autoscaling;
  if (a.enabled && a.min > a.max) {
    // Only reachable by mixing an explicit bound with the profile's other one.
    return [
      `${component}.autoscaling.min (${a.min}) exceeds ${component}.autoscaling.max (${a.max}) once the profile is applied: set both`,
    ];
  }
  return [];
}

const SPEC_SCHEMA = openAPIV3Schema().properties!.spec!;

export function checkPlatform(obj: Admitted): Verdict {
  // Like the API server: structural errors first; CEL rules only run on a well-typed object.
  const structural = schemaProblems(obj.spec, SPEC_SCHEMA, 'spec');
  if (structural.length) return { problems: structural, warnings: [] };
  const problems = admissionProblems(obj);
  if (problems.length) return { problems, warnings: [] };
  const resolved = resolveSpec(obj.spec);
  const sizing = resolved.llm.provider === 'self-hosted' ? sizeLlm(resolved.llm.selfHosted) : undefined;
  const resolvedProblems = [
    ...servedProblems('api', resolved.api),
    ...servedProblems('ml', resolved.ml),
    ...(sizing?.verdict === 'too-large' ? [sizing.problem] : []),
  ];
  if (resolvedProblems.length) return { problems: resolvedProblems, warnings: [] };
  const warnings: string[] = [];
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
