import { App, type Stack } from 'aws-cdk-lib';
import type { ExecutionContext } from 'ava';
import { Template } from 'aws-cdk-lib/assertions';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { addPlatform, type PlatformStacks } from '../src/app.js';
import type { EnvironmentName } from '../src/config/environment.js';
import { ENVIRONMENTS } from '../src/config/environments.js';

// A stand-in chart keeps these tests independent of the real chart's contents (written elsewhere).
const FIXTURE_CHART = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/operator-chart');

export interface Synthesized {
  readonly app: App;
  readonly stacks: PlatformStacks;
  readonly template: (stack: Stack) => Template;
}

/** Synthesizes one environment (slow on small machines: call it once per test file, in test.before). */
export function synthesize(env: EnvironmentName): Synthesized {
  const app = new App();
  const stacks = addPlatform(app, ENVIRONMENTS[env], { operatorChartDir: FIXTURE_CHART });
  app.synth();
  const templates = new Map<Stack, Template>();
  const template = (stack: Stack): Template => {
    let t = templates.get(stack);
    if (!t) {
      t = Template.fromStack(stack);
      templates.set(stack, t);
    }
    return t;
  };
  return { app, stacks, template };
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

/** The resources of one CloudFormation type, as plain objects, for assertions beyond Template's matchers. */
export function resourcesOfType(template: Template, type: string): Resource[] {
  return Object.values(template.findResources(type)) as Resource[];
}

/** Template.hasResourceProperties as an ava assertion (it throws, which ava would not count). */
export function hasResource(
  t: ExecutionContext<unknown>,
  template: Template,
  type: string,
  props: unknown,
): void {
  t.notThrows(() => template.hasResourceProperties(type, props), type);
}

interface Outputs {
  Outputs?: Record<string, { Value: unknown; Export?: { Name: string } }>;
  Resources: Record<string, { Type: string }>;
}

/**
 * What a cross-stack import stands for, as `<Type>.<attribute> <logical id>` of the resource the exporting
 * stack's output reads (what e2e/test/support/cdk-deploy.ts resolves onto stand-ins).
 */
export function importTarget(s: Synthesized, value: unknown): string {
  const name = (value as { 'Fn::ImportValue'?: string })['Fn::ImportValue'];
  for (const stack of Object.values(s.stacks)) {
    const template = s.template(stack).toJSON() as Outputs;
    const output = Object.values(template.Outputs ?? {}).find((o) => o.Export?.Name === name);
    if (!output) continue;
    const v = output.Value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    const id = v.Ref ?? v['Fn::GetAtt']?.[0] ?? '?';
    const attribute = v.Ref ? 'Ref' : (v['Fn::GetAtt']?.[1] ?? '?');
    return `${template.Resources[id]?.Type ?? '?'}.${attribute} ${id}`;
  }
  throw new Error(`no stack exports ${JSON.stringify(value)}`);
}

/** The operator chart's values, each cross-stack import written `<Type>.<attribute> <logical id>` (importTarget). */
export function operatorChartValues(s: Synthesized): Record<string, unknown> {
  const chart = resourcesOfType(s.template(s.stacks.operator), 'Custom::AWSCDK-EKS-HelmChart')[0]?.Properties;
  if (!chart) throw new Error('operator chart missing');
  const parts = (chart.Values as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return JSON.parse(
    parts.map((p) => (typeof p === 'string' ? p : `<${importTarget(s, p)}>`)).join(''),
  ) as Record<string, unknown>;
}
