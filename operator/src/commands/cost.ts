// `cost -f FILE`: the monthly cost of each SentimentPlatform in FILE, line by line, split into what the
// shared platform costs and what the tenant adds, with the assumptions the figures rest on.
import { resolveChecked } from '@sentiment/crds';
import { costReport, type CostReport } from '../cost/index.js';
import { CommandError, checked, parseOptions, readManifests, runCommand } from './manifests.js';
import { formatTable, money } from './table.js';

const HELP = `usage: sentiment-operator cost -f FILE [-f FILE...] [--tenants N] [--json]

Prints the estimated monthly cost (USD, us-east-1 list prices) of every SentimentPlatform in FILE ("-" reads stdin).
  -f, --filename  manifest(s) to price
  --tenants N     tenants sharing the platform: the tenant's share is perTenant + platformFixed / N (default 1)
  --json          print the full reports (lines, platformFixed, perTenant, assumptions) as JSON
`;

/** The same tenant hibernated: what it still adds with every workload at zero, next to its awake figure. */
export interface HibernatedCost {
  readonly perTenant: number;
  readonly tenantShare: number;
}

export function formatReport(name: string, report: CostReport, hibernated?: HibernatedCost): string {
  const table = formatTable(
    ['component', 'scope', 'item', 'monthly', 'basis'],
    report.lines.map((l) => [l.component, l.scope, l.item, `$${l.monthly.toFixed(2)}`, l.basis]),
    [3],
  );
  return [
    `${name} (platform: ${report.platform}, prices: ${report.region} as of ${report.pricesAsOf})`,
    table.trimEnd(),
    '',
    `platform fixed   ${money(report.platformFixed)}`,
    `per tenant       ${money(report.perTenant)}`,
    `standalone total ${money(report.standalone)}  (this tenant alone on the platform)`,
    `tenant share     ${money(report.tenantShare)}  (platform shared by ${report.tenants} tenant(s))`,
    ...(hibernated
      ? [
          `hibernated       ${money(hibernated.perTenant)} per tenant, ${money(hibernated.tenantShare)} tenant share  (spec.hibernate: no pods, data kept)`,
        ]
      : []),
    '',
    'assumptions:',
    ...report.assumptions.map((a) => `  - ${a}`),
    '',
  ].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  return runCommand('cost', HELP, () => {
    const { values } = parseOptions({
      args: argv,
      options: {
        filename: { type: 'string', short: 'f', multiple: true },
        tenants: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(HELP);
      return 0;
    }
    const tenants = values.tenants === undefined ? 1 : Number(values.tenants);
    if (!Number.isInteger(tenants) || tenants < 1)
      throw new CommandError('--tenants must be a positive integer', 2);
    const reports = readManifests(values.filename).map(({ file, platform: p }) => {
      const resolved = checked(file, p, () => resolveChecked({ metadata: p.metadata, spec: p.spec }));
      const report = costReport(resolved, { tenants });
      const asleep = resolved.hibernate ? report : costReport({ ...resolved, hibernate: true }, { tenants });
      return {
        name: p.metadata.name,
        namespace: p.metadata.namespace,
        report,
        hibernated: { perTenant: asleep.perTenant, tenantShare: asleep.tenantShare },
      };
    });
    process.stdout.write(
      values.json
        ? `${JSON.stringify(reports, null, 2)}\n`
        : reports
            .map((r) =>
              formatReport(r.namespace ? `${r.namespace}/${r.name}` : r.name, r.report, r.hibernated),
            )
            .join('\n'),
    );
    return 0;
  });
}
