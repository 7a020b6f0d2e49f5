import { GPU_NODE_INSTANCE_TYPES } from '@sentiment/crds';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ENVIRONMENT_NAMES, type EnvironmentName, type PlatformConfig } from './environment.js';

const HAIKU = 'anthropic.claude-3-haiku-20240307-v1:0';

// Spot pools: several similar 2-vCPU/8-GiB x86 types so one exhausted pool does not stall scaling.
const GENERAL_SPOT_TYPES = ['m6i.large', 'm5.large', 'm6a.large', 'm5a.large'] as const;
// The GPU groups offer what the CRD's admission messages name (crds: GPU_NODE_INSTANCE_TYPES).
const GPU_TYPES = GPU_NODE_INSTANCE_TYPES;

const demo: PlatformConfig = {
  name: 'demo',
  region: 'us-east-1',
  network: { availabilityZones: ['us-east-1a', 'us-east-1b'], interfaceEndpoints: false },
  cluster: {
    systemNodes: { instanceTypes: ['t3.medium'], minSize: 1, desiredSize: 1, maxSize: 2 },
    // The demo profile runs tenants on Fargate: spot nodes appear only when a tenant asks for them.
    generalSpotNodes: { instanceTypes: GENERAL_SPOT_TYPES, minSize: 0, desiredSize: 0, maxSize: 3 },
    // Scales from zero: a demo pays for a GPU only while a self-hosted LLM is actually scheduled.
    gpuSpotNodes: { instanceTypes: GPU_TYPES, minSize: 0, desiredSize: 0, maxSize: 1 },
  },
  data: {
    multiAz: false,
    protect: false,
    postgres: { instanceType: 't4g.small', allocatedStorageGiB: 20, backupRetentionDays: 7 },
    redis: { nodeType: 'cache.t4g.micro' },
    opensearch: { instanceType: 't3.small.search', volumeGiB: 10 },
  },
  bedrockModelIds: [HAIKU],
  logRetention: RetentionDays.ONE_MONTH,
};

const production: PlatformConfig = {
  name: 'production',
  region: 'us-east-1',
  network: { availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'], interfaceEndpoints: true },
  cluster: {
    systemNodes: { instanceTypes: ['m6i.large'], minSize: 2, desiredSize: 2, maxSize: 3 },
    // The production profile places tenants on on-demand capacity; spot stays for tenants that choose it.
    generalOnDemandNodes: { instanceTypes: ['m6i.large'], minSize: 2, desiredSize: 3, maxSize: 10 },
    generalSpotNodes: { instanceTypes: GENERAL_SPOT_TYPES, minSize: 0, desiredSize: 0, maxSize: 10 },
    gpuSpotNodes: { instanceTypes: GPU_TYPES, minSize: 0, desiredSize: 0, maxSize: 2 },
    gpuOnDemandNodes: { instanceTypes: GPU_TYPES, minSize: 0, desiredSize: 0, maxSize: 2 },
  },
  data: {
    multiAz: true,
    protect: true,
    postgres: {
      instanceType: 't4g.small',
      allocatedStorageGiB: 50,
      backupRetentionDays: 14,
      rotateMasterSecretDays: 30,
    },
    redis: { nodeType: 'cache.t4g.micro' },
    opensearch: { instanceType: 't3.small.search', volumeGiB: 20 },
  },
  bedrockModelIds: [HAIKU],
  logRetention: RetentionDays.THREE_MONTHS,
};

// Smallest footprint that still runs the whole product: no GPU group, one spot node, single-AZ data.
const ultraLowCost: PlatformConfig = {
  name: 'ultra-low-cost',
  region: 'us-east-1',
  network: { availabilityZones: ['us-east-1a', 'us-east-1b'], interfaceEndpoints: false },
  cluster: {
    systemNodes: { instanceTypes: ['t3.medium'], minSize: 1, desiredSize: 1, maxSize: 1 },
    generalSpotNodes: {
      instanceTypes: ['t3.large', 't3a.large', 'm5.large'],
      minSize: 0,
      desiredSize: 1,
      maxSize: 2,
    },
  },
  data: {
    multiAz: false,
    protect: false,
    postgres: { instanceType: 't4g.micro', allocatedStorageGiB: 20, backupRetentionDays: 1 },
    redis: { nodeType: 'cache.t4g.micro' },
    opensearch: { instanceType: 't3.small.search', volumeGiB: 10 },
  },
  bedrockModelIds: [HAIKU],
  logRetention: RetentionDays.ONE_WEEK,
};

export const ENVIRONMENTS: Readonly<Record<EnvironmentName, PlatformConfig>> = {
  demo,
  production,
  'ultra-low-cost': ultraLowCost,
};

export function isEnvironmentName(value: unknown): value is EnvironmentName {
  return typeof value === 'string' && (ENVIRONMENT_NAMES as readonly string[]).includes(value);
}

/** The environment chosen with `-c env=<name>`; unknown names fail loudly instead of deploying demo by accident. */
export function environmentFromContext(value: unknown): PlatformConfig {
  if (value === undefined) return ENVIRONMENTS.demo;
  if (!isEnvironmentName(value)) {
    throw new Error(`unknown env '${String(value)}': expected one of ${ENVIRONMENT_NAMES.join(', ')}`);
  }
  return ENVIRONMENTS[value];
}
