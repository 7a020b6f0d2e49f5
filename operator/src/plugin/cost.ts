// `kubectl sentiment cost`: what each tenant costs a month now (its status estimate, as the operator
// wrote it), what it would cost hibernated (priced here from its current spec), and the fleet's sums.
import { InvalidSpecError, resolveChecked, type ResolvedSpec, type SentimentPlatform } from '@sentiment/crds';
import { formatReport } from '../commands/cost.js';
import { CommandError, parseOptions } from '../commands/manifests.js';
import { cents, costReport, type CostReport } from '../cost/index.js';
import { KUBE_HELP, KUBE_OPTIONS, connect, readPlatforms } from './kube.js';
import { formatTable, money, oneLine } from '../commands/table.js';

export const HELP = `usage: kubectl sentiment cost [-A | -n NAMESPACE] [-o json | --detail]

Per SentimentPlatform: its estimated monthly cost (USD, status.estimatedMonthlyCost.total, written by the
operator) and what it would cost hibernated (spec.hibernate: no pods, data kept; priced from the current
spec, as \`sentiment-operator cost\` does), then the fleet's totals. Each estimate prices the tenant alone on
its platform, the shared platform's fixed cost included: the fleet total counts that cost once per tenant.
  -A, --all-namespaces
${KUBE_HELP}
  -o, --output json    the rows and totals as JSON
  --detail             each tenant's full report (per component, assumptions), as sentiment-operator cost
`;

export interface CostRow {
  namespace: string;
  name: string;
  /** status.estimatedMonthlyCost.total; null before the operator has priced the platform. */
  estimate: number | null;
  /** The tenant's share hibernated; null where the spec does not resolve. */
  hibernated: number | null;
  /** Why there is no hibernated figure. */
  problem?: string;
}

interface Priced {
  row: CostRow;
  report?: CostReport;
  asleep?: CostReport;
}

/** The platform's row; the operator's estimate is one tenant on its platform, so this prices the same way. */
export function costRow(p: SentimentPlatform): Priced {
  const base = {
    namespace: p.metadata.namespace ?? '',
    name: p.metadata.name,
    estimate: p.status?.estimatedMonthlyCost?.total ?? null,
  };
  let resolved: ResolvedSpec;
  try {
    resolved = resolveChecked({ metadata: p.metadata, spec: p.spec });
  } catch (err) {
    if (!(err instanceof InvalidSpecError)) throw err;
    return { row: { ...base, hibernated: null, problem: oneLine(err.message) } };
  }
  const report = costReport(resolved);
  const asleep = resolved.hibernate ? report : costReport({ ...resolved, hibernate: true });
  return { row: { ...base, hibernated: cents(asleep.tenantShare) }, report, asleep };
}

export interface FleetTotal {
  tenants: number;
  estimate: number;
  hibernated: number;
}

export function fleetTotal(rows: CostRow[]): FleetTotal {
  const sum = (values: (number | null)[]) => cents(values.reduce<number>((s, v) => s + (v ?? 0), 0));
  return {
    tenants: rows.length,
    estimate: sum(rows.map((r) => r.estimate)),
    hibernated: sum(rows.map((r) => r.hibernated)),
  };
}

export function formatCost(rows: CostRow[]): string {
  if (rows.length === 0) return 'No SentimentPlatforms found.\n';
  const total = fleetTotal(rows);
  return formatTable(
    ['NAMESPACE', 'NAME', 'ESTIMATE', 'HIBERNATED', 'NOTE'],
    [
      ...rows.map((r) => [r.namespace, r.name, money(r.estimate), money(r.hibernated), r.problem ?? '']),
      [
        'fleet total',
        `${total.tenants} tenant(s)`,
        money(total.estimate),
        money(total.hibernated),
        'the shared platform counted once per tenant',
      ],
    ],
    [2, 3],
  );
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseOptions({
    args: argv,
    options: {
      ...KUBE_OPTIONS,
      'all-namespaces': { type: 'boolean', short: 'A' },
      output: { type: 'string', short: 'o' },
      detail: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.output !== undefined && values.output !== 'json')
    throw new CommandError(`-o ${values.output}: only json is supported`, 2);
  if (values.output && values.detail) throw new CommandError('-o json and --detail exclude each other', 2);
  const { kc, namespace } = connect(values);
  const priced = (await readPlatforms(kc, values['all-namespaces'] ? undefined : namespace)).map(costRow);
  const rows = priced.map((p) => p.row);
  if (values.output) {
    process.stdout.write(`${JSON.stringify({ platforms: rows, total: fleetTotal(rows) }, null, 2)}\n`);
  } else if (values.detail) {
    const reports = priced.map(({ row, report, asleep }) =>
      report && asleep
        ? formatReport(`${row.namespace}/${row.name}`, report, asleep)
        : `${row.namespace}/${row.name}: ${row.problem}\n`,
    );
    process.stdout.write(`${reports.join('\n')}\n${formatCost(rows)}`);
  } else {
    process.stdout.write(formatCost(rows));
  }
  return 0;
}
