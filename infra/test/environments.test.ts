import anyTest, { type TestFn } from 'ava';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { EnvironmentName } from '../src/config/environment.js';
import { ENVIRONMENT_NAMES } from '../src/config/environment.js';
import { environmentFromContext, ENVIRONMENTS } from '../src/config/environments.js';
import { LABELS, NODE_POOLS } from '@sentiment/crds';
import { PLATFORMS } from '@sentiment/operator';
import { resourcesOfType, synthesize, type Synthesized } from './support.js';

// The one file that synthesizes all three environments: it proves each one synthesizes, and that cdk-nag's
// AwsSolutions pack finds nothing left unexplained in any of them.
const test = anyTest as TestFn<Record<EnvironmentName, Synthesized>>;

test.before((t) => {
  t.context = Object.fromEntries(ENVIRONMENT_NAMES.map((env) => [env, synthesize(env)])) as Record<
    EnvironmentName,
    Synthesized
  >;
});

/** Every cdk-nag acknowledgement in the tree: rule ID → reasons given for it. */
function acknowledgements(root: IConstruct): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const visit = (node: IConstruct): void => {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [key, reason] of Object.entries(entry.data as Record<string, string>)) {
        const id = key.replace(/^annotation::/i, '');
        if (id.startsWith('AwsSolutions-')) found.set(id, [...(found.get(id) ?? []), reason]);
      }
    }
    node.node.children.forEach(visit);
  };
  visit(root);
  return found;
}

for (const env of ENVIRONMENT_NAMES) {
  test(`${env}: synthesizes six stacks with no unacknowledged AwsSolutions finding`, (t) => {
    const { app, stacks } = t.context[env];
    t.is(Object.keys(stacks).length, 6);
    const report = new AwsSolutionsChecks().validateScope(app);
    const findings = report.violations.flatMap((v) =>
      v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? '?'}`),
    );
    t.deepEqual(findings, []);
  });

  test(`${env}: every acknowledgement carries a reason`, (t) => {
    const acks = acknowledgements(t.context[env].app);
    t.true(acks.size > 0);
    for (const [id, reasons] of acks) {
      for (const reason of reasons) t.true(reason.trim().length >= 40, `${id}: "${reason}"`);
    }
    t.log(`${acks.size} distinct finding IDs acknowledged`);
  });
}

test('with an account, as `cdk deploy` synthesizes (CDK_DEFAULT_ACCOUNT): still no unacknowledged finding', (t) => {
  // Account IDs then appear literally in finding IDs, where they read <AWS::AccountId> without one.
  const before = process.env.CDK_DEFAULT_ACCOUNT;
  process.env.CDK_DEFAULT_ACCOUNT = '123456789012';
  try {
    const { app } = synthesize('demo');
    const report = new AwsSolutionsChecks().validateScope(app);
    t.deepEqual(
      report.violations.flatMap((v) =>
        v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath ?? '?'}`),
      ),
      [],
    );
  } finally {
    if (before === undefined) delete process.env.CDK_DEFAULT_ACCOUNT;
    else process.env.CDK_DEFAULT_ACCOUNT = before;
  }
});

test('environments differ where they should: GPU group, interface endpoints, multi-AZ data', (t) => {
  const count = (env: EnvironmentName, stack: keyof Synthesized['stacks'], type: string): number => {
    const s = t.context[env];
    return Object.keys(s.template(s.stacks[stack]).findResources(type)).length;
  };
  t.is(count('demo', 'cluster', 'AWS::EKS::Nodegroup'), 3);
  t.is(count('ultra-low-cost', 'cluster', 'AWS::EKS::Nodegroup'), 2, 'no GPU group');
  t.is(count('production', 'network', 'AWS::EC2::VPCEndpoint'), 7, 'S3 gateway + 6 interface endpoints');
  t.is(count('demo', 'network', 'AWS::EC2::VPCEndpoint'), 1, 'S3 gateway only');
  t.is(count('production', 'network', 'AWS::EC2::NatGateway'), 1);
  t.is(count('production', 'network', 'AWS::EC2::Subnet'), 9, '3 AZs × public/workloads/data');
  t.is(count('ultra-low-cost', 'network', 'AWS::EC2::Subnet'), 6);
});

test('the environment comes from context; unknown names are refused', (t) => {
  t.is(environmentFromContext(undefined), ENVIRONMENTS.demo);
  t.is(environmentFromContext('production'), ENVIRONMENTS.production);
  t.throws(() => environmentFromContext('prod'), { message: /unknown env 'prod'/ });
});

// The cost model (operator/src/cost/platform.ts) prices what each environment runs; it may not import the
// infra, so this holds the two together: every figure it prices is read back from the synthesized templates.
for (const env of ENVIRONMENT_NAMES) {
  test(`${env}: the cost model prices what the CDK app creates`, (t) => {
    const s = t.context[env];
    const sizing = PLATFORMS[env];
    const of = (stack: keyof Synthesized['stacks'], type: string) =>
      resourcesOfType(s.template(s.stacks[stack]), type).map((r) => r.Properties ?? {});
    const [db] = of('data', 'AWS::RDS::DBInstance');
    t.is(db!.DBInstanceClass, sizing.postgres.instanceClass);
    t.is(Number(db!.AllocatedStorage), sizing.postgres.storageGiB);
    t.is(db!.MultiAZ, sizing.postgres.multiAz);
    const [redis] = of('data', 'AWS::ElastiCache::ReplicationGroup');
    t.is(redis!.CacheNodeType, sizing.redis.nodeType);
    t.is(redis!.NumCacheClusters, sizing.redis.nodes);
    const [search] = of('data', 'AWS::OpenSearchService::Domain');
    const cluster = search!.ClusterConfig as { InstanceType: string; InstanceCount: number };
    t.is(cluster.InstanceType, sizing.opensearch.instanceType);
    t.is(cluster.InstanceCount, sizing.opensearch.nodes);
    t.is((search!.EBSOptions as { VolumeSize: number }).VolumeSize, sizing.opensearch.volumeGiB);
    const groups = of('cluster', 'AWS::EKS::Nodegroup') as {
      Labels?: Record<string, string>;
      InstanceTypes: string[];
      ScalingConfig: { DesiredSize: number };
      DiskSize?: number;
    }[];
    const system = groups.find((g) => g.Labels?.[LABELS.nodePool] === NODE_POOLS.system)!;
    t.deepEqual(system.InstanceTypes, [sizing.systemNodes.instanceType]);
    t.is(system.ScalingConfig.DesiredSize, sizing.systemNodes.count);
    // A managed node group's root volume is 20 GiB unless DiskSize says otherwise.
    t.is(system.DiskSize ?? 20, sizing.systemNodes.diskGiB);
    // A GPU node's root volume (its launch template's): the size and throughput the cost model prices.
    const templates = of('cluster', 'AWS::EC2::LaunchTemplate') as {
      LaunchTemplateData: {
        BlockDeviceMappings: { DeviceName: string; Ebs: Record<string, unknown> }[];
      };
    }[];
    const gpuGroups = groups.filter((g) => g.Labels?.[LABELS.nodePool] === NODE_POOLS.gpu);
    t.is(templates.length, gpuGroups.length);
    for (const gpu of gpuGroups) t.is(gpu.DiskSize, undefined, 'the size is the launch template’s');
    for (const lt of templates)
      t.like(lt.LaunchTemplateData.BlockDeviceMappings[0], {
        DeviceName: '/dev/xvda',
        Ebs: {
          VolumeType: 'gp3',
          VolumeSize: sizing.gpuNodeDiskGiB,
          Throughput: sizing.gpuNodeDiskThroughputMiBps,
          Encrypted: true,
        },
      });
    t.is(of('network', 'AWS::EC2::NatGateway').length, sizing.natGateways);
    t.is(
      of('network', 'AWS::EC2::VPCEndpoint').filter((e) => e.VpcEndpointType === 'Interface').length,
      sizing.interfaceEndpoints,
    );
    t.is(ENVIRONMENTS[env].network.availabilityZones.length, sizing.availabilityZones);
  });
}
