import { CfnParameter, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  CaptureMode, DeploymentStrategy, GpuInferenceEndpoint, GpuInferenceEndpointProps, GpuInstanceType, InferenceAmiVersion, ModelSource,
  RoutingStrategy, ServingContainer,
} from '../../constructs';
import { newStack, validationError } from '../util';

function s3Model(stack: Stack): ModelSource {
  return ModelSource.fromBucket(s3.Bucket.fromBucketName(stack, 'Weights', 'weights-bucket'), 'models/mistral-7b/');
}

function endpoint(extra: Partial<GpuInferenceEndpointProps> = {}, stack = newStack()): GpuInferenceEndpoint {
  return new GpuInferenceEndpoint(stack, 'Chat', { model: s3Model(stack), ...extra });
}

function alarm(stack: Stack, id: string): cloudwatch.Alarm {
  return new cloudwatch.Alarm(stack, id, {
    metric: new cloudwatch.Metric({ namespace: 'Test', metricName: id }), threshold: 1, evaluationPeriods: 1,
  });
}

describe('When an endpoint is created with only a model', () => {
  const stack = newStack();
  const ep = endpoint({}, stack);
  const t = Template.fromStack(stack);

  test('the model runs with network isolation in the private subnets of its own VPC', () => {
    t.hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: true,
      VpcConfig: { Subnets: Match.arrayWith([Match.objectLike({ Ref: Match.stringLikeRegexp('ChatFoundationVpcIsolatedSubnet1') })]) },
    });
    t.resourceCountIs('AWS::EC2::InternetGateway', 0);
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  test('the variant serves one ml.g5.2xlarge with LLM-sized timeouts, least-outstanding-requests routing and a CUDA 12 AMI', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({
        VariantName: 'AllTraffic',
        InstanceType: 'ml.g5.2xlarge',
        InitialInstanceCount: 1,
        InitialVariantWeight: 1,
        ContainerStartupHealthCheckTimeoutInSeconds: 900,
        ModelDataDownloadTimeoutInSeconds: 1200,
        RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
        InferenceAmiVersion: 'al2-ami-sagemaker-inference-gpu-3-1',
      })],
    });
  });

  test('the container is TGI sharded over the instance GPUs', () => {
    t.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: Match.objectLike({
        Image: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('huggingface-pytorch-tgi-inference:')])] },
        Environment: { HF_MODEL_ID: '/opt/ml/model', SM_NUM_GPUS: '1', MAX_INPUT_TOKENS: '4096', MAX_TOTAL_TOKENS: '8192' },
      }),
    });
  });

  test('g5 has local NVMe storage, so the config has no volume key and the compliance finding is acknowledged with that reason', () => {
    const configs = t.findResources('AWS::SageMaker::EndpointConfig');
    const [config] = Object.values(configs);
    expect(config.Properties.KmsKeyId).toBeUndefined();
    const acks = ep.cfnEndpointConfig.node.metadata.filter(m => m.type === 'aws:cdk:acknowledged-rules').map(m => JSON.stringify(m.data));
    expect(acks.join()).toContain('HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured');
    expect(acks.join()).toContain('local NVMe instance storage');
  });

  test('requests and responses are captured to the KMS-encrypted capture bucket under the endpoint prefix', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 100,
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('ChatFoundationKey'), 'Arn'] },
        DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('ChatFoundationDataCaptureBucket') }, `/endpoints/${ep.endpointName}/`]] },
        CaptureContentTypeHeader: { JsonContentTypes: ['application/json'] },
      },
    });
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) })] },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  test('the endpoint has a fixed, lower-case name and its own encrypted log group', () => {
    expect(ep.endpointName).toMatch(/^teststack-chat-[0-9a-f]{8}$/);
    t.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: ep.endpointName });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: `/aws/sagemaker/Endpoints/${ep.endpointName}`,
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('ChatFoundationKey'), 'Arn'] },
    });
  });

  test('model and endpoint configuration names are left to CloudFormation so that updates replace them', () => {
    const [model] = Object.values(t.findResources('AWS::SageMaker::Model'));
    const [config] = Object.values(t.findResources('AWS::SageMaker::EndpointConfig'));
    expect(model.Properties.ModelName).toBeUndefined();
    expect(config.Properties.EndpointConfigName).toBeUndefined();
  });

  test('the execution role has no AWS managed policy and no inline policy: grants are in its own customer managed policies', () => {
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })] },
      ManagedPolicyArns: [{ Ref: Match.stringLikeRegexp('^ChatExecutionRoleUnscopedGrants') }, { Ref: Match.stringLikeRegexp('^ChatExecutionRoleGrants') }],
    });
    t.resourceCountIs('AWS::IAM::Policy', 0);
    t.resourceCountIs('AWS::IAM::ManagedPolicy', 2);
    const roles = JSON.stringify(t.findResources('AWS::IAM::Role'));
    expect(roles).not.toContain('arn:aws:iam::aws:policy');
  });

  test('the role may write logs only to its own log group and publish metrics only to SageMaker namespaces', () => {
    const statements = Object.values(t.findResources('AWS::IAM::ManagedPolicy')).flatMap(p => p.Properties.PolicyDocument.Statement);
    const doc = { Statement: statements };
    const stmt = (action: string) => doc.Statement.filter((s: any) => [s.Action].flat().includes(action));
    expect(stmt('logs:PutLogEvents')[0].Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/ChatLogGroup/), 'Arn'] });
    expect(stmt('cloudwatch:PutMetricData')[0].Condition).toEqual({ StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'AWS/SageMaker'] } });
    expect(stmt('ec2:CreateNetworkInterface')[0].Condition.ArnEquals['ec2:Vpc']).toBeDefined();
    expect(stmt('s3:PutObject')[0].Resource['Fn::Join'][1][1]).toBe(`/endpoints/${ep.endpointName}/*`);
    const actions = doc.Statement.flatMap((s: any) => [s.Action].flat());
    expect(actions.filter((a: string) => a.includes('*'))).toEqual([]);
  });

  test('the security group has no inbound rule and allows only outbound HTTPS', () => {
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('Model containers'),
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', Description: Match.anyValue() }],
      SecurityGroupIngress: Match.absent(),
    });
  });

  test('only actions without resource-level permissions use Resource "*", in a policy of their own whose finding is acknowledged', () => {
    const unscoped = ep.node.findChild('ExecutionRole').node.findChild('UnscopedGrants');
    const [scopedId] = Object.keys(t.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('^Least-privilege') } }));
    const scoped = t.findResources('AWS::IAM::ManagedPolicy')[scopedId].Properties.PolicyDocument.Statement;
    expect(scoped.filter((x: any) => x.Resource === '*')).toEqual([]);
    const unscopedDoc = Object.values(t.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('^Actions without') } }))[0];
    expect(unscopedDoc.Properties.PolicyDocument.Statement.flatMap((x: any) => [x.Action].flat()).sort()).toEqual([
      'cloudwatch:PutMetricData', 'ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface',
      'ec2:DeleteNetworkInterfacePermission', 'ec2:DescribeDhcpOptions', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSecurityGroups',
      'ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'ecr:GetAuthorizationToken',
    ]);
    const acks = unscoped.node.metadata.filter(m => m.type === 'aws:cdk:acknowledged-rules').map(m => JSON.stringify(m.data)).join();
    expect(acks).toContain('AwsSolutions-IAM5[Resource::*]');
    const roleAcks = ep.role.node.metadata.filter(m => m.type === 'aws:cdk:acknowledged-rules').map(m => JSON.stringify(m.data)).join();
    expect(roleAcks).not.toContain('AwsSolutions-IAM5[Resource::*]');
  });

  test('there is no deployment policy, scaling target or rollback alarm unless asked for', () => {
    const [endpointRes] = Object.values(t.findResources('AWS::SageMaker::Endpoint'));
    expect(endpointRes.Properties.DeploymentConfig).toBeUndefined();
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });
});

describe('When an endpoint gets A/B variants, a custom AMI and routing', () => {
  const stack = newStack();
  endpoint({
    variantName: 'Champion',
    weight: 3,
    additionalVariants: [{ variantName: 'Challenger', instanceType: GpuInstanceType.G6E_XLARGE, weight: 1, environment: { MAX_BATCH_SIZE: '8' } }],
    routingStrategy: RoutingStrategy.RANDOM,
    inferenceAmiVersion: InferenceAmiVersion.AL2023_GPU_4_1,
    containerStartupHealthCheckTimeout: Duration.minutes(30),
    modelDataDownloadTimeout: Duration.minutes(60),
  }, stack);
  const t = Template.fromStack(stack);

  test('each variant gets its own model and its weight', () => {
    t.resourceCountIs('AWS::SageMaker::Model', 2);
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [
        Match.objectLike({ VariantName: 'Champion', InitialVariantWeight: 3, InstanceType: 'ml.g5.2xlarge', ContainerStartupHealthCheckTimeoutInSeconds: 1800, ModelDataDownloadTimeoutInSeconds: 3600 }),
        Match.objectLike({ VariantName: 'Challenger', InitialVariantWeight: 1, InstanceType: 'ml.g6e.xlarge', RoutingConfig: { RoutingStrategy: 'RANDOM' }, InferenceAmiVersion: 'al2023-ami-sagemaker-inference-gpu-4-1' }),
      ],
    });
  });

  test("a variant's environment is applied last, to its model only", () => {
    t.hasResourceProperties('AWS::SageMaker::Model', { PrimaryContainer: Match.objectLike({ Environment: Match.objectLike({ MAX_BATCH_SIZE: '8' }) }) });
    const envs = Object.values(t.findResources('AWS::SageMaker::Model')).map(m => m.Properties.PrimaryContainer.Environment);
    expect(envs.filter(e => e.MAX_BATCH_SIZE)).toHaveLength(1);
  });
});

describe('When an endpoint has a shadow variant', () => {
  const stack = newStack();
  endpoint({ shadowVariant: { variantName: 'Shadow', model: ModelSource.fromBucket(s3.Bucket.fromBucketName(stack, 'Next', 'next-weights'), 'models/v2/') } }, stack);
  const t = Template.fromStack(stack);

  test('the shadow variant has its own model and no weight', () => {
    t.resourceCountIs('AWS::SageMaker::Model', 2);
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ShadowProductionVariants: [Match.objectLike({ VariantName: 'Shadow', InitialVariantWeight: Match.absent(), InstanceType: 'ml.g5.2xlarge' })],
    });
  });
});

describe('When an endpoint runs on Inferentia with its own image', () => {
  const stack = newStack();
  endpoint({ instanceType: GpuInstanceType.INF2_XLARGE, container: ServingContainer.fromImageUri('123456789012.dkr.ecr.us-east-1.amazonaws.com/neuron-llm:1') }, stack);
  const t = Template.fromStack(stack);

  test('the volume is encrypted with the customer key, which SageMaker may grant to itself', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('ChatFoundationKey'), 'Arn'] } });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'kms:CreateGrant', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } })]) },
    });
  });

  test('the Neuron AMI is the default', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', { ProductionVariants: [Match.objectLike({ InferenceAmiVersion: 'al2-ami-sagemaker-inference-neuron-2' })] });
  });
});

describe('When an endpoint scales and deploys with a canary guarded by alarms', () => {
  const stack = newStack();
  const errors = alarm(stack, 'Errors');
  const ep = endpoint({
    instanceCount: 2,
    autoScaling: { minCapacity: 2, maxCapacity: 6, targetConcurrentRequestsPerModel: 4, targetInvocationsPerInstance: 100, scaleInCooldown: Duration.minutes(15) },
    deployment: {
      strategy: DeploymentStrategy.canary(25, Duration.minutes(10)),
      rollbackAlarms: [errors],
      terminationWait: Duration.minutes(5),
      maximumExecutionTimeout: Duration.hours(2),
    },
  }, stack);
  ep.addRollbackAlarm(alarm(stack, 'Latency'));
  const t = Template.fromStack(stack);

  test('the endpoint renders a canary blue/green policy that rolls back on both alarms', () => {
    t.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 25 }, WaitIntervalInSeconds: 600 },
          TerminationWaitInSeconds: 300,
          MaximumExecutionTimeoutInSeconds: 7200,
        },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: { Ref: Match.stringLikeRegexp('^Errors') } }, { AlarmName: { Ref: Match.stringLikeRegexp('^Latency') } }] },
      },
    });
  });

  test('the role may describe exactly the rollback alarms', () => {
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'cloudwatch:DescribeAlarms', Resource: [Match.anyValue(), Match.anyValue()] })]) },
    });
  });

  test('the variant scales on high-resolution concurrency and on invocations, through the service-linked role', () => {
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      ResourceId: `endpoint/${ep.endpointName}/variant/AllTraffic`,
      MinCapacity: 2,
      MaxCapacity: 6,
      RoleARN: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint')])] },
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantConcurrentRequestsPerModelHighResolution' },
        TargetValue: 4, ScaleInCooldown: 900, ScaleOutCooldown: 300,
      },
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' }, TargetValue: 100 }),
    });
    t.resourceCountIs('AWS::IAM::Role', 1);
  });

  test('the scaling target waits for the endpoint', () => {
    const [target] = Object.values(t.findResources('AWS::ApplicationAutoScaling::ScalableTarget'));
    expect(target.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^ChatEndpoint/)]));
  });

});

describe("When an alarm on the endpoint's own metric guards its deployment", () => {
  const stack = newStack();
  const ep = endpoint({ instanceCount: 2, deployment: { strategy: DeploymentStrategy.linear(20, Duration.minutes(5)) } }, stack);
  ep.addRollbackAlarm(ep.metricInvocation5xxErrors().createAlarm(stack, 'Own5xx', { threshold: 0.05, evaluationPeriods: 2 }));
  const t = Template.fromStack(stack);

  test('the alarm names the endpoint by its literal name, so alarm and endpoint do not form a cycle', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Dimensions: Match.arrayWith([{ Name: 'EndpointName', Value: ep.endpointName }]) });
  });

  test('the endpoint shifts traffic in linear steps and rolls back on the alarm', () => {
    t.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: Match.objectLike({ TrafficRoutingConfiguration: Match.objectLike({ Type: 'LINEAR', LinearStepSize: { Type: 'CAPACITY_PERCENT', Value: 20 } }) }),
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: { Ref: Match.stringLikeRegexp('^Own5xx') } }] },
      },
    });
  });
});

describe('When an endpoint is granted and measured', () => {
  const stack = newStack();
  const ep = endpoint({}, stack);
  const app = new iam.Role(stack, 'App', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  ep.grantInvoke(app);
  const imported = GpuInferenceEndpoint.fromEndpointAttributes(stack, 'Imported', { endpointName: 'Other-Endpoint' });
  imported.grantInvoke(app);
  const t = Template.fromStack(stack);

  test('grantInvoke allows streaming and non-streaming invocation of exactly that endpoint', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointWithResponseStream'],
            Resource: { 'Fn::Join': ['', Match.arrayWith([`:endpoint/${ep.endpointName}`])] },
          }),
          Match.objectLike({ Resource: { 'Fn::Join': ['', Match.arrayWith([':endpoint/other-endpoint'])] } }),
        ],
      },
    });
  });

  test('latency is p99 in microseconds; error metrics are rates (Average)', () => {
    const latency = ep.metricModelLatency();
    expect(latency.statistic).toBe('p99');
    expect(latency.unit).toBe(cloudwatch.Unit.MICROSECONDS);
    expect(latency.namespace).toBe('AWS/SageMaker');
    expect(latency.dimensions).toEqual({ EndpointName: ep.endpointName, VariantName: 'AllTraffic' });
    expect(ep.metricInvocation5xxErrors().statistic).toBe('Average');
    expect(ep.metricInvocation4xxErrors().metricName).toBe('Invocation4XXErrors');
    expect(ep.metricInvocations().statistic).toBe('Sum');
    expect(ep.metricOverheadLatency().unit).toBe(cloudwatch.Unit.MICROSECONDS);
  });

  test('instance metrics read the /aws/sagemaker/Endpoints namespace; the caller can pick a variant and override options', () => {
    for (const m of [ep.metricGpuUtilization(), ep.metricGpuMemoryUtilization(), ep.metricDiskUtilization()]) {
      expect(m.namespace).toBe('/aws/sagemaker/Endpoints');
    }
    const m = ep.metricGpuUtilization({ variantName: 'Challenger', statistic: 'Maximum', period: Duration.minutes(5) });
    expect(m.dimensions).toEqual({ EndpointName: ep.endpointName, VariantName: 'Challenger' });
    expect(m.statistic).toBe('Maximum');
    expect(m.period.toMinutes()).toBe(5);
  });

  test('an imported endpoint measures like an owned one', () => {
    expect(imported.metricInvocations().dimensions).toEqual({ EndpointName: 'Other-Endpoint', VariantName: 'AllTraffic' });
    expect(imported.endpointArn).toContain(':endpoint/other-endpoint');
  });
});

describe('When an endpoint is given a VPC, key and capture bucket', () => {
  const stack = newStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', { subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const bucket = new s3.Bucket(stack, 'Capture');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const ep = endpoint({ vpc, encryptionKey: key, dataCapture: { bucket, prefix: 'capture/', samplingPercentage: 10, captureMode: CaptureMode.INPUT } }, stack);
  const t = Template.fromStack(stack);

  test('it uses them and creates no foundation of its own', () => {
    expect(ep.foundation).toBeUndefined();
    t.resourceCountIs('AWS::EC2::VPC', 1);
    t.resourceCountIs('AWS::KMS::Key', 1);
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      DataCaptureConfig: Match.objectLike({ InitialSamplingPercentage: 10, CaptureOptions: [{ CaptureMode: 'Input' }], KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } }),
    });
  });
});

describe('When data capture is turned off', () => {
  const stack = newStack();
  endpoint({ dataCapture: { enabled: false } }, stack);
  const t = Template.fromStack(stack);

  test('the configuration has no capture and the role no capture write', () => {
    const [config] = Object.values(t.findResources('AWS::SageMaker::EndpointConfig'));
    expect(config.Properties.DataCaptureConfig).toBeUndefined();
    expect(JSON.stringify(t.findResources('AWS::IAM::ManagedPolicy'))).not.toContain('s3:PutObject');
  });
});

describe('When endpoint props are invalid', () => {
  const where = "GpuInferenceEndpoint at 'TestStack/Chat'";
  const cases: Array<[string, Partial<GpuInferenceEndpointProps> | ((s: Stack) => Partial<GpuInferenceEndpointProps>), string, string]> = [
    ['min capacity above max', { autoScaling: { minCapacity: 5, maxCapacity: 2 } }, 'LLMOPS_CAPACITY_ORDER',
      'autoScaling.minCapacity 5 is greater than autoScaling.maxCapacity (2); allowed: minCapacity ≤ maxCapacity'],
    ['negative capacity', { autoScaling: { minCapacity: -1, maxCapacity: 2 } }, 'LLMOPS_CAPACITY_RANGE',
      'autoScaling.minCapacity -1 is out of range; allowed: an integer from 1 to 1000 (real-time variants cannot scale to zero)'],
    ['zero max capacity', { autoScaling: { minCapacity: 1, maxCapacity: 0 } }, 'LLMOPS_CAPACITY_RANGE',
      'autoScaling.maxCapacity 0 is out of range; allowed: an integer from 1 to 1000'],
    ['negative weight', { weight: -1 }, 'LLMOPS_VARIANT_WEIGHT', 'weight -1 is negative; allowed: a weight ≥ 0'],
    ['all weights zero', { weight: 0, additionalVariants: [{ variantName: 'B', weight: 0 }] }, 'LLMOPS_VARIANT_WEIGHTS_ZERO',
      'weight, additionalVariants[*].weight [0,0] are all zero, so no variant would receive traffic'],
    ['canary of 0 %', { instanceCount: 2, deployment: { strategy: DeploymentStrategy.canary(0, Duration.minutes(5)) } }, 'LLMOPS_CANARY_SIZE',
      'deployment.strategy canary sizePercent 0 is out of range; allowed: an integer from 1 to 50 %'],
    ['canary of 100 %', { instanceCount: 2, deployment: { strategy: DeploymentStrategy.canary(100, Duration.minutes(5)) } }, 'LLMOPS_CANARY_SIZE',
      'deployment.strategy canary sizePercent 100 is out of range'],
    ['linear step of 5 %', { instanceCount: 2, deployment: { strategy: DeploymentStrategy.linear(5, Duration.minutes(5)) } }, 'LLMOPS_LINEAR_STEP',
      'deployment.strategy linear stepPercent 5 is out of range; allowed: an integer from 10 to 50 %'],
    ['linear step of 99 %', { instanceCount: 2, deployment: { strategy: DeploymentStrategy.linear(99, Duration.minutes(5)) } }, 'LLMOPS_LINEAR_STEP',
      'deployment.strategy linear stepPercent 99 is out of range'],
    ['bake longer than an hour', { deployment: { strategy: DeploymentStrategy.allAtOnce(Duration.hours(2)) } }, 'LLMOPS_DEPLOYMENT_WAIT',
      'deployment.strategy wait 7200 is out of range; allowed: an integer from 0 to 3600 seconds'],
    ['execution timeout below the waits', { instanceCount: 2, deployment: { strategy: DeploymentStrategy.canary(10, Duration.minutes(50)), terminationWait: Duration.minutes(30), maximumExecutionTimeout: Duration.minutes(60) } },
      'LLMOPS_DEPLOYMENT_TIMEOUT', "deployment.maximumExecutionTimeout '3600 seconds' must exceed the strategy wait plus terminationWait (4800 seconds)"],
    ['sampling above 100', { dataCapture: { samplingPercentage: 101 } }, 'LLMOPS_SAMPLING_RANGE',
      'dataCapture.samplingPercentage 101 is out of range; allowed: an integer from 0 to 100 %'],
    ['sampling below 0', { dataCapture: { samplingPercentage: -5 } }, 'LLMOPS_SAMPLING_RANGE', 'dataCapture.samplingPercentage -5 is out of range'],
    ['capture options while capture is off', { dataCapture: { enabled: false, samplingPercentage: 5 } }, 'LLMOPS_CAPTURE_OPTION_IGNORED',
      'dataCapture.samplingPercentage 5 has no effect while dataCapture.enabled is false'],
    ['capture prefix without slash', { dataCapture: { prefix: 'capture' } }, 'LLMOPS_CAPTURE_PREFIX', "dataCapture.prefix 'capture' is not a key prefix"],
    ['startup timeout under 60 s', { containerStartupHealthCheckTimeout: Duration.seconds(30) }, 'LLMOPS_TIMEOUT_RANGE',
      'containerStartupHealthCheckTimeout 30 is out of range; allowed: an integer from 60 to 3600 seconds'],
    ['download timeout over an hour', { modelDataDownloadTimeout: Duration.minutes(61) }, 'LLMOPS_TIMEOUT_RANGE',
      'modelDataDownloadTimeout 3660 is out of range; allowed: an integer from 60 to 3600 seconds'],
    ['zero instances', { instanceCount: 0 }, 'LLMOPS_INSTANCE_COUNT', 'instanceCount 0 is out of range; allowed: an integer from 1 to 1000'],
    ['bad endpoint name', { endpointName: 'chat_endpoint' }, 'LLMOPS_ENDPOINT_NAME', "endpointName 'chat_endpoint' is not a SageMaker endpoint name"],
    ['bad variant name', { variantName: '-x' }, 'LLMOPS_VARIANT_NAME', "variantName '-x' is not a SageMaker variant name"],
    ['duplicate variant names', { additionalVariants: [{ variantName: 'AllTraffic' }] }, 'LLMOPS_VARIANT_NAME_DUPLICATE',
      "additionalVariants[0].variantName 'AllTraffic' is used by another variant"],
    ['shadow next to A/B variants', { additionalVariants: [{ variantName: 'B' }], shadowVariant: { variantName: 'S' } }, 'LLMOPS_SHADOW_WITH_AB',
      "shadowVariant 'S' cannot be combined with additionalVariants (2 production variants)"],
    ['more than 10 rollback alarms', (s: Stack) => ({ deployment: { strategy: DeploymentStrategy.allAtOnce(), rollbackAlarms: Array.from({ length: 11 }, (_, i) => alarm(s, `A${i}`)) } }),
      'LLMOPS_TOO_MANY_ROLLBACK_ALARMS', "deployment.rollbackAlarms '11 alarms' exceeds SageMaker's limit; allowed: at most 10"],
    ['an unknown AMI version', { inferenceAmiVersion: InferenceAmiVersion.of('al2-ami-nope') }, 'LLMOPS_AMI_VERSION',
      "inferenceAmiVersion 'al2-ami-nope' is not a SageMaker inference AMI version; allowed: "],
    ['a canary on one instance', { deployment: { strategy: DeploymentStrategy.canary(50, Duration.minutes(5)) } }, 'LLMOPS_DEPLOYMENT_NEEDS_CAPACITY',
      "instanceCount 1 is too small for a canary deployment: SageMaker shifts at most half of a variant's instances per step; use 2 or more instances, or DeploymentStrategy.allAtOnce()"],
    ['a linear deployment that can scale in to one instance', { instanceCount: 2, autoScaling: { minCapacity: 1, maxCapacity: 3 }, deployment: { strategy: DeploymentStrategy.linear(50, Duration.minutes(5)) } },
      'LLMOPS_DEPLOYMENT_NEEDS_CAPACITY', 'autoScaling.minCapacity 1 is too small for a linear deployment'],
    ['an instance count outside the scaling range', { instanceCount: 1, autoScaling: { minCapacity: 2, maxCapacity: 4 } }, 'LLMOPS_INSTANCE_COUNT_SCALING',
      'instanceCount 1 is outside autoScaling (2-4); every deployment starts the variant at instanceCount'],
    ['a negative scaling target', { autoScaling: { minCapacity: 1, maxCapacity: 2, targetConcurrentRequestsPerModel: -1 } }, 'LLMOPS_SCALING_TARGET',
      'autoScaling.targetConcurrentRequestsPerModel -1 is out of range'],
  ];

  test.each(cases)('%s fails with a message naming the path, prop, value and what is allowed', (_name, extra, code, message) => {
    const stack = newStack();
    const e = validationError(() => endpoint(typeof extra === 'function' ? extra(stack) : extra, stack));
    expect(e.codes).toEqual([code]);
    expect(e.message).toContain(where);
    expect(e.message).toContain(message);
  });

  test('every problem is reported at once', () => {
    const e = validationError(() => endpoint({ instanceCount: 0, dataCapture: { samplingPercentage: 200 } }));
    expect(e.codes).toEqual(['LLMOPS_INSTANCE_COUNT', 'LLMOPS_SAMPLING_RANGE']);
    expect(e.message).toMatch(/^GpuInferenceEndpoint at 'TestStack\/Chat' has 2 invalid props:\n {2}- instanceCount 0/);
  });

  test('a Hugging Face Hub model in a VPC without egress fails, saying how to fix it', () => {
    const stack = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const e = validationError(() => new GpuInferenceEndpoint(stack, 'Chat', { model: ModelSource.huggingFaceHub('mistralai/Mistral-7B-Instruct-v0.3'), vpc }));
    expect(e.codes).toEqual(['LLMOPS_HUB_NEEDS_EGRESS']);
    expect(e.message).toContain("vpc 'TestStack/Vpc' has no private subnets with internet egress");
  });

  test('more than 10 rollback alarms added later fail at synth', () => {
    const stack = newStack();
    const ep = endpoint({}, stack);
    for (let i = 0; i < 11; i++) ep.addRollbackAlarm(alarm(stack, `A${i}`));
    expect(() => Template.fromStack(stack)).toThrow(/deployment.rollbackAlarms has 11 alarms; SageMaker allows at most 10 \[LLMOPS_TOO_MANY_ROLLBACK_ALARMS\]/);
  });

  test('unresolved tokens pass through unvalidated', () => {
    const stack = newStack();
    const count = new CfnParameter(stack, 'Count', { type: 'Number' }).valueAsNumber;
    expect(() => endpoint({ instanceCount: count, autoScaling: { minCapacity: count, maxCapacity: count }, dataCapture: { samplingPercentage: count } }, stack)).not.toThrow();
  });
});

describe('When an A/B variant brings its own model but no container', () => {
  const stack = newStack();
  const bucket = s3.Bucket.fromBucketName(stack, 'Weights', 'weights-bucket');
  new GpuInferenceEndpoint(stack, 'Chat', {
    model: ModelSource.fromBucket(bucket, 'models/a/'),
    container: ServingContainer.lmi(),
    additionalVariants: [{ variantName: 'Challenger', model: ModelSource.fromBucket(bucket, 'models/b/') }],
  });
  const t = Template.fromStack(stack);

  test("it inherits the endpoint's container", () => {
    const images = Object.values(t.findResources('AWS::SageMaker::Model')).map(m => JSON.stringify(m.Properties.PrimaryContainer.Image));
    expect(images).toHaveLength(2);
    for (const image of images) expect(image).toContain('djl-inference');
  });
});
