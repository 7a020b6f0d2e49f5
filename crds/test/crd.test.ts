import { readFileSync } from 'node:fs';
import test from 'ava';
import { crdManifest, crdYaml, RULES, type JSONSchema } from '../src/index.js';
import { CRD_FILE } from '../scripts/paths.js';

test('the committed CRD YAML is the one the source generates', (t) => {
  t.is(
    readFileSync(CRD_FILE, 'utf8'),
    crdYaml(),
    'crds/generated is stale: run `npm run generate -w crds` and commit',
  );
});

test('names, scope, status subresource and printer columns', (t) => {
  const { spec } = crdManifest();
  t.is(spec.scope, 'Namespaced');
  t.deepEqual(spec.names.shortNames, ['sp']);
  t.is(spec.names.kind, 'SentimentPlatform');
  const [version] = spec.versions;
  t.is(version!.name, 'v1alpha1');
  t.deepEqual(version!.subresources, { status: {} });
  t.deepEqual(
    version!.additionalPrinterColumns.filter((c) => !c.priority).map((c) => c.name),
    ['Phase', 'Ready', 'LLM', 'Est. $/month', 'Age'],
  );
});

function undocumented(schema: JSONSchema, path: string): string[] {
  const missing = schema.description ? [] : [path];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    // The API server forbids anything but `type` on metadata.
    if (path === '' && key === 'metadata') continue;
    missing.push(...undocumented(child, `${path}.${key}`));
  }
  if (schema.items) missing.push(...undocumented(schema.items, `${path}[]`));
  return missing;
}

test('every field has a description (kubectl explain teaches the user)', (t) => {
  const schema = crdManifest().spec.versions[0]!.schema.openAPIV3Schema;
  t.deepEqual(undocumented(schema, ''), []);
});

test('every CEL rule is in the schema with its message', (t) => {
  const yaml = crdYaml();
  t.true(RULES.length >= 10);
  for (const rule of RULES) {
    t.true(yaml.includes(rule.message), rule.message);
  }
});

test('defaults are only the profile-independent ones', (t) => {
  const spec = crdManifest().spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;
  t.is(spec.properties!.profile!.default, 'demo');
  t.is(spec.properties!.ingress!.properties!.className!.default, 'alb');
  // A schema default on e.g. api.replicas would be applied before the profile and silently override it.
  t.is(spec.properties!.api!.properties!.replicas!.default, undefined);
});
