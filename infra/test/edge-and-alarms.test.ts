import anyTest, { type TestFn } from 'ava';
import { Match } from 'aws-cdk-lib/assertions';
import { hasResource, resourcesOfType, synthesize, type Synthesized } from './support.js';

const test = anyTest as TestFn<Synthesized>;

test.before((t) => {
  t.context = synthesize('demo');
});

test('site bucket is private, encrypted, TLS-only, and readable only by this distribution (OAC)', (t) => {
  const template = t.context.template(t.context.stacks.frontend);
  const buckets = resourcesOfType(template, 'AWS::S3::Bucket');
  t.is(buckets.length, 2);
  for (const bucket of buckets) {
    t.deepEqual(bucket.Properties?.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    t.truthy(bucket.Properties?.BucketEncryption);
  }
  hasResource(t, template, 'AWS::CloudFront::OriginAccessControl', {
    OriginAccessControlConfig: Match.objectLike({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
    }),
  });
  type Statement = { Effect: string; Principal: unknown; Condition?: unknown };
  const statements = resourcesOfType(template, 'AWS::S3::BucketPolicy').flatMap(
    (p) => (p.Properties?.PolicyDocument as { Statement: Statement[] }).Statement,
  );
  const anyone = (s: Statement): boolean =>
    JSON.stringify(s.Principal) === '"*"' || JSON.stringify(s.Principal) === '{"AWS":"*"}';
  t.true(
    statements.some(
      (s) =>
        s.Effect === 'Deny' &&
        anyone(s) &&
        JSON.stringify(s.Condition).includes('"aws:SecureTransport":"false"'),
    ),
    'denies plain HTTP',
  );
  t.deepEqual(
    statements.filter((s) => s.Effect === 'Allow' && anyone(s)),
    [],
    'nothing allowed to anyone',
  );
  const cloudfront = statements.find((s) => JSON.stringify(s.Principal).includes('cloudfront.amazonaws.com'));
  t.regex(JSON.stringify(cloudfront?.Condition), /AWS:SourceArn/, 'scoped to this distribution');
});

test('distribution forces HTTPS and sends security headers', (t) => {
  const template = t.context.template(t.context.stacks.frontend);
  hasResource(t, template, 'AWS::CloudFront::Distribution', {
    DistributionConfig: Match.objectLike({
      DefaultRootObject: 'index.html',
      DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https' }),
      Logging: Match.objectLike({ Prefix: 'cloudfront/' }),
    }),
  });
  hasResource(t, template, 'AWS::CloudFront::ResponseHeadersPolicy', {
    ResponseHeadersPolicyConfig: Match.objectLike({
      SecurityHeadersConfig: Match.objectLike({
        StrictTransportSecurity: Match.objectLike({
          AccessControlMaxAgeSec: 31536000,
          IncludeSubdomains: true,
        }),
        ContentSecurityPolicy: Match.objectLike({
          ContentSecurityPolicy: Match.stringLikeRegexp("frame-ancestors 'none'"),
        }),
        ContentTypeOptions: { Override: true },
        FrameOptions: { FrameOption: 'DENY', Override: true },
        ReferrerPolicy: Match.objectLike({ ReferrerPolicy: 'strict-origin-when-cross-origin' }),
      }),
    }),
  });
});

test('alarms on CPU, storage and 5xx notify an encrypted SNS topic', (t) => {
  const template = t.context.template(t.context.stacks.alarms);
  hasResource(t, template, 'AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
  const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map((a) => a.Properties ?? {});
  const metrics = alarms.map((a) => `${String(a.Namespace)}/${String(a.MetricName)}`).sort();
  t.deepEqual(metrics, [
    'AWS/CloudFront/5xxErrorRate',
    'AWS/ES/CPUUtilization',
    'AWS/ES/ClusterStatus.red',
    'AWS/ES/FreeStorageSpace',
    'AWS/ElastiCache/DatabaseMemoryUsagePercentage',
    'AWS/ElastiCache/EngineCPUUtilization',
    'AWS/RDS/CPUUtilization',
    'AWS/RDS/FreeStorageSpace',
  ]);
  for (const alarm of alarms) t.is((alarm.AlarmActions as unknown[]).length, 1);
});
