import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { customerKeyProps, defaultInterfaceEndpoints, secureBucketProps } from './secure-defaults';
import { acknowledgeComplianceRule, acknowledgeReplication } from '../common/compliance';
import { PropValidator } from '../common/validation';

/** The address range of a VPC this construct creates. */
export const VPC_CIDR = '10.0.0.0/16';

/** Props of {@link LlmOpsFoundation}. */
export interface LlmOpsFoundationProps {
  /**
   * The customer managed key for buckets, logs and volumes.
   * @default - a new key with automatic yearly rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The VPC that models, vector stores and pipelines run in.
   * @default - a new VPC over `maxAzs` AZs with private subnets only (no internet gateway, no NAT unless
   * `internetEgress`), an S3 gateway endpoint, the `interfaceEndpoints`, and flow logs to the access-log bucket
   */
  readonly vpc?: ec2.IVpc;

  /**
   * How many AZs the new VPC spans. More than 2 needs a stack with a fixed account and region.
   * Only for a VPC this construct creates: giving it together with `vpc` is an error.
   * @default 2
   */
  readonly maxAzs?: number;

  /**
   * Give the new VPC's private subnets a route to the internet through one NAT gateway (in a public subnet that
   * assigns no public IPs), for models downloaded from the Hugging Face Hub at start-up.
   * Only for a VPC this construct creates: giving it together with `vpc` is an error.
   * @default false - private isolated subnets only: no public network path at all
   */
  readonly internetEgress?: boolean;

  /**
   * The interface endpoints of the new VPC. Each costs about USD 0.01 per hour per AZ.
   * Only for a VPC this construct creates: giving it together with `vpc` is an error.
   * @default - ECR API, ECR Docker, CloudWatch Logs, CloudWatch Monitoring, STS and SageMaker Runtime
   */
  readonly interfaceEndpoints?: ec2.InterfaceVpcEndpointAwsService[];

  /**
   * The bucket for model artifacts and training data.
   * @default - a new versioned, TLS-only bucket encrypted with the key, created on first use
   */
  readonly artifactsBucket?: s3.IBucket;

  /**
   * The bucket for endpoint data capture (prompts and completions).
   * @default - a new versioned, TLS-only bucket encrypted with the key, created on first use
   */
  readonly dataCaptureBucket?: s3.IBucket;

  /**
   * Delete captured prompts and completions this long after they are written (an S3 lifecycle expiration on the
   * data capture bucket this construct creates).
   * @default - kept until you delete them: data capture is the audit trail
   */
  readonly dataCaptureExpiration?: Duration;

  /**
   * What happens to the key, buckets and logs this construct creates when they leave the stack.
   * Use RETAIN in production. DESTROY cannot delete a bucket that still holds objects.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The shared, secure base of an LLMOps stack: one customer managed KMS key with rotation, a private VPC with the
 * endpoints SageMaker needs, and TLS-only, versioned, KMS-encrypted buckets with server access logging.
 *
 * Each part is used as given or created with secure defaults; buckets are created only when first used.
 */
export class LlmOpsFoundation extends Construct {
  /** The customer managed key. */
  public readonly encryptionKey: kms.IKey;
  /** The VPC. */
  public readonly vpc: ec2.IVpc;
  /** The removal policy of what this construct creates. */
  public readonly removalPolicy: RemovalPolicy;

  private readonly props: LlmOpsFoundationProps;
  private _accessLogsBucket?: s3.IBucket;
  private _artifactsBucket?: s3.IBucket;
  private _dataCaptureBucket?: s3.IBucket;

  constructor(scope: Construct, id: string, props: LlmOpsFoundationProps = {}) {
    super(scope, id);
    // Access logs are delivered through a bucket policy, never an ACL (the target bucket has ACLs disabled),
    // whatever the app's feature flags say.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    this.props = props;
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    const v = new PropValidator('LlmOpsFoundation', this);
    const expirationDays = props.dataCaptureExpiration?.toDays({ integral: false });
    v.check(expirationDays === undefined || Token.isUnresolved(expirationDays) || (Number.isInteger(expirationDays) && expirationDays >= 1),
      'LLMOPS_CAPTURE_EXPIRATION', 'dataCaptureExpiration', `${expirationDays} days`, 'is not a whole number of days ≥ 1 (S3 lifecycle expirations count days)');
    if (v.range('LLMOPS_MAX_AZS', 'maxAzs', props.maxAzs, 1, 6) && props.maxAzs! > 2) {
      const stack = Stack.of(this);
      v.check(!Token.isUnresolved(stack.account) && !Token.isUnresolved(stack.region), 'LLMOPS_MAX_AZS_AGNOSTIC', 'maxAzs', props.maxAzs,
        'needs a stack with a fixed account and region: an environment-agnostic stack can place subnets in only 2 AZs; set env on the stack, or use maxAzs 2');
    }
    if (props.vpc) {
      for (const prop of ['maxAzs', 'internetEgress', 'interfaceEndpoints'] as const) {
        v.check(props[prop] === undefined, 'LLMOPS_VPC_OPTION_IGNORED', prop, props[prop],
          'only shapes a VPC this construct creates; leave it out when you pass vpc');
      }
    }
    v.throwIfInvalid();

    this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'Key', {
      ...customerKeyProps(`cdk-llmops key for ${this.node.path}`, this.removalPolicy),
    });
    this.vpc = props.vpc ?? this.createVpc(props);
    this._artifactsBucket = props.artifactsBucket;
    this._dataCaptureBucket = props.dataCaptureBucket;
  }

  /** The bucket for model artifacts and training data (created on first use). */
  public get artifactsBucket(): s3.IBucket {
    this._artifactsBucket ??= this.createBucket('ArtifactsBucket', 'artifacts/');
    return this._artifactsBucket;
  }

  /** The bucket for endpoint data capture (created on first use). */
  public get dataCaptureBucket(): s3.IBucket {
    this._dataCaptureBucket ??= this.createBucket('DataCaptureBucket', 'data-capture/', Duration.days(90), this.props.dataCaptureExpiration);
    return this._dataCaptureBucket;
  }

  /** The bucket that receives server access logs and VPC flow logs (created on first use; SSE-S3). */
  public get accessLogsBucket(): s3.IBucket {
    if (!this._accessLogsBucket) {
      const bucket = new s3.Bucket(this, 'AccessLogsBucket', secureBucketProps({
        removalPolicy: this.removalPolicy,
        noncurrentVersionExpiration: Duration.days(90),
      }));
      const reason = 'this bucket is the server-access-log and flow-log target';
      Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: `${reason}; logging its own access would loop` });
      acknowledgeComplianceRule(bucket, 'S3BucketLoggingEnabled', `${reason}; logging its own access would loop`);
      acknowledgeComplianceRule(bucket, 'S3DefaultEncryptionKMS', `${reason}; S3 server access logging supports only SSE-S3 on its target`);
      acknowledgeReplication(bucket);
      this._accessLogsBucket = bucket;
    }
    return this._accessLogsBucket;
  }

  /**
   * The subnets for SageMaker and other private workloads: the private subnets with egress when
   * `internetEgress` is wanted, else the isolated ones (or, in a given VPC, whichever private subnets it has).
   */
  public privateSubnets(internetEgress = false): ec2.SubnetSelection {
    return selectPrivateSubnets(this.vpc, internetEgress);
  }

  private createVpc(props: LlmOpsFoundationProps): ec2.Vpc {
    const egress = props.internetEgress ?? false;
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(VPC_CIDR),
      // Restricting the default group needs a Lambda custom resource with an AWS managed policy; nothing here
      // uses the default group (every ENI gets its own), so it stays unrestricted and unused.
      restrictDefaultSecurityGroup: false,
      maxAzs: props.maxAzs ?? 2,
      natGateways: egress ? 1 : 0,
      subnetConfiguration: egress
        ? [
          { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
          { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        ]
        : [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      flowLogs: {
        AllTraffic: { destination: ec2.FlowLogDestination.toS3(this.accessLogsBucket, 'vpc-flow-logs/'), trafficType: ec2.FlowLogTrafficType.ALL },
      },
    });
    const defaultSgReason = 'no resource uses the default security group (every ENI this library creates has its own group); closing it needs a Lambda custom resource with the AWS managed policy AWSLambdaBasicExecutionRole, which this library does not deploy';
    acknowledgeComplianceRule(vpc, 'VPCDefaultSecurityGroupClosed', defaultSgReason);
    const subnets = selectPrivateSubnets(vpc, egress);
    const services = props.interfaceEndpoints ?? defaultInterfaceEndpoints();
    if (services.length > 0) {
      // One group for every interface endpoint: HTTPS from inside the VPC only.
      const endpointsSg = new ec2.SecurityGroup(this, 'EndpointsSecurityGroup', {
        vpc,
        allowAllOutbound: false,
        description: `Interface endpoints of ${this.node.path}: HTTPS from ${VPC_CIDR} only`,
      });
      endpointsSg.addIngressRule(ec2.Peer.ipv4(VPC_CIDR), ec2.Port.tcp(443), `HTTPS from ${VPC_CIDR}`);
      for (const service of services) {
        vpc.addInterfaceEndpoint(endpointId(service), { service, subnets, privateDnsEnabled: true, securityGroups: [endpointsSg], open: false });
      }
    }
    if (egress) {
      const reason = 'internetEgress was requested: the NAT gateway in this public subnet gives private subnets a route out; no instance in it has a public IP';
      for (const subnet of vpc.publicSubnets) {
        acknowledgeComplianceRule(subnet, 'VPCNoUnrestrictedRouteToIGW', reason);
      }
    }
    return vpc;
  }

  private createBucket(id: string, logPrefix: string, noncurrentVersionExpiration = Duration.days(365), expiration?: Duration): s3.Bucket {
    const bucket = new s3.Bucket(this, id, secureBucketProps({
      encryptionKey: this.encryptionKey,
      accessLogsBucket: this.accessLogsBucket,
      accessLogsPrefix: logPrefix,
      removalPolicy: this.removalPolicy,
      noncurrentVersionExpiration,
      expiration,
    }));
    acknowledgeReplication(bucket);
    return bucket;
  }
}

/** Private subnets of a VPC: with egress when asked for, else isolated ones if any, else private with egress. */
export function selectPrivateSubnets(vpc: ec2.IVpc, internetEgress: boolean): ec2.SubnetSelection {
  if (internetEgress) return { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  return { subnetType: vpc.isolatedSubnets.length > 0 ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS };
}

function endpointId(service: ec2.InterfaceVpcEndpointAwsService): string {
  const name = service.shortName.split(/[.-]/).map(p => p.charAt(0).toUpperCase() + p.slice(1)).join('');
  return `${name}Endpoint`;
}
