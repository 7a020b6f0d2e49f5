import { KubectlV31Layer } from '@aws-cdk/lambda-layer-kubectl-v31';
import {
  FARGATE_CAPACITY_VALUE,
  GPU_TAINT,
  LABELS,
  NODE_POOLS,
  TENANT_NAMESPACE_GLOB,
} from '@sentiment/crds';
import { CfnJson, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { NodeGroupConfig, PlatformConfig } from '../config/environment.js';
import {
  acknowledge,
  CDK_HANDLER_REASON,
  LAMBDA_BASIC_EXECUTION,
  LAMBDA_VPC_EXECUTION,
  managedPolicy,
  nagPseudo,
  wildcard,
} from '../nag.js';
import { SUBNETS } from './network.js';

export interface ClusterStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly vpc: ec2.IVpc;
}

/** Pinned so that a CDK upgrade never moves the device plugin under running GPU pods. */
const NVIDIA_DEVICE_PLUGIN_CHART_VERSION = '0.17.0';
/**
 * A GPU node's root volume: a self-hosted model is copied onto it from S3 at every LLM pod start (the model
 * cache), so its write throughput is part of a spot replacement's start time. EKS's default volume (gp2 at
 * 100 GiB: at most 128 MiB/s) would hold a 16 GB model's copy to about two minutes; gp3 at 500 MiB/s takes
 * about 31 s, within what 3,000 IOPS carry at gp3's 256 KiB I/O size. The cost model prices both figures
 * (operator/src/cost/platform.ts; infra/test/environments.test.ts reads them back).
 */
export const GPU_ROOT_VOLUME = { sizeGiB: 100, throughputMiBps: 500, iops: 3000 } as const;
/** Cluster Autoscaler minor must equal the Kubernetes minor (1.31). */
const CLUSTER_AUTOSCALER = { chart: '9.43.2', image: 'v1.31.1' } as const;

/** A node group's name: its pool and capacity, e.g. gpu-spot (unique per cluster, as EKS requires). */
export const nodegroupName = (pool: string, capacityType: eks.CapacityType): string =>
  `${pool}-${capacityType === eks.CapacityType.SPOT ? 'spot' : 'on-demand'}`;

/**
 * The priority expander's table (higher wins), by Auto Scaling group name (EKS names them eks-<node group>-<id>):
 * spot groups first, any other after. Without it the expander would silently fall back to random.
 */
export const CLUSTER_AUTOSCALER_PRIORITIES = { '50': ['^eks-[a-z]+-spot-.*'], '10': ['.*'] } as const;

export class ClusterStack extends Stack {
  readonly cluster: eks.Cluster;
  /** IRSA role that tenant pods assume to call Bedrock; the operator annotates tenant ServiceAccounts with it. */
  readonly tenantBedrockRole: iam.Role;

  constructor(scope: Construct, id: string, props: ClusterStackProps) {
    super(scope, id, props);
    const { config, vpc } = props;
    const workloadSubnets: ec2.SubnetSelection = { subnetGroupName: SUBNETS.workloads };

    const secretsKey = new kms.Key(this, 'SecretsKey', {
      description: 'Envelope encryption of Kubernetes Secrets in etcd',
      enableKeyRotation: true,
    });

    this.cluster = new eks.Cluster(this, 'Cluster', {
      version: eks.KubernetesVersion.V1_31,
      kubectlLayer: new KubectlV31Layer(this, 'KubectlLayer'),
      vpc,
      vpcSubnets: [workloadSubnets],
      // Private API endpoint: kubectl, Argo CD and CI reach it from inside the VPC (or over VPN/SSM), never
      // from the internet. CDK then runs its kubectl handler inside the VPC as well.
      endpointAccess: eks.EndpointAccess.PRIVATE,
      // Capacity comes from the explicit node groups and Fargate profile below, not CDK's default group.
      defaultCapacity: 0,
      secretsEncryptionKey: secretsKey,
      authenticationMode: eks.AuthenticationMode.API_AND_CONFIG_MAP,
      clusterLogging: [
        eks.ClusterLoggingTypes.API,
        eks.ClusterLoggingTypes.AUDIT,
        eks.ClusterLoggingTypes.AUTHENTICATOR,
        eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
        eks.ClusterLoggingTypes.SCHEDULER,
      ],
      albController: { version: eks.AlbControllerVersion.V2_13_4 },
    });

    // The contract with the operator: pods it labels `capacity=fargate` in a tenant namespace run on Fargate.
    this.cluster.addFargateProfile('TenantFargate', {
      selectors: [
        { namespace: TENANT_NAMESPACE_GLOB, labels: { [LABELS.capacity]: FARGATE_CAPACITY_VALUE } },
      ],
      subnetSelection: workloadSubnets,
    });

    this.addNodeGroup('System', config.cluster.systemNodes, eks.CapacityType.ON_DEMAND, NODE_POOLS.system);
    this.addNodeGroup(
      'GeneralSpot',
      config.cluster.generalSpotNodes,
      eks.CapacityType.SPOT,
      NODE_POOLS.general,
    );
    const { generalOnDemandNodes, gpuSpotNodes, gpuOnDemandNodes } = config.cluster;
    if (generalOnDemandNodes)
      this.addNodeGroup(
        'GeneralOnDemand',
        generalOnDemandNodes,
        eks.CapacityType.ON_DEMAND,
        NODE_POOLS.general,
      );
    if (gpuSpotNodes) this.addGpuNodes('GpuSpot', gpuSpotNodes, eks.CapacityType.SPOT);
    if (gpuOnDemandNodes) this.addGpuNodes('GpuOnDemand', gpuOnDemandNodes, eks.CapacityType.ON_DEMAND);
    if (gpuSpotNodes || gpuOnDemandNodes) this.addNvidiaDevicePlugin();

    this.addClusterAutoscaler(config);
    this.addAddons();
    this.tenantBedrockRole = this.createTenantBedrockRole(config);

    new CfnOutput(this, 'ClusterName', { value: this.cluster.clusterName });
    new CfnOutput(this, 'TenantBedrockRoleArn', { value: this.tenantBedrockRole.roleArn });
    this.acknowledgeNagFindings(config);
  }

  private acknowledgeNagFindings(config: PlatformConfig): void {
    acknowledge(this.cluster, {
      ids: [
        managedPolicy('AmazonEKSClusterPolicy'),
        managedPolicy('AmazonEKSWorkerNodePolicy'),
        managedPolicy('AmazonEKS_CNI_Policy'),
        managedPolicy('AmazonEC2ContainerRegistryReadOnly'),
        managedPolicy('AmazonEKSFargatePodExecutionRolePolicy'),
      ],
      reason:
        'The cluster, node and Fargate pod-execution roles use the AWS managed policies EKS documents for them; ' +
        'AWS updates them in step with the control plane, a hand-copied policy would drift.',
    });
    acknowledge(this.cluster.node.findChild('KubectlHandlerRole'), {
      ids: [
        LAMBDA_BASIC_EXECUTION,
        LAMBDA_VPC_EXECUTION,
        managedPolicy('AmazonEC2ContainerRegistryPullOnly'),
        // CDK attaches the public-ECR policy conditionally (regions with ECR Public); cdk-nag prints the condition.
        'AwsSolutions-IAM4[Policy::{"Fn::If":["ClusterHasEcrPublic8EE1114E",{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly"]]},{"Ref":"AWS::NoValue"}]}]',
        wildcard('Action', 's3:GetObject*'),
        wildcard('Action', 's3:GetBucket*'),
        wildcard('Action', 's3:List*'),
        wildcard(
          'Resource',
          `arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${nagPseudo(this.account, 'AccountId')}-${config.region}/*`,
        ),
      ],
      reason:
        "The kubectl handler role (CDK) reads Helm chart assets from the CDK bootstrap bucket's objects and " +
        'runs in the VPC (private API endpoint); the grants are limited to that bucket.',
    });
    acknowledge(this.cluster.node.findChild('Resource'), {
      ids: [wildcard('Resource', '*')],
      reason:
        'The cluster creation role (CDK) needs EC2/IAM describe and pass-role calls whose resources are not known ' +
        'before the cluster exists.',
    });
    acknowledge(this.cluster.node.findChild('ClusterAutoscalerSa'), {
      ids: [wildcard('Resource', '*')],
      reason:
        'Cluster Autoscaler: Describe* calls have no resource scope; SetDesiredCapacity/Terminate are conditioned ' +
        "on the eks:cluster-name tag, so only this cluster's node groups can be changed.",
    });

    for (const provider of [
      '@aws-cdk--aws-eks.ClusterResourceProvider',
      '@aws-cdk--aws-eks.KubectlProvider',
    ]) {
      // findChild throws if CDK renames its providers: the acknowledgements must then be revisited, not skipped.
      acknowledge(this.node.findChild(provider), {
        ids: [
          LAMBDA_BASIC_EXECUTION,
          LAMBDA_VPC_EXECUTION,
          'AwsSolutions-L1',
          'AwsSolutions-SF1',
          'AwsSolutions-SF2',
          ...[
            'OnEventHandler42BEBAE0',
            'IsCompleteHandler7073F4DA',
            'ProviderframeworkisComplete26D7B0CB',
            'ProviderframeworkonTimeout0B47CA38',
            'Handler886CB40B',
          ].map((fn) => wildcard('Resource', `<${fn}.Arn>:*`)),
        ],
        reason: CDK_HANDLER_REASON,
      });
    }

    const alb = this.cluster.albController;
    if (!alb) throw new Error('the cluster is configured with an ALB controller');
    acknowledge(alb, {
      ids: [
        wildcard('Resource', '*'),
        ...[
          'ec2:*:*:security-group/*',
          'elasticloadbalancing:*:*:targetgroup/*/*',
          'elasticloadbalancing:*:*:loadbalancer/net/*/*',
          'elasticloadbalancing:*:*:loadbalancer/app/*/*',
          'elasticloadbalancing:*:*:listener/net/*/*/*',
          'elasticloadbalancing:*:*:listener/app/*/*/*',
          'elasticloadbalancing:*:*:listener-rule/net/*/*/*',
          'elasticloadbalancing:*:*:listener-rule/app/*/*/*',
        ].map((arn) => wildcard('Resource', `arn:<AWS::Partition>:${arn}`)),
      ],
      reason:
        'The IAM policy published by the AWS Load Balancer Controller project (bundled by CDK): the load ' +
        'balancers it manages are created at run time, so their ARNs cannot be listed; mutations are ' +
        'conditioned on the elbv2.k8s.aws/cluster tag.',
    });
  }

  private addNodeGroup(
    id: string,
    nodes: NodeGroupConfig,
    capacityType: eks.CapacityType,
    pool: string,
    extra: Partial<eks.NodegroupOptions> = {},
  ): eks.Nodegroup {
    return this.cluster.addNodegroupCapacity(id, {
      // The name (and so the Auto Scaling group's, eks-<name>-<id>) says pool and capacity: the cluster
      // autoscaler's priority expander grows spot groups first by it (CLUSTER_AUTOSCALER_PRIORITIES).
      nodegroupName: nodegroupName(pool, capacityType),
      capacityType,
      instanceTypes: nodes.instanceTypes.map((t) => new ec2.InstanceType(t)),
      minSize: nodes.minSize,
      desiredSize: nodes.desiredSize,
      maxSize: nodes.maxSize,
      subnets: { subnetGroupName: SUBNETS.workloads },
      // CDK's default is AL2, which EKS stops publishing AMIs for after 1.32; AL2023 keeps upgrades open.
      amiType: eks.NodegroupAmiType.AL2023_X86_64_STANDARD,
      ...extra,
      labels: { [LABELS.nodePool]: pool, ...extra.labels },
    });
  }

  private addGpuNodes(id: string, nodes: NodeGroupConfig, capacityType: eks.CapacityType): void {
    // A launch template only for the root volume (EKS still picks the AMI and bootstraps the node); IMDSv2
    // with one hop keeps pods off the node's instance role.
    const template = new ec2.LaunchTemplate(this, `${id}LaunchTemplate`, {
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(GPU_ROOT_VOLUME.sizeGiB, {
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            throughput: GPU_ROOT_VOLUME.throughputMiBps,
            iops: GPU_ROOT_VOLUME.iops,
            encrypted: true,
            deleteOnTermination: true,
          }),
        },
      ],
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
    });
    this.addNodeGroup(id, nodes, capacityType, NODE_POOLS.gpu, {
      // AL2023 NVIDIA AMI ships the driver and container toolkit; the device plugin below advertises the GPUs.
      amiType: eks.NodegroupAmiType.AL2023_X86_64_NVIDIA,
      launchTemplateSpec: { id: template.launchTemplateId!, version: template.latestVersionNumber },
      // Only pods that tolerate the taint (and request nvidia.com/gpu) land on these expensive nodes.
      taints: [{ key: GPU_TAINT.key, value: GPU_TAINT.value, effect: eks.TaintEffect.NO_SCHEDULE }],
      // `nvidia.com/gpu.present` is what the device-plugin chart's default node affinity looks for when
      // Node Feature Discovery is not installed.
      labels: { 'nvidia.com/gpu.present': 'true' },
    });
  }

  private addNvidiaDevicePlugin(): void {
    this.cluster.addHelmChart('NvidiaDevicePlugin', {
      chart: 'nvidia-device-plugin',
      repository: 'https://nvidia.github.io/k8s-device-plugin',
      version: NVIDIA_DEVICE_PLUGIN_CHART_VERSION,
      namespace: 'kube-system',
      values: {
        nodeSelector: { [LABELS.nodePool]: NODE_POOLS.gpu },
        tolerations: [{ key: GPU_TAINT.key, operator: 'Exists', effect: GPU_TAINT.effect }],
      },
    });
  }

  /**
   * EKS add-ons the operator's objects rely on: the VPC CNI with its network-policy agent, without which the
   * NetworkPolicies the operator writes for every tenant are stored but not enforced (on EC2 nodes; EKS does
   * not enforce them for Fargate pods), and metrics-server, without which no HorizontalPodAutoscaler acts.
   */
  private addAddons(): void {
    new eks.CfnAddon(this, 'VpcCni', {
      clusterName: this.cluster.clusterName,
      addonName: 'vpc-cni',
      configurationValues: JSON.stringify({ enableNetworkPolicy: 'true' }),
      resolveConflicts: 'OVERWRITE',
    });
    new eks.CfnAddon(this, 'MetricsServer', {
      clusterName: this.cluster.clusterName,
      addonName: 'metrics-server',
      resolveConflicts: 'OVERWRITE',
    });
  }

  /**
   * Without an autoscaler a node group stays at its desired size: the spot and GPU groups start at zero or one
   * and must grow when pods are pending. Managed node groups carry the auto-discovery tags, and the autoscaler
   * reads their labels and taints from EKS, so it can scale the GPU group up from zero.
   */
  private addClusterAutoscaler(config: PlatformConfig): void {
    const sa = this.cluster.addServiceAccount('ClusterAutoscalerSa', {
      name: 'cluster-autoscaler',
      namespace: 'kube-system',
    });
    sa.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeLaunchConfigurations',
          'autoscaling:DescribeScalingActivities',
          'autoscaling:DescribeTags',
          'ec2:DescribeImages',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeLaunchTemplateVersions',
          'ec2:GetInstanceTypesFromInstanceRequirements',
          'eks:DescribeNodegroup',
        ],
        resources: ['*'],
      }),
    );
    // Mutations only on this cluster's groups: EKS tags the Auto Scaling groups of managed node groups with it.
    sa.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['autoscaling:SetDesiredCapacity', 'autoscaling:TerminateInstanceInAutoScalingGroup'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:ResourceTag/eks:cluster-name': this.cluster.clusterName },
        },
      }),
    );
    const chart = this.cluster.addHelmChart('ClusterAutoscaler', {
      chart: 'cluster-autoscaler',
      repository: 'https://kubernetes.github.io/autoscaler',
      version: CLUSTER_AUTOSCALER.chart,
      namespace: 'kube-system',
      values: {
        autoDiscovery: { clusterName: this.cluster.clusterName },
        awsRegion: config.region,
        image: { tag: CLUSTER_AUTOSCALER.image },
        rbac: { serviceAccount: { create: false, name: sa.serviceAccountName } },
        // Keep the autoscaler itself off the spot and GPU nodes it may remove.
        nodeSelector: { [LABELS.nodePool]: NODE_POOLS.system },
        extraArgs: {
          'balance-similar-node-groups': true,
          'skip-nodes-with-system-pods': false,
          // A pod that fits spot and on-demand groups alike (a self-hosted LLM with onDemandFallback) gets a
          // spot node when one can be had, an on-demand one when the spot group cannot grow.
          expander: 'priority',
        },
        expanderPriorities: CLUSTER_AUTOSCALER_PRIORITIES,
      },
    });
    chart.node.addDependency(sa);
  }

  private createTenantBedrockRole(config: PlatformConfig): iam.Role {
    const issuer = this.cluster.clusterOpenIdConnectIssuer;
    // The issuer is a deploy-time token, so the condition keys must be built by CloudFormation (CfnJson).
    const conditions = new CfnJson(this, 'TenantBedrockTrust', {
      value: {
        [`${issuer}:sub`]: `system:serviceaccount:${TENANT_NAMESPACE_GLOB}:*`,
        [`${issuer}:aud`]: 'sts.amazonaws.com',
      },
    });
    const role = new iam.Role(this, 'TenantBedrockRole', {
      description: 'Assumed (IRSA) by pods in tenant namespaces to call the allowed Bedrock models',
      assumedBy: new iam.WebIdentityPrincipal(this.cluster.openIdConnectProvider.openIdConnectProviderArn, {
        StringLike: conditions,
      }),
    });
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        resources: config.bedrockModelIds.map(
          (model) => `arn:${this.partition}:bedrock:${config.region}::foundation-model/${model}`,
        ),
      }),
    );
    return role;
  }
}
