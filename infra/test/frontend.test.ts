// The dashboard may call only the tenant APIs the deployment names: its CSP's connect-src and the
// config.json the app reads list exactly those (the app's own check is in workloads/web/src/endpoint.ts).
import test from 'ava';
import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENVIRONMENTS } from '../src/config/environments.js';
import { FrontendStack, tenantApiOrigins } from '../src/stacks/frontend.js';
import { resourcesOfType } from './support.js';

interface Synthesized {
  stack: FrontendStack;
  template: Template;
  /** The CSP's directives, by name. */
  csp: Map<string, string>;
  /** The config.json the stack deploys, read from its staged asset (undefined: none). */
  config: unknown;
}

function synthFrontend(apiOrigins?: readonly string[]): Synthesized {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'frontend-')) });
  const stack = new FrontendStack(app, 'Frontend', { config: ENVIRONMENTS.demo, apiOrigins });
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  const [policy] = resourcesOfType(template, 'AWS::CloudFront::ResponseHeadersPolicy');
  const header = (
    policy!.Properties!.ResponseHeadersPolicyConfig as {
      SecurityHeadersConfig: { ContentSecurityPolicy: { ContentSecurityPolicy: string } };
    }
  ).SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy;
  const csp = new Map(
    header.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, [name, ...values].join(' ')] as const;
    }),
  );
  const [deployment] = resourcesOfType(template, 'Custom::CDKBucketDeployment');
  const key = (deployment?.Properties?.SourceObjectKeys as string[] | undefined)?.[0];
  const config: unknown =
    key &&
    JSON.parse(
      readFileSync(join(assembly.directory, `asset.${key.replace(/\.zip$/, '')}`, 'config.json'), 'utf8'),
    );
  return { stack, template, csp, config };
}

const ORIGINS = ['https://*.tenants.example.com', 'https://api.acme.example'];

test('connect-src and config.json list exactly the tenant API origins given', (t) => {
  const { template, csp, config } = synthFrontend(ORIGINS);
  t.is(csp.get('connect-src'), "connect-src 'self' https://*.tenants.example.com https://api.acme.example");
  for (const directive of csp.values()) t.notRegex(directive, /(^|\s)https?:(\s|$)/, 'no bare scheme');
  t.is(csp.get('default-src'), "default-src 'self'");
  t.deepEqual(config, { apiOrigins: ORIGINS });
  // config.json only: the app's own files, synced by whoever deploys, are not pruned; its cached copy goes.
  const [deployment] = resourcesOfType(template, 'Custom::CDKBucketDeployment');
  t.like(deployment!.Properties, { Prune: false, DistributionPaths: ['/config.json'] });
  t.notThrows(() =>
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: { Ref: Match.stringLikeRegexp('^Site') },
    }),
  );
});

test('without origins the dashboard may call only its own origin, and synthesis warns', (t) => {
  const { stack, csp, config } = synthFrontend();
  t.is(csp.get('connect-src'), "connect-src 'self'");
  t.deepEqual(config, { apiOrigins: [] });
  const warnings = Annotations.fromStack(stack).findWarning(
    '*',
    Match.stringLikeRegexp('No tenantApiOrigins'),
  );
  t.is(warnings.length, 1);
  t.deepEqual(
    Annotations.fromStack(synthFrontend(ORIGINS).stack).findWarning(
      '*',
      Match.stringLikeRegexp('tenantApiOrigins'),
    ),
    [],
  );
});

test('tenantApiOrigins: a comma list or a list; anything but an https origin or https://*.<domain> is refused', (t) => {
  t.deepEqual(tenantApiOrigins(undefined), []);
  t.deepEqual(tenantApiOrigins(' https://*.tenants.example.com, https://api.acme.example ,'), ORIGINS);
  t.deepEqual(tenantApiOrigins([...ORIGINS, ORIGINS[0]]), ORIGINS);
  for (const bad of [
    'http://api.acme.example',
    'https://api.acme.example/',
    'https://api.acme.example/v1',
    '*',
    'https:',
    'https://*.com',
    'https://*.Tenants.example.com',
    'https://*.tenants.example.com:8443',
    'https://*.tenants.example.com/',
  ]) {
    const err = t.throws(() => tenantApiOrigins(bad), undefined, bad);
    t.true(err?.message.startsWith(`tenantApiOrigins: "${bad}" is neither an https origin`), err?.message);
  }
  t.throws(() => tenantApiOrigins(42), { message: /expected a comma list or a list of origins/ });
  t.throws(
    () =>
      new FrontendStack(new App(), 'Bad', {
        config: ENVIRONMENTS.demo,
        apiOrigins: ['http://api.acme.example'],
      }),
    { message: /is neither an https origin/ },
  );
});
