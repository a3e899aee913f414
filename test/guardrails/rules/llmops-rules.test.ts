import { Aws, CfnCondition, CfnParameter, CfnResource, Fn, IResolvable, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as aoss from 'aws-cdk-lib/aws-opensearchserverless';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CfnEndpoint, CfnEndpointConfig, CfnModel } from 'aws-cdk-lib/aws-sagemaker';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { CfnStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { NagRuleCompliance } from 'cdk-nag';
import {
  IamRolePermissionsBoundary, isProduction, LogGroupEncryptedWithRetention, OpenSearchServerlessCustomerKey, OpenSearchServerlessNotPublic,
  ProductionStatefulRetained, SageMakerDataCaptureEncrypted, SageMakerEndpointConfigVolumeKey, SageMakerModelInVpc, SageMakerModelNetworkIsolation,
  SageMakerProductionEndpointRollback, SageMakerTrainingJobInVpcEncrypted,
} from '../../../constructs/guardrails/rules';
import { newStack } from '../../util';

const { COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE } = NagRuleCompliance;

const ROLE_ARN = 'arn:aws:iam::111122223333:role/sagemaker';
const IMAGE = '763104351884.dkr.ecr.us-east-1.amazonaws.com/huggingface-pytorch-tgi-inference:2.4';
const VPC = { subnets: ['subnet-1', 'subnet-2'], securityGroupIds: ['sg-1'] };
const S3_WEIGHTS = { s3DataSource: { s3Uri: 's3://weights/models/a/', s3DataType: 'S3Prefix', compressionType: 'None' } };

describe('When the rules are given resources they do not check', () => {
  const stack = newStack();
  const bucket = new s3.CfnBucket(stack, 'Bucket');

  test('every rule finds a bucket outside a production environment not applicable, with its own name', () => {
    const rules = [
      SageMakerModelInVpc, SageMakerModelNetworkIsolation, SageMakerEndpointConfigVolumeKey, SageMakerDataCaptureEncrypted,
      SageMakerProductionEndpointRollback, SageMakerTrainingJobInVpcEncrypted, OpenSearchServerlessCustomerKey, OpenSearchServerlessNotPublic,
      IamRolePermissionsBoundary, ProductionStatefulRetained, LogGroupEncryptedWithRetention,
    ];
    expect(rules.map(rule => rule(bucket))).toEqual(rules.map(() => NOT_APPLICABLE));
    expect(rules.map(rule => rule.name)).toEqual([
      'SageMakerModelInVpc', 'SageMakerModelNetworkIsolation', 'SageMakerEndpointConfigVolumeKey', 'SageMakerDataCaptureEncrypted',
      'SageMakerProductionEndpointRollback', 'SageMakerTrainingJobInVpcEncrypted', 'OpenSearchServerlessCustomerKey', 'OpenSearchServerlessNotPublic',
      'IamRolePermissionsBoundary', 'ProductionStatefulRetained', 'LogGroupEncryptedWithRetention',
    ]);
  });
});

describe('When SageMakerModelInVpc checks models', () => {
  const stack = newStack();
  const isDev = new CfnParameter(stack, 'IsDev', { type: 'String' });
  const dev = new CfnCondition(stack, 'Dev', { expression: Fn.conditionEquals(isDev.valueAsString, 'true') });
  const model = (id: string, vpcConfig?: CfnModel.VpcConfigProperty | IResolvable) =>
    new CfnModel(stack, id, { executionRoleArn: ROLE_ARN, primaryContainer: { image: IMAGE }, vpcConfig });

  test('a model with a VPC config is compliant', () => {
    expect(SageMakerModelInVpc(model('InVpc', VPC))).toBe(COMPLIANT);
  });

  test('a model without a VPC config is reported', () => {
    expect(SageMakerModelInVpc(model('NoVpc'))).toBe(NON_COMPLIANT);
  });

  test('a model whose VPC config has no subnets is reported', () => {
    expect(SageMakerModelInVpc(model('NoSubnets', { subnets: [], securityGroupIds: ['sg-1'] }))).toBe(NON_COMPLIANT);
  });

  test('a model in a VPC only when a condition holds is reported', () => {
    const onlyInProd = Fn.conditionIf(dev.logicalId, Aws.NO_VALUE, { Subnets: ['subnet-1'], SecurityGroupIds: ['sg-1'] });
    expect(SageMakerModelInVpc(model('Conditional', onlyInProd))).toBe(NON_COMPLIANT);
  });

  test('a VPC config added as a property override is read', () => {
    const overridden = model('Overridden');
    overridden.addPropertyOverride('VpcConfig', { Subnets: ['subnet-1'], SecurityGroupIds: ['sg-1'] });
    expect(SageMakerModelInVpc(overridden)).toBe(COMPLIANT);
  });
});

describe('When SageMakerModelNetworkIsolation checks models', () => {
  const stack = newStack();
  const isolation = new CfnParameter(stack, 'Isolation', { type: 'String' });
  const model = (id: string, props: Partial<ConstructorParameters<typeof CfnModel>[2]>) =>
    new CfnModel(stack, id, { executionRoleArn: ROLE_ARN, vpcConfig: VPC, ...props });

  test('a model with S3 model data and network isolation is compliant', () => {
    expect(SageMakerModelNetworkIsolation(model('Isolated', { primaryContainer: { image: IMAGE, modelDataSource: S3_WEIGHTS }, enableNetworkIsolation: true }))).toBe(COMPLIANT);
  });

  test('a model with S3 model data (ModelDataSource) without network isolation is reported', () => {
    expect(SageMakerModelNetworkIsolation(model('S3Source', { primaryContainer: { image: IMAGE, modelDataSource: S3_WEIGHTS } }))).toBe(NON_COMPLIANT);
  });

  test('a model with a ModelDataUrl and network isolation off is reported', () => {
    expect(SageMakerModelNetworkIsolation(model('DataUrl', { primaryContainer: { image: IMAGE, modelDataUrl: 's3://weights/model.tar.gz' }, enableNetworkIsolation: false }))).toBe(NON_COMPLIANT);
  });

  test('a model whose second container comes from a model package, without network isolation, is reported', () => {
    const containers = [{ image: IMAGE }, { modelPackageName: 'arn:aws:sagemaker:us-east-1:111122223333:model-package/chat/3' }];
    expect(SageMakerModelNetworkIsolation(model('Package', { containers }))).toBe(NON_COMPLIANT);
  });

  test('a model whose isolation is a parameter cannot be evaluated and is reported', () => {
    const byParameter = model('ByParameter', { primaryContainer: { image: IMAGE, modelDataSource: S3_WEIGHTS } });
    byParameter.addPropertyOverride('EnableNetworkIsolation', isolation.valueAsString);
    expect(SageMakerModelNetworkIsolation(byParameter)).toBe(NON_COMPLIANT);
  });

  test('a model whose container has only an image (a Hugging Face Hub download) is not applicable', () => {
    expect(SageMakerModelNetworkIsolation(model('Hub', { primaryContainer: { image: IMAGE, environment: { HF_MODEL_ID: 'mistralai/Mistral-7B-v0.3' } } }))).toBe(NOT_APPLICABLE);
  });
});

describe('When SageMakerEndpointConfigVolumeKey checks endpoint configs', () => {
  const stack = newStack();
  const key = new kms.Key(stack, 'Key');
  const variant = (instanceType: string, name = 'AllTraffic') => ({ variantName: name, modelName: 'model', instanceType, initialInstanceCount: 1 });
  const config = (id: string, props: Partial<ConstructorParameters<typeof CfnEndpointConfig>[2]>) =>
    new CfnEndpointConfig(stack, id, { productionVariants: [variant('ml.inf2.xlarge')], ...props });

  test('an endpoint config with a KMS key is compliant', () => {
    expect(SageMakerEndpointConfigVolumeKey(config('WithKey', { kmsKeyId: key.keyArn }))).toBe(COMPLIANT);
  });

  test('an endpoint config on ml.g5 (local NVMe storage) without a key is compliant', () => {
    expect(SageMakerEndpointConfigVolumeKey(config('Nvme', { productionVariants: [variant('ml.g5.2xlarge')] }))).toBe(COMPLIANT);
  });

  test('an endpoint config on ml.inf2 (no local NVMe storage) without a key is reported', () => {
    expect(SageMakerEndpointConfigVolumeKey(config('Neuron', {}))).toBe(NON_COMPLIANT);
  });

  test('an endpoint config on a CPU type the GPU catalogue does not list, without a key, is reported', () => {
    expect(SageMakerEndpointConfigVolumeKey(config('Cpu', { productionVariants: [variant('ml.m5.xlarge')] }))).toBe(NON_COMPLIANT);
  });

  test('an endpoint config whose shadow variant has no local NVMe storage, without a key, is reported', () => {
    expect(SageMakerEndpointConfigVolumeKey(config('Shadow', {
      productionVariants: [variant('ml.g5.2xlarge')], shadowProductionVariants: [variant('ml.inf2.xlarge', 'Shadow')],
    }))).toBe(NON_COMPLIANT);
  });

  test('an endpoint config with only serverless variants is not applicable', () => {
    expect(SageMakerEndpointConfigVolumeKey(config('Serverless', {
      productionVariants: [{ variantName: 'AllTraffic', modelName: 'model', serverlessConfig: { maxConcurrency: 5, memorySizeInMb: 4096 } }],
    }))).toBe(NOT_APPLICABLE);
  });
});

describe('When SageMakerDataCaptureEncrypted checks endpoint configs', () => {
  const stack = newStack();
  const key = new kms.Key(stack, 'Key');
  const capture = (kmsKeyId?: string, enableCapture = true) => ({
    enableCapture, initialSamplingPercentage: 100, destinationS3Uri: 's3://capture/endpoints/chat/', kmsKeyId, captureOptions: [{ captureMode: 'Input' }],
  });
  const config = (id: string, dataCaptureConfig?: CfnEndpointConfig.DataCaptureConfigProperty) =>
    new CfnEndpointConfig(stack, id, { productionVariants: [{ variantName: 'AllTraffic', modelName: 'm', instanceType: 'ml.g5.2xlarge', initialInstanceCount: 1 }], dataCaptureConfig });

  test('data capture with a KMS key is compliant', () => {
    expect(SageMakerDataCaptureEncrypted(config('WithKey', capture(key.keyArn)))).toBe(COMPLIANT);
  });

  test('data capture without a KMS key is reported', () => {
    expect(SageMakerDataCaptureEncrypted(config('NoKey', capture()))).toBe(NON_COMPLIANT);
  });

  test('an endpoint config without data capture, or with capture turned off, is not applicable', () => {
    expect(SageMakerDataCaptureEncrypted(config('NoCapture'))).toBe(NOT_APPLICABLE);
    expect(SageMakerDataCaptureEncrypted(config('Off', capture(undefined, false)))).toBe(NOT_APPLICABLE);
  });
});

describe('When SageMakerProductionEndpointRollback checks endpoints tagged with their environment', () => {
  // The stack has no environment tag: each endpoint's own tag decides.
  const stack = newStack();
  const blueGreen = { trafficRoutingConfiguration: { type: 'ALL_AT_ONCE' } };
  const endpoint = (id: string, environment: string, deploymentConfig?: CfnEndpoint.DeploymentConfigProperty) =>
    new CfnEndpoint(stack, id, { endpointConfigName: 'config', deploymentConfig, tags: [{ key: 'environment', value: environment }] });

  test('a production endpoint with blue/green and a rollback alarm is compliant', () => {
    expect(SageMakerProductionEndpointRollback(endpoint('Guarded', 'prod', {
      blueGreenUpdatePolicy: blueGreen, autoRollbackConfiguration: { alarms: [{ alarmName: 'chat-5xx' }] },
    }))).toBe(COMPLIANT);
  });

  test('a production endpoint without a deployment config is reported', () => {
    expect(SageMakerProductionEndpointRollback(endpoint('Unguarded', 'Production'))).toBe(NON_COMPLIANT);
  });

  test('a production endpoint with blue/green but no rollback alarm is reported', () => {
    expect(SageMakerProductionEndpointRollback(endpoint('NoAlarms', 'PROD', { blueGreenUpdatePolicy: blueGreen, autoRollbackConfiguration: { alarms: [] } }))).toBe(NON_COMPLIANT);
  });

  test('an endpoint tagged for dev, or not tagged at all, is not applicable', () => {
    expect(SageMakerProductionEndpointRollback(endpoint('Dev', 'dev'))).toBe(NOT_APPLICABLE);
    expect(SageMakerProductionEndpointRollback(new CfnEndpoint(stack, 'Untagged', { endpointConfigName: 'config' }))).toBe(NOT_APPLICABLE);
  });
});

describe('When isProduction reads the environment tags of a resource and its stack', () => {
  const stack = newStack({ tags: { Environment: 'production' } });
  const bucket = new s3.CfnBucket(stack, 'Bucket');
  const devBucket = new s3.CfnBucket(stack, 'DevBucket', { tags: [{ key: 'environment', value: 'dev' }] });
  const plain = new CfnResource(stack, 'Plain', { type: 'AWS::DynamoDB::Table' });

  test('a resource without its own tag takes the stack tag (key and value in any case)', () => {
    expect(isProduction(bucket)).toBe(true);
    expect(isProduction(plain)).toBe(true);
  });

  test('a resource tag overrides the stack tag', () => {
    expect(isProduction(devBucket)).toBe(false);
  });

  test('a resource with neither tag is not in production', () => {
    expect(isProduction(new s3.CfnBucket(newStack(), 'Bucket'))).toBe(false);
  });
});

describe('When SageMakerTrainingJobInVpcEncrypted reads state machine definitions', () => {
  const stack = newStack();
  const key = new kms.Key(stack, 'Key');
  const instanceCount = new CfnParameter(stack, 'InstanceCount', { type: 'Number' });
  const resource = `arn:${stack.partition}:states:::sagemaker:createTrainingJob.sync`;

  /** The Parameters of a compliant training job, tokens included; `changes` replace top-level fields (undefined removes). */
  const request = (changes: Record<string, unknown> = {}, instanceType = 'ml.p4d.24xlarge') => {
    const fields: Record<string, unknown> = {
      'TrainingJobName.$': "States.Format('ft-{}', States.UUID())",
      'AlgorithmSpecification': { TrainingImage: IMAGE, TrainingInputMode: 'File' },
      'RoleArn': ROLE_ARN,
      'OutputDataConfig': { S3OutputPath: 's3://datasets/output/', KmsKeyId: key.keyArn },
      'ResourceConfig': { InstanceType: instanceType, InstanceCount: instanceCount.valueAsNumber, VolumeSizeInGB: 100 },
      'StoppingCondition': { MaxRuntimeInSeconds: 86400 },
      'VpcConfig': { Subnets: ['subnet-1'], SecurityGroupIds: ['sg-1'] },
      'EnableInterContainerTrafficEncryption': true,
      ...changes,
    };
    return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  };
  const train = (parameters: Record<string, unknown>) => ({ Type: 'Task', Resource: resource, Parameters: parameters, End: true });
  const machine = (id: string, states: Record<string, unknown>) => new CfnStateMachine(stack, id, {
    roleArn: ROLE_ARN, definitionString: stack.toJsonString({ StartAt: Object.keys(states)[0], States: states }),
  });

  test('a training job in a VPC with inter-container encryption and output and volume keys is compliant', () => {
    const volumeKey = request({ ResourceConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 50, VolumeKmsKeyId: key.keyArn } });
    expect(SageMakerTrainingJobInVpcEncrypted(machine('Secure', { Train: train(volumeKey) }))).toBe(COMPLIANT);
  });

  test('a training job on local NVMe storage (ml.p4d) needs no volume key', () => {
    expect(SageMakerTrainingJobInVpcEncrypted(machine('Nvme', { Train: train(request()) }))).toBe(COMPLIANT);
  });

  test('a training job on an instance without local NVMe storage and no volume key is reported', () => {
    expect(SageMakerTrainingJobInVpcEncrypted(machine('NoVolumeKey', { Train: train(request({}, 'ml.m5.xlarge')) }))).toBe(NON_COMPLIANT);
  });

  test('a training job without a VPC config is reported', () => {
    expect(SageMakerTrainingJobInVpcEncrypted(machine('NoVpc', { Train: train(request({ VpcConfig: undefined })) }))).toBe(NON_COMPLIANT);
  });

  test('a training job whose VPC config is a path evaluated at run time is compliant', () => {
    expect(SageMakerTrainingJobInVpcEncrypted(machine('VpcPath', { Train: train(request({ 'VpcConfig': undefined, 'VpcConfig.$': '$.vpc' })) }))).toBe(COMPLIANT);
  });

  test('a training job without inter-container encryption is reported', () => {
    expect(SageMakerTrainingJobInVpcEncrypted(machine('NoIce', { Train: train(request({ EnableInterContainerTrafficEncryption: false })) }))).toBe(NON_COMPLIANT);
  });

  test('a training job without an output key is reported', () => {
    expect(SageMakerTrainingJobInVpcEncrypted(machine('NoOutputKey', { Train: train(request({ OutputDataConfig: { S3OutputPath: 's3://datasets/output/' } })) }))).toBe(NON_COMPLIANT);
  });

  test('an insecure training job inside a Parallel branch and inside a Map item processor is reported', () => {
    const insecure = train(request({ VpcConfig: undefined }));
    expect(SageMakerTrainingJobInVpcEncrypted(machine('InParallel', {
      Fan: { Type: 'Parallel', Branches: [{ StartAt: 'Ok', States: { Ok: { Type: 'Pass', End: true } } }, { StartAt: 'Train', States: { Train: insecure } }], End: true },
    }))).toBe(NON_COMPLIANT);
    expect(SageMakerTrainingJobInVpcEncrypted(machine('InMap', {
      Each: { Type: 'Map', ItemProcessor: { StartAt: 'Train', States: { Train: insecure } }, End: true },
    }))).toBe(NON_COMPLIANT);
  });

  test('a JSONata training job with Arguments is read like Parameters', () => {
    const jsonata = (encryption: unknown) => ({
      Type: 'Task', QueryLanguage: 'JSONata', Resource: resource, End: true,
      Arguments: { ...request({ 'TrainingJobName.$': undefined, 'EnableInterContainerTrafficEncryption': encryption }), TrainingJobName: '{% $uuid() %}' },
    });
    expect(SageMakerTrainingJobInVpcEncrypted(machine('Jsonata', { Train: jsonata('{% true %}') }))).toBe(COMPLIANT);
    expect(SageMakerTrainingJobInVpcEncrypted(machine('JsonataOff', { Train: jsonata('{% $states.input.encrypt %}') }))).toBe(NON_COMPLIANT);
  });

  test('a Definition object with an Fn::Join resource and DefinitionSubstitutions in a DefinitionString are read', () => {
    const withDefinition = new CfnStateMachine(stack, 'WithDefinition', {
      roleArn: ROLE_ARN, definition: { StartAt: 'Train', States: { Train: train(request({ VpcConfig: undefined })) } },
    });
    expect(SageMakerTrainingJobInVpcEncrypted(withDefinition)).toBe(NON_COMPLIANT);
    const substituted = new CfnStateMachine(stack, 'Substituted', {
      roleArn: ROLE_ARN,
      definitionString: JSON.stringify({ StartAt: 'Train', States: { Train: { ...train(request({ EnableInterContainerTrafficEncryption: '${Encrypt}' })), Resource: '${Resource}' } } })
        .replace('"${Encrypt}"', '${Encrypt}'),
      definitionSubstitutions: { Resource: resource, Encrypt: 'false' },
    });
    expect(SageMakerTrainingJobInVpcEncrypted(substituted)).toBe(NON_COMPLIANT);
  });

  test('a job of the aws-cdk-lib SageMakerCreateTrainingJob task is found, and reported: the task cannot turn on inter-container encryption', () => {
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0, subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const data = s3.Bucket.fromBucketName(stack, 'Data', 'datasets');
    const task = new tasks.SageMakerCreateTrainingJob(stack, 'CdkTrain', {
      trainingJobName: 'ft',
      algorithmSpecification: { trainingImage: tasks.DockerImage.fromRegistry(IMAGE) },
      inputDataConfig: [{ channelName: 'train', dataSource: { s3DataSource: { s3Location: tasks.S3Location.fromBucket(data, 'train/') } } }],
      outputDataConfig: { s3OutputLocation: tasks.S3Location.fromBucket(data, 'output/'), encryptionKey: key },
      resourceConfig: { instanceCount: 1, instanceType: new ec2.InstanceType('p4d.24xlarge'), volumeSize: Size.gibibytes(100), volumeEncryptionKey: key },
      vpcConfig: { vpc },
    });
    const cdkMachine = new sfn.StateMachine(stack, 'CdkMachine', { definitionBody: sfn.DefinitionBody.fromChainable(task) });
    expect(SageMakerTrainingJobInVpcEncrypted(cdkMachine.node.defaultChild as CfnResource)).toBe(NON_COMPLIANT);
  });

  test('a state machine that starts no training job is not applicable', () => {
    expect(SageMakerTrainingJobInVpcEncrypted(machine('NoTraining', { Wait: { Type: 'Wait', Seconds: 5, End: true } }))).toBe(NOT_APPLICABLE);
  });

  test('a definition that cannot be read is reported as the DefinitionUnreadable finding', () => {
    const broken = new CfnStateMachine(stack, 'Broken', { roleArn: ROLE_ARN, definitionString: '{"StartAt": "Train", "States": {' });
    const inS3 = new CfnStateMachine(stack, 'InS3', { roleArn: ROLE_ARN, definitionS3Location: { bucket: 'definitions', key: 'machine.json' } });
    expect(SageMakerTrainingJobInVpcEncrypted(broken)).toEqual(['DefinitionUnreadable']);
    expect(SageMakerTrainingJobInVpcEncrypted(inS3)).toEqual(['DefinitionUnreadable']);
  });
});

describe('When the OpenSearch Serverless rules check security policies', () => {
  const stack = newStack();
  const key = new kms.Key(stack, 'Key');
  const rules = [{ ResourceType: 'collection', Resource: ['collection/vectors'] }];
  const policy = (id: string, type: string, document: unknown) =>
    new aoss.CfnSecurityPolicy(stack, id, { name: id.toLowerCase(), type, policy: typeof document === 'string' ? document : stack.toJsonString(document) });

  const customerKey = policy('CustomerKey', 'encryption', { Rules: rules, AWSOwnedKey: false, KmsARN: key.keyArn });
  const private_ = policy('Private', 'network', [{ Rules: rules, AllowFromPublic: false, SourceVPCEs: ['vpce-1'] }]);

  test('an encryption policy with a customer managed key is compliant', () => {
    expect(OpenSearchServerlessCustomerKey(customerKey)).toBe(COMPLIANT);
  });

  test('an encryption policy with an AWS owned key is reported', () => {
    expect(OpenSearchServerlessCustomerKey(policy('AwsOwned', 'encryption', { Rules: rules, AWSOwnedKey: true }))).toBe(NON_COMPLIANT);
  });

  test('an encryption policy that is not JSON is reported', () => {
    expect(OpenSearchServerlessCustomerKey(policy('NotJson', 'encryption', '{"Rules": ['))).toBe(NON_COMPLIANT);
  });

  test('a network policy with only VPC access is compliant', () => {
    expect(OpenSearchServerlessNotPublic(private_)).toBe(COMPLIANT);
  });

  test('a network policy with one public rule is reported', () => {
    expect(OpenSearchServerlessNotPublic(policy('Public', 'network', [
      { Rules: rules, AllowFromPublic: false, SourceVPCEs: ['vpce-1'] },
      { Rules: [{ ResourceType: 'dashboard', Resource: ['collection/vectors'] }], AllowFromPublic: true },
    ]))).toBe(NON_COMPLIANT);
  });

  test('each rule finds the other policy type, and collections, not applicable', () => {
    const collection = new aoss.CfnCollection(stack, 'Collection', { name: 'vectors', type: 'VECTORSEARCH' });
    expect([OpenSearchServerlessCustomerKey(private_), OpenSearchServerlessNotPublic(customerKey)]).toEqual([NOT_APPLICABLE, NOT_APPLICABLE]);
    expect([OpenSearchServerlessCustomerKey(collection), OpenSearchServerlessNotPublic(collection)]).toEqual([NOT_APPLICABLE, NOT_APPLICABLE]);
  });
});

describe('When IamRolePermissionsBoundary checks roles', () => {
  const stack = newStack();
  const boundary = new iam.ManagedPolicy(stack, 'Boundary', { statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })] });
  const assumedBy = new iam.ServicePrincipal('lambda.amazonaws.com');
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] };

  test('a role with a permissions boundary is compliant', () => {
    const role = new iam.Role(stack, 'Bounded', { assumedBy, permissionsBoundary: boundary });
    expect(IamRolePermissionsBoundary(role.node.defaultChild as CfnResource)).toBe(COMPLIANT);
  });

  test('a role without a permissions boundary is reported', () => {
    const role = new iam.Role(stack, 'Unbounded', { assumedBy });
    expect(IamRolePermissionsBoundary(role.node.defaultChild as CfnResource)).toBe(NON_COMPLIANT);
  });

  test('a plain CfnResource role (as custom resource providers create) is read too, property overrides included', () => {
    const provider = new CfnResource(stack, 'ProviderRole', { type: 'AWS::IAM::Role', properties: { AssumeRolePolicyDocument: trust } });
    expect(IamRolePermissionsBoundary(provider)).toBe(NON_COMPLIANT);
    provider.addPropertyOverride('PermissionsBoundary', boundary.managedPolicyArn);
    expect(IamRolePermissionsBoundary(provider)).toBe(COMPLIANT);
  });
});

describe('When ProductionStatefulRetained checks stateful resources', () => {
  // The stack is tagged for production; one bucket is tagged for dev.
  const stack = newStack({ tags: { environment: 'prod' } });

  test('a production bucket that is retained is compliant', () => {
    const bucket = new s3.Bucket(stack, 'Retained', { removalPolicy: RemovalPolicy.RETAIN });
    expect(ProductionStatefulRetained(bucket.node.defaultChild as CfnResource)).toBe(COMPLIANT);
  });

  test('a production bucket, key, log group and secret that are destroyed with the stack are reported', () => {
    const resources = [
      new s3.Bucket(stack, 'Destroyed', { removalPolicy: RemovalPolicy.DESTROY }),
      new kms.Key(stack, 'Key', { removalPolicy: RemovalPolicy.DESTROY }),
      new logs.LogGroup(stack, 'Logs', { removalPolicy: RemovalPolicy.DESTROY }),
      new CfnResource(stack, 'Secret', { type: 'AWS::SecretsManager::Secret' }),
    ].map(r => (r.node.defaultChild ?? r) as CfnResource);
    expect(resources.map(r => ProductionStatefulRetained(r))).toEqual([NON_COMPLIANT, NON_COMPLIANT, NON_COMPLIANT, NON_COMPLIANT]);
  });

  test('an RDS cluster without a DeletionPolicy is snapshotted by CloudFormation and is compliant, and its instances are not applicable', () => {
    const cluster = new rds.CfnDBCluster(stack, 'Cluster', { engine: 'aurora-postgresql' });
    const instance = new rds.CfnDBInstance(stack, 'Writer', { dbClusterIdentifier: cluster.ref, dbInstanceClass: 'db.serverless', engine: 'aurora-postgresql' });
    instance.applyRemovalPolicy(RemovalPolicy.DESTROY);
    expect([ProductionStatefulRetained(cluster), ProductionStatefulRetained(instance)]).toEqual([COMPLIANT, NOT_APPLICABLE]);
  });

  test('a destroyed bucket tagged for dev is not applicable', () => {
    const dev = new s3.Bucket(stack, 'Dev', { removalPolicy: RemovalPolicy.DESTROY });
    (dev.node.defaultChild as s3.CfnBucket).tags.setTag('environment', 'dev');
    expect(ProductionStatefulRetained(dev.node.defaultChild as CfnResource)).toBe(NOT_APPLICABLE);
  });
});

describe('When LogGroupEncryptedWithRetention checks log groups', () => {
  const stack: Stack = newStack();
  const key = new kms.Key(stack, 'Key');

  test('a log group with a KMS key and a retention period is compliant', () => {
    const group = new logs.LogGroup(stack, 'Good', { encryptionKey: key, retention: logs.RetentionDays.ONE_YEAR });
    expect(LogGroupEncryptedWithRetention(group.node.defaultChild as CfnResource)).toBe(COMPLIANT);
  });

  test('a log group without a KMS key is reported', () => {
    const group = new logs.LogGroup(stack, 'NoKey', { retention: logs.RetentionDays.ONE_YEAR });
    expect(LogGroupEncryptedWithRetention(group.node.defaultChild as CfnResource)).toBe(NON_COMPLIANT);
  });

  test('a log group kept forever is reported', () => {
    const group = new logs.LogGroup(stack, 'Forever', { encryptionKey: key, retention: logs.RetentionDays.INFINITE });
    expect(LogGroupEncryptedWithRetention(group.node.defaultChild as CfnResource)).toBe(NON_COMPLIANT);
  });
});
