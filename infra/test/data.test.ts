import anyTest, { type TestFn } from 'ava';
import { Match } from 'aws-cdk-lib/assertions';
import { PORTS } from '../src/stacks/data.js';
import { hasResource, resourcesOfType, synthesize, type Synthesized } from './support.js';

const test = anyTest as TestFn<{ demo: Synthesized; production: Synthesized }>;

test.before((t) => {
  t.context = { demo: synthesize('demo'), production: synthesize('production') };
});

test('Postgres: encrypted, private, TLS forced, credentials in Secrets Manager; multi-AZ only in production', (t) => {
  for (const [env, multiAz] of [
    ['demo', false],
    ['production', true],
  ] as const) {
    const s = t.context[env];
    const template = s.template(s.stacks.data);
    hasResource(t, template, 'AWS::RDS::DBInstance', {
      DBInstanceClass: 'db.t4g.small',
      Engine: 'postgres',
      StorageEncrypted: true,
      PubliclyAccessible: false,
      MultiAZ: multiAz,
      EnableIAMDatabaseAuthentication: true,
      MasterUserPassword: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
    });
    hasResource(t, template, 'AWS::RDS::DBParameterGroup', {
      Parameters: { 'rds.force_ssl': '1', temp_file_limit: Match.stringLikeRegexp('^[1-9][0-9]+$') },
    });
    hasResource(t, template, 'AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"sentiment_admin"}' }),
    });
  }
  t.is(
    resourcesOfType(
      t.context.production.template(t.context.production.stacks.data),
      'AWS::SecretsManager::RotationSchedule',
    ).length,
    1,
  );
});

test('Redis: encryption in transit (required) and at rest, RBAC users instead of an AUTH token', (t) => {
  for (const env of ['demo', 'production'] as const) {
    const s = t.context[env];
    const template = s.template(s.stacks.data);
    hasResource(t, template, 'AWS::ElastiCache::ReplicationGroup', {
      CacheNodeType: 'cache.t4g.micro',
      AtRestEncryptionEnabled: true,
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      UserGroupIds: [{ Ref: Match.stringLikeRegexp('^RedisUsers') }],
      MultiAZEnabled: env === 'production',
      NumCacheClusters: env === 'production' ? 2 : 1,
    });
    const group = resourcesOfType(template, 'AWS::ElastiCache::ReplicationGroup')[0]!.Properties!;
    t.false('AuthToken' in group, 'no shared AUTH token');
    hasResource(t, template, 'AWS::ElastiCache::UserGroup', {
      UserGroupId: `sentiment-${env}`,
      Engine: 'redis',
      UserIds: [`sentiment-${env}-default`, `sentiment-${env}-operator`],
    });
    // The group's `default` is its own, switched off: ElastiCache's has every permission and no password.
    hasResource(t, template, 'AWS::ElastiCache::User', {
      UserId: `sentiment-${env}-default`,
      UserName: 'default',
      AccessString: 'off -@all',
    });
    hasResource(t, template, 'AWS::ElastiCache::User', {
      UserId: `sentiment-${env}-operator`,
      UserName: 'sentiment-operator',
      AccessString: 'on ~* &* +@all',
      AuthenticationMode: Match.objectLike({
        Type: 'password',
        Passwords: [
          Match.objectLike({
            'Fn::Join': Match.arrayWith([
              Match.arrayWith([Match.stringLikeRegexp('resolve:secretsmanager')]),
            ]),
          }),
        ],
      }),
    });
    hasResource(t, template, 'AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: '{"username":"sentiment-operator"}',
        GenerateStringKey: 'password',
      }),
    });
  }
});

test('OpenSearch: in the VPC, encrypted at rest, node-to-node TLS, HTTPS only with TLS 1.2, FGAC', (t) => {
  for (const env of ['demo', 'production'] as const) {
    const s = t.context[env];
    hasResource(t, s.template(s.stacks.data), 'AWS::OpenSearchService::Domain', {
      ClusterConfig: Match.objectLike({
        InstanceType: 't3.small.search',
        InstanceCount: env === 'production' ? 2 : 1,
        ZoneAwarenessEnabled: env === 'production',
      }),
      EncryptionAtRestOptions: { Enabled: true },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: Match.objectLike({
        EnforceHTTPS: true,
        TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07',
      }),
      AdvancedSecurityOptions: Match.objectLike({ Enabled: true, InternalUserDatabaseEnabled: true }),
      VPCOptions: Match.objectLike({ SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() }),
    });
  }
});

test('no public data endpoints: every data service sits in the isolated subnets', (t) => {
  const s = t.context.production;
  const template = s.template(s.stacks.data);
  // Subnets are imported from the network stack; their export names carry the subnet group's name.
  const subnetGroups = (value: unknown): string[] => [
    ...new Set(
      [...JSON.stringify(value).matchAll(/ExportsOutputRefVpc(\w+?)Subnet\d/g)].map((m) => m[1] ?? ''),
    ),
  ];
  const placements = [
    ...resourcesOfType(template, 'AWS::RDS::DBSubnetGroup').map((r) => r.Properties?.SubnetIds),
    ...resourcesOfType(template, 'AWS::ElastiCache::SubnetGroup').map((r) => r.Properties?.SubnetIds),
    ...resourcesOfType(template, 'AWS::OpenSearchService::Domain').map((r) => r.Properties?.VPCOptions),
  ];
  t.is(placements.length, 3);
  for (const placement of placements) t.deepEqual(subnetGroups(placement), ['data']);
  // And the data subnets have no route out: no NAT or internet gateway route in their route tables.
  const network = s.template(s.stacks.network);
  const routes = resourcesOfType(network, 'AWS::EC2::Route').map((r) => JSON.stringify(r.Properties));
  t.true(routes.length > 0);
  t.false(routes.some((r) => r.includes('Vpcdata')));
  for (const subnet of Object.entries(network.findResources('AWS::EC2::Subnet'))) {
    if (subnet[0].startsWith('Vpcdata'))
      t.false((subnet[1] as { Properties: { MapPublicIpOnLaunch: boolean } }).Properties.MapPublicIpOnLaunch);
  }
});

test('security groups: data services admit only the cluster security group on their own port, and send nothing', (t) => {
  const s = t.context.demo;
  const template = s.template(s.stacks.data);
  const groups = template.findResources('AWS::EC2::SecurityGroup');
  const dataGroups = Object.entries(groups).filter(([id]) => /^(Postgres|Redis|Search)Sg/.test(id));
  t.is(dataGroups.length, 3);
  for (const [, group] of dataGroups) {
    const props = (group as { Properties: { SecurityGroupEgress: { CidrIp: string }[] } }).Properties;
    // CDK's "no egress" marker rule: 255.255.255.255/32, ICMP type 252 (matches nothing).
    t.deepEqual(
      props.SecurityGroupEgress.map((e) => e.CidrIp),
      ['255.255.255.255/32'],
    );
  }
  const ingress = resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress').map((r) => r.Properties ?? {});
  const ports = ingress.map((i) => i.FromPort).sort((a, b) => Number(a) - Number(b));
  t.deepEqual(
    ports,
    [PORTS.opensearch, PORTS.postgres, PORTS.redis].sort((a, b) => a - b),
  );
  for (const rule of ingress) {
    t.is(rule.FromPort, rule.ToPort, 'a single port');
    t.is(rule.CidrIp, undefined, 'no CIDR sources');
    t.regex(JSON.stringify(rule.SourceSecurityGroupId), /ClusterSecurityGroupId/);
  }
});

test('no security group in any stack admits the internet (the only public entry is CloudFront)', (t) => {
  for (const env of ['demo', 'production'] as const) {
    const s = t.context[env];
    for (const stack of Object.values(s.stacks)) {
      const template = s.template(stack);
      const rules = [
        ...resourcesOfType(template, 'AWS::EC2::SecurityGroup').flatMap(
          (g) => (g.Properties?.SecurityGroupIngress as Record<string, unknown>[] | undefined) ?? [],
        ),
        ...resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress').map((r) => r.Properties ?? {}),
      ];
      const open = rules.filter((r) => r.CidrIp === '0.0.0.0/0' || r.CidrIpv6 === '::/0');
      t.deepEqual(open, [], `${stack.stackName}`);
    }
  }
});
