import { ArnFormat, DefaultStackSynthesizer, Duration, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { acknowledgeWildcardResource } from '../common/compliance';
import { CustomResourceFunction } from '../common/custom-resource-function';
import { PropValidator } from '../common/validation';

/** Props of {@link ModelPromotion}. */
export interface ModelPromotionProps {
  /** The model package group whose approvals are promoted (lower case: SageMaker lower-cases it in ARNs). */
  readonly modelPackageGroupName: string;
  /**
   * The SSM parameter that holds the approved package ARN (created beforehand, e.g. by an `LlmOpsRegistryStack`),
   * without the leading `/`… or with it: both forms are accepted.
   */
  readonly parameterName: string;
  /** The stack that reads the parameter (an `AWS::SSM::Parameter::Value<String>` parameter) and is updated. */
  readonly targetStack: Stack;
  /**
   * The CloudFormation service role the target stack is deployed with, which the update reuses.
   * @default - the CDK bootstrap's CloudFormation execution role of the target stack's synthesizer
   */
  readonly cloudFormationRoleArn?: string;
  /** VPC of the promotion function. */
  readonly vpc: ec2.IVpc;
  /** Subnets of the promotion function (they need routes to SageMaker, SSM and CloudFormation endpoints). */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** Key of the function's log group. */
  readonly encryptionKey: kms.IKey;
  /**
   * Where failed promotions are reported.
   * @default - not reported
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * Retention of the function's logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the function's log group (the record of every promotion) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Promotes approved model packages through CloudFormation: when a package of the group becomes Approved
 * (EventBridge "SageMaker Model Package State Change"), a Lambda writes its ARN to the SSM parameter and starts an
 * update of the target stack with its previous template; when the promoted package is Rejected (say after the
 * endpoint's alarms rolled its rollout back), it restores the newest earlier approved package (or the base model), so that the endpoint's blue/green policy and rollback
 * alarms guard the rollout and the template stays the single truth (never an out-of-band UpdateEndpoint).
 *
 * The function may: describe this group's packages; get and put this one parameter; read the SSM parameters
 * CloudFormation resolves for the stack; describe and update this one stack; pass the stack's CloudFormation
 * service role to CloudFormation.
 */
export class ModelPromotion extends Construct {
  /** The promotion function. */
  public readonly handler: CustomResourceFunction;
  /** The EventBridge rule that invokes it. */
  public readonly rule: events.Rule;

  constructor(scope: Construct, id: string, props: ModelPromotionProps) {
    super(scope, id);
    const parameterName = props.parameterName.replace(/^\//, '');
    const v = new PropValidator('ModelPromotion', this);
    v.check(Token.isUnresolved(parameterName) || /^[a-zA-Z0-9_.\-/]{1,1011}$/.test(parameterName), 'LLMOPS_PARAMETER_NAME', 'parameterName', props.parameterName,
      "is not an SSM parameter name; allowed: letters, digits, '_', '.', '-' and '/'");
    v.throwIfInvalid();

    const stack = Stack.of(this);
    this.handler = new CustomResourceFunction(this, 'Function', {
      handler: 'promote-model',
      description: `Promotes approved packages of ${props.modelPackageGroupName} to ${props.targetStack.stackName}`,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      encryptionKey: props.encryptionKey,
      timeout: Duration.minutes(2),
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: props.removalPolicy,
      environment: {
        PARAMETER_NAME: `/${parameterName}`,
        STACK_NAME: props.targetStack.stackName,
        MODEL_PACKAGE_GROUP_NAME: props.modelPackageGroupName,
      },
      onFailure: props.notificationTopic ? new destinations.SnsDestination(props.notificationTopic) : undefined,
    });
    if (props.notificationTopic?.masterKey) {
      Validations.of(this.handler.role).acknowledge({
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'publishing failed promotions to the KMS-encrypted notification topic needs kms:GenerateDataKey* (aws-cdk-lib grantPublish), on that one key',
      });
    }
    const role = this.handler.role;
    const packages = stack.formatArn({ service: 'sagemaker', resource: 'model-package', resourceName: `${props.modelPackageGroupName.toLowerCase()}/*` });
    iam.Grant.addToPrincipal({ grantee: role, actions: ['sagemaker:DescribeModelPackage'], resourceArns: [packages] });
    acknowledgeWildcardResource(role, packages, 'the promoted version is known only when it is approved; the grant covers this group only');
    const parameterArn = stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: parameterName });
    iam.Grant.addToPrincipal({ grantee: role, actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:GetParameters', 'ssm:GetParameterHistory'], resourceArns: [parameterArn] });
    const bootstrapVersion = stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: 'cdk-bootstrap/*/version' });
    iam.Grant.addToPrincipal({ grantee: role, actions: ['ssm:GetParameters'], resourceArns: [bootstrapVersion] });
    acknowledgeWildcardResource(role, bootstrapVersion, 'CloudFormation resolves the CDK bootstrap version parameter of every CDK stack with the caller\'s credentials on update; the qualifier is the only wildcard');
    const stackArn = stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${props.targetStack.stackName}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    iam.Grant.addToPrincipal({ grantee: role, actions: ['cloudformation:DescribeStacks', 'cloudformation:UpdateStack'], resourceArns: [stackArn] });
    acknowledgeWildcardResource(role, stackArn, 'a stack ARN ends with the stack\'s unique ID, unknown before it is created; the grant covers this stack name only');
    // The synthesizer's ARN carries ${AWS::...} placeholders for the asset manifest; Fn::Sub resolves them here.
    const cfnRole = props.cloudFormationRoleArn
      ?? (props.targetStack.synthesizer instanceof DefaultStackSynthesizer ? Fn.sub(props.targetStack.synthesizer.cloudFormationExecutionRoleArn) : undefined);
    if (cfnRole) {
      iam.Grant.addToPrincipal({
        grantee: role, actions: ['iam:PassRole'], resourceArns: [cfnRole],
        conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      });
    }

    this.rule = new events.Rule(this, 'ApprovedRule', {
      description: `Approved and rejected packages of ${props.modelPackageGroupName}`,
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Package State Change'],
        // Rejected too: rejecting the promoted package (e.g. after its rollout was rolled back) reverts to the previous one.
        detail: { ModelPackageGroupName: [props.modelPackageGroupName], ModelApprovalStatus: ['Approved', 'Rejected'] },
      },
      targets: [new targets.LambdaFunction(this.handler.function, { retryAttempts: 2, maxEventAge: Duration.hours(2) })],
    });
  }
}
