import { Annotations, CustomResource, Duration, Names, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { handlerAssetPath } from './handler-asset';
import { LeastPrivilegeRole } from './least-privilege-role';
import { acknowledgeComplianceRule } from './compliance';
import { allowCloudWatchLogs } from '../foundation/secure-defaults';
import { LAMBDA_LOG_ACTIONS, LAMBDA_VPC_ACTIONS } from '../permissions';

/** Props of {@link CustomResourceFunction}. */
export interface CustomResourceFunctionProps {
  /** The bundled handler under `dist/handlers/`, e.g. `opensearch-index`. */
  readonly handler: string;
  /** What the function does, for its description. */
  readonly description: string;
  /** The VPC to run in. */
  readonly vpc: ec2.IVpc;
  /** The subnets to run in. */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** Key for the function's log group and environment. */
  readonly encryptionKey: kms.IKey;
  /** How long a CloudFormation request may take; the handler answers before this. */
  readonly timeout: Duration;
  /** Retention of the function's logs. */
  readonly logRetention: logs.RetentionDays;
  /**
   * Environment variables of the function.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * What happens to the function's log group when it leaves the stack (`SNAPSHOT` is taken as `RETAIN`).
   * @default RemovalPolicy.RETAIN - the handler's logs are part of the audit trail
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Where failed asynchronous invocations go (for functions that EventBridge invokes).
   * @default - none: CloudFormation invokes the function and reads its answer
   */
  readonly onFailure?: lambda.IDestination;
}

/**
 * A Lambda function that serves CloudFormation custom resources: a pre-bundled TypeScript handler (no Docker),
 * in private subnets, with its own least-privilege role (no AWS managed policy) and an encrypted log group with
 * retention.
 */
export class CustomResourceFunction extends Construct {
  /** The function. */
  public readonly function: lambda.Function;
  /** Its role; grant it what the handler needs. */
  public readonly role: LeastPrivilegeRole;
  /** Its security group (no inbound rules; outbound HTTPS). */
  public readonly securityGroup: ec2.SecurityGroup;

  private readonly vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, props: CustomResourceFunctionProps) {
    super(scope, id);
    this.vpc = props.vpc;
    this.role = new LeastPrivilegeRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Custom resource handler of ${scope.node.path}`,
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      allowAllOutbound: false,
      description: `Custom resource handler of ${scope.node.path}: no inbound; outbound HTTPS only`,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs through VPC endpoints');

    if (!allowCloudWatchLogs(props.encryptionKey, '/aws/lambda/')) warnImportedKey(this, props.encryptionKey, '/aws/lambda/');
    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      // Named under /aws/lambda/ so that the key policy statement for CloudWatch Logs covers it.
      logGroupName: `/aws/lambda/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`,
      encryptionKey: props.encryptionKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
    });
    iam.Grant.addToPrincipal({ grantee: this.role, actions: LAMBDA_LOG_ACTIONS, resourceArns: [logGroup.logGroupArn] });
    this.role.grantUnscoped(LAMBDA_VPC_ACTIONS, 'Lambda creates and deletes the ENIs of a VPC function itself; EC2 ENI actions have no resource-level permissions at CreateFunction');

    this.function = new lambda.Function(this, 'Function', {
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(handlerAssetPath(props.handler)),
      role: this.role,
      timeout: props.timeout,
      memorySize: 256,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [this.securityGroup],
      logGroup,
      environmentEncryption: props.encryptionKey,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      onFailure: props.onFailure,
    });
    // The function must be able to write logs before CloudFormation invokes it.
    this.function.node.addDependency(this.role);

    const reason = props.onFailure
      ? 'failed asynchronous invocations go to an on-failure destination (the notification topic) instead of a dead-letter queue'
      : 'CloudFormation invokes this custom-resource handler and waits for its answer; the handler always answers (failures reach the stack events), so a dead-letter queue would only ever hold events CloudFormation already reported';
    const concurrencyReason = 'invoked once per resource operation or registry event; reserving concurrency would fail CreateFunction in accounts at the 10-execution minimum';
    acknowledgeComplianceRule(this.function, 'LambdaDLQ', reason);
    acknowledgeComplianceRule(this.function, 'LambdaConcurrency', concurrencyReason);
  }

  /**
   * Adds a custom resource served by this function. It depends on the function's network (VPC, security groups),
   * so that on stack deletion the handler can still reach its APIs and answer CloudFormation; CloudFormation waits
   * at most 15 minutes for an answer.
   */
  public addResource(id: string, scope: Construct, resourceType: string, properties: Record<string, unknown>, removalPolicy: RemovalPolicy): CustomResource {
    const resource = new CustomResource(scope, id, {
      serviceToken: this.function.functionArn,
      resourceType,
      properties,
      removalPolicy,
      serviceTimeout: Duration.minutes(15),
    });
    resource.node.addDependency(this.vpc, this.securityGroup);
    return resource;
  }
}

/** Warns that an imported key's policy must let CloudWatch Logs use it (the construct cannot change it). */
export function warnImportedKey(scope: Construct, key: kms.IKey, logGroupPrefix: string): void {
  Annotations.of(scope).addWarningV2('cdk-llmops:KeyPolicyForLogs',
    `The key ${key.node.path} is imported, so its policy cannot be changed here: allow logs.<region>.amazonaws.com to use it for ${logGroupPrefix}* log groups, or the log groups fail to create`);
}
