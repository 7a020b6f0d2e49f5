// The OpenAPI v3 schema of SentimentPlatform v1alpha1. Every field carries a description so that
// `kubectl explain sp.spec.<field>` documents it. Defaults appear only where they do not depend on
// the profile: the API server applies schema defaults before the operator sees the object, so a
// default here would override the profile's preset. The CEL rules come from rules.ts.
import { BACKUP_NAME_PATTERN, CRON_PATTERN, DEFAULT_BACKUP, LATEST_BACKUP } from './backup.js';
import { DATA_SECRET_KEYS, MAX_PLATFORM_NAME } from './names.js';
import { RULES } from './rules.js';
import {
  CAPACITIES,
  COST_ITEMS,
  LLM_PROVIDERS,
  LLM_RUNTIMES,
  PHASES,
  PROFILES,
  RESTORE_PHASES,
} from './types.js';

export interface JSONSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JSONSchema>;
  additionalProperties?: JSONSchema;
  items?: JSONSchema;
  required?: string[];
  enum?: readonly (string | number)[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  anyOf?: JSONSchema[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-list-type'?: 'map' | 'set' | 'atomic';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: { rule: string; message: string; fieldPath?: string }[];
}

const QUANTITY = '^([0-9]+(\\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$';

const str = (description: string, extra: JSONSchema = {}): JSONSchema => ({
  type: 'string',
  description,
  maxLength: 253,
  ...extra,
});
const int = (description: string, minimum: number, maximum: number): JSONSchema => ({
  type: 'integer',
  description,
  minimum,
  maximum,
});
const obj = (
  description: string,
  properties: Record<string, JSONSchema>,
  extra: JSONSchema = {},
): JSONSchema => ({
  type: 'object',
  description,
  properties,
  ...extra,
});

const quantity = (description: string): JSONSchema => str(description, { maxLength: 32, pattern: QUANTITY });
const cpuQuantity: JSONSchema = {
  description: 'CPU, in cores ("1", "0.5") or millicores ("250m").',
  anyOf: [{ type: 'integer' }, { type: 'string' }],
  'x-kubernetes-int-or-string': true,
  pattern: QUANTITY,
};
const resourceList = (description: string): JSONSchema =>
  obj(description, { cpu: cpuQuantity, memory: quantity('Memory, e.g. "512Mi", "2Gi".') });

const resources = obj(
  'Compute resources of each pod. Fargate sizes (and bills) a pod by its requests, rounded up to the next Fargate size.',
  {
    requests: resourceList('What the scheduler reserves for each pod.'),
    limits: resourceList(
      'Caps on each pod; a memory limit equal to the request avoids out-of-memory surprises on shared nodes.',
    ),
  },
);

const capacity = (what: string): JSONSchema =>
  str(
    `Where ${what} pods run: fargate (the tenant Fargate profile: no nodes to manage, no GPUs/DaemonSets/EBS), spot (the spot node group: cheapest, may be interrupted) or on-demand (the on-demand node group).`,
    { enum: CAPACITIES },
  );

const image = (what: string): JSONSchema =>
  str(`Container image of the ${what}; the profile's default is the project's release image.`, {
    maxLength: 512,
  });

const workerProps = (what: string): Record<string, JSONSchema> => ({
  replicas: int(`Number of ${what} pods (when autoscaling is enabled, the autoscaler's count wins).`, 0, 100),
  capacity: capacity(`the ${what}`),
  resources,
  image: image(what),
});

const served = (what: string): JSONSchema =>
  obj(`The ${what}. Unset fields come from the profile.`, {
    ...workerProps(what),
    autoscaling: obj(`HorizontalPodAutoscaler of the ${what}, on average CPU utilisation.`, {
      enabled: { type: 'boolean', description: 'Whether an autoscaler manages the replica count.' },
      min: int('Fewest replicas the autoscaler keeps.', 1, 100),
      max: int('Most replicas the autoscaler may run.', 1, 100),
      targetCPU: int(
        'Average CPU utilisation, in percent of the CPU request, the autoscaler aims for.',
        10,
        100,
      ),
    }),
  });

const secretRef = (what: string, defaultKey: string): JSONSchema =>
  obj(
    `A Secret in this namespace holding the ${what} connection URL (with credentials). The operator references it, never copies it. Unset: the operator provisions the tenant's slice of the shared ${what} and writes the URL to the Secret <name>-data.`,
    {
      name: str('Name of the Secret.'),
      key: str('Key of the Secret whose value is the connection URL.', { default: defaultKey }),
    },
    { required: ['name'] },
  );

const specSchema = obj(
  "Desired state of one tenant's sentiment-analytics platform. Start from a profile; any field written here overrides the profile's preset.",
  {
    profile: str(
      'Preset of every other field: demo (Fargate, one replica each, Bedrock Haiku), production (on-demand nodes, several replicas, autoscaling headroom, data retained on delete) or ultra-low-cost (everything on spot, single replicas).',
      { enum: PROFILES, default: 'demo' },
    ),
    paused: {
      type: 'boolean',
      description:
        'Maintenance switch: while true the operator changes nothing of this tenant (no apply, no drift repair, no prune, no data-service provisioning) and only keeps status current, with the condition Paused. Deleting the SentimentPlatform still cleans up. Set it back to false (or remove it) to apply what changed meanwhile.',
    },
    hibernate: {
      type: 'boolean',
      description:
        "Scale every workload (API, worker, ML, self-hosted LLM) to zero and remove their autoscalers, keeping the tenant's data, Secrets and Services; status.phase becomes Hibernated and the cost estimate drops to what the tenant costs without pods. Set it back to false (or remove it) to wake the tenant with its replicas as before.",
    },
    api: served('HTTP API (ticket ingest, dashboards, search, questions)'),
    worker: obj(
      'The ingest worker: parses uploaded CSV/JSON tickets and scores them. Unset fields come from the profile.',
      {
        ...workerProps('ingest worker'),
        autoscaling: obj(
          'Autoscaler of the ingest worker. Where the cluster serves KEDA (and the operator runs with --worker-scaling auto), a KEDA ScaledObject scales it on the uploads waiting in its queue; elsewhere, or when data.redis.secretRef names a Secret of your own, a HorizontalPodAutoscaler scales it on CPU.',
          {
            enabled: { type: 'boolean', description: 'Whether an autoscaler manages the replica count.' },
            min: int(
              'Fewest worker pods the autoscaler keeps. 0 (no worker pod while no upload waits) takes effect only where KEDA scales the worker; elsewhere it keeps one.',
              0,
              100,
            ),
            max: int('Most worker pods the autoscaler may run.', 1, 100),
            targetQueueLength: int(
              'Uploads waiting in the queue per worker pod that KEDA aims for: it runs waiting / targetQueueLength pods (rounded up), between min and max.',
              1,
              1000,
            ),
          },
        ),
      },
    ),
    ml: served('sentiment inference service (ONNX encoder + classifier head)'),
    llm: obj('The large language model that answers natural-language questions over retrieved tickets.', {
      provider: str(
        "bedrock (AWS Bedrock through the pod's IAM role), self-hosted (an OpenAI-compatible server on the GPU node group) or none (questions disabled).",
        { enum: LLM_PROVIDERS },
      ),
      bedrock: obj('Bedrock settings, read when provider is bedrock.', {
        modelId: str(
          'Bedrock model id, e.g. anthropic.claude-3-haiku-20240307-v1:0; the account must have access to it.',
        ),
        region: str('AWS region of the Bedrock endpoint, e.g. us-east-1.', {
          maxLength: 32,
          pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]$',
        }),
      }),
      selfHosted: obj('Self-hosted LLM server settings, read when provider is self-hosted.', {
        runtime: str('vllm (OpenAI server of vLLM, port 8000) or llama-cpp (llama.cpp server, port 8080).', {
          enum: LLM_RUNTIMES,
        }),
        model: str(
          "Model to serve: a Hugging Face model id for vllm (e.g. meta-llama/Llama-3.1-8B-Instruct), a GGUF repo for llama-cpp (e.g. bartowski/Meta-Llama-3.1-8B-Instruct-GGUF:Q4_K_M). The quantization is read from the name (FP8, AWQ/GPTQ/INT4, a GGUF type; else bf16 for vllm, Q4_K_M for llama-cpp); a model whose weights do not fit the GPUs of instanceType is refused (a 70B model needs ~141 GB in bf16), and the server's context length is set to what the memory left holds.",
        ),
        instanceType: str(
          'EC2 instance type of the GPU nodes: g5.xlarge to g5.16xlarge carry one A10G (24 GB), g5.12xlarge/g5.24xlarge four, g5.48xlarge eight. The server uses every GPU of the node.',
          { maxLength: 32 },
        ),
        capacity: str('spot or on-demand GPU nodes (fargate is refused: Fargate has no GPUs).', {
          enum: CAPACITIES,
        }),
        onDemandFallback: {
          type: 'boolean',
          description:
            "With capacity spot: spot GPU nodes preferred, on-demand ones taken when spot has none to give (the cluster autoscaler's priority expander grows a spot group first). Default true; false: spot only.",
        },
        replicas: int('Number of LLM server pods (one GPU node each).', 0, 16),
        modelCacheSize: quantity('Size of the node-local volume the model is downloaded into, e.g. "40Gi".'),
        image: str("Container image of the LLM server; defaults to the runtime's official CUDA image.", {
          maxLength: 512,
        }),
        parameters: int(
          "Parameter count of the model (e.g. 8030000000), for checking that its weights fit the GPUs when the model is not in the operator's table of known models (Llama 3.x 8B/70B/405B, Llama 2 7B/70B).",
          100_000_000,
          10_000_000_000_000,
        ),
        extraArgs: {
          type: 'array',
          description:
            'Arguments appended to the server\'s command line (vLLM\'s OpenAI server or llama-server); a flag repeated here overrides the one the operator sets, e.g. ["--max-model-len", "8192"].',
          maxItems: 64,
          items: str('One argument.', { maxLength: 1024 }),
        },
        autoscaling: obj(
          "Replicas of the LLM server on demand, where the cluster serves KEDA and the operator knows the installation's Prometheus (--prometheus-url): a KEDA ScaledObject runs one server while questions are asked, more as requests wait in them (vLLM's num_requests_waiting, llama.cpp's requests_deferred), down to min. Elsewhere the server runs max(min, 1) replicas. replicas is ignored while enabled.",
          {
            enabled: {
              type: 'boolean',
              description: 'Whether KEDA manages the replica count (default false).',
            },
            min: int(
              'Fewest servers (default 1). 0: no GPU node while nobody asks; the first question wakes one (minutes: node, image, model), answered from the template meanwhile.',
              0,
              16,
            ),
            max: int('Most servers, one GPU node each (default 2).', 1, 16),
            targetWaitingRequests: int(
              'Requests waiting in one server that KEDA aims for (default 4): it runs waiting / target servers, rounded up.',
              1,
              1000,
            ),
            idleMinutes: int(
              'With min 0: minutes without a question before the last server goes (default 30).',
              1,
              1440,
            ),
          },
        ),
      }),
    }),
    data: obj(
      "The shared data services the platform uses. Services without a secretRef are provisioned by the operator as the tenant's slice (database, Redis ACL user, index prefix).",
      {
        postgres: obj('PostgreSQL (tickets, scores, embeddings).', {
          secretRef: secretRef('PostgreSQL', DATA_SECRET_KEYS.postgres),
        }),
        redis: obj('Redis (ingest queue, cache).', { secretRef: secretRef('Redis', DATA_SECRET_KEYS.redis) }),
        opensearch: obj('OpenSearch (full-text ticket search).', {
          endpoint: str(
            'URL of an OpenSearch endpoint of your own that needs no credentials in the URL (e.g. IAM-authenticated). With credentials, use secretRef instead.',
            { maxLength: 512, pattern: '^https?://' },
          ),
          secretRef: secretRef('OpenSearch', DATA_SECRET_KEYS.opensearch),
        }),
        retainOnDelete: {
          type: 'boolean',
          description:
            "Keep the tenant's database, Redis user and indices when this SentimentPlatform is deleted (production default: true).",
        },
      },
    ),
    ingress: obj('How the API is exposed: an Ingress served by the AWS Load Balancer Controller.', {
      enabled: { type: 'boolean', description: 'Whether to create the Ingress (default true).' },
      host: str(
        'Host name the API is served on over HTTPS, e.g. acme.sentiment.example.com; the certificate is picked for it and the shared load balancer routes by it. Unset: no Ingress, unless tls.enabled is false (plain HTTP on any host).',
        {
          pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
        },
      ),
      className: str('IngressClass; alb is the AWS Load Balancer Controller.', { default: 'alb' }),
      tls: obj('HTTPS on the load balancer, with HTTP redirected to it (on by default).', {
        enabled: {
          type: 'boolean',
          description:
            'HTTPS with an HTTP → HTTPS redirect (default true). false serves plain HTTP on a load balancer of its own: the explicit opt-out, not recommended.',
        },
        certificateArn: str(
          'ARN of the ACM certificate for the host. Unset: the AWS Load Balancer Controller discovers an issued ACM certificate matching the host.',
          { maxLength: 2048, pattern: '^arn:aws[a-z-]*:acm:' },
        ),
      }),
    }),
    serviceAccount: obj(
      'The ServiceAccount all platform pods run as (the backup pods too, unless the installation has per-tenant backup roles).',
      {
        iamRoleArn: str(
          'IAM role the pods assume through IRSA (annotation eks.amazonaws.com/role-arn); it must allow bedrock:InvokeModel for provider bedrock, and, where the installation has no per-tenant backup roles (status.backup.role), s3:PutObject, s3:GetObject, s3:ListBucket, s3:DeleteObject and s3:AbortMultipartUpload on the backup prefix (status.backup.location) for spec.backup.',
          {
            maxLength: 2048,
            pattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/',
          },
        ),
      },
    ),
    backup: obj(
      "Scheduled backups of the tenant's database: a CronJob runs pg_dump (custom format) and streams the dump to S3 under the tenant's prefix (status.backup.location) with the platform's own backup role (status.backup.role; where the installation has none, serviceAccount.iamRoleArn), then deletes all but the newest `retain`. The search index is not backed up: a restore rebuilds it from the database. Suspended while hibernated.",
      {
        schedule: str(
          `Cron schedule, five fields or a macro such as @daily (default "${DEFAULT_BACKUP.schedule}").`,
          { maxLength: 100, pattern: CRON_PATTERN },
        ),
        timeZone: str(`IANA time zone of the schedule (default ${DEFAULT_BACKUP.timeZone}).`, {
          maxLength: 64,
          pattern: '^[A-Za-z]+(/[A-Za-z0-9_+-]+)*$',
        }),
        retain: int(`How many of the newest backups to keep (default ${DEFAULT_BACKUP.retain}).`, 1, 1000),
        bucket: str("S3 bucket of the backups (default: the operator's --backup-bucket).", {
          maxLength: 63,
          pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
        }),
        suspend: { type: 'boolean', description: 'Stop the scheduled backups; the backups taken are kept.' },
      },
    ),
    restore: obj(
      "Restore the tenant's database from one of its own backups, then rebuild its search index from it: the workloads are scaled to zero, a Job runs pg_restore (one transaction: a failure changes nothing) and the search-index rebuild, and the workloads come back. It runs once per value (status.restore); to restore again, change requestId. A platform re-created under the same namespace and name finds the backups of the one before it. Remove it from the spec after use, or a re-created platform restores again.",
      {
        backup: str(
          `"${LATEST_BACKUP}", or the name of one of this platform's backups (e.g. 20261206T031700Z.pgdump).`,
          {
            maxLength: 64,
            pattern: BACKUP_NAME_PATTERN,
          },
        ),
        requestId: str('Any value; a new value runs the same restore again.', { maxLength: 63 }),
      },
      { required: ['backup'] },
    ),
  },
);

const componentStatus = (what: string): JSONSchema =>
  obj(`Readiness of the ${what}.`, {
    ready: { type: 'boolean', description: 'All desired replicas are ready.' },
    desired: int('Replicas wanted.', 0, 10000),
    readyReplicas: int('Replicas ready.', 0, 10000),
  });

const statusSchema = obj('Observed state, written by the operator.', {
  observedGeneration: { type: 'integer', description: 'metadata.generation the status describes.' },
  phase: str(
    'Pending (accepted, nothing built yet), Progressing (objects applied, not all ready), Ready, Hibernated (spec.hibernate: every workload at zero), Degraded (a component failed or the spec cannot be built: see conditions) or Deleting.',
    { enum: PHASES },
  ),
  profile: str('The profile in effect.', { enum: PROFILES }),
  llm: str(
    'The LLM in effect, e.g. bedrock:anthropic.claude-3-haiku-20240307-v1:0 or vllm:meta-llama/Llama-3.1-8B-Instruct.',
  ),
  conditions: {
    type: 'array',
    description: 'Standard conditions: Ready, SpecValid, DataProvisioned, ...',
    maxItems: 32,
    'x-kubernetes-list-type': 'map',
    'x-kubernetes-list-map-keys': ['type'],
    items: obj(
      'A metav1.Condition.',
      {
        type: str('Type of the condition, CamelCase.', { maxLength: 316 }),
        status: str('True, False or Unknown.', { enum: ['True', 'False', 'Unknown'] }),
        observedGeneration: {
          type: 'integer',
          description: 'metadata.generation the condition was set for.',
        },
        lastTransitionTime: { type: 'string', format: 'date-time', description: 'When status last changed.' },
        reason: str('Machine-readable CamelCase reason.', { maxLength: 1024 }),
        message: str('Human-readable detail.', { maxLength: 32768 }),
      },
      { required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'] },
    ),
  },
  components: obj('Per-component readiness.', {
    api: componentStatus('API'),
    worker: componentStatus('ingest worker'),
    ml: componentStatus('inference service'),
    llm: componentStatus('self-hosted LLM server'),
  }),
  endpoints: obj('Where the components answer.', {
    api: str('External URL of the API (the Ingress).', { maxLength: 2048 }),
    ml: str('In-cluster URL of the inference service.', { maxLength: 2048 }),
    llm: str('In-cluster URL of the self-hosted LLM (OpenAI-compatible), or the Bedrock endpoint.', {
      maxLength: 2048,
    }),
  }),
  estimatedMonthlyCost: obj("Estimated monthly cost of the tenant's share of the platform.", {
    total: { type: 'number', description: 'USD per month.' },
    currency: str('Always USD.', { enum: ['USD'] }),
    breakdown: {
      type: 'object',
      description: `USD per month per item (${COST_ITEMS.join(', ')}).`,
      additionalProperties: { type: 'number' },
    },
  }),
  tenancy: obj("Names of the tenant's slice of the shared data services (never credentials).", {
    database: str('PostgreSQL database (and role) of the tenant.', { maxLength: 63 }),
    redisUser: str('Redis ACL user of the tenant.'),
    opensearchIndexPrefix: str("Prefix of the tenant's OpenSearch indices."),
    dataSecretName: str('Secret the workloads read connection URLs from.'),
  }),
  templateRevision: str(
    "The operator's template (a digest) last applied in full; `sentiment-operator fleet status` shows which platforms a rollout has reached.",
    { maxLength: 64 },
  ),
  backup: obj('The scheduled backups (spec.backup).', {
    location: str('Where the backups are: s3://bucket/prefix/.', { maxLength: 1024 }),
    role: str(
      "The IAM role the backup pods assume: the platform's own (the operator's per-tenant backup roles), reaching only the location.",
      { maxLength: 2048 },
    ),
    lastScheduleTime: { type: 'string', format: 'date-time', description: 'When a backup was last started.' },
    lastSuccessfulTime: {
      type: 'string',
      format: 'date-time',
      description: 'When a backup last completed.',
    },
  }),
  restore: obj(
    'The last restore (spec.restore).',
    {
      request: str('The spec.restore this is about: backup and requestId.', { maxLength: 200 }),
      phase: str('Running, Succeeded or Failed.', { enum: RESTORE_PHASES }),
      job: str('The Job that restores the database and rebuilds the search index.'),
      startedAt: { type: 'string', format: 'date-time', description: 'When the restore was started.' },
      completedAt: { type: 'string', format: 'date-time', description: 'When it succeeded or failed.' },
      message: str('Why it failed, or what it restored.', { maxLength: 2048 }),
    },
    { required: ['request', 'phase', 'job'] },
  ),
});

/** A copy of `schema` with each rule of rules.ts attached to the node its `at` names. */
function withRules(schema: JSONSchema): JSONSchema {
  // A copy: the schema constants above are shared, and every caller must get the rules exactly once.
  const root = structuredClone(schema);
  for (const r of RULES) {
    let node = root;
    for (const key of r.at) {
      const next = node.properties?.[key];
      if (!next) throw new Error(`rule path ${r.at.join('.')} is not in the schema`);
      node = next;
    }
    (node['x-kubernetes-validations'] ??= []).push({
      rule: r.rule,
      message: r.message,
      ...(r.fieldPath !== undefined && { fieldPath: r.fieldPath }),
    });
  }
  return root;
}

/** The openAPIV3Schema of the CRD's v1alpha1 version. */
export function openAPIV3Schema(): JSONSchema {
  return withRules(
    obj(
      `SentimentPlatform is one tenant's support-ticket sentiment-analytics platform: API, ingest worker, inference service and LLM, wired to the shared data services. metadata.name: at most ${MAX_PLATFORM_NAME} characters.`,
      {
        apiVersion: str('Versioned schema of this representation of an object.'),
        kind: str('REST resource this object represents.'),
        metadata: { type: 'object' },
        spec: { ...specSchema, default: {} },
        status: statusSchema,
      },
    ),
  );
}
