import { createHash } from 'crypto';
import { App, CfnElement, CfnParameter, Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { LlmOpsFoundation } from '../../constructs/foundation/llmops-foundation';
import { GpuInferenceEndpoint } from '../../constructs/inference/gpu-inference-endpoint';
import { GpuInstanceType } from '../../constructs/inference/gpu-instance-type';
import { InferenceComponent } from '../../constructs/inference/inference-component';
import {
  InferenceComponentEndpoint, InferenceComponentEndpointProps, InferenceComponentModelOptions,
} from '../../constructs/inference/inference-component-endpoint';
import { ModelSource } from '../../constructs/inference/model-source';
import { ServingContainer } from '../../constructs/inference/serving-container';
import { InferenceAmiVersion, RoutingStrategy } from '../../constructs/inference/variant-settings';
import { newStack, validationError } from '../util';

const HUB_ID = 'mistralai/Mistral-7B-Instruct-v0.3';

function weights(stack: Stack): s3.IBucket {
  return (stack.node.tryFindChild('Weights') as s3.IBucket | undefined) ?? s3.Bucket.fromBucketName(stack, 'Weights', 'weights-bucket');
}

function s3Model(stack: Stack, prefix = 'models/mistral-7b/'): ModelSource {
  return ModelSource.fromBucket(weights(stack), prefix);
}

function endpoint(stack: Stack, props: InferenceComponentEndpointProps = {}, id = 'Chat'): InferenceComponentEndpoint {
  return new InferenceComponentEndpoint(stack, id, props);
}

/** A model on one accelerator with one fixed copy, plus `extra`. */
function modelOptions(stack: Stack, extra: Partial<InferenceComponentModelOptions> = {}): InferenceComponentModelOptions {
  return { model: s3Model(stack), acceleratorsPerCopy: 1, copies: { min: 1, max: 1 }, ...extra };
}

/** The first 8 hex digits of the SHA-256 of a component id: the suffix that keeps component names apart. */
function idHash(id: string): string {
  return createHash('sha256').update(id).digest('hex').slice(0, 8);
}

/** The logical ID of a CloudFormation element, or of a construct's default child. */
function logicalId(stack: Stack, c: IConstruct): string {
  return stack.getLogicalId(c instanceof CfnElement ? c : c.node.defaultChild as CfnElement);
}

/** Every statement of the stack's customer managed and inline policies. */
function statements(t: Template): any[] {
  return [
    ...Object.values(t.findResources('AWS::IAM::ManagedPolicy')),
    ...Object.values(t.findResources('AWS::IAM::Policy')),
  ].flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('When an endpoint hosts one model from S3 with the defaults', () => {
  const stack = newStack();
  const ep = endpoint(stack);
  const chat = ep.addModel('Chat7B', modelOptions(stack));
  const again = newStack();
  const sameAgain = endpoint(again).addModel('Chat7B', modelOptions(again));
  const t = Template.fromStack(stack);

  test('the variant carries no model: one ml.g5.2xlarge with managed instance scaling, least-outstanding-requests routing and a CUDA 12 AMI', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [{
        VariantName: 'AllTraffic',
        InstanceType: 'ml.g5.2xlarge',
        InitialInstanceCount: 1,
        ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 1, MaxInstanceCount: 1 },
        RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
        InferenceAmiVersion: 'al2-ami-sagemaker-inference-gpu-3-1',
      }],
    });
    const [config] = Object.values(t.findResources('AWS::SageMaker::EndpointConfig'));
    expect(config.Properties.ProductionVariants[0].ModelName).toBeUndefined();
    expect(ep.fleet).toEqual({ minInstances: 1, maxInstances: 1, initialInstances: 1 });
  });

  test('the config runs as the execution role, network-isolated, in the isolated subnets with the containers\' security group', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ExecutionRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatExecutionRole'), 'Arn'] },
      EnableNetworkIsolation: true,
      VpcConfig: {
        Subnets: [{ Ref: Match.stringLikeRegexp('^ChatFoundationVpcIsolatedSubnet1') }, { Ref: Match.stringLikeRegexp('^ChatFoundationVpcIsolatedSubnet2') }],
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatSecurityGroup'), 'GroupId'] }],
      },
    });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Model containers of TestStack/Chat'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })],
      SecurityGroupIngress: Match.absent(),
    });
  });

  test('g5 has local NVMe storage, so the config has no volume key and the compliance finding is acknowledged with that reason', () => {
    const [config] = Object.values(t.findResources('AWS::SageMaker::EndpointConfig'));
    expect(config.Properties.KmsKeyId).toBeUndefined();
    const acks = ep.cfnEndpointConfig.node.metadata.filter(m => m.type === 'aws:cdk:acknowledged-rules').map(m => JSON.stringify(m.data)).join();
    expect(acks).toContain('SageMakerEndpointConfigurationKMSKeyConfigured');
    expect(acks).toContain('ml.g5.2xlarge has local NVMe instance storage');
    expect(statements(t).filter(s => [s.Action].flat().includes('kms:CreateGrant'))).toEqual([]);
  });

  test('the endpoint has a fixed lower-case name, uses the config, and waits for its encrypted log group', () => {
    expect(ep.endpointName).toMatch(/^teststack-chat-[0-9a-f]{8}$/);
    t.hasResource('AWS::SageMaker::Endpoint', {
      Properties: { EndpointName: ep.endpointName, EndpointConfigName: { 'Fn::GetAtt': [logicalId(stack, ep.cfnEndpointConfig), 'EndpointConfigName'] } },
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('^ChatLogGroup')]),
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/sagemaker/Endpoints/${ep.endpointName}`,
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatFoundationKey'), 'Arn'] },
    });
  });

  test('the SageMaker model runs TGI on the copy\'s one GPU, as the execution role, network-isolated in the same subnets', () => {
    t.resourceCountIs('AWS::SageMaker::Model', 1);
    t.hasResourceProperties('AWS::SageMaker::Model', {
      ExecutionRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatExecutionRole'), 'Arn'] },
      EnableNetworkIsolation: true,
      VpcConfig: {
        Subnets: [{ Ref: Match.stringLikeRegexp('^ChatFoundationVpcIsolatedSubnet1') }, { Ref: Match.stringLikeRegexp('^ChatFoundationVpcIsolatedSubnet2') }],
        SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatSecurityGroup'), 'GroupId'] }],
      },
      PrimaryContainer: Match.objectLike({
        Image: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('huggingface-pytorch-tgi-inference:')])] },
        Environment: { HF_MODEL_ID: '/opt/ml/model', SM_NUM_GPUS: '1', MAX_INPUT_TOKENS: '4096', MAX_TOTAL_TOKENS: '8192' },
        ModelDataSource: { S3DataSource: { S3Uri: 's3://weights-bucket/models/mistral-7b/', S3DataType: 'S3Prefix', CompressionType: 'None' } },
      }),
    });
  });

  test('the inference component reserves one GPU and its share of host memory less 10 %, with LLM-sized timeouts and one copy', () => {
    t.hasResource('AWS::SageMaker::InferenceComponent', {
      Properties: {
        EndpointName: ep.endpointName,
        VariantName: 'AllTraffic',
        InferenceComponentName: chat.inferenceComponentName,
        Specification: {
          ModelName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ChatChat7BModel'), 'ModelName'] },
          // 32 GiB × 1/1 × 0.9 = 29491.2 MiB, rounded down.
          ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 29491 },
          StartupParameters: { ContainerStartupHealthCheckTimeoutInSeconds: 900, ModelDataDownloadTimeoutInSeconds: 1200 },
        },
        RuntimeConfig: { CopyCount: 1 },
      },
      DependsOn: [logicalId(stack, ep.cfnEndpoint), logicalId(stack, chat.logGroup!)].sort(),
    });
  });

  test("the component's containers log to their own encrypted group, with retention, that the role may write", () => {
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/sagemaker/InferenceComponents/${chat.inferenceComponentName}`,
      KmsKeyId: Match.anyValue(),
      RetentionInDays: 365,
    });
    const key = Object.values(t.findResources('AWS::KMS::Key'))[0];
    expect(JSON.stringify(key.Properties.KeyPolicy)).toContain('/aws/sagemaker/InferenceComponents/*');
  });

  test('the component name is the endpoint name, the model id lower-case and a hash of the id, and the same in every synth', () => {
    expect(idHash('Chat7B')).toBe('e4b4def5');
    expect(chat.inferenceComponentName).toBe(`${ep.endpointName}-chat7b-e4b4def5`);
    expect(sameAgain.inferenceComponentName).toBe(chat.inferenceComponentName);
  });

  test('a fixed copy count (min equal to max) has no scalable target, scaling policy or alarm', () => {
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 0);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(chat.scalableTarget).toBeUndefined();
    expect(chat.scalesToZero).toBe(false);
  });

  test('the component records its reservation and model, and the endpoint lists it', () => {
    expect(chat.copies).toEqual({ min: 1, max: 1 });
    expect(chat.acceleratorsPerCopy).toBe(1);
    expect(chat.memoryPerCopyMiB).toBe(29491);
    expect(chat.cfnModel).toBeDefined();
    expect(chat.base).toBeUndefined();
    expect(chat.endpoint).toBe(ep);
    expect(ep.inferenceComponents).toEqual([chat]);
  });
});

describe('When two models share a g5.12xlarge fleet, one on LMI with LoRA adapters and every setting given', () => {
  const stack = newStack();
  const ep = endpoint(stack, {
    instanceType: GpuInstanceType.G5_12XLARGE,
    fleet: { minInstances: 1, maxInstances: 3, initialInstances: 2 },
    routingStrategy: RoutingStrategy.RANDOM,
    inferenceAmiVersion: InferenceAmiVersion.AL2_GPU_2_1,
    endpointName: 'chat-endpoint',
  });
  const big = ep.addModel('Mistral', {
    model: s3Model(stack, 'models/mistral/'),
    container: ServingContainer.lmi(),
    acceleratorsPerCopy: 2,
    memoryPerCopy: Size.gibibytes(64),
    copies: { min: 1, max: 4, initial: 2 },
    scaling: { targetConcurrentRequestsPerCopy: 8, scaleInCooldown: Duration.minutes(10), scaleOutCooldown: Duration.seconds(30) },
    loraAdapters: { maxAdapters: 8, maxRank: 32 },
    environment: { OPTION_MAX_MODEL_LEN: '8192' },
    startupTimeout: Duration.minutes(10),
    downloadTimeout: Duration.minutes(30),
  });
  const small = ep.addModel('Embedder', modelOptions(stack, { model: s3Model(stack, 'models/embedder/') }));
  const t = Template.fromStack(stack);

  test('the fleet scales between the given instance counts, starts at initialInstances and routes as given', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({
        InstanceType: 'ml.g5.12xlarge',
        InitialInstanceCount: 2,
        ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 1, MaxInstanceCount: 3 },
        RoutingConfig: { RoutingStrategy: 'RANDOM' },
        InferenceAmiVersion: 'al2-ami-sagemaker-inference-gpu-2-1',
      })],
    });
    t.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'chat-endpoint' });
  });

  test('each model is its own SageMaker model and inference component, with distinct names on the same endpoint', () => {
    t.resourceCountIs('AWS::SageMaker::Model', 2);
    t.resourceCountIs('AWS::SageMaker::InferenceComponent', 2);
    expect(big.inferenceComponentName).not.toBe(small.inferenceComponentName);
    expect(ep.inferenceComponents).toEqual([big, small]);
    for (const c of [big, small]) {
      t.hasResourceProperties('AWS::SageMaker::InferenceComponent', {
        EndpointName: 'chat-endpoint', VariantName: 'AllTraffic', InferenceComponentName: c.inferenceComponentName,
      });
    }
  });

  test('the LMI container is tensor-parallel over the copy\'s two GPUs, loads LoRA adapters at run time, and keeps the extra environment', () => {
    t.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: Match.objectLike({
        Image: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('/djl-inference:')])] },
        Environment: Match.objectLike({
          OPTION_ROLLING_BATCH: 'vllm',
          OPTION_TENSOR_PARALLEL_DEGREE: '2',
          OPTION_ENABLE_LORA: 'true',
          OPTION_MAX_LORAS: '8',
          OPTION_MAX_LORA_RANK: '32',
          OPTION_MODEL_LOADING_TIMEOUT: '600',
          OPTION_MAX_MODEL_LEN: '8192',
        }),
      }),
    });
  });

  test('the TGI container of the other model runs on its copy\'s one GPU of four, without adapters', () => {
    t.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: Match.objectLike({
        Environment: { HF_MODEL_ID: '/opt/ml/model', SM_NUM_GPUS: '1', MAX_INPUT_TOKENS: '4096', MAX_TOTAL_TOKENS: '8192' },
        ModelDataSource: { S3DataSource: Match.objectLike({ S3Uri: 's3://weights-bucket/models/embedder/' }) },
      }),
    });
  });

  test('the LMI component reserves two GPUs and the given memory, starts two copies, and has the given timeouts', () => {
    t.hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      InferenceComponentName: big.inferenceComponentName,
      Specification: Match.objectLike({
        ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 2, MinMemoryRequiredInMb: 65536 },
        StartupParameters: { ContainerStartupHealthCheckTimeoutInSeconds: 600, ModelDataDownloadTimeoutInSeconds: 1800 },
      }),
      RuntimeConfig: { CopyCount: 2 },
    });
  });

  test('the TGI component reserves one GPU and a quarter of host memory less 10 %', () => {
    t.hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      InferenceComponentName: small.inferenceComponentName,
      // 192 GiB × 1/4 × 0.9 = 44236.8 MiB, rounded down.
      Specification: Match.objectLike({ ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 44236 } }),
      RuntimeConfig: { CopyCount: 1 },
    });
  });

  test('only the model whose copies range scales: a scalable target on its copy count, after the component exists', () => {
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
    t.hasResource('AWS::ApplicationAutoScaling::ScalableTarget', {
      Properties: {
        ServiceNamespace: 'sagemaker',
        ResourceId: `inference-component/${big.inferenceComponentName}`,
        ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
        MinCapacity: 1,
        MaxCapacity: 4,
        RoleARN: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint$')])] },
      },
      DependsOn: [logicalId(stack, big.cfnInferenceComponent)],
    });
    expect(big.scalableTarget).toBeDefined();
    expect(small.scalableTarget).toBeUndefined();
  });

  test('it tracks the given concurrency target per copy on the high-resolution metric with the given cooldowns', () => {
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      ScalingTargetId: { Ref: logicalId(stack, big.scalableTarget!) },
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution' },
        TargetValue: 8,
        ScaleInCooldown: 600,
        ScaleOutCooldown: 30,
      },
    });
  });

  test('a model whose copies never reach zero has no wake-from-zero policy or alarm', () => {
    t.resourcePropertiesCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', { PolicyType: 'StepScaling' }, 0);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });
});

describe('When a model scales to zero on a fleet that scales to zero', () => {
  const stack = newStack();
  const ep = endpoint(stack, { fleet: { minInstances: 0, maxInstances: 2 } });
  const chat = ep.addModel('Chat7B', modelOptions(stack, { copies: { min: 0, max: 2 } }));
  const t = Template.fromStack(stack);
  const [stepPolicyId] = Object.keys(t.findResources('AWS::ApplicationAutoScaling::ScalingPolicy', { Properties: { PolicyType: 'StepScaling' } }));

  test('the fleet may release every instance but starts with one, and synth accepts it because a component scales to zero', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InitialInstanceCount: 1, ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 0, MaxInstanceCount: 2 } })],
    });
    expect(chat.scalesToZero).toBe(true);
  });

  test('the component starts with one copy', () => {
    t.hasResourceProperties('AWS::SageMaker::InferenceComponent', { InferenceComponentName: chat.inferenceComponentName, RuntimeConfig: { CopyCount: 1 } });
  });

  test('its copy count scales from 0 to copies.max', () => {
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ResourceId: `inference-component/${chat.inferenceComponentName}`,
      ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      MinCapacity: 0,
      MaxCapacity: 2,
    });
  });

  test('target tracking scales it in on the default 4 concurrent requests per copy with 5-minute cooldowns', () => {
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution' },
        TargetValue: 4,
        ScaleInCooldown: 300,
        ScaleOutCooldown: 300,
      },
    });
  });

  test('a step-scaling policy on the same target adds one copy from a lower bound of 0, on the Maximum, with a 60-second cooldown', () => {
    expect(stepPolicyId).toBeDefined();
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      ScalingTargetId: { Ref: logicalId(stack, chat.scalableTarget!) },
      StepScalingPolicyConfiguration: {
        AdjustmentType: 'ChangeInCapacity',
        MetricAggregationType: 'Maximum',
        Cooldown: 60,
        StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
      },
    });
  });

  test('a NoCapacityInvocationFailures alarm on the component fires on the first failed request and triggers the step policy', () => {
    t.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SageMaker',
      MetricName: 'NoCapacityInvocationFailures',
      Dimensions: [{ Name: 'InferenceComponentName', Value: chat.inferenceComponentName }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: stepPolicyId }],
      AlarmDescription: 'A request to TestStack/Chat/Chat7B found no copy running; adds one copy of TestStack/Chat/Chat7B (scale from zero)',
    });
  });
});

describe('When a LoRA adapter is added on a base model', () => {
  const stack = newStack();
  const adapterKey = kms.Key.fromKeyArn(stack, 'AdapterKey', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
  const adapters = s3.Bucket.fromBucketAttributes(stack, 'Adapters', { bucketName: 'adapters-bucket', encryptionKey: adapterKey });
  const ep = endpoint(stack, { instanceType: GpuInstanceType.G5_12XLARGE });
  const base = ep.addModel('Base', modelOptions(stack, { container: ServingContainer.lmi(), acceleratorsPerCopy: 4, loraAdapters: {} }));
  const sql = ep.addAdapter('SqlAdapter', { base, adapterSource: { bucket: adapters, key: 'output/sql-job/output/model.tar.gz' } });
  const t = Template.fromStack(stack);

  test('the base loads adapters at run time with the default limits', () => {
    t.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: Match.objectLike({
        Environment: Match.objectLike({ OPTION_TENSOR_PARALLEL_DEGREE: '4', OPTION_ENABLE_LORA: 'true', OPTION_MAX_LORAS: '4', OPTION_MAX_LORA_RANK: '64' }),
      }),
    });
  });

  test('the adapter is an inference component on the base, loading the archive from S3, after the base exists', () => {
    t.hasResource('AWS::SageMaker::InferenceComponent', {
      Properties: {
        EndpointName: ep.endpointName,
        InferenceComponentName: sql.inferenceComponentName,
        Specification: {
          BaseInferenceComponentName: base.inferenceComponentName,
          Container: { ArtifactUrl: 's3://adapters-bucket/output/sql-job/output/model.tar.gz' },
        },
      },
      DependsOn: [logicalId(stack, base.cfnInferenceComponent)],
    });
    expect(sql.inferenceComponentName).toBe(`${ep.endpointName}-sqladapter-${idHash('SqlAdapter')}`);
  });

  test('the adapter reserves nothing, has no copy count, no model and no scaling of its own', () => {
    const ic = t.findResources('AWS::SageMaker::InferenceComponent', { Properties: { InferenceComponentName: sql.inferenceComponentName } });
    const [props] = Object.values(ic).map(r => r.Properties);
    expect(props.Specification.ComputeResourceRequirements).toBeUndefined();
    expect(props.Specification.ModelName).toBeUndefined();
    expect(props.RuntimeConfig).toBeUndefined();
    t.resourceCountIs('AWS::SageMaker::Model', 1);
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    expect(sql.base).toBe(base);
    expect(sql.copies).toBeUndefined();
    expect(sql.cfnModel).toBeUndefined();
    expect(sql.scalesToZero).toBe(false);
    expect(ep.inferenceComponents).toEqual([base, sql]);
  });

  test('the execution role may read exactly the adapter archive, and decrypt with the bucket key', () => {
    const all = statements(t);
    const adapterReads = all.filter(s => JSON.stringify(s.Resource).includes('adapters-bucket'));
    expect(adapterReads).toEqual([{
      Action: 's3:GetObject',
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::adapters-bucket/output/sql-job/output/model.tar.gz']] },
    }]);
    expect(all).toContainEqual(expect.objectContaining({ Action: 'kms:Decrypt', Resource: adapterKey.keyArn }));
  });
});

describe('When a model downloads its weights from the Hugging Face Hub through a VPC with egress', () => {
  const stack = newStack();
  const egress = new LlmOpsFoundation(stack, 'Egress', { internetEgress: true });
  const ep = endpoint(stack, { instanceType: GpuInstanceType.G5_12XLARGE, vpc: egress.vpc, encryptionKey: egress.encryptionKey, internetEgress: true });
  const hub = ep.addModel('Hub', modelOptions(stack, { model: ModelSource.huggingFaceHub(HUB_ID) }));
  const fromS3 = ep.addModel('FromS3', modelOptions(stack));
  const t = Template.fromStack(stack);

  test('the endpoint config is not network-isolated, and runs in the private subnets with egress', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      EnableNetworkIsolation: false,
      VpcConfig: Match.objectLike({ Subnets: [{ Ref: Match.stringLikeRegexp('^EgressVpcPrivateSubnet1') }, { Ref: Match.stringLikeRegexp('^EgressVpcPrivateSubnet2') }] }),
    });
    expect(ep.foundation).toBeUndefined();
  });

  test('the Hub model is not network-isolated and names the Hub id; the S3 model next to it stays isolated', () => {
    t.hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: false,
      PrimaryContainer: Match.objectLike({ Environment: Match.objectLike({ HF_MODEL_ID: HUB_ID }) }),
    });
    t.hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: true,
      PrimaryContainer: Match.objectLike({ Environment: Match.objectLike({ HF_MODEL_ID: '/opt/ml/model' }) }),
    });
    expect([hub, fromS3].map(c => c.cfnModel!.enableNetworkIsolation)).toEqual([false, true]);
  });
});

describe('When the instance type has no local NVMe storage (ml.inf2.xlarge)', () => {
  const stack = newStack();
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const vpc = new ec2.Vpc(stack, 'Vpc', { subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const ep = endpoint(stack, { instanceType: GpuInstanceType.INF2_XLARGE, vpc, encryptionKey: key });
  ep.addModel('Neuron', modelOptions(stack, { container: ServingContainer.fromImageUri('123456789012.dkr.ecr.us-east-1.amazonaws.com/neuron-llm:1') }));
  const t = Template.fromStack(stack);

  test('the config encrypts the volumes with the given key and runs the Neuron AMI', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      KmsKeyId: { 'Fn::GetAtt': [logicalId(stack, key), 'Arn'] },
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.inf2.xlarge', InferenceAmiVersion: 'al2-ami-sagemaker-inference-neuron-2' })],
    });
    expect(ep.foundation).toBeUndefined();
    const acks = ep.cfnEndpointConfig.node.metadata.filter(m => m.type === 'aws:cdk:acknowledged-rules');
    expect(acks).toEqual([]);
  });

  test('the execution role may create grants on the key for AWS resources only', () => {
    expect(statements(t)).toContainEqual({
      Action: 'kms:CreateGrant',
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [logicalId(stack, key), 'Arn'] },
      Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    });
  });

  test('the component reserves the one Neuron device and 90 % of host memory', () => {
    // 16 GiB × 0.9 = 14745.6 MiB, rounded down.
    t.hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      Specification: Match.objectLike({ ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 14745 } }),
    });
  });
});

describe('When a component and its endpoint grant invoke', () => {
  const stack = newStack();
  const ep = endpoint(stack, { instanceType: GpuInstanceType.G5_12XLARGE });
  const base = ep.addModel('Base', modelOptions(stack, { container: ServingContainer.lmi(), loraAdapters: {} }));
  const adapter = ep.addAdapter('Sql', { base, adapterSource: { bucket: weights(stack), key: 'adapters/sql/model.tar.gz' } });
  const componentCaller = new iam.Role(stack, 'ComponentCaller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const adapterCaller = new iam.Role(stack, 'AdapterCaller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  const endpointCaller = new iam.Role(stack, 'EndpointCaller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  base.grantInvoke(componentCaller);
  adapter.grantInvoke(adapterCaller);
  ep.grantInvoke(endpointCaller);
  const t = Template.fromStack(stack);
  const arn = (kind: string, name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${kind}/${name}`]] });

  test('the ARNs are in the stack\'s account and region', () => {
    expect(stack.resolve(ep.endpointArn)).toEqual(arn('endpoint', ep.endpointName));
    expect(stack.resolve(base.inferenceComponentArn)).toEqual(arn('inference-component', base.inferenceComponentName));
  });

  test.each([
    ['the base component', 'ComponentCaller', () => base.inferenceComponentName],
    ['the adapter', 'AdapterCaller', () => adapter.inferenceComponentName],
  ])('%s grants both invoke actions on the endpoint and on its own ARN only', (_name, role, name) => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp(`^${role}`) }],
      PolicyDocument: {
        Statement: [{
          Action: ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointWithResponseStream'],
          Effect: 'Allow',
          Resource: [arn('endpoint', ep.endpointName), arn('inference-component', name())],
        }],
      },
    });
  });

  test('the endpoint grants both invoke actions on the endpoint ARN and on every component added so far', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^EndpointCaller') }],
      PolicyDocument: {
        Statement: [{
          Action: ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointWithResponseStream'],
          Effect: 'Allow',
          Resource: [arn('endpoint', ep.endpointName), arn('inference-component', base.inferenceComponentName), arn('inference-component', adapter.inferenceComponentName)],
        }],
      },
    });
  });
});

describe('When metrics of a component are built', () => {
  const stack = newStack();
  const ep = endpoint(stack);
  const chat = ep.addModel('Chat7B', modelOptions(stack));
  const invocations = 'AWS/SageMaker';
  const utilisation = '/aws/sagemaker/InferenceComponents';

  test.each<[string, string, string, string, (c: InferenceComponent) => cloudwatch.Metric]>([
    ['metricInvocations', 'Invocations', invocations, 'Sum', c => c.metricInvocations()],
    ['metricInvocation5xxErrors', 'Invocation5XXErrors', invocations, 'Average', c => c.metricInvocation5xxErrors()],
    ['metricInvocation4xxErrors', 'Invocation4XXErrors', invocations, 'Average', c => c.metricInvocation4xxErrors()],
    ['metricModelLatency', 'ModelLatency', invocations, 'p99', c => c.metricModelLatency()],
    ['metricConcurrentRequestsPerCopy', 'ConcurrentRequestsPerCopy', invocations, 'Maximum', c => c.metricConcurrentRequestsPerCopy()],
    ['metricNoCapacityInvocationFailures', 'NoCapacityInvocationFailures', invocations, 'Sum', c => c.metricNoCapacityInvocationFailures()],
    ['metricGpuUtilizationNormalized', 'GPUUtilizationNormalized', utilisation, 'Average', c => c.metricGpuUtilizationNormalized()],
    ['metricGpuMemoryUtilizationNormalized', 'GPUMemoryUtilizationNormalized', utilisation, 'Average', c => c.metricGpuMemoryUtilizationNormalized()],
  ])('%s reads %s in %s by InferenceComponentName, %s over 1 minute', (_method, metricName, namespace, statistic, build) => {
    const m = build(chat);
    expect(m.metricName).toBe(metricName);
    expect(m.namespace).toBe(namespace);
    expect(m.statistic).toBe(statistic);
    expect(m.dimensions).toEqual({ InferenceComponentName: chat.inferenceComponentName });
    expect(m.period.toSeconds()).toBe(60);
  });

  test('ModelLatency is in microseconds; the other named metrics have no unit', () => {
    expect(chat.metricModelLatency().unit).toBe(cloudwatch.Unit.MICROSECONDS);
    expect(chat.metricInvocations().unit).toBeUndefined();
  });

  test('the caller\'s options come last, and metric() takes any name and namespace with extra dimensions', () => {
    const p50 = chat.metricModelLatency({ statistic: 'p50', period: Duration.minutes(5) });
    expect([p50.statistic, p50.period.toSeconds()]).toEqual(['p50', 300]);
    const custom = chat.metric('MemoryUtilizationNormalized', { namespace: utilisation, dimensionsMap: { Extra: 'x' } });
    expect([custom.namespace, custom.metricName, custom.statistic]).toEqual([utilisation, 'MemoryUtilizationNormalized', 'Average']);
    expect(custom.dimensions).toEqual({ InferenceComponentName: chat.inferenceComponentName, Extra: 'x' });
  });

  test('the endpoint\'s own metrics stay on the variant dimensions', () => {
    expect(ep.metricInvocations().dimensions).toEqual({ EndpointName: ep.endpointName, VariantName: 'AllTraffic' });
  });
});

describe('When the endpoint props are invalid', () => {
  const where = "InferenceComponentEndpoint at 'TestStack/Chat'";
  const cases: Array<[string, InferenceComponentEndpointProps, string, string]> = [
    ['a negative minInstances', { fleet: { minInstances: -1 } }, 'LLMOPS_FLEET_RANGE',
      'fleet.minInstances -1 is out of range; allowed: an integer from 0 to 1000'],
    ['too many instances', { fleet: { maxInstances: 1001 } }, 'LLMOPS_FLEET_RANGE',
      'fleet.maxInstances 1001 is out of range; allowed: an integer from 1 to 1000'],
    ['initialInstances above maxInstances', { fleet: { minInstances: 1, maxInstances: 3, initialInstances: 4 } }, 'LLMOPS_FLEET_ORDER',
      'fleet.initialInstances 4 is outside 1-3; allowed: at least 1 and at least minInstances, at most maxInstances'],
    ['initialInstances below minInstances', { fleet: { minInstances: 2, maxInstances: 3, initialInstances: 1 } }, 'LLMOPS_FLEET_ORDER',
      'fleet.initialInstances 1 is outside 2-3; allowed: at least 1 and at least minInstances, at most maxInstances'],
    ['no instance at creation', { fleet: { minInstances: 0, maxInstances: 2, initialInstances: 0 } }, 'LLMOPS_FLEET_ORDER',
      'fleet.initialInstances 0 is outside 1-2; allowed: at least 1 and at least minInstances, at most maxInstances'],
    ['a bad endpoint name', { endpointName: 'chat_endpoint' }, 'LLMOPS_ENDPOINT_NAME',
      "endpointName 'chat_endpoint' is not a SageMaker endpoint name; allowed: 1-63 letters, digits and '-', starting and ending with a letter or digit"],
  ];

  test.each(cases)('%s fails with the exact message and code', (_name, props, code, message) => {
    const e = validationError(() => endpoint(newStack(), props));
    expect(e.codes).toEqual([code]);
    expect(e.message).toBe(`${where}: ${message} [${code}]`);
  });

  test('an unknown AMI version fails, naming it', () => {
    const e = validationError(() => endpoint(newStack(), { inferenceAmiVersion: InferenceAmiVersion.of('al2-ami-nope') }));
    expect(e.codes).toEqual(['LLMOPS_AMI_VERSION']);
    expect(e.message).toContain(`${where}: inferenceAmiVersion 'al2-ami-nope' is not a SageMaker inference AMI version; allowed: `);
  });

  test.each<[string, InferenceComponentEndpointProps]>([
    ['with minInstances 0', { fleet: { minInstances: 0, maxInstances: 0 } }],
    ['with the default minInstances and initialInstances', { fleet: { maxInstances: 0 } }],
  ])('maxInstances 0 %s fails only as an empty fleet, saying that minInstances 0 is what scales to zero', (_name, props) => {
    const e = validationError(() => endpoint(newStack(), props));
    expect(e.codes).toEqual(['LLMOPS_FLEET_EMPTY']);
    expect(e.message).toBe(`${where}: fleet.maxInstances 0 leaves no instance for any copy; allowed: at least 1 (minInstances: 0 is what scales the fleet to zero) [LLMOPS_FLEET_EMPTY]`);
  });

  test('minInstances above maxInstances fails once, naming both, with no follow-on error for the defaulted initialInstances', () => {
    const e = validationError(() => endpoint(newStack(), { fleet: { minInstances: 3, maxInstances: 2 } }));
    expect(e.codes).toEqual(['LLMOPS_FLEET_ORDER']);
    expect(e.message).toBe(`${where}: fleet.minInstances 3 is greater than fleet.maxInstances (2); allowed: minInstances ≤ maxInstances [LLMOPS_FLEET_ORDER]`);
  });
});

describe('When addModel options are invalid', () => {
  const where = "InferenceComponentEndpoint at 'TestStack/Chat', addModel('Chat7B')";
  const lmi = ServingContainer.lmi();
  // Scaling applies only to a copy range; this one fits the one-GPU fleet, so only the rule under test can fail.
  const range = { min: 0, max: 1 };
  const cases: Array<[string, Partial<InferenceComponentModelOptions>, string, string]> = [
    ['copies.min above copies.max', { copies: { min: 3, max: 2 } }, 'LLMOPS_COPY_ORDER',
      'copies.min 3 is greater than copies.max (2); allowed: min ≤ max'],
    ['no copy at creation', { copies: { min: 0, max: 1, initial: 0 } }, 'LLMOPS_COPY_ORDER',
      'copies.initial 0 is outside 1-1; allowed: at least 1 and at least min, at most max'],
    ['more initial copies than copies.max', { copies: { min: 1, max: 1, initial: 2 } }, 'LLMOPS_COPY_ORDER',
      'copies.initial 2 is outside 1-1; allowed: at least 1 and at least min, at most max'],
    ['a negative copies.min', { copies: { min: -1, max: 1 } }, 'LLMOPS_COPY_RANGE',
      'copies.min -1 is out of range; allowed: an integer from 0 to 1000'],
    ['copies.max 0', { copies: { min: 0, max: 0 } }, 'LLMOPS_COPY_RANGE',
      'copies.max 0 is out of range; allowed: an integer from 1 to 1000'],
    ['more accelerators per copy than the instance has', { acceleratorsPerCopy: 2, memoryPerCopy: Size.gibibytes(16) }, 'LLMOPS_COMPONENT_ACCELERATORS',
      'acceleratorsPerCopy 2 is out of range; allowed: an integer from 1 to 1 (a copy runs on one ml.g5.2xlarge, which has 1)'],
    ['no accelerator per copy', { acceleratorsPerCopy: 0, memoryPerCopy: Size.gibibytes(16) }, 'LLMOPS_COMPONENT_ACCELERATORS',
      'acceleratorsPerCopy 0 is out of range; allowed: an integer from 1 to 1 (a copy runs on one ml.g5.2xlarge, which has 1)'],
    ['more memory per copy than the instance has', { memoryPerCopy: Size.gibibytes(40) }, 'LLMOPS_COMPONENT_MEMORY',
      'memoryPerCopy 40960 is out of range; allowed: an integer from 128 to 32768 MiB'],
    ['too little memory per copy', { memoryPerCopy: Size.mebibytes(64) }, 'LLMOPS_COMPONENT_MEMORY',
      'memoryPerCopy 64 is out of range; allowed: an integer from 128 to 32768 MiB'],
    ['loraAdapters on TGI', { loraAdapters: {} }, 'LLMOPS_ADAPTER_CONTAINER',
      'loraAdapters {} needs a container that loads LoRA adapters at run time; TGI loads them only at start-up: use ServingContainer.lmi()'],
    ['no adapter slot', { container: lmi, loraAdapters: { maxAdapters: 0 } }, 'LLMOPS_ADAPTER_RANGE',
      'loraAdapters.maxAdapters 0 is out of range; allowed: an integer from 1 to 1000'],
    ['an adapter rank above 1024', { container: lmi, loraAdapters: { maxRank: 2048 } }, 'LLMOPS_ADAPTER_RANGE',
      'loraAdapters.maxRank 2048 is out of range; allowed: an integer from 1 to 1024'],
    ['more accelerators per copy than the instance has, with the default memory', { acceleratorsPerCopy: 2 }, 'LLMOPS_COMPONENT_ACCELERATORS',
      'acceleratorsPerCopy 2 is out of range; allowed: an integer from 1 to 1 (a copy runs on one ml.g5.2xlarge, which has 1)'],
    ['no accelerator per copy, with the default memory', { acceleratorsPerCopy: 0 }, 'LLMOPS_COMPONENT_ACCELERATORS',
      'acceleratorsPerCopy 0 is out of range; allowed: an integer from 1 to 1 (a copy runs on one ml.g5.2xlarge, which has 1)'],
    ['a negative scaling target', { copies: range, scaling: { targetConcurrentRequestsPerCopy: -1 } }, 'LLMOPS_SCALING_TARGET',
      'scaling.targetConcurrentRequestsPerCopy -1 is out of range; allowed: a number from 0.1 to 100000'],
    ['a scale-in cooldown over a day', { copies: range, scaling: { scaleInCooldown: Duration.days(2) } }, 'LLMOPS_COOLDOWN_RANGE',
      'scaling.scaleInCooldown 172800 is out of range; allowed: an integer from 0 to 86400 seconds'],
    ['a scale-out cooldown over a day', { copies: range, scaling: { scaleOutCooldown: Duration.hours(25) } }, 'LLMOPS_COOLDOWN_RANGE',
      'scaling.scaleOutCooldown 90000 is out of range; allowed: an integer from 0 to 86400 seconds'],
    ['a start-up timeout under a minute', { startupTimeout: Duration.seconds(30) }, 'LLMOPS_TIMEOUT_RANGE',
      'startupTimeout 30 is out of range; allowed: an integer from 60 to 3600 seconds'],
    ['a download timeout over an hour', { downloadTimeout: Duration.minutes(61) }, 'LLMOPS_TIMEOUT_RANGE',
      'downloadTimeout 3660 is out of range; allowed: an integer from 60 to 3600 seconds'],
  ];

  test.each(cases)('%s fails with the exact message and code', (_name, extra, code, message) => {
    const stack = newStack();
    const ep = endpoint(stack);
    const e = validationError(() => ep.addModel('Chat7B', modelOptions(stack, extra)));
    expect(e.codes).toEqual([code]);
    expect(e.message).toBe(`${where}: ${message} [${code}]`);
  });

  test('a valid scaling on the same copy range is accepted, so the scaling cases above fail only on the value they name', () => {
    const stack = newStack();
    const chat = endpoint(stack).addModel('Chat7B', modelOptions(stack, {
      copies: range, scaling: { targetConcurrentRequestsPerCopy: 2, scaleInCooldown: Duration.days(1), scaleOutCooldown: Duration.hours(24) },
    }));
    expect(chat.scalableTarget).toBeDefined();
  });

  test('an empty Hub model id fails with the exact message and code', () => {
    const stack = newStack();
    const egress = new LlmOpsFoundation(stack, 'Egress', { internetEgress: true });
    const ep = endpoint(stack, { vpc: egress.vpc, encryptionKey: egress.encryptionKey, internetEgress: true });
    const e = validationError(() => ep.addModel('Chat7B', modelOptions(stack, { model: ModelSource.huggingFaceHub(' ') })));
    expect(e.codes).toEqual(['LLMOPS_MODEL_ID_EMPTY']);
    expect(e.message).toBe(`${where}: model (ModelSource.huggingFaceHub modelId) ' ' is empty; give a Hugging Face Hub id such as 'mistralai/Mistral-7B-Instruct-v0.3' [LLMOPS_MODEL_ID_EMPTY]`);
  });

  test('every problem is reported at once, and a rejected model adds nothing', () => {
    const stack = newStack();
    const ep = endpoint(stack);
    const e = validationError(() => ep.addModel('Chat7B', modelOptions(stack, { copies: { min: 3, max: 2 }, startupTimeout: Duration.seconds(1) })));
    expect(e.codes).toEqual(['LLMOPS_COPY_ORDER', 'LLMOPS_TIMEOUT_RANGE']);
    expect(e.message).toMatch(/^InferenceComponentEndpoint at 'TestStack\/Chat', addModel\('Chat7B'\) has 2 invalid props:\n {2}- copies.min 3/);
    expect(ep.inferenceComponents).toEqual([]);
    expect(ep.node.tryFindChild('Chat7B')).toBeUndefined();
    expect(ep.node.tryFindChild('Chat7BModel')).toBeUndefined();
  });
});

describe('When components do not fit the fleet', () => {
  const fleet = 'ml.g5.12xlarge: 4 accelerators and 192 GiB per instance × fleet.maxInstances 1';

  test('a first model whose copies at copies.max need more accelerators and memory than the fleet fails on both, with the numbers', () => {
    const stack = newStack();
    const e = validationError(() => endpoint(stack).addModel('Chat7B', modelOptions(stack, { copies: { min: 1, max: 2 } })));
    expect(e.codes).toEqual(['LLMOPS_COMPONENTS_DO_NOT_FIT', 'LLMOPS_COMPONENTS_DO_NOT_FIT']);
    const g5 = 'ml.g5.2xlarge: 1 accelerators and 32 GiB per instance × fleet.maxInstances 1';
    expect(e.message).toBe([
      "InferenceComponentEndpoint at 'TestStack/Chat', addModel('Chat7B') has 2 invalid props:",
      `  - Chat7B: acceleratorsPerCopy × copies.max '1 × 2 = 2' accelerators, exceed the fleet's 1 (${g5}); lower copies.max or raise fleet.maxInstances [LLMOPS_COMPONENTS_DO_NOT_FIT]`,
      `  - Chat7B: memoryPerCopy × copies.max '29491 MiB × 2 = 58982 MiB' of host memory, exceeds the fleet's 32768 MiB (${g5}); lower memoryPerCopy or copies.max, or raise fleet.maxInstances [LLMOPS_COMPONENTS_DO_NOT_FIT]`,
    ].join('\n'));
  });

  describe('and two models already hold three of four GPUs of one ml.g5.12xlarge', () => {
    const stack = newStack();
    const ep = endpoint(stack, { instanceType: GpuInstanceType.G5_12XLARGE, fleet: { maxInstances: 1 } });
    ep.addModel('A', modelOptions(stack, { acceleratorsPerCopy: 2 }));
    ep.addModel('B', modelOptions(stack, { memoryPerCopy: Size.gibibytes(8) }));

    test('a model needing two more GPUs fails, naming the accelerators the others reserve', () => {
      const e = validationError(() => ep.addModel('C', modelOptions(stack, { copies: { min: 1, max: 2 }, memoryPerCopy: Size.gibibytes(8) })));
      expect(e.codes).toEqual(['LLMOPS_COMPONENTS_DO_NOT_FIT']);
      expect(e.message).toBe("InferenceComponentEndpoint at 'TestStack/Chat', addModel('C'): C: acceleratorsPerCopy × copies.max '1 × 2 = 2' accelerators, "
        + `plus 3 reserved by 'A', 'B', exceed the fleet's 4 (${fleet}); lower copies.max or raise fleet.maxInstances [LLMOPS_COMPONENTS_DO_NOT_FIT]`);
    });

    test('a model needing more host memory than is left fails, naming the memory the others reserve', () => {
      // A: 192 GiB × 2/4 × 0.9 = 88473 MiB; B: 8192 MiB; together 96665 MiB of 196608.
      const e = validationError(() => ep.addModel('D', modelOptions(stack, { memoryPerCopy: Size.gibibytes(100) })));
      expect(e.codes).toEqual(['LLMOPS_COMPONENTS_DO_NOT_FIT']);
      expect(e.message).toBe("InferenceComponentEndpoint at 'TestStack/Chat', addModel('D'): D: memoryPerCopy × copies.max '102400 MiB × 1 = 102400 MiB' of host memory, "
        + `plus 96665 MiB reserved by 'A', 'B', exceeds the fleet's 196608 MiB (${fleet}); lower memoryPerCopy or copies.max, or raise fleet.maxInstances [LLMOPS_COMPONENTS_DO_NOT_FIT]`);
    });

    test('a model that takes exactly the last GPU fits, an adapter on it reserves nothing, and the next model fails naming the three models', () => {
      const base = ep.addModel('Base', modelOptions(stack, { container: ServingContainer.lmi(), memoryPerCopy: Size.gibibytes(8), loraAdapters: {} }));
      ep.addAdapter('Adapter', { base, adapterSource: { bucket: weights(stack), key: 'adapters/a/model.tar.gz' } });
      expect(ep.inferenceComponents.map(c => c.node.id)).toEqual(['A', 'B', 'Base', 'Adapter']);
      const e = validationError(() => ep.addModel('E', modelOptions(stack, { memoryPerCopy: Size.gibibytes(8) })));
      expect(e.message).toContain("plus 4 reserved by 'A', 'B', 'Base', exceed the fleet's 4");
    });
  });

  test('raising fleet.maxInstances makes room for more copies', () => {
    const stack = newStack();
    const ep = endpoint(stack, { fleet: { minInstances: 1, maxInstances: 2 } });
    const chat = ep.addModel('Chat7B', modelOptions(stack, { copies: { min: 1, max: 2 } }));
    expect(chat.copies).toEqual({ min: 1, max: 2 });
  });
});

describe('When addAdapter options are invalid', () => {
  const where = "InferenceComponentEndpoint at 'TestStack/Chat', addAdapter('Sql')";
  const stack = newStack();
  const ep = endpoint(stack, { instanceType: GpuInstanceType.G5_12XLARGE });
  const other = endpoint(stack, { instanceType: GpuInstanceType.G5_12XLARGE }, 'Other');
  const lmiBase = (e: InferenceComponentEndpoint, id: string) => e.addModel(id, modelOptions(stack, { container: ServingContainer.lmi(), loraAdapters: {} }));
  const base = lmiBase(ep, 'Base');
  const plain = ep.addModel('Plain', modelOptions(stack, { container: ServingContainer.lmi() }));
  const foreign = lmiBase(other, 'Base');
  const adapter = ep.addAdapter('Existing', { base, adapterSource: { bucket: weights(stack), key: 'adapters/existing/model.tar.gz' } });
  const key = 'adapters/sql/model.tar.gz';

  const cases: Array<[string, () => InferenceComponent, string, string, string]> = [
    ['a component of another endpoint', () => foreign, key, 'LLMOPS_ADAPTER_BASE',
      "base 'TestStack/Other/Base' is not an inference component of this endpoint; allowed: a component returned by addModel on 'TestStack/Chat'"],
    ['an adapter as base', () => adapter, key, 'LLMOPS_ADAPTER_BASE',
      "base 'TestStack/Chat/Existing' is itself an adapter; allowed: a model component (adapters load into the copies of a base model)"],
    ['a base added without loraAdapters', () => plain, key, 'LLMOPS_ADAPTER_BASE',
      "base 'TestStack/Chat/Plain' was added without loraAdapters, so its container does not load adapters; pass loraAdapters to addModel for the base"],
    ['a key that is not a .tar.gz archive', () => base, 'adapters/sql/model.zip', 'LLMOPS_ADAPTER_KEY',
      "adapterSource.key 'adapters/sql/model.zip' is not the key of an adapter archive; allowed: a gzip-compressed tar ending in .tar.gz (SageMaker loads nothing else), e.g. output/<job>/output/model.tar.gz"],
    ['a prefix instead of a key', () => base, 'adapters/sql/', 'LLMOPS_ADAPTER_KEY',
      "adapterSource.key 'adapters/sql/' is not the key of an adapter archive; allowed: a gzip-compressed tar ending in .tar.gz (SageMaker loads nothing else), e.g. output/<job>/output/model.tar.gz"],
    ['a key with surrounding spaces', () => base, ' adapters/sql/model.tar.gz', 'LLMOPS_ADAPTER_KEY',
      "adapterSource.key ' adapters/sql/model.tar.gz' is not the key of an adapter archive; allowed: a gzip-compressed tar ending in .tar.gz (SageMaker loads nothing else), e.g. output/<job>/output/model.tar.gz"],
  ];

  test.each(cases)('%s fails with the exact message and code, and adds nothing', (_name, baseOf, k, code, message) => {
    const e = validationError(() => ep.addAdapter('Sql', { base: baseOf(), adapterSource: { bucket: weights(stack), key: k } }));
    expect(e.codes).toEqual([code]);
    expect(e.message).toBe(`${where}: ${message} [${code}]`);
    expect(ep.node.tryFindChild('Sql')).toBeUndefined();
  });

  test('a bad base and a bad key are reported at once', () => {
    const e = validationError(() => ep.addAdapter('Sql', { base: plain, adapterSource: { bucket: weights(stack), key: 'x.zip' } }));
    expect(e.codes).toEqual(['LLMOPS_ADAPTER_BASE', 'LLMOPS_ADAPTER_KEY']);
    expect(e.message).toMatch(/^InferenceComponentEndpoint at 'TestStack\/Chat', addAdapter\('Sql'\) has 2 invalid props:\n/);
  });
});

describe('When the fleet may scale to zero but a model component keeps a copy', () => {
  const app = new App();
  const stack = new Stack(app, 'TestStack');
  const ep = endpoint(stack, { instanceType: GpuInstanceType.G5_12XLARGE, fleet: { minInstances: 0, maxInstances: 1 } });
  ep.addModel('Chat7B', modelOptions(stack, { copies: { min: 0, max: 1 } }));
  ep.addModel('Embed', modelOptions(stack, { copies: { min: 1, max: 1 } }));

  test('construction succeeds but synth fails, naming the component that keeps a copy', () => {
    expect(() => app.synth()).toThrow("InferenceComponentEndpoint at 'TestStack/Chat': fleet.minInstances 0 needs copies.min 0 on every model component, "
      + "since the fleet scales to zero only when no copy runs; 'Embed' keep at least one copy [LLMOPS_FLEET_NEVER_ZERO]");
  });
});

describe('When the fleet may scale to zero but no model component was added', () => {
  test('synth fails, saying so', () => {
    const app = new App();
    endpoint(new Stack(app, 'TestStack'), { fleet: { minInstances: 0, maxInstances: 1 } });
    expect(() => app.synth()).toThrow('no model component was added [LLMOPS_FLEET_NEVER_ZERO]');
  });
});

describe('When a classic GpuInferenceEndpoint is asked to scale to zero', () => {
  test('it fails, pointing to InferenceComponentEndpoint', () => {
    const stack = newStack();
    const e = validationError(() => new GpuInferenceEndpoint(stack, 'Chat', { model: s3Model(stack), autoScaling: { minCapacity: 0, maxCapacity: 2 } }));
    expect(e.codes).toEqual(['LLMOPS_SCALE_TO_ZERO_CLASSIC']);
    expect(e.message).toBe("GpuInferenceEndpoint at 'TestStack/Chat': autoScaling.minCapacity 0 asks for scale to zero, which only an endpoint built on inference components supports; "
      + 'use InferenceComponentEndpoint with fleet.minInstances 0 and copies.min 0, or keep minCapacity at 1 or more [LLMOPS_SCALE_TO_ZERO_CLASSIC]');
  });
});

describe('When sizes and counts are unresolved tokens', () => {
  const stack = newStack();
  const n = new CfnParameter(stack, 'Count', { type: 'Number' }).valueAsNumber;
  const key = new CfnParameter(stack, 'AdapterKey', { type: 'String' }).valueAsString;
  const ep = endpoint(stack, { fleet: { minInstances: n, maxInstances: n, initialInstances: n } });
  const base = ep.addModel('Chat7B', modelOptions(stack, {
    container: ServingContainer.lmi(), acceleratorsPerCopy: n, copies: { min: n, max: n, initial: n }, loraAdapters: { maxAdapters: n, maxRank: n },
  }));
  const adapter = ep.addAdapter('Sql', { base, adapterSource: { bucket: weights(stack), key } });
  const t = Template.fromStack(stack);

  test('they pass unvalidated into the template', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InitialInstanceCount: { Ref: 'Count' }, ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: { Ref: 'Count' }, MaxInstanceCount: { Ref: 'Count' } } })],
    });
    t.hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      InferenceComponentName: base.inferenceComponentName,
      Specification: Match.objectLike({ ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: { Ref: 'Count' } } }),
      RuntimeConfig: { CopyCount: { Ref: 'Count' } },
    });
    t.hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      InferenceComponentName: adapter.inferenceComponentName,
      Specification: { BaseInferenceComponentName: base.inferenceComponentName, Container: { ArtifactUrl: { 'Fn::Join': ['', ['s3://weights-bucket/', { Ref: 'AdapterKey' }]] } } },
    });
  });
});

describe('When names are long', () => {
  const stack = newStack();
  const ep = endpoint(stack, {}, `Chat${'x'.repeat(90)}`);
  const chat = ep.addModel('AVeryLongModelIdentifierIndeed', modelOptions(stack));

  test('the endpoint and component names stay SageMaker names of at most 63 characters', () => {
    for (const name of [ep.endpointName, chat.inferenceComponentName]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^[a-z0-9](-*[a-z0-9])*$/);
    }
    // <endpoint unique name, at most 40 characters>-<first 12 letters and digits of the id>-<first 8 hex of sha256(id)>
    const suffix = `-averylongmod-${idHash('AVeryLongModelIdentifierIndeed')}`;
    expect(chat.inferenceComponentName.endsWith(suffix)).toBe(true);
    const prefix = chat.inferenceComponentName.slice(0, -suffix.length);
    expect(prefix.length).toBeLessThanOrEqual(40);
    expect(prefix).toMatch(/^teststack-chatx+-[0-9a-f]{8}$/);
    expect(prefix.slice(-8)).toBe(ep.endpointName.slice(-8));
    const again = newStack();
    expect(endpoint(again, {}, `Chat${'x'.repeat(90)}`).addModel('AVeryLongModelIdentifierIndeed', modelOptions(again)).inferenceComponentName)
      .toBe(chat.inferenceComponentName);
  });
});

describe('When two model ids share their first 12 letters and digits, or differ only in case', () => {
  const stack = newStack();
  const ep = endpoint(stack, { instanceType: GpuInstanceType.G5_12XLARGE });
  const small = ep.addModel('Llama3Instruct8B', modelOptions(stack));
  const large = ep.addModel('Llama3Instruct70B', modelOptions(stack, { acceleratorsPerCopy: 2 }));
  const lower = ep.addModel('llama3instruct8b', modelOptions(stack));

  test('every component gets its own InferenceComponentName: a readable slug and a hash of the id', () => {
    const names = [small, large, lower].map(c => c.inferenceComponentName);
    expect(new Set(names).size).toBe(3);
    for (const name of names) expect(name).toMatch(/-llama3instru-[0-9a-f]{8}$/);
  });
});

describe('When a Hugging Face Hub model is added to an endpoint whose subnets have no egress', () => {
  test('addModel fails, naming the model and the two ways out', () => {
    const stack = newStack();
    const ep = endpoint(stack);
    const e = validationError(() => ep.addModel('Hub', modelOptions(stack, { model: ModelSource.huggingFaceHub(HUB_ID) })));
    expect(e.codes).toEqual(['LLMOPS_HUB_NEEDS_EGRESS']);
    expect(e.message).toBe("InferenceComponentEndpoint at 'TestStack/Chat', addModel('Hub'): model 'HUGGING_FACE_HUB' downloads its weights from the Hugging Face Hub, "
      + 'but the endpoint runs in subnets without internet egress; create the endpoint with internetEgress: true (and a VPC with NAT), '
      + 'or stage the weights in S3 with ModelSource.fromBucket [LLMOPS_HUB_NEEDS_EGRESS]');
  });
});

describe('When addModel is given scaling for a fixed copy count, or an id the endpoint already uses', () => {
  test('scaling with copies.min = copies.max fails rather than being ignored', () => {
    const stack = newStack();
    const e = validationError(() => endpoint(stack).addModel('Fixed', modelOptions(stack, { scaling: { targetConcurrentRequestsPerCopy: 2 } })));
    expect(e.codes).toEqual(['LLMOPS_SCALING_UNUSED']);
    expect(e.message).toContain('scaling {"targetConcurrentRequestsPerCopy":2} has no effect with a fixed copy count (copies.min = copies.max = 1); give copies a range, or remove it');
  });

  test('an id that clashes with a child of the endpoint fails before anything is created', () => {
    const stack = newStack();
    const ep = endpoint(stack);
    const e = validationError(() => ep.addModel('Endpoint', modelOptions(stack)));
    expect(e.codes).toEqual(['LLMOPS_COMPONENT_ID']);
    expect(e.message).toContain("id 'Endpoint' clashes with the child 'Endpoint' of the endpoint");
    expect(ep.node.tryFindChild('EndpointModel')).toBeUndefined();
  });

  test('an id that clashes with the SageMaker model of an earlier component fails, and adds nothing', () => {
    const stack = newStack();
    const ep = endpoint(stack, { instanceType: GpuInstanceType.G5_12XLARGE });
    const chat = ep.addModel('Chat7B', modelOptions(stack));
    const e = validationError(() => ep.addModel('Chat7BModel', modelOptions(stack)));
    expect(e.codes).toEqual(['LLMOPS_COMPONENT_ID']);
    expect(e.message).toBe("InferenceComponentEndpoint at 'TestStack/Chat', addModel('Chat7BModel'): id 'Chat7BModel' clashes with the child 'Chat7BModel' of the endpoint; "
      + 'allowed: an id no other component or part of the endpoint uses [LLMOPS_COMPONENT_ID]');
    expect(ep.inferenceComponents).toEqual([chat]);
    expect(ep.node.tryFindChild('Chat7BModelModel')).toBeUndefined();
  });
});

describe('When an adapter runs on a base that scales to zero', () => {
  const stack = newStack();
  const bucket = new s3.Bucket(stack, 'Adapters');
  const ep = endpoint(stack, { fleet: { minInstances: 0, maxInstances: 1 } });
  const base = ep.addModel('Base', modelOptions(stack, { container: ServingContainer.lmi(), loraAdapters: {}, copies: { min: 0, max: 1 } }));
  const adapter = ep.addAdapter('Sql', { base, adapterSource: { bucket, key: 'sql/model.tar.gz' } });
  const t = Template.fromStack(stack);

  test("a request to the adapter that finds no copy also wakes the base: its own alarm acts on the base's step policy", () => {
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter(a => a.Properties.MetricName === 'NoCapacityInvocationFailures');
    expect(alarms.map(a => a.Properties.Dimensions[0].Value).sort()).toEqual([adapter.inferenceComponentName, base.inferenceComponentName].sort());
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: logicalId(stack, base.node.findChild('WakeFromZero').node.findChild('Resource') as CfnElement) }]);
    expect(alarms.map(a => a.Properties.AlarmDescription).sort()).toEqual([
      'A request to TestStack/Chat/Base found no copy running; adds one copy of TestStack/Chat/Base (scale from zero)',
      'A request to TestStack/Chat/Sql found no copy running; adds one copy of TestStack/Chat/Base (scale from zero)',
    ]);
  });
});
