import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../config/environment.js';

export interface NetworkStackProps extends StackProps {
  readonly config: PlatformConfig;
}

/** Subnet group names, shared with the stacks that place resources in them. */
export const SUBNETS = {
  /** NAT gateway and internet-facing ALBs only. */
  public: 'public',
  /** Nodes, Fargate pods, interface endpoints, cluster handlers: egress through the NAT. */
  workloads: 'workloads',
  /** Postgres, Redis, OpenSearch: no route to or from the internet at all. */
  data: 'data',
} as const;

/** A literal (not the VPC's token) so security-group rules on it stay reviewable in the template. */
export const VPC_CIDR = '10.40.0.0/16';

export class NetworkStack extends Stack {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    const { network, logRetention } = props.config;

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      availabilityZones: [...network.availabilityZones],
      natGateways: 1,
      subnetConfiguration: [
        { name: SUBNETS.public, subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        // /19 per AZ: Fargate and VPC-CNI give every pod its own VPC address.
        { name: SUBNETS.workloads, subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 19 },
        { name: SUBNETS.data, subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      // Free, and image layers from ECR are S3 objects: keeps the bulk of pull traffic off NAT data charges.
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });

    // Rejected flows only: enough to investigate blocked traffic without paying to ingest every accepted packet.
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.REJECT,
    });

    if (network.interfaceEndpoints) {
      const services = {
        Ecr: ec2.InterfaceVpcEndpointAwsService.ECR,
        EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
        SecretsManager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
        BedrockRuntime: ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME,
        Sts: ec2.InterfaceVpcEndpointAwsService.STS,
        Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      };
      const endpointSg = new ec2.SecurityGroup(this, 'EndpointSg', {
        vpc: this.vpc,
        description: 'Interface endpoints: HTTPS from inside the VPC only',
        allowAllOutbound: false,
      });
      endpointSg.addIngressRule(ec2.Peer.ipv4(VPC_CIDR), ec2.Port.tcp(443), 'AWS API calls from the VPC');
      for (const [name, service] of Object.entries(services)) {
        this.vpc.addInterfaceEndpoint(name, {
          service,
          subnets: { subnetGroupName: SUBNETS.workloads },
          securityGroups: [endpointSg],
          open: false,
        });
      }
    }
  }
}
