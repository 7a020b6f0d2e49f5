import {
  Annotations,
  CfnOutput,
  DefaultStackSynthesizer,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../config/environment.js';
import { acknowledge, CDK_HANDLER_REASON, LAMBDA_BASIC_EXECUTION, nagPseudo, wildcard } from '../nag.js';

export interface FrontendStackProps extends StackProps {
  readonly config: PlatformConfig;
  /** The tenant APIs the dashboard may call (see tenantApiOrigins); none: only its own origin. */
  readonly apiOrigins?: readonly string[];
}

const WILDCARD = 'https://*.';

/**
 * The tenant API origins the dashboard may call, from `-c tenantApiOrigins=…` (a comma list, or a list in
 * cdk.json): exact https origins, or `https://*.<domain>` for every tenant host under a domain (what the
 * Workloads' `spec.ingress.host` are named under). Anything else throws: plain http would send passwords
 * in clear, and a path, a trailing slash or a bare `*` is no origin a browser compares with. The dashboard
 * applies the same rules to config.json (workloads/web/src/endpoint.ts).
 */
export function tenantApiOrigins(value: unknown): string[] {
  if (value === undefined) return [];
  const given = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(given) || !given.every((v) => typeof v === 'string'))
    throw new Error(
      `tenantApiOrigins: expected a comma list or a list of origins, got ${JSON.stringify(value)}`,
    );
  const origins = (given as string[]).map((v) => v.trim()).filter(Boolean);
  for (const origin of origins) {
    const domain = origin.startsWith(WILDCARD) ? origin.slice(WILDCARD.length) : null;
    // The URL parser says whether it is a plain host name: lower case, no port, path or odd characters.
    const ok =
      domain !== null
        ? domain.includes('.') &&
          URL.canParse(`https://x.${domain}`) &&
          new URL(`https://x.${domain}`).hostname === `x.${domain}`
        : URL.canParse(origin) && new URL(origin).origin === origin && origin.startsWith('https://');
    if (!ok)
      throw new Error(
        `tenantApiOrigins: "${origin}" is neither an https origin (https://acme.sentiment.example.com, no ` +
          'path or trailing slash) nor https://*.<domain> (e.g. https://*.sentiment.example.com)',
      );
  }
  return [...new Set(origins)];
}

/** The dashboard SPA: a private bucket that only CloudFront (origin access control) may read. */
export class FrontendStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: FrontendStackProps) {
    super(scope, id, props);
    const retain = props.config.data.protect;
    const apiOrigins = tenantApiOrigins(props.apiOrigins);
    if (apiOrigins.length === 0)
      Annotations.of(this).addWarningV2(
        '@sentiment/infra:no-tenant-api-origins',
        'No tenantApiOrigins (-c tenantApiOrigins=https://*.<tenant domain>): the dashboard may only call its ' +
          'own origin, so it can sign in to no tenant API.',
      );
    const removal = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // CloudFront standard logging writes with ACLs, so this bucket (and only this one) keeps them enabled.
    const logs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: removal,
      autoDeleteObjects: !retain,
    });

    this.bucket = new s3.Bucket(this, 'Site', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: logs,
      serverAccessLogsPrefix: 's3/',
      removalPolicy: removal,
      autoDeleteObjects: !retain,
    });

    const headers = new cloudfront.ResponseHeadersPolicy(this, 'SecurityHeaders', {
      securityHeadersBehavior: {
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(365),
          includeSubdomains: true,
          preload: true,
          override: true,
        },
        // The SPA loads only its own assets and talks only to the tenant APIs listed: a crafted link naming
        // any other address gets nothing from the browser even if the app's own check were bypassed.
        contentSecurityPolicy: {
          contentSecurityPolicy: [
            "default-src 'self'",
            "img-src 'self' data:",
            "style-src 'self'",
            "script-src 'self'",
            ['connect-src', "'self'", ...apiOrigins].join(' '),
            "frame-ancestors 'none'",
            "base-uri 'self'",
            "object-src 'none'",
          ].join('; '),
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: {
          referrerPolicy: cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
          override: true,
        },
      },
    });

    this.distribution = new cloudfront.Distribution(this, 'Cdn', {
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
      },
      // Client-side routes: unknown paths serve the SPA shell instead of S3's 403.
      errorResponses: [{ httpStatus: 403, responseHttpStatus: 200, responsePagePath: '/index.html' }],
      // North America and Europe edges only: the cheapest class, enough for an internal dashboard.
      priceClass: cloudfront.PriceClass.PRICE_CLASS_100,
      minimumProtocolVersion: cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
      enableLogging: true,
      logBucket: logs,
      logFilePrefix: 'cloudfront/',
    });

    // config.json tells the app the same list (and pins no API). The app's own files are synced by whoever
    // deploys; this deployment owns config.json only, so it prunes nothing.
    const config = new s3deploy.BucketDeployment(this, 'DashboardConfig', {
      sources: [s3deploy.Source.jsonData('config.json', { apiOrigins })],
      destinationBucket: this.bucket,
      prune: false,
      distribution: this.distribution,
      distributionPaths: ['/config.json'],
    });
    // Its handler (a stack-wide singleton Lambda that CDK creates) is the scope of its role.
    const handler = config.handlerRole.node.scope;
    if (!handler) throw new Error('BucketDeployment: its handler role has no enclosing function');
    const siteBucket = this.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    // The bootstrap bucket it reads the asset from, as cdk-nag renders it (region and account when known).
    const assets = `cdk-${DefaultStackSynthesizer.DEFAULT_QUALIFIER}-assets-${nagPseudo(this.account, 'AccountId')}-${nagPseudo(this.region, 'Region')}`;
    acknowledge(handler, {
      ids: [
        LAMBDA_BASIC_EXECUTION,
        'AwsSolutions-L1',
        ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((a) =>
          wildcard('Action', a),
        ),
        wildcard('Resource', '*'),
        wildcard('Resource', `<${siteBucket}.Arn>/*`),
        wildcard('Resource', `arn:<AWS::Partition>:s3:::${assets}/*`),
      ],
      reason: CDK_HANDLER_REASON,
    });

    acknowledge(
      this.distribution,
      {
        ids: ['AwsSolutions-CFR1'],
        reason:
          'The dashboard serves support teams wherever they are; access is controlled by the API, not by geography.',
      },
      {
        ids: ['AwsSolutions-CFR2'],
        reason:
          'Static, public SPA assets only: no forms or APIs behind this distribution for WAF rules to protect; ' +
          'tenant APIs sit behind the cluster ALB, not behind this distribution.',
      },
      {
        ids: ['AwsSolutions-CFR4'],
        reason:
          'The default *.cloudfront.net certificate cannot pin a TLS minimum; TLSv1.2_2021 takes effect once a ' +
          'custom domain and ACM certificate are attached.',
      },
    );

    new CfnOutput(this, 'SiteBucket', { value: this.bucket.bucketName });
    new CfnOutput(this, 'DashboardUrl', { value: `https://${this.distribution.distributionDomainName}` });
  }
}
