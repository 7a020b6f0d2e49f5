import type { RetentionDays } from 'aws-cdk-lib/aws-logs';

// Typed description of one deployment of the platform. Every stack reads only this object, so the three
// environments differ in data, never in code paths hidden behind `if (env === 'production')`.

export const ENVIRONMENT_NAMES = ['demo', 'production', 'ultra-low-cost'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

export interface NodeGroupConfig {
  /** Several types for spot groups: capacity is drawn from whichever pool has room, which lowers interruptions. */
  readonly instanceTypes: readonly string[];
  readonly minSize: number;
  readonly desiredSize: number;
  readonly maxSize: number;
}

// Every environment has exactly one NAT gateway: the ALB controller and NVIDIA device plugin charts and their
// images come from public repositories, which no VPC endpoint reaches, so "no NAT" would not install.
export interface NetworkConfig {
  /** EKS needs subnets in at least two AZs; production spreads data replicas over three. Named, not counted:
   *  an account-agnostic stack would otherwise only ever see two. */
  readonly availabilityZones: readonly string[];
  /**
   * Interface endpoints (ECR, Secrets Manager, Bedrock, STS, logs) keep AWS API traffic off the NAT. Each costs
   * ~$7.30/month per AZ, so small environments pay NAT data instead. The S3 gateway endpoint is free and always on.
   */
  readonly interfaceEndpoints: boolean;
}

export interface ClusterConfig {
  /** On-demand nodes for controllers that must not be interrupted (CoreDNS, ALB controller, the operator). */
  readonly systemNodes: NodeGroupConfig;
  /** Spot nodes for tenant pods that ask for spot capacity. */
  readonly generalSpotNodes: NodeGroupConfig;
  /**
   * On-demand nodes for tenant pods that ask for on-demand capacity (the production profile): without it they
   * would compete with the controllers for the small system group, the only other on-demand capacity.
   */
  readonly generalOnDemandNodes?: NodeGroupConfig;
  /** g5 spot nodes for a self-hosted LLM; absent means no spot GPU group. */
  readonly gpuSpotNodes?: NodeGroupConfig;
  /** g5 on-demand nodes for a self-hosted LLM that asks for on-demand capacity (the production profile). */
  readonly gpuOnDemandNodes?: NodeGroupConfig;
}

export interface DataConfig {
  /** Standby/replica in a second AZ for Postgres, Redis and OpenSearch. */
  readonly multiAz: boolean;
  /** Deletion protection, and retain (rather than delete) the data when the stack is destroyed. */
  readonly protect: boolean;
  readonly postgres: {
    readonly instanceType: string;
    readonly allocatedStorageGiB: number;
    readonly backupRetentionDays: number;
    /** Rotating the master secret needs the rotation Lambda to reach Secrets Manager (NAT or endpoint). */
    readonly rotateMasterSecretDays?: number;
  };
  readonly redis: { readonly nodeType: string };
  readonly opensearch: { readonly instanceType: string; readonly volumeGiB: number };
}

export interface PlatformConfig {
  readonly name: EnvironmentName;
  /** Prices in the cost model are for us-east-1; other regions deploy fine but cost differently. */
  readonly region: string;
  readonly network: NetworkConfig;
  readonly cluster: ClusterConfig;
  readonly data: DataConfig;
  /** Bedrock model IDs tenant pods may invoke (least privilege: named models, not bedrock:*). */
  readonly bedrockModelIds: readonly string[];
  /** How long CloudWatch keeps control-plane and data-service logs. */
  readonly logRetention: RetentionDays;
}
