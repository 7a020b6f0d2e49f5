// What every part of a reconcile shares: the client, the caches, the tenancy provisioner, synth and the
// recorders. The parts (one file per concern, as CloudNativePG keeps them) take these and nothing else.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { CostEstimate, ResolvedSpec, SentimentPlatform, SentimentPlatformStatus } from '@sentiment/crds';
import type { Logger } from 'pino';
import type { KubeClient } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import type { ObjectStore } from '../kube/informer.js';
import type { OperatorMetrics } from '../kube/metrics.js';
import { kindKey } from '../kube/resources.js';
import type { BackupLocation, ModelSeed } from '../synth/index.js';
import type { BackupRoles } from '../tenancy/backup-role.js';
import type { TenancyProvisioner } from '../tenancy/provisioner.js';

/** What the cluster serves beyond Kubernetes itself, found at start; synth writes only what it serves. */
export interface ClusterCapabilities {
  /** The Prometheus Operator's ServiceMonitor and PrometheusRule. */
  prometheusOperator: boolean;
  /** KEDA's ScaledObject and TriggerAuthentication (the worker's queue-driven autoscaler). */
  keda: boolean;
}

/** What synth makes of a platform: its objects, and the endpoints they serve (for status). */
export interface Synthesized {
  objects: KubernetesObject[];
  endpoints: NonNullable<SentimentPlatformStatus['endpoints']>;
  /** Where the tenant's backups are (spec.backup or spec.restore). */
  backupLocation?: BackupLocation;
  /** The self-hosted LLM's model cache seed (--model-cache-bucket). */
  modelSeed?: ModelSeed;
}

export type Synthesize = (
  platform: SentimentPlatform,
  resolved: ResolvedSpec,
  capabilities: ClusterCapabilities,
) => Synthesized;
export type EstimateCost = (resolved: ResolvedSpec) => CostEstimate;

/** The fleet rollout as the reconciler sees it (rollout/coordinator.ts). */
export interface RolloutGate {
  mayApply(platform: SentimentPlatform): boolean;
  holdReason(): { reason: 'WaitingForRollout' | 'RolloutHalted'; message: string };
}

/** The operator's template and its rollout, known once capabilities are (filled in by the manager). */
export interface Fleet {
  /** templateRevision() of this operator; recorded in the status of every platform it applies in full. */
  revision?: string;
  /** Absent: every platform takes a new template at once. */
  rollout?: RolloutGate;
}

export interface ReconcilerDeps {
  client: KubeClient;
  platforms: ObjectStore<SentimentPlatform & KubernetesObject>;
  /** Caches of every owned kind, by kindKey(apiVersion, kind). */
  children: ReadonlyMap<string, ObjectStore>;
  /** Filled in by the manager before the first reconcile. */
  capabilities: ClusterCapabilities;
  /** Filled in by the manager before the first reconcile. */
  fleet: Fleet;
  provisioner: TenancyProvisioner;
  /** The platforms' own backup roles in IAM, where the installation has per-tenant backup roles. */
  backupRoles?: BackupRoles;
  synthesize: Synthesize;
  estimateCost: EstimateCost;
  events: EventRecorder;
  metrics: OperatorMetrics;
  log: Logger;
  /**
   * How often a tenant's data services are re-asserted even though its Secret exists, and how often an
   * auth Secret outside the cache (the user's, without our label) is checked for again.
   */
  tenancyVerifyIntervalMs: number;
  /** Requeue while components are not ready, as a safety net besides child watch events. */
  notReadyRequeueMs: number;
  now?: () => Date;
}

/** The cache of one owned kind. */
export function childStore(
  deps: Pick<ReconcilerDeps, 'children'>,
  apiVersion: string,
  kind: string,
): ObjectStore | undefined {
  return deps.children.get(kindKey(apiVersion, kind));
}
