// SentimentPlatform v1alpha1: the shape users write (SentimentPlatformSpec, every field optional so a
// profile can fill it) and the shape everything downstream consumes (ResolvedSpec, every field present).
// synth, cost and reconcile read only ResolvedSpec, obtained from resolveSpec() in ./resolve.ts.

export const PROFILES = ['demo', 'production', 'ultra-low-cost'] as const;
export type Profile = (typeof PROFILES)[number];

/** Where a component's pods run: the Fargate profile, the spot node group, or the on-demand node group. */
export const CAPACITIES = ['fargate', 'spot', 'on-demand'] as const;
export type Capacity = (typeof CAPACITIES)[number];
/** GPU nodes exist only as EC2 node groups: Fargate has no GPUs. */
export type GpuCapacity = Exclude<Capacity, 'fargate'>;

export const LLM_PROVIDERS = ['bedrock', 'self-hosted', 'none'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];
export const LLM_RUNTIMES = ['vllm', 'llama-cpp'] as const;
export type LlmRuntime = (typeof LLM_RUNTIMES)[number];

/** Kubernetes quantities, e.g. cpu "250m" (or a number of cores), memory "512Mi". */
export interface ResourceList {
  cpu?: string | number;
  memory?: string;
}
export interface Resources {
  requests?: ResourceList;
  limits?: ResourceList;
}

export interface Autoscaling {
  enabled?: boolean;
  min?: number;
  max?: number;
  /** Average CPU utilisation (percent of request) the HPA aims for. */
  targetCPU?: number;
}

/** The worker's autoscaler: on the length of its queue where KEDA is installed, on CPU elsewhere. */
export interface WorkerAutoscaling {
  enabled?: boolean;
  /** 0 scales the worker to zero while no upload waits (KEDA only; elsewhere the worker keeps one pod). */
  min?: number;
  max?: number;
  /** Waiting ingest jobs per worker pod the autoscaler aims for. */
  targetQueueLength?: number;
}

/** What every component has: pods of an image, sized, on a capacity. */
export interface ComponentSpec {
  replicas?: number;
  capacity?: Capacity;
  resources?: Resources;
  image?: string;
}
export interface WorkerSpec extends ComponentSpec {
  autoscaling?: WorkerAutoscaling;
}
/** api and ml: a served component, so also autoscaled, disrupted at most one pod at a time, and exposed. */
export interface ServedComponentSpec extends ComponentSpec {
  autoscaling?: Autoscaling;
}

export interface BedrockSpec {
  modelId?: string;
  region?: string;
}
export interface SelfHostedLlmSpec {
  runtime?: LlmRuntime;
  /** vLLM: a Hugging Face model id; llama.cpp: a Hugging Face GGUF repo (`owner/repo[:quant]`). */
  model?: string;
  /** EC2 GPU instance type of the node group, g5.* (A10G, 24 GB per GPU). */
  instanceType?: string;
  capacity?: GpuCapacity;
  /** With capacity spot: on-demand GPU nodes when spot ones cannot be had (default true). */
  onDemandFallback?: boolean;
  replicas?: number;
  /** Size of the model cache volume, a quantity such as "40Gi". */
  modelCacheSize?: string;
  image?: string;
  /** Parameter count, for sizing a model outside the operator's table (or correcting it). */
  parameters?: number;
  /** Appended to the server's arguments; a flag given again here wins over the operator's. */
  extraArgs?: string[];
  autoscaling?: LlmAutoscalingSpec;
}
/** Replicas of the LLM server from the questions asked and the requests waiting in it (KEDA, Prometheus). */
export interface LlmAutoscalingSpec {
  enabled?: boolean;
  /** 0: no GPU node while nobody asks (questions are answered from the template meanwhile). */
  min?: number;
  max?: number;
  /** Requests waiting in one server that KEDA aims for. */
  targetWaitingRequests?: number;
  /** With min 0: how long without a question before the last server goes. */
  idleMinutes?: number;
}
export interface LlmSpec {
  provider?: LlmProvider;
  bedrock?: BedrockSpec;
  selfHosted?: SelfHostedLlmSpec;
}

/** A key of a Secret in the platform's namespace; the operator only ever references it, never copies it. */
export interface SecretKeyRef {
  name: string;
  /** Key whose value is a connection URL with credentials. */
  key?: string;
}
export interface DataServiceSpec {
  secretRef?: SecretKeyRef;
}
export interface OpenSearchSpec extends DataServiceSpec {
  endpoint?: string;
}
export interface DataSpec {
  postgres?: DataServiceSpec;
  redis?: DataServiceSpec;
  opensearch?: OpenSearchSpec;
  /** Keep the tenant's database, Redis user and indices when the SentimentPlatform is deleted. */
  retainOnDelete?: boolean;
}

export interface IngressTls {
  /** HTTPS with HTTP → HTTPS redirect (default true); false is the explicit opt-out to plain HTTP. */
  enabled?: boolean;
  /** ACM certificate the ALB terminates TLS with; unset, the load balancer controller finds one for the host. */
  certificateArn?: string;
}
export interface IngressSpec {
  enabled?: boolean;
  host?: string;
  className?: string;
  tls?: IngressTls;
}

export interface ServiceAccountSpec {
  /** IAM role for pods (IRSA); needed for Bedrock. */
  iamRoleArn?: string;
}

export interface BackupSpec {
  /** Cron schedule of the backups (the CronJob's; UTC unless timeZone). */
  schedule?: string;
  /** IANA time zone of the schedule (default: UTC). */
  timeZone?: string;
  /** How many of the newest backups to keep. */
  retain?: number;
  /** S3 bucket; default: the operator's --backup-bucket. */
  bucket?: string;
  /** Stop the scheduled backups, keeping the ones taken. */
  suspend?: boolean;
}

export interface RestoreSpec {
  /** `latest`, or the name of one of this platform's backups (e.g. 20261206T031700Z.pgdump). */
  backup: string;
  /** Any value; a new one runs the same restore again. */
  requestId?: string;
}

export interface SentimentPlatformSpec {
  profile?: Profile;
  /** Stop changing anything of this tenant (maintenance): only status is still written. */
  paused?: boolean;
  /** Scale every workload to zero and keep the data; false (or unset) wakes it. */
  hibernate?: boolean;
  api?: ServedComponentSpec;
  worker?: WorkerSpec;
  ml?: ServedComponentSpec;
  llm?: LlmSpec;
  data?: DataSpec;
  ingress?: IngressSpec;
  serviceAccount?: ServiceAccountSpec;
  /** Scheduled pg_dump backups of the tenant's database to S3. */
  backup?: BackupSpec;
  /** Restore the tenant's database from one of its backups, then rebuild its search index. */
  restore?: RestoreSpec;
}

// ---- resolved: what synth, cost and reconcile see -------------------------------------------------

export interface ResolvedResourceList {
  cpu?: string;
  memory?: string;
}
export interface ResolvedResources {
  requests: Required<ResolvedResourceList>;
  limits: ResolvedResourceList;
}
export interface ResolvedComponent {
  replicas: number;
  capacity: Capacity;
  resources: ResolvedResources;
  image: string;
}
export interface ResolvedWorker extends ResolvedComponent {
  autoscaling: Required<WorkerAutoscaling>;
}
export interface ResolvedServed extends ResolvedComponent {
  autoscaling: Required<Autoscaling>;
}
export interface ResolvedSelfHosted {
  runtime: LlmRuntime;
  model: string;
  instanceType: string;
  capacity: GpuCapacity;
  onDemandFallback: boolean;
  replicas: number;
  modelCacheSize: string;
  image: string;
  /** GPUs per pod: all the GPUs of instanceType (tensor parallel across them). */
  gpus: number;
  parameters?: number;
  extraArgs: string[];
  autoscaling: Required<LlmAutoscalingSpec>;
}
export type ResolvedLlm =
  | { provider: 'bedrock'; bedrock: Required<BedrockSpec> }
  | { provider: 'self-hosted'; selfHosted: ResolvedSelfHosted }
  | { provider: 'none' };
export interface ResolvedData {
  postgres: { secretRef?: Required<SecretKeyRef> };
  redis: { secretRef?: Required<SecretKeyRef> };
  opensearch: { endpoint?: string; secretRef?: Required<SecretKeyRef> };
  retainOnDelete: boolean;
}
export interface ResolvedIngress {
  enabled: boolean;
  host?: string;
  className: string;
  tls: { enabled: boolean; certificateArn?: string };
}
export interface ResolvedBackup {
  schedule: string;
  timeZone: string;
  retain: number;
  bucket?: string;
  suspend: boolean;
}
export interface ResolvedSpec {
  profile: Profile;
  /** Every workload at zero replicas, the data kept (see scaledToZero). */
  hibernate: boolean;
  api: ResolvedServed;
  worker: ResolvedWorker;
  ml: ResolvedServed;
  llm: ResolvedLlm;
  data: ResolvedData;
  ingress: ResolvedIngress;
  serviceAccount: ServiceAccountSpec;
  /** Absent: no scheduled backups. */
  backup?: ResolvedBackup;
  restore?: RestoreSpec;
}

// ---- status -----------------------------------------------------------------------------------------

export const PHASES = ['Pending', 'Progressing', 'Ready', 'Hibernated', 'Degraded', 'Deleting'] as const;
export type Phase = (typeof PHASES)[number];

/** metav1.Condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export interface ComponentStatus {
  ready: boolean;
  desired: number;
  readyReplicas: number;
}

export const COST_ITEMS = [
  'compute',
  'gpu',
  'database',
  'cache',
  'search',
  'llm',
  'loadBalancer',
  'network',
  'controlPlane',
] as const;
export type CostItem = (typeof COST_ITEMS)[number];

export interface CostEstimate {
  /** USD per month, rounded to cents. */
  total: number;
  currency: 'USD';
  /** USD per month per line item; items that cost nothing may be omitted. */
  breakdown: Partial<Record<CostItem, number>>;
}

/** Names of the tenant's slice of the shared data services; never credentials. */
export interface TenancyStatus {
  database?: string;
  redisUser?: string;
  opensearchIndexPrefix?: string;
  /** Secret the workloads read connection URLs from (provisioned or user-supplied). */
  dataSecretName?: string;
}

export interface SentimentPlatformStatus {
  observedGeneration?: number;
  phase?: Phase;
  /** The resolved profile and LLM, for `kubectl get` (see llmSummary()). */
  profile?: Profile;
  llm?: string;
  conditions?: Condition[];
  components?: Partial<Record<'api' | 'worker' | 'ml' | 'llm', ComponentStatus>>;
  endpoints?: { api?: string; ml?: string; llm?: string };
  estimatedMonthlyCost?: CostEstimate;
  tenancy?: TenancyStatus;
  /** The operator's template last applied in full (a digest; the fleet rollout compares it with its own). */
  templateRevision?: string;
  backup?: BackupStatus;
  restore?: RestoreStatus;
}

export interface BackupStatus {
  /** Where this platform's backups are (s3://bucket/prefix). */
  location?: string;
  /** The platform's own backup role (per-tenant backup roles), which reaches only the location. */
  role?: string;
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

export const RESTORE_PHASES = ['Running', 'Succeeded', 'Failed'] as const;
export type RestorePhase = (typeof RESTORE_PHASES)[number];

export interface RestoreStatus {
  /** The spec.restore this is about (restoreRequest()). */
  request: string;
  phase: RestorePhase;
  /** The Job that restores the database and rebuilds the search index. */
  job: string;
  startedAt?: string;
  completedAt?: string;
  message?: string;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  generation?: number;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  deletionTimestamp?: string;
  finalizers?: string[];
}

export interface SentimentPlatform {
  apiVersion: 'sentiment.analytics.dev/v1alpha1';
  kind: 'SentimentPlatform';
  metadata: ObjectMeta;
  spec: SentimentPlatformSpec;
  status?: SentimentPlatformStatus;
}
