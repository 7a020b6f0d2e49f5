// `sentiment-operator fleet status|resume`: where the rollout of the operator's template stands across the
// fleet, and resuming it after a halt. Reads the rollout's ConfigMap (rollout/state.ts) and every
// SentimentPlatform's status; resume rewrites the ConfigMap at the version it read.
import type { KubeConfig } from '@kubernetes/client-node';
import { SYSTEM_NAMESPACE, type SentimentPlatform } from '@sentiment/crds';
import { kubeRequest } from '../kube/raw.js';
import { connect, getIfExists, KUBE_HELP, KUBE_OPTIONS, readPlatforms } from '../plugin/kube.js';
import { findCondition } from '../reconcile/conditions.js';
import { parseState, resumed, stateConfigMap, statePath, type StateConfigMap } from '../rollout/state.js';
import { CommandError, parseOptions, runCommand } from './manifests.js';
import { formatTable, oneLine } from './table.js';

const HELP = `usage: sentiment-operator fleet status [--operator-namespace NS] [-o json]
       sentiment-operator fleet resume [--operator-namespace NS]

status: the template the operator rolls out, whether its rollout is halted (and at which platform, why),
        and each platform's template, phase and what it waits for.
resume: lifts a halt; the platform that caused it no longer halts this rollout (fix it, or accept it).

options:
  --operator-namespace NS  where the operator runs (default ${SYSTEM_NAMESPACE})
${KUBE_HELP}
`;

export async function run(argv: string[]): Promise<number> {
  return runCommand('fleet', HELP, () => fleet(argv));
}

async function fleet(argv: string[]): Promise<number> {
  const { values, positionals } = parseOptions({
    args: argv,
    options: {
      ...KUBE_OPTIONS,
      'operator-namespace': { type: 'string', default: SYSTEM_NAMESPACE },
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
  const [sub, ...rest] = positionals;
  if ((sub !== 'status' && sub !== 'resume') || rest.length)
    throw new CommandError('one of status, resume is required', 2);
  if (values.output !== undefined && values.output !== 'json')
    throw new CommandError(`-o ${values.output}: only json is supported`, 2);
  const { kc } = connect(values);
  const namespace = values['operator-namespace'];
  const cm = await getIfExists<StateConfigMap>(kc, statePath(namespace));
  const state = parseState(cm);
  if (!state)
    throw new CommandError(
      `no fleet rollout state in namespace ${namespace} (is the operator running there, with rollouts on?)`,
      1,
    );
  if (sub === 'resume') return resume(kc, namespace, cm!, state);
  const platforms = await readPlatforms(kc, undefined);
  const report = fleetReport(state.revision, state.halted, platforms);
  process.stdout.write(values.output ? `${JSON.stringify(report, null, 2)}\n` : formatFleet(report));
  return 0;
}

async function resume(
  kc: KubeConfig,
  namespace: string,
  cm: StateConfigMap,
  state: NonNullable<ReturnType<typeof parseState>>,
): Promise<number> {
  if (!state.halted) {
    process.stdout.write(`the rollout of template ${state.revision} is not halted; nothing to resume\n`);
    return 0;
  }
  // At the version read: a concurrent change (the operator halting again) answers 409 instead of being lost.
  await kubeRequest(kc, {
    method: 'PUT',
    path: statePath(namespace),
    body: stateConfigMap(namespace, resumed(state), cm),
  });
  process.stdout.write(
    `resumed the rollout of template ${state.revision}; ${state.halted.platform} (which ${state.halted.reason}) no longer halts it\n`,
  );
  return 0;
}

export interface FleetReport {
  revision: string;
  halted?: { platform: string; reason: string; at: string };
  updated: number;
  total: number;
  platforms: { namespace: string; name: string; template: string; phase: string; waiting: string }[];
}

export function fleetReport(
  revision: string,
  halted: FleetReport['halted'],
  platforms: SentimentPlatform[],
): FleetReport {
  const rows = platforms.map((p) => {
    const pending = findCondition(p.status?.conditions, 'RolloutPending');
    return {
      namespace: p.metadata.namespace ?? '',
      name: p.metadata.name,
      template: p.status?.templateRevision ?? '-',
      phase: p.status?.phase ?? 'Pending',
      waiting: pending?.status === 'True' ? pending.reason : '',
    };
  });
  return {
    revision,
    ...(halted && { halted }),
    updated: rows.filter((r) => r.template === revision).length,
    total: rows.length,
    platforms: rows,
  };
}

export function formatFleet(r: FleetReport): string {
  const head = [
    `template  ${r.revision}: on ${r.updated} of ${r.total} platform(s)`,
    r.halted
      ? `HALTED    at ${r.halted.platform} (${r.halted.at}): it ${oneLine(r.halted.reason)}; \`sentiment-operator fleet resume\` continues`
      : `rollout   ${r.updated === r.total ? 'complete' : 'in progress'}`,
    '',
  ];
  const table = formatTable(
    ['NAMESPACE', 'NAME', 'TEMPLATE', 'PHASE', 'WAITING'],
    r.platforms.map((p) => [p.namespace, p.name, p.template, p.phase, p.waiting]),
  );
  return `${head.join('\n')}\n${table}`;
}
