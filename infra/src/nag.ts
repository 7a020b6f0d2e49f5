import { Token, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

// cdk-nag v3 acknowledges findings one ID at a time (no prefix matching), so each entry lists the exact
// finding IDs it covers, under one reason that says why the finding is acceptable here.
export interface Acknowledgement {
  readonly ids: readonly string[];
  readonly reason: string;
}

export function acknowledge(scope: IConstruct, ...acks: readonly Acknowledgement[]): void {
  for (const { ids, reason } of acks) {
    for (const id of ids) Validations.of(scope).acknowledge({ id, reason });
  }
}

/** Finding ID of AwsSolutions-IAM4 for one AWS managed policy. */
export const managedPolicy = (name: string): string =>
  `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${name}]`;

/** Finding ID of AwsSolutions-IAM5 for one wildcard resource or action, as cdk-nag renders it. */
export const wildcard = (kind: 'Resource' | 'Action', value: string): string =>
  `AwsSolutions-IAM5[${kind}::${value}]`;

/** Findings on the Lambda/Step Functions plumbing that CDK itself generates for custom resources. */
export const CDK_HANDLER_REASON =
  'CDK-generated custom-resource handler: its role, runtime and wiring are owned by aws-cdk-lib and ' +
  'scoped by it to the resources it manages; we cannot change them without forking the construct.';
export const LAMBDA_BASIC_EXECUTION = managedPolicy('service-role/AWSLambdaBasicExecutionRole');
export const LAMBDA_VPC_EXECUTION = managedPolicy('service-role/AWSLambdaVPCAccessExecutionRole');

/**
 * A pseudo parameter's part of an ARN as cdk-nag renders it in a finding ID: `<AWS::AccountId>` while it is a
 * token, the literal once the stack's environment names it (the CDK CLI sets CDK_DEFAULT_ACCOUNT for `cdk
 * deploy`, which makes the account literal; an acknowledgement written for one form misses the other).
 */
export const nagPseudo = (value: string, pseudo: 'AccountId' | 'Partition' | 'Region'): string =>
  Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value;
