import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { GpuInferenceEndpoint, LlmOpsFoundation, ModelSource } from '../../constructs';
import { newStack, validationError } from '../util';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const PARAMETER = '/llmops/dev/approved-model-package';

function logicalId(c: IConstruct): string {
  return Stack.of(c).getLogicalId((c.node.defaultChild ?? c) as CfnElement);
}

/** The stack's SSM-typed parameters other than the CDK bootstrap version, by logical ID. */
function approvedParameters(t: Template): Record<string, Json> {
  const parameters = t.findParameters('*', { Type: 'AWS::SSM::Parameter::Value<String>' });
  delete parameters.BootstrapVersion;
  return parameters;
}

/** A foundation, a KMS-encrypted models bucket, and endpoints that share them. */
function setup() {
  const stack = newStack();
  const foundation = new LlmOpsFoundation(stack, 'Foundation');
  const bucket = new s3.Bucket(stack, 'Models', { encryption: s3.BucketEncryption.KMS, encryptionKey: foundation.encryptionKey });
  const endpoint = (id: string, model: ModelSource) => new GpuInferenceEndpoint(stack, id, {
    model, vpc: foundation.vpc, encryptionKey: foundation.encryptionKey, dataCapture: { bucket: foundation.dataCaptureBucket },
  });
  return { stack, foundation, bucket, endpoint };
}

describe('When an endpoint serves the approved package named by an SSM parameter, with weights in S3 as fallback', () => {
  const { stack, foundation, bucket, endpoint } = setup();
  const chat = endpoint('Chat', ModelSource.fromApprovedPackage(PARAMETER, {
    fallback: ModelSource.fromBucket(bucket, 'models/base/'),
    modelData: { bucket, prefix: 'output/' },
  }));
  const t = Template.fromStack(stack);
  const [[parameterId, parameter]] = Object.entries(approvedParameters(t));
  const [[conditionId, condition]] = Object.entries(t.findConditions('*'));
  const model = t.toJSON().Resources[logicalId(chat.cfnModels.AllTraffic)];

  test('the template reads the package ARN from the parameter at every deploy', () => {
    expect(parameter).toEqual(expect.objectContaining({ Type: 'AWS::SSM::Parameter::Value<String>', Default: PARAMETER }));
  });

  test("a condition is true once the parameter holds anything but 'none'", () => {
    expect(condition).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [{ Ref: parameterId }, 'none'] }] });
  });

  test('the model serves the package when the condition holds, else the fallback weights in the TGI container', () => {
    const [cond, approved, fallback] = model.Properties.PrimaryContainer['Fn::If'];
    expect(cond).toBe(conditionId);
    const environment = { HF_MODEL_ID: '/opt/ml/model', SM_NUM_GPUS: '1', MAX_INPUT_TOKENS: '4096', MAX_TOTAL_TOKENS: '8192' };
    expect(approved).toEqual({ ModelPackageName: { Ref: parameterId }, Environment: environment });
    expect(fallback).toEqual({
      Image: { 'Fn::Join': ['', expect.arrayContaining([expect.stringMatching(/\/huggingface-pytorch-tgi-inference:/)])] },
      Environment: environment,
      ModelDataSource: {
        S3DataSource: {
          S3Uri: { 'Fn::Join': ['', ['s3://', { Ref: logicalId(bucket) }, '/models/base/']] },
          S3DataType: 'S3Prefix',
          CompressionType: 'None',
        },
      },
    });
  });

  test('the model runs with network isolation, which the S3 fallback allows', () => {
    expect(model.Properties.EnableNetworkIsolation).toBe(true);
  });

  test('the execution role may read the fallback prefix and the packages\' output/ prefix, and decrypt them', () => {
    const bucketArn = { 'Fn::GetAtt': [logicalId(bucket), 'Arn'] };
    const policies = t.toJSON().Resources[logicalId(chat.role)].Properties.ManagedPolicyArns.map((a: Json) => a.Ref);
    const statements = policies.flatMap((id: string) => t.toJSON().Resources[id].Properties.PolicyDocument.Statement);
    for (const prefix of ['models/base/', 'output/']) {
      expect(statements).toContainEqual({ Action: 's3:GetObject', Effect: 'Allow', Resource: { 'Fn::Join': ['', [bucketArn, `/${prefix}*`]] } });
      expect(statements).toContainEqual({ Action: 's3:ListBucket', Effect: 'Allow', Resource: bucketArn, Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } } });
    }
    expect(statements).toContainEqual({ Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalId(foundation.encryptionKey), 'Arn'] } });
  });
});

describe('When two endpoints read the same approved-package parameter', () => {
  const { stack, bucket, endpoint } = setup();
  const chat = endpoint('Chat', ModelSource.fromApprovedPackage(PARAMETER, { fallback: ModelSource.fromBucket(bucket, 'models/base/') }));
  // The same parameter, written without the leading '/'.
  const batch = endpoint('Batch', ModelSource.fromApprovedPackage(PARAMETER.slice(1), { fallback: ModelSource.fromBucket(bucket, 'models/base/') }));
  const t = Template.fromStack(stack);

  test('they share one CloudFormation parameter and one condition', () => {
    const parameters = approvedParameters(t);
    expect(Object.values(parameters).map(p => p.Default)).toEqual([PARAMETER]);
    expect(Object.keys(t.findConditions('*'))).toHaveLength(1);
    const [parameterId] = Object.keys(parameters);
    for (const ep of [chat, batch]) {
      const [, approved] = t.toJSON().Resources[logicalId(ep.cfnModels.AllTraffic)].Properties.PrimaryContainer['Fn::If'];
      expect(approved.ModelPackageName).toEqual({ Ref: parameterId });
    }
  });
});

describe('When two endpoints read parameters whose names differ only in punctuation', () => {
  const { stack, bucket, endpoint } = setup();
  const dev = endpoint('Dev', ModelSource.fromApprovedPackage('/llmops/chat-model', { fallback: ModelSource.fromBucket(bucket, 'models/base/') }));
  const test_ = endpoint('Test', ModelSource.fromApprovedPackage('/llmops/chat.model', { fallback: ModelSource.fromBucket(bucket, 'models/base/') }));
  const t = Template.fromStack(stack);

  test('each reads its own parameter', () => {
    const parameters = approvedParameters(t);
    expect(Object.values(parameters).map(p => p.Default).sort()).toEqual(['/llmops/chat-model', '/llmops/chat.model']);
    const defaultOf = (ep: GpuInferenceEndpoint) => {
      const [, approved] = t.toJSON().Resources[logicalId(ep.cfnModels.AllTraffic)].Properties.PrimaryContainer['Fn::If'];
      return parameters[approved.ModelPackageName.Ref]?.Default;
    };
    expect(defaultOf(dev)).toBe('/llmops/chat-model');
    expect(defaultOf(test_)).toBe('/llmops/chat.model');
  });
});

describe('When the approved-package source is invalid', () => {
  const where = "GpuInferenceEndpoint at 'TestStack/Chat'";

  test('a fallback that is itself a model package fails: the endpoint container must serve the fallback', () => {
    const { bucket, endpoint } = setup();
    const e = validationError(() => endpoint('Chat', ModelSource.fromApprovedPackage(PARAMETER, {
      fallback: ModelSource.fromModelPackage('arn:aws:sagemaker:us-east-1:123456789012:model-package/chat-models/1'),
      modelData: { bucket, prefix: 'output/' },
    })));
    expect(e.codes).toEqual(['LLMOPS_APPROVED_FALLBACK']);
    expect(e.message).toBe(`${where}: model (ModelSource.fromApprovedPackage fallback) 'MODEL_PACKAGE' must be a source served by the endpoint's container: `
      + 'ModelSource.fromBucket or ModelSource.huggingFaceHub [LLMOPS_APPROVED_FALLBACK]');
  });

  test('a fallback that is another approved package fails', () => {
    const { bucket, endpoint } = setup();
    const inner = ModelSource.fromApprovedPackage('/llmops/other', { fallback: ModelSource.fromBucket(bucket, 'models/base/') });
    const e = validationError(() => endpoint('Chat', ModelSource.fromApprovedPackage(PARAMETER, { fallback: inner })));
    expect(e.codes).toEqual(['LLMOPS_APPROVED_FALLBACK']);
    expect(e.message).toContain("model (ModelSource.fromApprovedPackage fallback) 'APPROVED_PACKAGE' must be a source served by the endpoint's container");
  });

  test('a parameter name with characters SSM does not allow fails', () => {
    const { bucket, endpoint } = setup();
    const e = validationError(() => endpoint('Chat', ModelSource.fromApprovedPackage('/llmops/approved model', {
      fallback: ModelSource.fromBucket(bucket, 'models/base/'),
    })));
    expect(e.codes).toEqual(['LLMOPS_PARAMETER_NAME']);
    expect(e.message).toBe(`${where}: model (ModelSource.fromApprovedPackage parameterName) '/llmops/approved model' is not an SSM parameter name; `
      + "allowed: letters, digits, '_', '.', '-' and '/' [LLMOPS_PARAMETER_NAME]");
  });

  test('a bad fallback prefix and a bad package data prefix are both reported', () => {
    const { bucket, endpoint } = setup();
    const e = validationError(() => endpoint('Chat', ModelSource.fromApprovedPackage(PARAMETER, {
      fallback: ModelSource.fromBucket(bucket, 'models/base'),
      modelData: { bucket, prefix: '/output/' },
    })));
    expect(e.codes).toEqual(['LLMOPS_MODEL_PREFIX', 'LLMOPS_MODEL_PREFIX']);
    expect(e.message).toContain("model (fallback) (ModelSource.fromBucket prefix) 'models/base' is not a key prefix");
    expect(e.message).toContain("model (ModelSource.fromApprovedPackage modelData.prefix) '/output/' is not a key prefix");
  });
});
