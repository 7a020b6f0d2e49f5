import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../config/environment.js';
import type { DataStack } from './data.js';
import type { FrontendStack } from './frontend.js';

export interface AlarmsStackProps extends StackProps {
  readonly config: PlatformConfig;
  readonly data: DataStack;
  readonly frontend: FrontendStack;
}

const GiB = 1024 ** 3;

/**
 * Alarms on the shared services every tenant depends on. The tenants' ALBs are created at run time by the
 * AWS Load Balancer Controller, so their 5xx alarms belong to the operator, not to this stack.
 */
export class AlarmsStack extends Stack {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: AlarmsStackProps) {
    super(scope, id, props);
    const { config, data, frontend } = props;

    const key = new kms.Key(this, 'TopicKey', {
      description: 'Encrypts the platform alarm topic',
      enableKeyRotation: true,
    });
    // CloudWatch must be able to use the key, or alarm notifications to the encrypted topic are dropped silently.
    key.grantEncryptDecrypt(new iam.ServicePrincipal('cloudwatch.amazonaws.com'));
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'SentimentPlatform alarms',
      masterKey: key,
      enforceSSL: true,
    });
    const notify = new actions.SnsAction(this.topic);

    const alarm = (
      id: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      op: cloudwatch.ComparisonOperator,
      what: string,
    ): void => {
      new cloudwatch.Alarm(this, id, {
        metric,
        threshold,
        comparisonOperator: op,
        // Three 5-minute periods: a brief spike (a reindex, a vacuum) does not page anyone.
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.MISSING,
        alarmDescription: `${config.name}: ${what}`,
      }).addAlarmAction(notify);
    };
    const above = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    const below = cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD;

    alarm('PostgresCpu', data.postgres.metricCPUUtilization(), 80, above, 'Postgres CPU >= 80%');
    // Below 20% of the initial allocation: storage autoscaling lags, and a full volume stops all tenants.
    alarm(
      'PostgresStorage',
      data.postgres.metricFreeStorageSpace(),
      config.data.postgres.allocatedStorageGiB * GiB * 0.2,
      below,
      'Postgres free storage < 20%',
    );

    const cacheMetric = (metricName: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache',
        metricName,
        // Members of a replication group are named <group>-001, -002, ...; 001 starts as the primary.
        dimensionsMap: { CacheClusterId: `${data.redis.ref}-001` },
        period: Duration.minutes(5),
      });
    alarm('RedisCpu', cacheMetric('EngineCPUUtilization'), 80, above, 'Redis engine CPU >= 80%');
    alarm('RedisMemory', cacheMetric('DatabaseMemoryUsagePercentage'), 80, above, 'Redis memory >= 80%');

    alarm('SearchCpu', data.search.metricCPUUtilization(), 80, above, 'OpenSearch CPU >= 80%');
    // FreeStorageSpace is reported in MiB per node; the minimum node is the one that fills first.
    alarm(
      'SearchStorage',
      data.search.metricFreeStorageSpace({ statistic: 'Minimum' }),
      config.data.opensearch.volumeGiB * 1024 * 0.2,
      below,
      'OpenSearch free storage < 20%',
    );
    alarm('SearchRed', data.search.metricClusterStatusRed(), 1, above, 'OpenSearch cluster status red');

    // CloudFront publishes its metrics in us-east-1 only, with Region=Global.
    alarm('Cdn5xx', frontend.distribution.metric5xxErrorRate(), 5, above, 'CloudFront 5xx error rate >= 5%');

    new CfnOutput(this, 'AlarmTopicArn', { value: this.topic.topicArn });
  }
}
