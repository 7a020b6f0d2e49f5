import type { App } from 'aws-cdk-lib';
import type { PlatformConfig } from './config/environment.js';
import { AlarmsStack } from './stacks/alarms.js';
import { ClusterStack } from './stacks/cluster.js';
import { DataStack } from './stacks/data.js';
import { FrontendStack } from './stacks/frontend.js';
import { NetworkStack } from './stacks/network.js';
import { OperatorInstallStack } from './stacks/operator-install.js';

export interface PlatformStacks {
  readonly network: NetworkStack;
  readonly cluster: ClusterStack;
  readonly data: DataStack;
  readonly frontend: FrontendStack;
  readonly operator: OperatorInstallStack;
  readonly alarms: AlarmsStack;
}

export interface PlatformOptions {
  /** Directory of the operator Helm chart to install. */
  readonly operatorChartDir: string;
  /** Tenant API origins the dashboard may call (`-c tenantApiOrigins=…`, see FrontendStack); none: its own only. */
  readonly tenantApiOrigins?: readonly string[];
}

/** Adds every stack of one environment to `app`; stack names carry the environment so several can coexist. */
export function addPlatform(app: App, config: PlatformConfig, options: PlatformOptions): PlatformStacks {
  // Region-bound (account left to the CLI's credentials) so the VPC can name its AZs.
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: config.region };
  const prefix = `Sentiment-${config.name}`;
  const tags = { project: 'sentiment-platform', environment: config.name };
  const common = { env, config, tags };

  const network = new NetworkStack(app, `${prefix}-Network`, common);
  const cluster = new ClusterStack(app, `${prefix}-Cluster`, { ...common, vpc: network.vpc });
  const data = new DataStack(app, `${prefix}-Data`, {
    ...common,
    vpc: network.vpc,
    clientSecurityGroup: cluster.cluster.clusterSecurityGroup,
    oidcProvider: cluster.cluster.openIdConnectProvider,
  });
  const frontend = new FrontendStack(app, `${prefix}-Frontend`, {
    ...common,
    apiOrigins: options.tenantApiOrigins,
  });
  const operator = new OperatorInstallStack(app, `${prefix}-Operator`, {
    ...common,
    cluster: cluster.cluster,
    data,
    tenantBedrockRole: cluster.tenantBedrockRole,
    chartDir: options.operatorChartDir,
    dashboardOrigin: `https://${frontend.distribution.distributionDomainName}`,
  });
  const alarms = new AlarmsStack(app, `${prefix}-Alarms`, { ...common, data, frontend });
  return { network, cluster, data, frontend, operator, alarms };
}
