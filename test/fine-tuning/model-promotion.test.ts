import { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import { LlmOpsFoundation, ModelPromotion, ModelPromotionProps } from '../../constructs';
import { newStack, validationError } from '../util';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

function logicalId(c: IConstruct): string {
  return Stack.of(c).getLogicalId((c.node.defaultChild ?? c) as CfnElement);
}

/** A promotion of the 'Chat-Models' group to the stack it is in, with the stack's foundation. */
function promotion(stack: Stack, extra: Partial<ModelPromotionProps> = {}): ModelPromotion {
  const foundation = new LlmOpsFoundation(stack, 'Foundation');
  return new ModelPromotion(stack, 'Promotion', {
    modelPackageGroupName: 'Chat-Models',
    parameterName: 'llmops/dev/approved-model-package',
    targetStack: stack,
    vpc: foundation.vpc,
    vpcSubnets: foundation.privateSubnets(),
    encryptionKey: foundation.encryptionKey,
    ...extra,
  });
}

/** The statements of the function role's customer managed policies. */
function roleStatements(t: Template, p: ModelPromotion): Json[] {
  const policies = t.toJSON().Resources[logicalId(p.handler.role)].Properties.ManagedPolicyArns.map((a: Json) => a.Ref);
  return policies.flatMap((id: string) => t.toJSON().Resources[id].Properties.PolicyDocument.Statement);
}

const actionsOf = (s: Json): string[] => [s.Action].flat();
const arn = (service: string, resource: string) =>
  ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${resource}`]] });

describe('When approved packages of a group are promoted to a stack', () => {
  const stack = newStack();
  const p = promotion(stack);
  const t = Template.fromStack(stack);
  const statements = roleStatements(t, p);
  const grantsOf = (action: string) => statements.filter(s => actionsOf(s).includes(action));

  test('the rule matches approvals of this group only and invokes the function, retrying for a bounded time', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        'detail': { ModelPackageGroupName: ['Chat-Models'], ModelApprovalStatus: ['Approved', 'Rejected'] },
      },
      Targets: [{
        Arn: { 'Fn::GetAtt': [logicalId(p.handler.function), 'Arn'] },
        Id: Match.anyValue(),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 7200 },
      }],
    });
    t.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [logicalId(p.rule), 'Arn'] },
    });
  });

  test('the function knows the parameter (with a leading "/"), the stack and the group', () => {
    const fn = t.toJSON().Resources[logicalId(p.handler.function)];
    expect(fn.Properties.Environment.Variables).toEqual(expect.objectContaining({
      PARAMETER_NAME: '/llmops/dev/approved-model-package',
      STACK_NAME: 'TestStack',
      MODEL_PACKAGE_GROUP_NAME: 'Chat-Models',
    }));
  });

  test('the function may describe only packages of this group, under its lower-case name', () => {
    expect(grantsOf('sagemaker:DescribeModelPackage')).toEqual([
      { Action: 'sagemaker:DescribeModelPackage', Effect: 'Allow', Resource: arn('sagemaker', 'model-package/chat-models/*') },
    ]);
  });

  test('the function may get and put exactly the one parameter', () => {
    const parameterArn = arn('ssm', 'parameter/llmops/dev/approved-model-package');
    for (const action of ['ssm:GetParameter', 'ssm:PutParameter']) {
      const grants = grantsOf(action);
      expect(grants).toHaveLength(1);
      expect(grants[0].Resource).toEqual(parameterArn);
    }
  });

  test('the function may describe and update only the target stack', () => {
    for (const action of ['cloudformation:DescribeStacks', 'cloudformation:UpdateStack']) {
      const grants = grantsOf(action);
      expect(grants).toHaveLength(1);
      expect(grants[0].Resource).toEqual(arn('cloudformation', 'stack/TestStack/*'));
    }
    expect(statements.flatMap(actionsOf).filter(a => a.startsWith('cloudformation:')).sort())
      .toEqual(['cloudformation:DescribeStacks', 'cloudformation:UpdateStack']);
  });

  test('the function may pass the CDK CloudFormation execution role, to CloudFormation only', () => {
    expect(grantsOf('iam:PassRole')).toEqual([{
      Action: 'iam:PassRole',
      Effect: 'Allow',
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-cfn-exec-role-${AWS::AccountId}-${AWS::Region}' },
      Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    }]);
  });

  test('the function cannot touch endpoints or packages out of band: its only SageMaker action is DescribeModelPackage', () => {
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter(a => a.startsWith('sagemaker:'))).toEqual(['sagemaker:DescribeModelPackage']);
    expect(actions).not.toContain('sagemaker:UpdateEndpoint');
    expect(actions.filter(a => a.includes('*') && !a.startsWith('kms:'))).toEqual([]);
  });

  test('without a topic, failed promotions have no destination', () => {
    t.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
  });
});

describe('When failed promotions are reported to a topic', () => {
  const stack = newStack();
  const topic = new sns.Topic(stack, 'Topic');
  const p = promotion(stack, { notificationTopic: topic, parameterName: '/llmops/prod/approved-model-package' });
  const t = Template.fromStack(stack);

  test('a failed asynchronous invocation goes to the topic', () => {
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(p.handler.function) },
      DestinationConfig: { OnFailure: { Destination: { Ref: logicalId(topic) } } },
    });
  });

  test('the function may publish to the topic', () => {
    expect(roleStatements(t, p)).toContainEqual(expect.objectContaining({ Action: 'sns:Publish', Resource: { Ref: logicalId(topic) } }));
  });

  test('a parameter name given with a leading "/" gives the same environment and ARN as one without', () => {
    const fn = t.toJSON().Resources[logicalId(p.handler.function)];
    expect(fn.Properties.Environment.Variables.PARAMETER_NAME).toBe('/llmops/prod/approved-model-package');
    const put = roleStatements(t, p).filter(s => actionsOf(s).includes('ssm:PutParameter'));
    expect(put.map(s => s.Resource)).toEqual([arn('ssm', 'parameter/llmops/prod/approved-model-package')]);
  });
});

describe('When promotion props are invalid', () => {
  test('a parameter name with characters SSM does not allow fails with a message naming the path, prop and value', () => {
    const e = validationError(() => promotion(newStack(), { parameterName: '/llmops/dev/approved model' }));
    expect(e.codes).toEqual(['LLMOPS_PARAMETER_NAME']);
    expect(e.message).toBe(
      "ModelPromotion at 'TestStack/Promotion': parameterName '/llmops/dev/approved model' is not an SSM parameter name; allowed: letters, digits, '_', '.', '-' and '/' [LLMOPS_PARAMETER_NAME]");
  });

  test('an empty parameter name fails', () => {
    const e = validationError(() => promotion(newStack(), { parameterName: '/' }));
    expect(e.codes).toEqual(['LLMOPS_PARAMETER_NAME']);
    expect(e.message).toContain("ModelPromotion at 'TestStack/Promotion': parameterName '/' is not an SSM parameter name");
  });
});
