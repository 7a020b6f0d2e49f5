// `kubectl sentiment describe NAME`: what the operator would change for one platform, without changing
// anything. The desired objects come from the reconciler's own steps (checkPlatform, the synth with the
// operator's options, desiredObjects) and are compared with the live ones by isSubset, as the
// reconciler compares them with its cache; leftovers are found as its prune finds them.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import {
  LABELS,
  MANAGED_BY,
  authSecretName,
  checkPlatform,
  dataSecretName,
  type SentimentPlatform,
} from '@sentiment/crds';
import { CommandError, parseOptions } from '../commands/manifests.js';
import { kindKey, namespacedPath, objectPath, type ResourceKind } from '../kube/resources.js';
import { isSubset } from '../reconcile/compare.js';
import { desiredObjects } from '../reconcile/objects.js';
import { synthesizeResolved } from '../synth/index.js';
import { servicesToProvision } from '../tenancy/provisioner.js';
import { KUBE_HELP, KUBE_OPTIONS, connect, get, getIfExists, readPlatform } from './kube.js';
import { SYNTH_HELP, SYNTH_OPTIONS, operatorSynth } from './operator-options.js';
import { formatTable, oneLine } from '../commands/table.js';

export const HELP = `usage: kubectl sentiment describe NAME [-n NAMESPACE] [options]

What the operator would change for SentimentPlatform NAME: each object it would apply, as \`unchanged\`,
\`would create\` or \`would update\` (with the fields that differ, path: live → desired), the objects of the
platform it would delete (\`would prune\`), and the platform's conditions. Changes nothing.
${KUBE_HELP}

${SYNTH_HELP}
`;

/** In the order the summary counts them: the changes first. */
const ACTIONS = ['would create', 'would update', 'would prune', 'unchanged', 'not compared'] as const;
export type Action = (typeof ACTIONS)[number];

export interface Difference {
  path: string;
  live: unknown;
  desired: unknown;
}

export interface Change {
  action: Action;
  /** Kind/name. */
  object: string;
  differences?: Difference[];
  note?: string;
}

const plain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const fieldPath = (path: string, key: string): string =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${JSON.stringify(key)}]`;

/** Where desired is not a subset of live: the leaves that differ, as the operator's isSubset judges them. */
export function differences(desired: unknown, live: unknown, path = ''): Difference[] {
  if (isSubset(desired, live)) return [];
  if (Array.isArray(desired) && Array.isArray(live)) {
    const items = desired.flatMap((d, i) => differences(d, live[i], `${path}[${i}]`));
    return live.length > desired.length
      ? [...items, { path: `${path}.length`, live: live.length, desired: desired.length }]
      : items;
  }
  if (plain(desired) && plain(live)) {
    return Object.entries(desired).flatMap(([k, v]) => differences(v, live[k], fieldPath(path, k)));
  }
  return [{ path, live, desired }];
}

const ref = (o: KubernetesObject): string => `${o.kind}/${o.metadata?.name}`;

/** Each desired object against its live self (undefined: missing), then the owned objects no longer desired. */
export function planChanges(
  desired: readonly KubernetesObject[],
  live: readonly (KubernetesObject | undefined)[],
  owned: readonly KubernetesObject[],
  kept: readonly { object: KubernetesObject; exists: boolean; note: string }[],
): Change[] {
  const key = (o: KubernetesObject) => `${kindKey(o.apiVersion!, o.kind!)}/${o.metadata?.name}`;
  const wanted = new Set([...desired, ...kept.map((k) => k.object)].map(key));
  return [
    ...desired.map((d, i): Change => {
      const l = live[i];
      if (!l) return { action: 'would create', object: ref(d) };
      const diff = differences(d, l);
      return diff.length
        ? { action: 'would update', object: ref(d), differences: diff }
        : { action: 'unchanged', object: ref(d) };
    }),
    ...kept.map((k): Change =>
      k.exists
        ? { action: 'not compared', object: ref(k.object), note: k.note }
        : { action: 'would create', object: ref(k.object) },
    ),
    ...owned
      .filter((o) => !wanted.has(key(o)))
      .map((o): Change => ({ action: 'would prune', object: ref(o), note: 'no longer in the spec' })),
  ];
}

/** A value in a diff line: JSON, cut short. */
export function formatValue(v: unknown): string {
  if (v === undefined) return '(none)';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
}

export interface Description {
  platform: SentimentPlatform;
  /** Where the synth options came from. */
  options: string;
  /** Why nothing can be built (checkPlatform's problems). */
  problems?: readonly string[];
  warnings?: readonly string[];
  changes: readonly Change[];
}

export function formatDescribe(d: Description): string {
  const { metadata, spec, status } = d.platform;
  const out = [
    `SentimentPlatform ${metadata.namespace}/${metadata.name}: phase ${status?.phase ?? '-'}, generation ${metadata.generation ?? '-'} (observed ${status?.observedGeneration ?? '-'})`,
    `synth options: ${d.options}`,
  ];
  if (metadata.deletionTimestamp)
    out.push('being deleted: the operator only cleans up the data services and releases it');
  if (spec.paused)
    out.push(
      'spec.paused is true: the operator changes nothing until it is unpaused; below is what it would change then',
    );
  if (spec.hibernate) out.push('spec.hibernate is true: every workload at zero replicas');
  const conditions = status?.conditions ?? [];
  if (conditions.length) {
    out.push('conditions:');
    const rows = conditions.map((c) => [c.type, c.status, c.reason, oneLine(c.message)]);
    out.push(
      ...formatTable(['TYPE', 'STATUS', 'REASON', 'MESSAGE'], rows)
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  for (const w of d.warnings ?? []) out.push(`warning: ${w}`);
  if (d.problems) {
    out.push(
      'invalid spec: the operator builds nothing and reports Degraded (InvalidSpec):',
      ...d.problems.map((p) => `  - ${p}`),
    );
    return `${out.join('\n')}\n`;
  }
  out.push('changes:');
  const width = Math.max(...d.changes.map((c) => c.action.length));
  for (const c of d.changes) {
    out.push(`  ${c.action.padEnd(width)}  ${c.object}${c.note ? `  (${c.note})` : ''}`);
    for (const diff of c.differences ?? [])
      out.push(
        `  ${' '.repeat(width)}    ${diff.path}: ${formatValue(diff.live)} → ${formatValue(diff.desired)}`,
      );
  }
  const counts = ACTIONS.map((a) => [a, d.changes.filter((c) => c.action === a).length] as const);
  out.push(
    `summary: ${counts
      .filter(([, n]) => n > 0)
      .map(([a, n]) => `${n} ${a}`)
      .join(', ')}`,
  );
  return `${out.join('\n')}\n`;
}

/** The objects of these kinds that carry the platform's label and controller reference. */
async function ownedObjects(
  kc: KubeConfig,
  kinds: readonly ResourceKind[],
  p: SentimentPlatform,
): Promise<KubernetesObject[]> {
  const { namespace = '', name, uid } = p.metadata;
  const lists = await Promise.all(
    kinds.map(async (k) =>
      (
        await get<{ items: KubernetesObject[] }>(kc, namespacedPath(k.apiVersion, k.kind, namespace), {
          // The operator's caches hold only what carries its managed-by label.
          labelSelector: `${LABELS.managedBy}=${MANAGED_BY},${LABELS.platform}=${name}`,
        })
      ).items.map((o) => ({ ...o, apiVersion: k.apiVersion, kind: k.kind })),
    ),
  );
  return lists.flat().filter((o) => o.metadata?.ownerReferences?.some((r) => r.uid === uid && r.controller));
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions({
    args: argv,
    options: { ...KUBE_OPTIONS, ...SYNTH_OPTIONS, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new CommandError('one NAME is required', 2);
  const { kc, namespace } = connect(values);
  const p = await readPlatform(kc, namespace, positionals[0]!);
  const { options, kinds, source } = await operatorSynth(kc, values);
  const verdict = checkPlatform(p);
  if (!verdict.resolved) {
    process.stdout.write(
      formatDescribe({ platform: p, options: source, problems: verdict.problems, changes: [] }),
    );
    return 0;
  }
  const desired = desiredObjects(p, synthesizeResolved(p, verdict.resolved, options));
  const read = (o: KubernetesObject) =>
    getIfExists<KubernetesObject>(
      kc,
      objectPath(o.apiVersion!, o.kind!, o.metadata!.namespace ?? namespace, o.metadata!.name!),
    );
  // The reconciler writes these Secrets itself, with credentials this plugin cannot foresee.
  const secret = (name: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace } });
  const secrets = [
    { object: secret(authSecretName(p.metadata.name)), note: 'created once, never updated' },
    ...(servicesToProvision(verdict.resolved.data).length
      ? [{ object: secret(dataSecretName(p.metadata.name)), note: 'credentials the operator provisions' }]
      : []),
  ];
  const [live, kept, owned] = await Promise.all([
    Promise.all(desired.map(read)),
    Promise.all(secrets.map(async (s) => ({ ...s, exists: (await read(s.object)) !== undefined }))),
    ownedObjects(kc, kinds, p),
  ]);
  process.stdout.write(
    formatDescribe({
      platform: p,
      options: source,
      warnings: verdict.warnings,
      changes: planChanges(desired, live, owned, kept),
    }),
  );
  return 0;
}
