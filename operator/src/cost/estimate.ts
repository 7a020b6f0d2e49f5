// Monthly cost of a SentimentPlatform: pure arithmetic over the resolved spec, the platform it runs on,
// usage assumptions and a price table. Two parts are kept apart because they scale differently:
//   platformFixed — what the shared platform costs with zero tenants (control plane, NAT, system nodes,
//                   the shared Postgres/Redis/OpenSearch, the dashboard's S3 + CloudFront);
//   perTenant     — what one more tenant adds (its pods, its load balancer capacity, its LLM, its NAT traffic). A tenant's
//                   marginal cost on the shared data services is $0 until they need a bigger instance.
// A tenant's share is perTenant + platformFixed / tenants; "standalone" is the one-tenant case.
import {
  llmReplicaRange,
  ingressMode,
  runningSpec,
  type CostEstimate,
  type CostItem,
  type ResolvedServed,
  type ResolvedSpec,
  type ResolvedWorker,
} from '@sentiment/crds';
import { parseQuantity } from '../synth/quantity.js';
import { fargatePodSize } from './fargate.js';
import { PLATFORMS, type PlatformSizing } from './platform.js';
import { PRICES, type PriceTable } from './prices.js';

/** Usage that prices depend on but a spec cannot say. Defaults reproduce the seed's published figures. */
export interface Usage {
  /** Per tenant: Bedrock tokens a month, in millions (40M in + 8M out ≈ 20k questions of 2k/400 tokens). */
  readonly llmInputMTokens: number;
  readonly llmOutputMTokens: number;
  /** Per tenant: average load balancer capacity units its traffic consumes. */
  readonly albLcu: number;
  /** Per tenant: GB a month through the NAT (image pulls, Bedrock and other AWS API calls without endpoints). */
  readonly natGB: number;
  /** Platform: dashboard traffic and size. */
  readonly cloudfrontGB: number;
  readonly cloudfrontMRequests: number;
  readonly s3GB: number;
}

export const DEFAULT_USAGE: Usage = {
  llmInputMTokens: 40,
  llmOutputMTokens: 8,
  albLcu: 0.5,
  natGB: 50,
  cloudfrontGB: 100,
  cloudfrontMRequests: 1,
  s3GB: 1,
};

export type Scope = 'platform' | 'tenant';

export interface CostLine {
  readonly component: string;
  readonly item: CostItem;
  readonly scope: Scope;
  /** USD per month, unrounded. */
  readonly monthly: number;
  /** How the figure was computed, in words a reader can check. */
  readonly basis: string;
}

export interface CostReport {
  readonly currency: 'USD';
  readonly region: string;
  readonly pricesAsOf: string;
  readonly platform: PlatformSizing['name'];
  readonly lines: readonly CostLine[];
  readonly platformFixed: number;
  readonly perTenant: number;
  readonly tenants: number;
  /** perTenant + platformFixed / tenants: what this tenant costs on a platform shared by `tenants`. */
  readonly tenantShare: number;
  /** perTenant + platformFixed: the whole bill when this is the only tenant. */
  readonly standalone: number;
  readonly assumptions: readonly string[];
}

export interface CostOptions {
  /** The platform the tenant runs on; by default the environment named like the tenant's profile. */
  readonly platform?: PlatformSizing;
  /** Tenants sharing the platform (≥ 1). */
  readonly tenants?: number;
  readonly usage?: Partial<Usage>;
  readonly prices?: PriceTable;
}

const GiB = 2 ** 30;
const usd = (n: number): string => `$${n.toFixed(2)}`;
/** Unit prices keep their digits: $0.0225/h must not print as $0.02/h. */
const unit = (n: number): string => `$${n}`;

/** What a hibernated tenant uses: no pods answer, so no questions, no load balancer work, no NAT traffic. */
const HIBERNATED_USAGE: Partial<Usage> = { llmInputMTokens: 0, llmOutputMTokens: 0, albLcu: 0, natGB: 0 };

export function costReport(resolved: ResolvedSpec, options: CostOptions = {}): CostReport {
  const spec = runningSpec(resolved);
  const platform = options.platform ?? PLATFORMS[spec.profile];
  const tenants = options.tenants ?? 1;
  if (!Number.isInteger(tenants) || tenants < 1)
    throw new Error(`tenants must be a positive integer, got ${tenants}`);
  const usage: Usage = {
    ...DEFAULT_USAGE,
    ...options.usage,
    ...(spec.hibernate && HIBERNATED_USAGE),
  };
  const prices = options.prices ?? PRICES;
  const h = prices.hoursPerMonth;
  const lines: CostLine[] = [];
  const assumptions: string[] = [
    `${prices.region} on-demand list prices as of ${prices.asOf}; ${h} hours a month.`,
    `Spot capacity is priced at ${Math.round(prices.spotDiscount * 100)}% off on-demand (g5.xlarge $1.006 → ~$0.36/h); real spot prices move by AZ and hour.`,
  ];
  if (spec.hibernate) {
    assumptions.push(
      "Hibernated (spec.hibernate): no pods, no LLM tokens, no load balancer capacity or NAT traffic; the tenant's data stays in the shared services, paid in platformFixed.",
    );
  }
  const add = (line: CostLine): void => {
    lines.push(line);
  };

  // ---- platform: exists once, whatever the number of tenants --------------------------------------
  add({
    component: 'eks-control-plane',
    item: 'controlPlane',
    scope: 'platform',
    monthly: prices.eksClusterHour * h,
    basis: `1 EKS cluster × ${unit(prices.eksClusterHour)}/h (missing from the seed's table)`,
  });
  const sys = instance(prices, platform.systemNodes.instanceType);
  add({
    component: 'system-nodes',
    item: 'compute',
    scope: 'platform',
    monthly:
      platform.systemNodes.count * (sys.hourly * h + platform.systemNodes.diskGiB * prices.ebsGp3GbMonth),
    basis: `${platform.systemNodes.count} × ${platform.systemNodes.instanceType} on-demand + ${platform.systemNodes.diskGiB} GiB gp3 root volume each`,
  });
  add({
    component: 'nat-gateway',
    item: 'network',
    scope: 'platform',
    monthly: platform.natGateways * prices.nat.hour * h,
    basis: `${platform.natGateways} NAT gateway × ${unit(prices.nat.hour)}/h (its data charge is per tenant)`,
  });
  if (platform.interfaceEndpoints > 0) {
    add({
      component: 'vpc-endpoints',
      item: 'network',
      scope: 'platform',
      monthly: platform.interfaceEndpoints * platform.availabilityZones * prices.interfaceEndpointAzHour * h,
      basis: `${platform.interfaceEndpoints} interface endpoints × ${platform.availabilityZones} AZs × ${unit(prices.interfaceEndpointAzHour)}/h`,
    });
  }
  const { postgres, redis, opensearch } = platform;
  const pgCopies = postgres.multiAz ? 2 : 1;
  add({
    component: 'postgres',
    item: 'database',
    scope: 'platform',
    monthly:
      pgCopies *
      (rate(prices.rds.hourly, postgres.instanceClass) * h + postgres.storageGiB * prices.rds.gp3GbMonth),
    basis: `${postgres.instanceClass}${postgres.multiAz ? ' Multi-AZ (×2)' : ''} + ${postgres.storageGiB} GiB gp3`,
  });
  // A proxy would pool every tenant's connections, but it needs each tenant's secret in its auth list; the
  // connection budget (per-tenant CONNECTION LIMIT, pools sized to it) is what bounds them instead.
  const proxyVcpus = Math.max(2, rate(prices.rds.vcpus, postgres.instanceClass));
  assumptions.push(
    `No RDS Proxy: each tenant has a CONNECTION LIMIT on the shared Postgres and pools sized to it. A proxy in front of the ${postgres.instanceClass} would add ${proxyVcpus} vCPU × ${unit(prices.rds.proxyVcpuHour)}/h = ${usd(proxyVcpus * prices.rds.proxyVcpuHour * h)}/month.`,
  );
  add({
    component: 'redis',
    item: 'cache',
    scope: 'platform',
    monthly: redis.nodes * rate(prices.elasticacheHourly, redis.nodeType) * h,
    basis: `${redis.nodes} × ${redis.nodeType}`,
  });
  add({
    component: 'opensearch',
    item: 'search',
    scope: 'platform',
    monthly:
      opensearch.nodes *
      (rate(prices.opensearch.hourly, opensearch.instanceType) * h +
        opensearch.volumeGiB * prices.opensearch.gp3GbMonth),
    basis: `${opensearch.nodes} × ${opensearch.instanceType} + ${opensearch.volumeGiB} GiB gp3 each`,
  });
  // No 'frontend' cost item exists in the status contract; CloudFront delivery is closest to network.
  add({
    component: 's3-cloudfront',
    item: 'network',
    scope: 'platform',
    monthly:
      usage.cloudfrontGB * prices.cloudfront.gb +
      usage.cloudfrontMRequests * 100 * prices.cloudfront.per10kHttpsRequests +
      usage.s3GB * prices.s3GbMonth,
    basis: `${usage.cloudfrontGB} GB out + ${usage.cloudfrontMRequests}M HTTPS requests + ${usage.s3GB} GB stored`,
  });
  assumptions.push(
    "CloudFront's always-free tier (1 TB out, 10M requests a month per account) is not applied: it is shared with everything else in the account.",
  );

  // ---- tenant: what one more SentimentPlatform adds --------------------------------------------------
  for (const [name, c] of [
    ['api', spec.api],
    ['worker', spec.worker],
    ['ml', spec.ml],
  ] as const) {
    add(componentLine(name, c, platform, prices, assumptions));
  }
  lines.push(...llmLines(spec, platform, usage, prices, assumptions));
  const exposure = ingressMode(spec.ingress);
  if (exposure !== 'none') {
    // The cluster's HTTPS tenants share one ALB (an IngressGroup): its hours are the platform's. Plain
    // HTTP stays out of that group (its redirect is group-wide), so such a tenant pays for an ALB of its own.
    const shared = exposure === 'https';
    add({
      component: 'load-balancer',
      item: 'loadBalancer',
      scope: shared ? 'platform' : 'tenant',
      monthly: prices.alb.hour * h,
      basis: `${shared ? '1 ALB shared by every HTTPS tenant (IngressGroup)' : '1 ALB of its own (plain HTTP stays out of the shared HTTPS one)'} × ${unit(prices.alb.hour)}/h`,
    });
    add({
      component: 'load-balancer-lcu',
      item: 'loadBalancer',
      scope: 'tenant',
      monthly: usage.albLcu * prices.alb.lcuHour * h,
      basis: `${usage.albLcu} LCU × ${unit(prices.alb.lcuHour)}/h`,
    });
  }
  add({
    component: 'nat-data',
    item: 'network',
    scope: 'tenant',
    monthly: usage.natGB * prices.nat.gb,
    basis: `${usage.natGB} GB through the NAT × ${unit(prices.nat.gb)}/GB`,
  });
  if (spec.data.postgres.secretRef || spec.data.redis.secretRef || spec.data.opensearch.secretRef) {
    assumptions.push(
      'Data services the tenant brings (secretRef) are billed to it elsewhere and not included.',
    );
  }
  assumptions.push(
    "A tenant's marginal cost on the shared Postgres/Redis/OpenSearch is $0 until they must be resized; it pays a share of platformFixed instead.",
    'Not modelled: CloudWatch logs/metrics/alarms, KMS keys ($1/key-month), Secrets Manager ($0.40/secret-month), cross-AZ transfer, backups beyond the free allowance.',
  );

  const sum = (scope: Scope): number =>
    lines.filter((l) => l.scope === scope).reduce((s, l) => s + l.monthly, 0);
  const platformFixed = sum('platform');
  const perTenant = sum('tenant');
  return {
    currency: 'USD',
    region: prices.region,
    pricesAsOf: prices.asOf,
    platform: platform.name,
    lines,
    platformFixed,
    perTenant,
    tenants,
    tenantShare: perTenant + platformFixed / tenants,
    standalone: perTenant + platformFixed,
    assumptions,
  };
}

/**
 * The status's estimatedMonthlyCost: this tenant's share (its own lines plus platformFixed / tenants), by
 * cost item, rounded to cents. Matches the reconciler's EstimateCost signature.
 */
export function estimateMonthlyCost(spec: ResolvedSpec, options: CostOptions = {}): CostEstimate {
  const report = costReport(spec, options);
  const breakdown: Partial<Record<CostItem, number>> = {};
  for (const line of report.lines) {
    const share = line.scope === 'platform' ? line.monthly / report.tenants : line.monthly;
    breakdown[line.item] = (breakdown[line.item] ?? 0) + share;
  }
  for (const item of Object.keys(breakdown) as CostItem[]) breakdown[item] = cents(breakdown[item] ?? 0);
  return { total: cents(report.tenantShare), currency: 'USD', breakdown };
}

export const cents = (n: number): number => Math.round(n * 100) / 100;

function instance(prices: PriceTable, type: string): PriceTable['ec2'][string] {
  const shape = prices.ec2[type];
  if (!shape) throw new Error(`no price for EC2 instance type ${type}`);
  return shape;
}

function rate(table: Readonly<Record<string, number>>, type: string): number {
  const hourly = table[type];
  if (hourly === undefined) throw new Error(`no price for ${type}`);
  return hourly;
}

/** Baseline replicas: an autoscaled component never runs fewer than its HPA minimum. */
function baseline(c: ResolvedWorker | ResolvedServed): number {
  return 'autoscaling' in c && c.autoscaling.enabled ? Math.max(c.replicas, c.autoscaling.min) : c.replicas;
}

function componentLine(
  name: string,
  c: ResolvedWorker | ResolvedServed,
  platform: PlatformSizing,
  prices: PriceTable,
  assumptions: string[],
): CostLine {
  const h = prices.hoursPerMonth;
  const replicas = baseline(c);
  const cpu = parseQuantity(c.resources.requests.cpu);
  const memGiB = parseQuantity(c.resources.requests.memory) / GiB;
  let perPod: number;
  let basis: string;
  if (c.capacity === 'fargate') {
    const size = fargatePodSize(cpu, memGiB);
    perPod = (size.vcpu * prices.fargate.vcpuHour + size.memGiB * prices.fargate.gbHour) * h;
    basis = `${replicas} × Fargate pod ${size.vcpu} vCPU / ${size.memGiB} GB (requests ${c.resources.requests.cpu} / ${c.resources.requests.memory} + 256 MiB, rounded up)`;
  } else {
    const spot = c.capacity === 'spot';
    const type = spot ? platform.spotNodeType : platform.onDemandNodeType;
    const node = instance(prices, type);
    // A pod occupies the larger of its CPU and memory fractions of a node: the rest of that dimension
    // cannot be sold to another pod. The autoscaler adds nodes as pods need them.
    const share = Math.max(cpu / node.vcpu, memGiB / node.memGiB);
    const hourly = node.hourly * (spot ? 1 - prices.spotDiscount : 1);
    perPod = share * hourly * h;
    const note =
      'Pods on EC2 capacity pay their share of a node (larger of CPU and memory fraction); headroom on partly used nodes is not charged to anyone.';
    if (!assumptions.includes(note)) assumptions.push(note);
    basis = `${replicas} × ${(share * 100).toFixed(1)}% of ${spot ? 'a spot' : 'an on-demand'} ${type} (requests ${c.resources.requests.cpu} / ${c.resources.requests.memory})`;
  }
  if ('autoscaling' in c && c.autoscaling.enabled && c.autoscaling.max > replicas) {
    assumptions.push(
      `${name} is priced at ${replicas} replica(s); at its autoscaling maximum of ${c.autoscaling.max} it costs ${usd(perPod * c.autoscaling.max)} a month.`,
    );
  }
  return { component: name, item: 'compute', scope: 'tenant', monthly: replicas * perPod, basis };
}

function llmLines(
  spec: ResolvedSpec,
  platform: PlatformSizing,
  usage: Usage,
  prices: PriceTable,
  assumptions: string[],
): CostLine[] {
  const llm = spec.llm;
  if (llm.provider === 'none') return [];
  if (llm.provider === 'bedrock') {
    const { modelId, region } = llm.bedrock;
    if (region !== prices.region) {
      assumptions.push(`Bedrock runs in ${region}; it is priced at ${prices.region} rates.`);
    }
    const price = prices.bedrock[modelId];
    if (!price) {
      assumptions.push(`No price is known for Bedrock model ${modelId}: its token cost is not included.`);
      return [];
    }
    return [
      {
        component: 'llm',
        item: 'llm',
        scope: 'tenant',
        monthly: usage.llmInputMTokens * price.input + usage.llmOutputMTokens * price.output,
        basis: `${modelId}: ${usage.llmInputMTokens}M input × ${unit(price.input)}/M + ${usage.llmOutputMTokens}M output × ${unit(price.output)}/M`,
      },
    ];
  }
  const s = llm.selfHosted;
  const node = instance(prices, s.instanceType);
  const spot = s.capacity === 'spot';
  const hourly = node.hourly * (spot ? 1 - prices.spotDiscount : 1);
  // Each replica takes every GPU of its instance, so one node per replica; the model cache is on its root volume.
  // Autoscaled, the floor is priced: what runs with nobody asking (nothing, with min 0).
  const { min, max } = llmReplicaRange(s);
  return [
    {
      component: 'llm',
      item: 'gpu',
      scope: 'tenant',
      monthly: min * (hourly * prices.hoursPerMonth + gpuNodeDiskMonthly(platform, prices)),
      basis:
        `${min} × ${s.instanceType} ${spot ? 'spot' : 'on-demand'} at ${unit(Number(hourly.toFixed(4)))}/h + ${platform.gpuNodeDiskGiB} GiB gp3 root volume at ${platform.gpuNodeDiskThroughputMiBps} MiB/s` +
        (max > min ? ` (autoscaled: up to ${max} while questions queue, each priced the same per hour)` : ''),
    },
  ];
}

/** gp3 includes 125 MiB/s; what a GPU node's root volume is provisioned above it is paid per MiB/s. */
export const GP3_INCLUDED_MIBPS = 125;

/** A GPU node's root volume a month: its size and its throughput above gp3's included. */
export function gpuNodeDiskMonthly(platform: PlatformSizing, prices: PriceTable): number {
  const extra = Math.max(0, platform.gpuNodeDiskThroughputMiBps - GP3_INCLUDED_MIBPS);
  return platform.gpuNodeDiskGiB * prices.ebsGp3GbMonth + extra * prices.ebsGp3ThroughputMiBpsMonth;
}
