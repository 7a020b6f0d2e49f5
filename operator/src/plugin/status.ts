// `kubectl sentiment status`: one row per SentimentPlatform, everything an on-call look needs at once —
// phase, readiness, replicas per component, cost, the paused/hibernated switches and the last error.
import type { ComponentName, SentimentPlatform } from '@sentiment/crds';
import { CommandError, parseOptions } from '../commands/manifests.js';
import { findCondition } from '../reconcile/conditions.js';
import { KUBE_HELP, KUBE_OPTIONS, connect, readPlatforms } from './kube.js';
import { formatTable, money, oneLine } from '../commands/table.js';

export const HELP = `usage: kubectl sentiment status [-A | -n NAMESPACE] [NAME] [-o json]

One row per SentimentPlatform: phase, the Ready condition, ready/desired replicas per component (as
kubectl's READY column), the estimated monthly cost (status.estimatedMonthlyCost.total), the paused /
hibernated switches (spec.paused, spec.hibernate) and the last error (the Degraded condition's reason and
message while it is True).
  -A, --all-namespaces
${KUBE_HELP}
  -o, --output json    the rows as JSON
`;

/** In the order of the pipeline, whatever order the API server keeps status.components in. */
const COMPONENTS: readonly ComponentName[] = ['api', 'worker', 'ml', 'llm'];

export interface StatusRow {
  namespace: string;
  name: string;
  phase: string | null;
  /** The Ready condition's status. */
  ready: string | null;
  components: Record<string, { ready: number; desired: number }>;
  estimatedMonthlyCost: number | null;
  paused: boolean;
  hibernated: boolean;
  lastError: { reason: string; message: string } | null;
}

export function statusRow(p: SentimentPlatform): StatusRow {
  const status = p.status ?? {};
  const degraded = findCondition(status.conditions, 'Degraded');
  return {
    namespace: p.metadata.namespace ?? '',
    name: p.metadata.name,
    phase: status.phase ?? null,
    ready: findCondition(status.conditions, 'Ready')?.status ?? null,
    components: Object.fromEntries(
      COMPONENTS.flatMap((c) => {
        const s = status.components?.[c];
        return s ? [[c, { ready: s.readyReplicas, desired: s.desired }]] : [];
      }),
    ),
    estimatedMonthlyCost: status.estimatedMonthlyCost?.total ?? null,
    paused: p.spec.paused === true,
    hibernated: p.spec.hibernate === true,
    lastError:
      degraded?.status === 'True' ? { reason: degraded.reason, message: oneLine(degraded.message) } : null,
  };
}

export function formatStatus(rows: StatusRow[]): string {
  if (rows.length === 0) return 'No SentimentPlatforms found.\n';
  const flags = (r: StatusRow) =>
    [r.paused && 'paused', r.hibernated && 'hibernated'].filter(Boolean).join(',') || '-';
  return formatTable(
    ['NAMESPACE', 'NAME', 'PHASE', 'READY', 'COMPONENTS', 'COST/MONTH', 'FLAGS', 'LAST ERROR'],
    rows.map((r) => [
      r.namespace,
      r.name,
      r.phase ?? '-',
      r.ready ?? '-',
      Object.entries(r.components)
        .map(([c, s]) => `${c} ${s.ready}/${s.desired}`)
        .join(' ') || '-',
      money(r.estimatedMonthlyCost),
      flags(r),
      r.lastError ? `${r.lastError.reason}: ${r.lastError.message}` : '-',
    ]),
    [5],
  );
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions({
    args: argv,
    options: {
      ...KUBE_OPTIONS,
      'all-namespaces': { type: 'boolean', short: 'A' },
      output: { type: 'string', short: 'o' },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.output !== undefined && values.output !== 'json')
    throw new CommandError(`-o ${values.output}: only json is supported`, 2);
  if (positionals.length > 1) throw new CommandError('at most one NAME', 2);
  const { kc, namespace } = connect(values);
  const platforms = await readPlatforms(kc, values['all-namespaces'] ? undefined : namespace, positionals[0]);
  const rows = platforms.map(statusRow);
  process.stdout.write(values.output ? `${JSON.stringify(rows, null, 2)}\n` : formatStatus(rows));
  return 0;
}
