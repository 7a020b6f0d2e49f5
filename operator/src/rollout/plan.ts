// Which platforms may take the operator's new template now: a pure function of the fleet, the persisted
// rollout state and what this operator admitted so far. Canary platforms go first, all at once; then
// waves of N in a stable order (namespace/name), each once the one before is on the new template and
// Ready (or Hibernated); the first admitted platform that turns Degraded, or is not Ready by the progress
// deadline, halts the rollout until a person resumes it. Platforms outside the rollout are never held:
// new ones (nothing to roll), and ones whose spec changed (the user asked for that change now).
import type { Phase } from '@sentiment/crds';

export interface FleetMember {
  /** namespace/name */
  key: string;
  canary: boolean;
  /** Never reconciled (no status.observedGeneration): it gets the current template at once. */
  fresh: boolean;
  /** spec.paused: nothing is applied to it; resuming is a spec change, which takes the template then. */
  paused: boolean;
  /** metadata.generation differs from status.observedGeneration: the user's change is applied at once. */
  specChanged: boolean;
  /** status.templateRevision: the template last applied in full. */
  revision?: string;
  phase?: Phase;
  /** The Degraded condition's reason, when Degraded. */
  degradedReason?: string;
}

/** What outlives the operator process (a ConfigMap): the rollout's target and whether a person must act. */
export interface RolloutState {
  revision: string;
  halted?: { platform: string; reason: string; at: string };
  /** Platforms whose failure a person acknowledged by resuming: they no longer halt this rollout. */
  acknowledged: string[];
}

export interface PlanInput {
  revision: string;
  members: readonly FleetMember[];
  state: RolloutState;
  /** Platforms admitted to this rollout by this operator, and when (ms since the epoch). */
  admitted: ReadonlyMap<string, number>;
  waveSize: number;
  progressDeadlineMs: number;
  now: number;
}

export type RolloutStage = 'canaries' | 'waves' | 'halted' | 'complete';

export interface RolloutPlan {
  stage: RolloutStage;
  /** To admit now. */
  admit: string[];
  /** A new halt (the state has none yet). */
  halt?: { platform: string; reason: string };
  /** Platforms in the rollout on the new template / still on an older one / admitted, not yet settled. */
  updated: string[];
  pending: string[];
  inFlight: string[];
}

export function planRollout(input: PlanInput): RolloutPlan {
  const { revision, state, admitted, now } = input;
  // Settled: on the template and Ready (or Hibernated), or a failure a person acknowledged by resuming.
  const settled = (m: FleetMember) =>
    (m.revision === revision && (m.phase === 'Ready' || m.phase === 'Hibernated')) ||
    state.acknowledged.includes(m.key);
  // Not in the rollout: new platforms, paused ones, and invalid specs (refused before any template is
  // applied; fixing one is a spec change, which takes the template at once).
  const members = input.members
    .filter((m) => !m.fresh && !m.paused && m.degradedReason !== 'InvalidSpec')
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const updated = members.filter((m) => m.revision === revision).map((m) => m.key);
  const pendingMembers = members.filter((m) => m.revision !== revision && !admitted.has(m.key));
  const inFlightMembers = members.filter((m) => admitted.has(m.key) && !settled(m));
  const summary = {
    updated,
    pending: pendingMembers.map((m) => m.key),
    inFlight: inFlightMembers.map((m) => m.key),
  };

  let halt: RolloutPlan['halt'];
  if (!state.halted) {
    for (const m of members) {
      if (!admitted.has(m.key) || state.acknowledged.includes(m.key)) continue;
      if (m.phase === 'Degraded') {
        halt = { platform: m.key, reason: `turned Degraded (${m.degradedReason ?? 'unknown reason'})` };
        break;
      }
      const since = admitted.get(m.key)!;
      if (!settled(m) && now - since > input.progressDeadlineMs) {
        halt = {
          platform: m.key,
          reason: `not Ready ${Math.round(input.progressDeadlineMs / 1000)} s after it was admitted`,
        };
        break;
      }
    }
  }
  if (state.halted || halt) return { stage: 'halted', admit: [], ...(halt && { halt }), ...summary };

  const canaries = pendingMembers.filter((m) => m.canary && !m.specChanged);
  if (canaries.length) return { stage: 'canaries', admit: canaries.map((m) => m.key), ...summary };
  if (inFlightMembers.some((m) => m.canary)) return { stage: 'canaries', admit: [], ...summary };
  if (inFlightMembers.length) return { stage: 'waves', admit: [], ...summary };
  const next = pendingMembers.filter((m) => !m.specChanged).slice(0, Math.max(1, input.waveSize));
  if (next.length) return { stage: 'waves', admit: next.map((m) => m.key), ...summary };
  return { stage: 'complete', admit: [], ...summary };
}
