import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';

// Secure defaults as pure functions: each returns props; constructs layer user overrides on top
// and then enforce what must hold.

/** Props of a customer managed KMS key with yearly automatic rotation. */
export function customerKeyProps(description: string, removalPolicy: RemovalPolicy): kms.KeyProps {
  return { description, enableKeyRotation: true, removalPolicy };
}

/** Options for {@link secureBucketProps}. */
export interface SecureBucketOptions {
  /** Encrypt with this customer key; without one the bucket uses SSE-S3 (only for access-log targets). */
  readonly encryptionKey?: kms.IKey;
  /** Deliver server access logs to this bucket. */
  readonly accessLogsBucket?: s3.IBucket;
  /** The access-log key prefix. */
  readonly accessLogsPrefix?: string;
  /** What happens to the bucket when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /** Expire noncurrent object versions after this long. */
  readonly noncurrentVersionExpiration?: Duration;
  /** Expire current objects this long after they are written. */
  readonly expiration?: Duration;
}

/**
 * Props of a private, TLS-only, versioned bucket: all public access blocked, ACLs disabled, SSE-KMS with a
 * customer key and an S3 Bucket Key (or SSE-S3 for access-log targets, which cannot use SSE-KMS).
 */
export function secureBucketProps(o: SecureBucketOptions): s3.BucketProps {
  return {
    encryption: o.encryptionKey ? s3.BucketEncryption.KMS : s3.BucketEncryption.S3_MANAGED,
    encryptionKey: o.encryptionKey,
    bucketKeyEnabled: o.encryptionKey ? true : undefined,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    serverAccessLogsBucket: o.accessLogsBucket,
    serverAccessLogsPrefix: o.accessLogsPrefix,
    removalPolicy: o.removalPolicy,
    lifecycleRules: o.noncurrentVersionExpiration || o.expiration
      ? [{
        id: 'Expire',
        expiration: o.expiration,
        noncurrentVersionExpiration: o.noncurrentVersionExpiration,
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      }]
      : undefined,
  };
}

/**
 * Lets CloudWatch Logs in the key's region use the key for log groups of this account whose name starts with
 * `logGroupPrefix`. Only keys defined in the app can take the statement; returns whether it was added.
 */
export function allowCloudWatchLogs(key: kms.IKey, logGroupPrefix: string): boolean {
  const stack = Stack.of(key);
  return key.addToResourcePolicy(new iam.PolicyStatement({
    sid: `AllowCloudWatchLogs${logGroupPrefix.replace(/[^A-Za-z0-9]/g, '')}`,
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
    resources: ['*'],
    conditions: {
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
          service: 'logs', resource: 'log-group', resourceName: `${logGroupPrefix}*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    },
  })).statementAdded;
}

/**
 * The VPC interface endpoints a private LLMOps VPC gets by default: ECR (API and Docker registry) to pull
 * images, CloudWatch Logs and Monitoring for container logs and metrics, STS, and the SageMaker runtime so that
 * applications in the VPC can invoke endpoints privately. (S3 is a free gateway endpoint, always added.)
 * Each interface endpoint costs about USD 0.01 per hour per AZ.
 */
export function defaultInterfaceEndpoints(): ec2.InterfaceVpcEndpointAwsService[] {
  return [
    ec2.InterfaceVpcEndpointAwsService.ECR,
    ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
    ec2.InterfaceVpcEndpointAwsService.STS,
    ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
  ];
}
