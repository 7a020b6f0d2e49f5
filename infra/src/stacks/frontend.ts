import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { PlatformConfig } from '../config/environment.js';
import { acknowledge } from '../nag.js';

export interface FrontendStackProps extends StackProps {
  readonly config: PlatformConfig;
}

/** The dashboard SPA: a private bucket that only CloudFront (origin access control) may read. */
export class FrontendStack extends Stack {
  readonly bucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;

  constructor(scope: Construct, id: string, props: FrontendStackProps) {
    super(scope, id, props);
    const retain = props.config.data.protect;
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
        // The SPA loads only its own assets and talks to the tenant API over HTTPS.
        contentSecurityPolicy: {
          contentSecurityPolicy:
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self' https:; frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
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
