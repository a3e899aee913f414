import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, PolicyValidationPluginReport, RemovalPolicy, Stack, Tags, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as aoss from 'aws-cdk-lib/aws-opensearchserverless';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CfnEndpoint, CfnEndpointConfig, CfnModel } from 'aws-cdk-lib/aws-sagemaker';
import { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { NagRuleCompliance } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  AcceleratorKind, FineTuningPipeline, GpuInferenceEndpoint, GpuInstanceType, LlmOpsFoundation, ModelSource, OpenSearchServerlessVectorStore, ServingContainer,
} from '../../constructs';
import { LLMOPS_RULES, LlmOpsChecks } from '../../constructs/guardrails/llmops-checks';
import {
  OpenSearchServerlessCustomerKey, OpenSearchServerlessNotPublic, SageMakerDataCaptureEncrypted, SageMakerEndpointConfigVolumeKey, SageMakerModelInVpc,
  SageMakerModelNetworkIsolation, SageMakerTrainingJobInVpcEncrypted,
} from '../../constructs/guardrails/rules';

const { COMPLIANT, NOT_APPLICABLE } = NagRuleCompliance;

const ROLE_ARN = 'arn:aws:iam::111122223333:role/sagemaker';
const IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4';
const S3_WEIGHTS = { s3DataSource: { s3Uri: 's3://weights/models/a/', s3DataType: 'S3Prefix', compressionType: 'None' } };

/** The rule names of a report's violations, sorted. */
function ruleNames(report: PolicyValidationPluginReport): string[] {
  return report.violations.map(v => v.ruleName).sort();
}

/** The construct paths reported for `ruleName`. */
function reported(report: PolicyValidationPluginReport, ruleName: string): string[] {
  return (report.violations.find(v => v.ruleName === ruleName)?.violatingResources ?? []).flatMap(r => r.constructPath ?? []);
}

/** A model with S3 weights, neither in a VPC nor network-isolated. */
function exposedModel(scope: Construct, id: string): CfnModel {
  return new CfnModel(scope, id, { executionRoleArn: ROLE_ARN, primaryContainer: { image: IMAGE, modelDataSource: S3_WEIGHTS } });
}

describe('When the pack checks a production stack that breaks every rule once', () => {
  const app = new App();
  const stack = new Stack(app, 'Bad', { tags: { environment: 'prod' } });
  const model = exposedModel(stack, 'Model');
  new CfnEndpointConfig(stack, 'Config', {
    productionVariants: [{ variantName: 'AllTraffic', modelName: model.attrModelName, instanceType: 'ml.inf2.xlarge', initialInstanceCount: 1 }],
    dataCaptureConfig: { initialSamplingPercentage: 100, destinationS3Uri: 's3://capture/chat/', captureOptions: [{ captureMode: 'Input' }] },
  });
  new CfnEndpoint(stack, 'Endpoint', { endpointConfigName: 'config' });
  new CfnStateMachine(stack, 'Training', {
    roleArn: ROLE_ARN,
    definitionString: stack.toJsonString({
      StartAt: 'Train',
      States: { Train: { Type: 'Task', Resource: `arn:${stack.partition}:states:::sagemaker:createTrainingJob.sync`, Parameters: { RoleArn: ROLE_ARN }, End: true } },
    }),
  });
  new aoss.CfnSecurityPolicy(stack, 'Encryption', { name: 'enc', type: 'encryption', policy: JSON.stringify({ Rules: [], AWSOwnedKey: true }) });
  new aoss.CfnSecurityPolicy(stack, 'Network', { name: 'net', type: 'network', policy: JSON.stringify([{ Rules: [], AllowFromPublic: true }]) });
  new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  new s3.Bucket(stack, 'Bucket', { removalPolicy: RemovalPolicy.DESTROY });
  new logs.LogGroup(stack, 'Logs', { removalPolicy: RemovalPolicy.RETAIN });
  // Acknowledged on a parent construct: the model is not reported for the VPC rule, but still for network isolation.
  const acknowledged = new Construct(stack, 'Acknowledged');
  exposedModel(acknowledged, 'Model');
  Validations.of(acknowledged).acknowledge({ id: 'LlmOps-SageMakerModelInVpc', reason: 'a test model that is not in a VPC' });
  // Unreadable definitions: a finding of their own, which one state machine acknowledges.
  new CfnStateMachine(stack, 'InS3', { roleArn: ROLE_ARN, definitionS3Location: { bucket: 'definitions', key: 'a.json' } });
  const otherS3 = new CfnStateMachine(stack, 'OtherInS3', { roleArn: ROLE_ARN, definitionS3Location: { bucket: 'definitions', key: 'b.json' } });
  Validations.of(otherS3).acknowledge({ id: 'LlmOps-SageMakerTrainingJobInVpcEncrypted[DefinitionUnreadable]', reason: 'starts no training job' });

  const report = new LlmOpsChecks().validateScope(stack);

  test('every rule reports the resource that breaks it, as an error with the LlmOps rule id', () => {
    expect(report.success).toBe(false);
    expect(ruleNames(report)).toEqual([
      'LlmOps-IamRolePermissionsBoundary',
      'LlmOps-LogGroupEncryptedWithRetention',
      'LlmOps-OpenSearchServerlessCustomerKey',
      'LlmOps-OpenSearchServerlessNotPublic',
      'LlmOps-ProductionStatefulRetained',
      'LlmOps-SageMakerDataCaptureEncrypted',
      'LlmOps-SageMakerEndpointConfigVolumeKey',
      'LlmOps-SageMakerModelInVpc',
      'LlmOps-SageMakerModelNetworkIsolation',
      'LlmOps-SageMakerProductionEndpointRollback',
      'LlmOps-SageMakerTrainingJobInVpcEncrypted',
      'LlmOps-SageMakerTrainingJobInVpcEncrypted[DefinitionUnreadable]',
    ]);
    expect(new Set(report.violations.map(v => v.severity))).toEqual(new Set(['error']));
    expect(reported(report, 'LlmOps-ProductionStatefulRetained')).toEqual(['Bad/Bucket/Resource']);
  });

  test('a finding acknowledged on a parent construct is not reported, while the resource\'s other findings still are', () => {
    expect(reported(report, 'LlmOps-SageMakerModelInVpc')).toEqual(['Bad/Model']);
    expect(reported(report, 'LlmOps-SageMakerModelNetworkIsolation')).toEqual(['Bad/Model', 'Bad/Acknowledged/Model']);
    expect(reported(report, 'LlmOps-SageMakerTrainingJobInVpcEncrypted[DefinitionUnreadable]')).toEqual(['Bad/InS3']);
  });

  test('each finding describes what to fix', () => {
    const violation = report.violations.find(v => v.ruleName === 'LlmOps-SageMakerModelNetworkIsolation')!;
    expect(violation.description).toBe(LLMOPS_RULES.find(r => r.rule.name === 'SageMakerModelNetworkIsolation')!.info);
    expect(violation.description).toContain('EnableNetworkIsolation: true');
  });

  test('the pack reports the same with a scope, and lists its rule ids', () => {
    const withScope = new LlmOpsChecks(app);
    expect(ruleNames(withScope.validateScope(stack))).toEqual(ruleNames(report));
    expect(withScope.name).toBe('LlmOps');
    expect(withScope.ruleIds).toHaveLength(11);
    expect(withScope.ruleIds).toContain('LlmOps-SageMakerTrainingJobInVpcEncrypted');
  });
});

/** A stack tagged with `environment`, with an endpoint that has no deployment guardrails and a bucket deleted with the stack. */
function environmentStack(environment: string): Stack {
  const stack = new Stack(new App(), 'Env', { tags: { environment } });
  new CfnEndpoint(stack, 'Endpoint', { endpointConfigName: 'config' });
  new s3.CfnBucket(stack, 'Scratch').applyRemovalPolicy(RemovalPolicy.DESTROY);
  new s3.CfnBucket(stack, 'Kept').applyRemovalPolicy(RemovalPolicy.RETAIN);
  return stack;
}

describe('When the stack is tagged for production', () => {
  const report = new LlmOpsChecks().validateScope(environmentStack('Production'));

  test('an endpoint without blue/green rollback and a bucket deleted with the stack are reported', () => {
    expect(reported(report, 'LlmOps-SageMakerProductionEndpointRollback')).toEqual(['Env/Endpoint']);
    expect(reported(report, 'LlmOps-ProductionStatefulRetained')).toEqual(['Env/Scratch']);
  });
});

describe('When the stack is tagged for dev', () => {
  const report = new LlmOpsChecks().validateScope(environmentStack('dev'));

  test('the same endpoint and bucket are not reported', () => {
    expect(report.violations).toEqual([]);
  });
});

describe('When the pack runs as a validation plugin while the app is synthesized', () => {
  // As in LlmOpsStack: the environment tag comes from Tags.of(stack), an aspect, and stack tags are explicit, so only
  // the resources carry it.
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-checks-'));
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));
  const app = new App({ outdir, context: { '@aws-cdk/core:explicitStackTags': true } });
  Validations.of(app).addPlugins(new LlmOpsChecks());
  const stack = new Stack(app, 'Tagged');
  Tags.of(stack).add('environment', 'prod');
  new s3.CfnBucket(stack, 'Scratch').applyRemovalPolicy(RemovalPolicy.DESTROY);
  const acknowledged = new s3.CfnBucket(stack, 'AcknowledgedScratch');
  acknowledged.applyRemovalPolicy(RemovalPolicy.DESTROY);
  Validations.of(acknowledged).acknowledge({ id: 'LlmOps-ProductionStatefulRetained', reason: 'a scratch bucket that holds nothing' });

  test('synth fails on the unacknowledged finding only', () => {
    let message = '';
    try {
      app.synth();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('LlmOps-ProductionStatefulRetained');
    expect(message).toContain('Tagged/Scratch');
    expect(message).not.toContain('Tagged/AcknowledgedScratch');
  });
});

describe('When the library\'s own endpoints, fine-tuning pipelines and vector store are checked', () => {
  const stack = new Stack(new App(), 'Library');
  const foundation = new LlmOpsFoundation(stack, 'Foundation');
  const egress = new LlmOpsFoundation(stack, 'EgressFoundation', { internetEgress: true });
  const s3Endpoint = new GpuInferenceEndpoint(stack, 'Chat', { model: ModelSource.fromBucket(foundation.artifactsBucket, 'models/chat/') });
  const neuronEndpoint = new GpuInferenceEndpoint(stack, 'Neuron', {
    model: ModelSource.fromBucket(foundation.artifactsBucket, 'models/neuron/'), instanceType: GpuInstanceType.INF2_XLARGE,
    container: ServingContainer.fromImageUri('123456789012.dkr.ecr.us-east-1.amazonaws.com/neuron-llm:1'),
    vpc: foundation.vpc, encryptionKey: foundation.encryptionKey, dataCapture: { bucket: foundation.dataCaptureBucket },
  });
  const hubEndpoint = new GpuInferenceEndpoint(stack, 'Hub', {
    model: ModelSource.huggingFaceHub('mistralai/Mistral-7B-Instruct-v0.3'),
    vpc: egress.vpc, encryptionKey: egress.encryptionKey, dataCapture: { bucket: egress.dataCaptureBucket },
  });
  const pipeline = new FineTuningPipeline(stack, 'Pipeline', {
    baseModel: ModelSource.fromBucket(foundation.artifactsBucket, 'models/base/'),
    evaluation: { metric: 'eval_loss', threshold: 1.5 },
    vpc: foundation.vpc, encryptionKey: foundation.encryptionKey,
  });
  // ml.p3 has EBS storage only, so this pipeline's jobs carry a volume key.
  const p3Pipeline = new FineTuningPipeline(stack, 'P3Pipeline', {
    baseModel: ModelSource.huggingFaceHub('mistralai/Mistral-7B-v0.3'),
    evaluation: { metric: 'eval_loss', threshold: 2 },
    instanceType: GpuInstanceType.ofTraining('ml.p3.2xlarge', {
      accelerator: 'NVIDIA V100', acceleratorKind: AcceleratorKind.NVIDIA, acceleratorCount: 1, memoryPerAcceleratorMiB: 16384, vcpu: 8, hostMemoryGiB: 61, localNvme: false,
    }),
  });
  const vectors = new OpenSearchServerlessVectorStore(stack, 'Search', { dimension: 1024 });
  const report = new LlmOpsChecks().validateScope(stack);
  const cfn = (c: Construct) => c.node.defaultChild as CfnResource;

  test('their models are in a VPC, and network-isolated unless they download from the Hugging Face Hub', () => {
    const models = [s3Endpoint, neuronEndpoint, hubEndpoint].map(e => Object.values(e.cfnModels)[0]);
    expect(models.map(m => SageMakerModelInVpc(m))).toEqual([COMPLIANT, COMPLIANT, COMPLIANT]);
    expect(models.map(m => SageMakerModelNetworkIsolation(m))).toEqual([COMPLIANT, COMPLIANT, NOT_APPLICABLE]);
  });

  test('their endpoint configs have a volume key except on local NVMe storage, and encrypt data capture', () => {
    const configs = [s3Endpoint, neuronEndpoint, hubEndpoint].map(e => e.cfnEndpointConfig);
    expect(configs.map(c => SageMakerEndpointConfigVolumeKey(c))).toEqual([COMPLIANT, COMPLIANT, COMPLIANT]);
    expect(neuronEndpoint.cfnEndpointConfig.kmsKeyId).toBeDefined();
    expect(configs.map(c => SageMakerDataCaptureEncrypted(c))).toEqual([COMPLIANT, COMPLIANT, COMPLIANT]);
  });

  test('their training jobs, read from the synthesized definitions, run in a VPC with inter-container encryption and keys', () => {
    expect([pipeline, p3Pipeline].map(p => SageMakerTrainingJobInVpcEncrypted(cfn(p.stateMachine)))).toEqual([COMPLIANT, COMPLIANT]);
  });

  test('their OpenSearch Serverless policies use a customer key and VPC access only', () => {
    const policies = vectors.node.findAll().filter((c): c is aoss.CfnSecurityPolicy => c instanceof aoss.CfnSecurityPolicy);
    expect(policies.map(p => p.type).sort()).toEqual(['encryption', 'network']);
    expect(policies.map(p => [OpenSearchServerlessCustomerKey(p), OpenSearchServerlessNotPublic(p)]).flat().filter(r => r !== NOT_APPLICABLE))
      .toEqual([COMPLIANT, COMPLIANT]);
  });

  test('the pack reports none of the SageMaker, training job or OpenSearch Serverless rules', () => {
    const checked = ['SageMakerModelInVpc', 'SageMakerModelNetworkIsolation', 'SageMakerEndpointConfigVolumeKey', 'SageMakerDataCaptureEncrypted',
      'SageMakerTrainingJobInVpcEncrypted', 'OpenSearchServerlessCustomerKey', 'OpenSearchServerlessNotPublic'];
    expect(ruleNames(report).filter(name => checked.some(rule => name.startsWith(`LlmOps-${rule}`)))).toEqual([]);
  });
});

describe('the rules\' compliance values', () => {
  test('are cdk-nag\'s NagRuleCompliance values, defined without loading cdk-nag', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nag = jest.requireActual('cdk-nag') as typeof import('cdk-nag');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const support = require('../../constructs/guardrails/rules/support') as typeof import('../../constructs/guardrails/rules/support');
    expect(support.NagRuleCompliance).toEqual({
      COMPLIANT: nag.NagRuleCompliance.COMPLIANT,
      NON_COMPLIANT: nag.NagRuleCompliance.NON_COMPLIANT,
      NOT_APPLICABLE: nag.NagRuleCompliance.NOT_APPLICABLE,
    });
  });
});
