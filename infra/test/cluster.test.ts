import {
  FARGATE_CAPACITY_VALUE,
  GPU_TAINT,
  LABELS,
  NODE_POOLS,
  SYSTEM_NAMESPACE,
  TENANT_NAMESPACE_GLOB,
  tenantIdentity,
} from '@sentiment/crds';
import anyTest, { type TestFn } from 'ava';
import { Match } from 'aws-cdk-lib/assertions';
import { CLUSTER_AUTOSCALER_PRIORITIES, GPU_ROOT_VOLUME } from '../src/stacks/cluster.js';
import { TENANT_REDIS_USER_IDS } from '../src/stacks/operator-install.js';
import { hasResource, resourcesOfType, synthesize, type Synthesized } from './support.js';

const test = anyTest as TestFn<Synthesized>;

test.before((t) => {
  t.context = synthesize('demo');
});

const nodegroup = (s: Synthesized, pool: string): Record<string, unknown> => {
  const groups = resourcesOfType(s.template(s.stacks.cluster), 'AWS::EKS::Nodegroup');
  const group = groups.find(
    (g) => (g.Properties?.Labels as Record<string, string>)[LABELS.nodePool] === pool,
  );
  if (!group?.Properties) throw new Error(`no node group labelled ${pool}`);
  return group.Properties;
};

test('Fargate profile selects exactly the pods the operator labels for Fargate', (t) => {
  const profiles = resourcesOfType(
    t.context.template(t.context.stacks.cluster),
    'Custom::AWSCDK-EKS-FargateProfile',
  );
  t.is(profiles.length, 1);
  const config = profiles[0]?.Properties?.Config as { selectors: unknown };
  t.deepEqual(config.selectors, [
    { namespace: TENANT_NAMESPACE_GLOB, labels: { [LABELS.capacity]: FARGATE_CAPACITY_VALUE } },
  ]);
});

test('system nodes are on-demand, general nodes are spot over several instance types', (t) => {
  const system = nodegroup(t.context, NODE_POOLS.system);
  t.is(system.CapacityType, 'ON_DEMAND');
  const general = nodegroup(t.context, NODE_POOLS.general);
  t.is(general.CapacityType, 'SPOT');
  t.true(
    (general.InstanceTypes as string[]).length >= 3,
    'several pools lower the chance of spot interruptions',
  );
  for (const g of [system, general]) t.is(g.AmiType, 'AL2023_x86_64_STANDARD');
});

test('GPU nodes are g5 spot with the NVIDIA AMI and the nvidia.com/gpu taint', (t) => {
  const gpu = nodegroup(t.context, NODE_POOLS.gpu);
  t.is(gpu.CapacityType, 'SPOT');
  t.is(gpu.AmiType, 'AL2023_x86_64_NVIDIA');
  t.true((gpu.InstanceTypes as string[]).every((type) => type.startsWith('g5.')));
  t.deepEqual(gpu.Taints, [{ Key: GPU_TAINT.key, Value: GPU_TAINT.value, Effect: 'NO_SCHEDULE' }]);
  t.is((gpu.ScalingConfig as { MinSize: number }).MinSize, 0, 'scales from zero');
});

test("GPU nodes' root volume: their own launch template, gp3 with the throughput the model copy needs; IMDSv2, one hop", (t) => {
  const gpu = nodegroup(t.context, NODE_POOLS.gpu);
  const [template, ...others] = resourcesOfType(
    t.context.template(t.context.stacks.cluster),
    'AWS::EC2::LaunchTemplate',
  );
  t.is(others.length, 0, 'the other groups keep EKS defaults');
  const ref = gpu.LaunchTemplate as { Id: { Ref: string }; Version: unknown };
  const data = template!.Properties!.LaunchTemplateData as {
    BlockDeviceMappings: unknown[];
    MetadataOptions: Record<string, unknown>;
    ImageId?: string;
    UserData?: string;
  };
  t.truthy(ref.Id.Ref, 'the group names the template');
  t.deepEqual(data.BlockDeviceMappings, [
    {
      DeviceName: '/dev/xvda',
      Ebs: {
        DeleteOnTermination: true,
        Encrypted: true,
        Iops: GPU_ROOT_VOLUME.iops,
        Throughput: GPU_ROOT_VOLUME.throughputMiBps,
        VolumeSize: GPU_ROOT_VOLUME.sizeGiB,
        VolumeType: 'gp3',
      },
    },
  ]);
  t.like(data.MetadataOptions, { HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
  // EKS keeps choosing the AMI (the group's amiType) and bootstrapping the node.
  t.is(data.ImageId, undefined);
  t.is(data.UserData, undefined);
  t.is(gpu.AmiType, 'AL2023_x86_64_NVIDIA');
  t.is(gpu.DiskSize, undefined);
});

test('NVIDIA device plugin chart targets the GPU nodes and tolerates their taint', (t) => {
  const charts = resourcesOfType(
    t.context.template(t.context.stacks.cluster),
    'Custom::AWSCDK-EKS-HelmChart',
  );
  const plugin = charts.find((c) => c.Properties?.Chart === 'nvidia-device-plugin');
  if (!plugin?.Properties) return t.fail('device plugin chart missing');
  t.is(plugin.Properties.Repository, 'https://nvidia.github.io/k8s-device-plugin');
  t.truthy(plugin.Properties.Version, 'pinned version');
  const values = JSON.parse(plugin.Properties.Values as string) as {
    nodeSelector: Record<string, string>;
    tolerations: { key: string; effect: string }[];
  };
  t.deepEqual(values.nodeSelector, { [LABELS.nodePool]: NODE_POOLS.gpu });
  t.true(values.tolerations.some((tol) => tol.key === GPU_TAINT.key && tol.effect === GPU_TAINT.effect));
});

test('EKS 1.31 with a private API endpoint, encrypted secrets, full control-plane logging, kubectl v31 layer', (t) => {
  const template = t.context.template(t.context.stacks.cluster);
  hasResource(t, template, 'Custom::AWSCDK-EKS-Cluster', {
    Config: Match.objectLike({
      version: '1.31',
      resourcesVpcConfig: Match.objectLike({ endpointPublicAccess: false, endpointPrivateAccess: true }),
      encryptionConfig: [Match.objectLike({ resources: ['secrets'] })],
      logging: {
        clusterLogging: [
          { enabled: true, types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'] },
        ],
      },
    }),
  });
  hasResource(t, template, 'AWS::KMS::Key', { EnableKeyRotation: true });
  hasResource(t, template, 'AWS::Lambda::LayerVersion', {
    Description: Match.stringLikeRegexp('kubectl'),
  });
  hasResource(t, template, 'Custom::AWSCDK-EKS-HelmChart', { Chart: 'aws-load-balancer-controller' });
});

test('add-ons the operator relies on: VPC CNI enforcing NetworkPolicies, metrics-server for the HPAs', (t) => {
  const template = t.context.template(t.context.stacks.cluster);
  const addons = resourcesOfType(template, 'AWS::EKS::Addon').map((a) => a.Properties ?? {});
  const vpcCni = addons.find((a) => a.AddonName === 'vpc-cni');
  t.deepEqual(JSON.parse(vpcCni?.ConfigurationValues as string), { enableNetworkPolicy: 'true' });
  t.truthy(
    addons.find((a) => a.AddonName === 'metrics-server'),
    'metrics-server',
  );
  // The rest the synth assumes is there too: the ALB controller (Ingress class alb) and the autoscaler.
  t.true(
    resourcesOfType(template, 'Custom::AWSCDK-EKS-HelmChart').some((c) =>
      /aws-load-balancer-controller/.test(JSON.stringify(c.Properties)),
    ),
  );
});

test('Cluster Autoscaler may resize only node groups of this cluster', (t) => {
  const template = t.context.template(t.context.stacks.cluster);
  hasResource(t, template, 'Custom::AWSCDK-EKS-HelmChart', {
    Chart: 'cluster-autoscaler',
    Values: Match.objectLike({
      'Fn::Join': Match.arrayWith([Match.arrayWith([Match.stringLikeRegexp('autoDiscovery')])]),
    }),
  });
  hasResource(t, template, 'AWS::IAM::Policy', {
    PolicyDocument: Match.objectLike({
      Statement: Match.arrayWith([
        Match.objectLike({
          Action: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
          Condition: {
            StringEquals: { 'aws:ResourceTag/eks:cluster-name': { Ref: Match.stringLikeRegexp('^Cluster') } },
          },
        }),
      ]),
    }),
  });
});

test('tenant pods get Bedrock through IRSA: tenant namespaces only, named models only', (t) => {
  const template = t.context.template(t.context.stacks.cluster);
  // Every IRSA subject the cluster stack trusts: two controllers, and the tenant namespaces' glob.
  const subjects = JSON.stringify(template.findResources('Custom::AWSCDKCfnJson')).match(
    /system:serviceaccount:[^"\\]+/g,
  );
  t.deepEqual(subjects?.sort(), [
    'system:serviceaccount:kube-system:aws-load-balancer-controller',
    'system:serviceaccount:kube-system:cluster-autoscaler',
    `system:serviceaccount:${TENANT_NAMESPACE_GLOB}:*`,
  ]);
  const policies = resourcesOfType(template, 'AWS::IAM::Policy').filter((p) =>
    JSON.stringify(p).includes('bedrock:'),
  );
  t.is(policies.length, 1);
  const statements = (
    policies[0]?.Properties?.PolicyDocument as { Statement: { Action: string[]; Resource: unknown }[] }
  ).Statement;
  t.deepEqual(
    statements.map((s) => s.Action),
    [['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']],
  );
  const resources = JSON.stringify(statements[0]?.Resource);
  t.true(resources.includes('foundation-model/anthropic.claude-3-haiku-20240307-v1:0'));
  t.false(resources.includes('"*"'));
});

test('operator chart is installed from the chart asset with an IRSA ServiceAccount: data secrets, tenant ElastiCache users, backup roles', (t) => {
  const template = t.context.template(t.context.stacks.operator);
  const chart = resourcesOfType(template, 'Custom::AWSCDK-EKS-HelmChart')[0]?.Properties;
  if (!chart) return t.fail('operator chart missing');
  t.is(chart.Release, 'sentiment-operator');
  t.is(chart.Namespace, SYSTEM_NAMESPACE);
  t.regex(JSON.stringify(chart.ChartAssetURL), /s3:\/\/.*\.zip/);
  t.regex(JSON.stringify(chart.Values), /\\"serviceAccount\\":\{\\"create\\":false/);
  // The dashboard's CloudFront address, so every tenant API allows it (CORS): a reference to the Frontend stack.
  const values = JSON.stringify(chart.Values);
  t.regex(values, /\\"dashboardOrigin\\":\\"https:\/\/",\{"Fn::ImportValue":"[^"]*Frontend[^"]*"\}/);
  // The operator runs on the system group's on-demand nodes, never on the spot nodes tenants use.
  t.regex(values, /\\"nodeSelector\\":\{\\"sentiment\.analytics\.dev\/node-pool\\":\\"system\\"\}/);
  hasResource(t, template, 'AWS::IAM::Role', {
    AssumeRolePolicyDocument: Match.objectLike({
      Statement: [Match.objectLike({ Action: 'sts:AssumeRoleWithWebIdentity' })],
    }),
  });
  const statements = resourcesOfType(template, 'AWS::IAM::Policy').flatMap(
    (p) =>
      (p.Properties?.PolicyDocument as { Statement: { Sid?: string; Action: string[]; Resource: unknown }[] })
        .Statement,
  );
  const secrets = statements.filter((s) => s.Sid === undefined);
  t.is(secrets.length, 3, 'one statement per data secret');
  for (const s of secrets)
    t.deepEqual(s.Action, ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']);
  // ElastiCache: only users whose ID is a tenant's, and the one user group.
  const users = statements.find((s) => s.Sid === 'TenantRedisUsers');
  const group = statements.find((s) => s.Sid === 'TenantRedisUserGroup');
  t.deepEqual(users?.Action, [
    'elasticache:CreateUser',
    'elasticache:ModifyUser',
    'elasticache:DeleteUser',
    'elasticache:DescribeUsers',
  ]);
  t.deepEqual(group?.Action, ['elasticache:ModifyUserGroup', 'elasticache:DescribeUserGroups']);
  // And the two on the tenant backup roles (tenant-backups.test.ts).
  t.deepEqual(
    statements.map((s) => s.Sid).filter((sid) => sid?.startsWith('TenantBackupRoles')),
    ['TenantBackupRolesBounded', 'TenantBackupRoles'],
  );
  t.is(statements.length, 7);
  const userArn = JSON.stringify(users?.Resource);
  t.regex(userArn, /:user:t-\*"/);
  const tenantUserId = tenantIdentity('tenant-acme', 'acme').elastiCacheUserId;
  t.true(new RegExp(`^${TENANT_REDIS_USER_IDS.replace('*', '.*')}$`).test(tenantUserId), tenantUserId);
  for (const own of ['sentiment-demo-default', 'sentiment-demo-operator'])
    t.false(new RegExp(`^${TENANT_REDIS_USER_IDS.replace('*', '.*')}$`).test(own), own);
  t.regex(JSON.stringify(group?.Resource), /RedisUsers/);
  t.regex(values, /\\"userGroupId\\":/);
});

test("spot first: the autoscaler's priority expander ranks every spot group's Auto Scaling group above the others", (t) => {
  const template = t.context.template(t.context.stacks.cluster);
  const chart = resourcesOfType(template, 'Custom::AWSCDK-EKS-HelmChart').find((c) =>
    /cluster-autoscaler/.test(JSON.stringify(c.Properties?.Chart)),
  )!;
  const values = JSON.stringify(chart.Properties?.Values);
  t.regex(values, /\\"expander\\":\\"priority\\"/);
  t.true(values.includes(JSON.stringify(JSON.stringify(CLUSTER_AUTOSCALER_PRIORITIES)).slice(1, -1)));
  // EKS names a managed node group's Auto Scaling group eks-<node group name>-<id>.
  const priority = (asg: string) =>
    Math.max(
      ...Object.entries(CLUSTER_AUTOSCALER_PRIORITIES)
        .filter(([, patterns]) => patterns.some((p) => new RegExp(p).test(asg)))
        .map(([p]) => Number(p)),
    );
  const groups = resourcesOfType(template, 'AWS::EKS::Nodegroup').map((g) => g.Properties!);
  t.true(groups.length >= 3);
  for (const g of groups) {
    const asg = `eks-${g.NodegroupName as string}-a1b2c3d4-0000-1111-2222-333344445555`;
    t.is(priority(asg), g.CapacityType === 'SPOT' ? 50 : 10, asg);
  }
  t.deepEqual(groups.map((g) => g.NodegroupName).sort(), ['general-spot', 'gpu-spot', 'system-on-demand']);
});
