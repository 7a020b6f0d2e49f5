// What the shared platform runs, per environment, in the terms the cost model prices. It mirrors
// infra/src/config/environments.ts (the operator may not import infra): infra/test/environments.test.ts
// reads every figure back from the synthesized templates, so the two cannot drift apart unnoticed.
import type { Profile } from '@sentiment/crds';

export interface PlatformSizing {
  readonly name: Profile;
  readonly availabilityZones: number;
  readonly natGateways: number;
  /** Interface endpoint services (each billed per AZ); 0 when AWS API traffic goes through the NAT. */
  readonly interfaceEndpoints: number;
  /** Always-on on-demand nodes for controllers (CoreDNS, load-balancer controller, autoscaler, operator). */
  readonly systemNodes: { readonly instanceType: string; readonly count: number; readonly diskGiB: number };
  /** Node types that price a pod placed on spot or on-demand capacity (its share of one node). */
  readonly spotNodeType: string;
  readonly onDemandNodeType: string;
  /**
   * Root volume of a GPU node (gp3): the self-hosted model is copied onto it at every start, so its write
   * throughput is part of the start time (docs/operator.md, "Model cache").
   */
  readonly gpuNodeDiskGiB: number;
  readonly gpuNodeDiskThroughputMiBps: number;
  readonly postgres: {
    readonly instanceClass: string;
    readonly storageGiB: number;
    readonly multiAz: boolean;
  };
  readonly redis: { readonly nodeType: string; readonly nodes: number };
  readonly opensearch: { readonly instanceType: string; readonly nodes: number; readonly volumeGiB: number };
}

export const PLATFORMS: Readonly<Record<Profile, PlatformSizing>> = {
  demo: {
    name: 'demo',
    availabilityZones: 2,
    natGateways: 1,
    interfaceEndpoints: 0,
    systemNodes: { instanceType: 't3.medium', count: 1, diskGiB: 20 },
    spotNodeType: 'm6i.large',
    onDemandNodeType: 't3.medium',
    gpuNodeDiskGiB: 100,
    gpuNodeDiskThroughputMiBps: 500,
    postgres: { instanceClass: 'db.t4g.small', storageGiB: 20, multiAz: false },
    redis: { nodeType: 'cache.t4g.micro', nodes: 1 },
    opensearch: { instanceType: 't3.small.search', nodes: 1, volumeGiB: 10 },
  },
  production: {
    name: 'production',
    availabilityZones: 3,
    natGateways: 1,
    interfaceEndpoints: 6,
    systemNodes: { instanceType: 'm6i.large', count: 2, diskGiB: 20 },
    spotNodeType: 'm6i.large',
    onDemandNodeType: 'm6i.large',
    gpuNodeDiskGiB: 100,
    gpuNodeDiskThroughputMiBps: 500,
    postgres: { instanceClass: 'db.t4g.small', storageGiB: 50, multiAz: true },
    redis: { nodeType: 'cache.t4g.micro', nodes: 2 },
    opensearch: { instanceType: 't3.small.search', nodes: 2, volumeGiB: 20 },
  },
  'ultra-low-cost': {
    name: 'ultra-low-cost',
    availabilityZones: 2,
    natGateways: 1,
    interfaceEndpoints: 0,
    systemNodes: { instanceType: 't3.medium', count: 1, diskGiB: 20 },
    spotNodeType: 't3.large',
    onDemandNodeType: 't3.medium',
    gpuNodeDiskGiB: 100,
    gpuNodeDiskThroughputMiBps: 500,
    postgres: { instanceClass: 'db.t4g.micro', storageGiB: 20, multiAz: false },
    redis: { nodeType: 'cache.t4g.micro', nodes: 1 },
    opensearch: { instanceType: 't3.small.search', nodes: 1, volumeGiB: 10 },
  },
};
