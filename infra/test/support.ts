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
