// Unit prices the cost model multiplies out: public on-demand list prices, us-east-1, USD.
// Figures marked "quoted" are the ones the design's reference facts carry (the seed's table); the rest are
// the AWS list prices for the sizes this platform deploys. This environment cannot reach aws.amazon.com,
// so nothing here was re-fetched live on `asOf`: check the `sources` before quoting a number to a customer.

import { G5_INSTANCE_TYPES } from '@sentiment/crds';

export interface InstanceShape {
  readonly vcpu: number;
  readonly memGiB: number;
  /** On-demand USD per hour. */
  readonly hourly: number;
}

function g5Prices(hourly: Record<string, number>): Record<string, InstanceShape> {
  return Object.fromEntries(
    Object.entries(hourly).map(([type, price]) => {
      const { vcpu, memGiB } = G5_INSTANCE_TYPES[type]!;
      return [type, { vcpu, memGiB, hourly: price }];
    }),
  );
}

export interface TokenPrice {
  /** USD per 1M input tokens. */
  readonly input: number;
  /** USD per 1M output tokens. */
  readonly output: number;
}

export interface PriceTable {
  readonly asOf: string;
  readonly region: string;
  readonly hoursPerMonth: number;
  readonly sources: Readonly<Record<string, string>>;
  readonly fargate: { readonly vcpuHour: number; readonly gbHour: number };
  readonly eksClusterHour: number;
  readonly ec2: Readonly<Record<string, InstanceShape>>;
  /**
   * Spot is not a list price: it moves by AZ and hour. One discount off on-demand stands for all types; the
   * default comes from the quoted g5.xlarge figures ($1.006 on demand, ~$0.36 spot ⇒ ~64% off).
   */
  readonly spotDiscount: number;
  readonly ebsGp3GbMonth: number;
  /** gp3 throughput provisioned above the volume's included 125 MiB/s, per MiB/s and month. */
  readonly ebsGp3ThroughputMiBpsMonth: number;
  readonly rds: {
    readonly hourly: Readonly<Record<string, number>>;
    readonly gp3GbMonth: number;
    /** vCPUs of each instance class: RDS Proxy bills per vCPU of the database behind it. */
    readonly vcpus: Readonly<Record<string, number>>;
    /** RDS Proxy, per vCPU-hour of the database instance, with a floor of 2 vCPUs. */
    readonly proxyVcpuHour: number;
  };
  readonly elasticacheHourly: Readonly<Record<string, number>>;
  readonly opensearch: { readonly hourly: Readonly<Record<string, number>>; readonly gp3GbMonth: number };
  readonly alb: { readonly hour: number; readonly lcuHour: number };
  readonly nat: { readonly hour: number; readonly gb: number };
  readonly interfaceEndpointAzHour: number;
  readonly bedrock: Readonly<Record<string, TokenPrice>>;
  readonly s3GbMonth: number;
  readonly cloudfront: { readonly gb: number; readonly per10kHttpsRequests: number };
}

export const PRICES: PriceTable = {
  asOf: '2026-11-25',
  region: 'us-east-1',
  // AWS bills hourly resources on 730 hours a month (8,760 / 12).
  hoursPerMonth: 730,
  sources: {
    fargate: 'https://aws.amazon.com/fargate/pricing/',
    eks: 'https://aws.amazon.com/eks/pricing/',
    ec2: 'https://aws.amazon.com/ec2/pricing/on-demand/',
    spot: 'https://aws.amazon.com/ec2/spot/pricing/',
    ebs: 'https://aws.amazon.com/ebs/pricing/',
    rds: 'https://aws.amazon.com/rds/postgresql/pricing/',
    elasticache: 'https://aws.amazon.com/elasticache/pricing/',
    opensearch: 'https://aws.amazon.com/opensearch-service/pricing/',
    elb: 'https://aws.amazon.com/elasticloadbalancing/pricing/',
    vpc: 'https://aws.amazon.com/vpc/pricing/',
    privatelink: 'https://aws.amazon.com/privatelink/pricing/',
    bedrock: 'https://aws.amazon.com/bedrock/pricing/',
    s3: 'https://aws.amazon.com/s3/pricing/',
    cloudfront: 'https://aws.amazon.com/cloudfront/pricing/',
  },
  fargate: { vcpuHour: 0.04048, gbHour: 0.004445 }, // quoted
  eksClusterHour: 0.1, // quoted (standard support; extended support is $0.60)
  ec2: {
    't3.medium': { vcpu: 2, memGiB: 4, hourly: 0.0416 },
    't3.large': { vcpu: 2, memGiB: 8, hourly: 0.0832 },
    't3a.large': { vcpu: 2, memGiB: 8, hourly: 0.0752 },
    'm5.large': { vcpu: 2, memGiB: 8, hourly: 0.096 },
    'm5a.large': { vcpu: 2, memGiB: 8, hourly: 0.086 },
    'm6a.large': { vcpu: 2, memGiB: 8, hourly: 0.0864 },
    'm6i.large': { vcpu: 2, memGiB: 8, hourly: 0.096 },
    // Shapes from the one g5 table (crds); on-demand prices per size, g5.xlarge's quoted.
    ...g5Prices({
      'g5.xlarge': 1.006,
      'g5.2xlarge': 1.212,
      'g5.4xlarge': 1.624,
      'g5.8xlarge': 2.448,
      'g5.12xlarge': 5.672,
      'g5.16xlarge': 4.096,
      'g5.24xlarge': 8.144,
      'g5.48xlarge': 16.288,
    }),
  },
  spotDiscount: 0.64,
  ebsGp3GbMonth: 0.08,
  ebsGp3ThroughputMiBpsMonth: 0.04,
  rds: {
    hourly: { 'db.t4g.micro': 0.016, 'db.t4g.small': 0.034 /* quoted */, 'db.t4g.medium': 0.065 },
    gp3GbMonth: 0.115,
    vcpus: { 'db.t4g.micro': 2, 'db.t4g.small': 2, 'db.t4g.medium': 2 },
    proxyVcpuHour: 0.015,
  },
  elasticacheHourly: { 'cache.t4g.micro': 0.017 /* quoted */, 'cache.t4g.small': 0.032 },
  opensearch: {
    hourly: { 't3.small.search': 0.058 /* quoted */, 't3.medium.search': 0.073 },
    gp3GbMonth: 0.122,
  },
  alb: { hour: 0.0225 /* quoted */, lcuHour: 0.008 },
  nat: { hour: 0.045, gb: 0.045 }, // quoted
  interfaceEndpointAzHour: 0.01,
  bedrock: {
    'anthropic.claude-3-haiku-20240307-v1:0': { input: 0.25, output: 1.25 }, // quoted
    'anthropic.claude-3-5-haiku-20241022-v1:0': { input: 0.8, output: 4 },
    'anthropic.claude-3-sonnet-20240229-v1:0': { input: 3, output: 15 },
    'anthropic.claude-3-5-sonnet-20240620-v1:0': { input: 3, output: 15 },
    'anthropic.claude-3-5-sonnet-20241022-v2:0': { input: 3, output: 15 },
  },
  s3GbMonth: 0.023,
  cloudfront: { gb: 0.085, per10kHttpsRequests: 0.01 },
};
