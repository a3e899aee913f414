import { App, CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CfnAccessPolicy } from 'aws-cdk-lib/aws-opensearchserverless';
import { InferenceComponentEndpoint, LlmOpsStack, OpenSearchServerlessVectorStore, resolveConfig } from '../../lib';
import { validationError } from '../util';

const TAGGED_TYPES = ['AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::EC2::VPC', 'AWS::SageMaker::Model', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Endpoint'];

/** The approved-model-package parameter the stacks read. */
const PARAMETER = '/llmops/llmops/test/approved-model-package';

/** The stack of one environment's preset, named as the default app names it. */
function presetStack(environment: string): LlmOpsStack {
  return new LlmOpsStack(new App(), `LlmOps-${environment}`, { config: resolveConfig(environment), approvedModelPackageParameter: PARAMETER });
}

function logicalId(stack: LlmOpsStack, element: unknown): string {
  return stack.getLogicalId(element as CfnElement);
}

/** The tests every preset shares: one model served from the artifacts bucket with network isolation. */
function describeTheEndpointOf(built: () => { stack: LlmOpsStack; template: Template }): void {
  test('the stack has one SageMaker model, endpoint configuration and endpoint', () => {
    built().template.resourceCountIs('AWS::SageMaker::Model', 1);
    built().template.resourceCountIs('AWS::SageMaker::EndpointConfig', 1);
    built().template.resourceCountIs('AWS::SageMaker::Endpoint', 1);
  });

  test('the model reads the preset prefix of the artifacts bucket with network isolation on, until a package is approved', () => {
    const bucketId = logicalId(built().stack, built().stack.foundation.artifactsBucket.node.defaultChild);
    const [model] = Object.values(built().template.findResources('AWS::SageMaker::Model'));
    expect(model.Properties.EnableNetworkIsolation).toBe(true);
    const [condition, approved, fallback] = model.Properties.PrimaryContainer['Fn::If'];
    expect(condition).toMatch(/^ApprovedModelPackage/);
    expect(approved.ModelPackageName).toEqual({ Ref: expect.stringMatching(/^ApprovedModelPackage/) });
    expect(fallback.ModelDataSource).toEqual({
      S3DataSource: {
        S3Uri: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, '/models/mistral-7b-instruct-v0.3/']] },
        S3DataType: 'S3Prefix',
        CompressionType: 'None',
      },
    });
    built().template.hasResourceProperties('AWS::S3::Bucket', { LoggingConfiguration: { LogFilePrefix: 'artifacts/' } });
    expect(Object.keys(built().template.findResources('AWS::S3::Bucket', { Properties: { LoggingConfiguration: { LogFilePrefix: 'artifacts/' } } }))).toEqual([bucketId]);
  });
}

describe('When an LlmOpsStack is built from the dev preset', () => {
  let stack: LlmOpsStack;
  let template: Template;

  beforeAll(() => {
    stack = presetStack('dev');
    template = Template.fromStack(stack);
  });

  describeTheEndpointOf(() => ({ stack, template }));

  test('every role carries the guardrails boundary, which requires network isolation for models and training jobs', () => {
    const boundary = { Ref: logicalId(stack, stack.guardrails.boundaryPolicy!.node.defaultChild) };
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    expect(roles.length).toBeGreaterThan(5);
    for (const role of roles) expect(role.Properties.PermissionsBoundary).toEqual(boundary);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'DenySageMakerWithoutNetworkIsolation', Effect: 'Deny' })]) },
    });
  });

  test('the content guardrail is encrypted with the foundation key, published as a version and given in outputs', () => {
    const keyId = logicalId(stack, stack.foundation.encryptionKey.node.defaultChild);
    template.resourceCountIs('AWS::Bedrock::Guardrail', 1);
    template.hasResourceProperties('AWS::Bedrock::Guardrail', {
      KmsKeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] },
      ContentPolicyConfig: { FiltersConfig: Match.arrayWith([{ Type: 'PROMPT_ATTACK', InputStrength: 'HIGH', OutputStrength: 'NONE' }]) },
    });
    template.resourceCountIs('AWS::Bedrock::GuardrailVersion', 1);
    const guardrailId = logicalId(stack, stack.contentGuardrail!.cfnGuardrail);
    template.hasOutput('GuardrailId', { Value: { 'Fn::GetAtt': [guardrailId, 'GuardrailId'] } });
    template.hasOutput('GuardrailVersion', { Value: { 'Fn::GetAtt': [logicalId(stack, stack.contentGuardrail!.cfnGuardrailVersion), 'Version'] } });
  });

  test('the application role may apply the guardrail and decrypt it with the foundation key', () => {
    const policyId = logicalId(stack, stack.applicationRole.grantsPolicy!.node.defaultChild);
    const [statements] = [template.toJSON().Resources[policyId].Properties.PolicyDocument.Statement];
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'bedrock:ApplyGuardrail', Resource: { 'Fn::GetAtt': [logicalId(stack, stack.contentGuardrail!.cfnGuardrail), 'GuardrailArn'] } }),
    ]));
    expect(statements.some((st: { Action: string | string[] }) => [st.Action].flat().includes('kms:Decrypt'))).toBe(true);
  });

  test('the endpoint is built on inference components: a fleet of 0 to 1 ml.g5.2xlarge, starting at 1, with no model on the variant', () => {
    expect(stack.endpoint).toBeInstanceOf(InferenceComponentEndpoint);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({
        InstanceType: 'ml.g5.2xlarge', InitialInstanceCount: 1, ModelName: Match.absent(),
        ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 0, MaxInstanceCount: 1 },
      })],
      DataCaptureConfig: Match.absent(),
    });
  });

  test('the model is one inference component on the instance\'s GPU that scales its copies between 0 and 1 and wakes on the no-capacity alarm', () => {
    const component = stack.modelComponent!;
    template.hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      InferenceComponentName: component.inferenceComponentName,
      RuntimeConfig: { CopyCount: 1 },
      Specification: Match.objectLike({ ComputeResourceRequirements: Match.objectLike({ NumberOfAcceleratorDevicesRequired: 1 }) }),
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ResourceId: `inference-component/${component.inferenceComponentName}`, MinCapacity: 0, MaxCapacity: 1,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', { PolicyType: 'StepScaling' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'NoCapacityInvocationFailures', AlarmActions: [{ Ref: Match.stringLikeRegexp('WakeFromZero') }],
    });
    template.hasOutput('InferenceComponentName', { Value: component.inferenceComponentName });
  });

  test('the application role may invoke the endpoint and its component', () => {
    const policyId = logicalId(stack, stack.applicationRole.grantsPolicy!.node.defaultChild);
    const statements = template.toJSON().Resources[policyId].Properties.PolicyDocument.Statement;
    const invoke = statements.find((st: { Action: string | string[] }) => [st.Action].flat().includes('sagemaker:InvokeEndpoint'));
    expect(invoke.Resource).toHaveLength(2);
    expect(JSON.stringify(invoke.Resource)).toContain('inference-component/');
  });

  test('resources are tagged with the project and the environment dev', () => {
    for (const type of TAGGED_TYPES) {
      template.allResourcesProperties(type, {
        Tags: Match.arrayWith([{ Key: 'environment', Value: 'dev' }, { Key: 'project', Value: 'LlmOps' }]),
      });
    }
  });

  test('the only scalable target is the copy count, there is no DeploymentConfig, and the one monitoring topic also reports fine-tuning failures', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
    template.hasResourceProperties('AWS::SageMaker::Endpoint', { DeploymentConfig: Match.absent() });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'detail-type': ['Step Functions Execution Status Change'] }),
      Targets: [Match.objectLike({ Arn: stack.resolve(stack.alarmTopic.topicArn) })],
    });
  });

  test('the dev stack has no termination protection; prod has (asserted with the prod preset below)', () => {
    expect(stack.terminationProtection).toBe(false);
    expect(presetStack('prod').terminationProtection).toBe(true);
  });

  test('the Aurora vector store keeps one day of backups, the dev preset\'s retention', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', { BackupRetentionPeriod: 1 });
  });

  test('the key and the buckets are deleted with the stack', () => {
    for (const type of ['AWS::KMS::Key', 'AWS::S3::Bucket']) {
      const resources = Object.values(template.findResources(type));
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) expect(r.DeletionPolicy).toBe('Delete');
    }
  });
});

describe.each([
  ['staging'],
  ['prod'],
])('When an LlmOpsStack is built from the %s preset', environment => {
  let stack: LlmOpsStack;
  let template: Template;

  beforeAll(() => {
    stack = presetStack(environment);
    template = Template.fromStack(stack);
  });

  describeTheEndpointOf(() => ({ stack, template }));

  test(`resources are tagged with the project and the environment ${environment}`, () => {
    for (const type of [...TAGGED_TYPES, 'AWS::SNS::Topic', 'AWS::CloudWatch::Alarm']) {
      template.allResourcesProperties(type, {
        Tags: Match.arrayWith([{ Key: 'environment', Value: environment }, { Key: 'project', Value: 'LlmOps' }]),
      });
    }
  });

  test('the endpoint starts with the preset instance type and count, and captures the preset share of requests', () => {
    const e = stack.config.endpoint;
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InstanceType: e.instanceType, InitialInstanceCount: e.instanceCount })],
      DataCaptureConfig: Match.objectLike({ EnableCapture: true, InitialSamplingPercentage: e.dataCaptureSamplingPercentage }),
    });
  });

  test('the alarm topic is encrypted with the foundation key', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: stack.resolve(stack.foundation.encryptionKey.keyArn) });
  });

  test('the key lets CloudWatch alarms publish to the encrypted topic', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowCloudWatchAlarmsToPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        })]),
      },
    });
  });

  test('every alarm notifies the topic both when it fires and when it recovers', () => {
    const topic = stack.resolve(stack.alarmTopic.topicArn);
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThan(10);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [topic], OKActions: [topic] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Invocation5XXErrors', Namespace: 'AWS/SageMaker', Threshold: 0.05 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ModelLatency', Namespace: 'AWS/SageMaker', ExtendedStatistic: 'p99', Threshold: 45_000_000 });
  });

  test('the endpoint rolls back on the critical latency and 5xx alarms during a canary deployment of the preset size and bake time', () => {
    const d = stack.config.endpoint.deployment!;
    const rollback = ['EndpointModelLatencyP99Critical', 'EndpointError5xxRateCritical'].map(id => stack.monitoring.alarms[id]);
    const alarmNames = rollback.map(a => ({ AlarmName: { Ref: logicalId(stack, a.node.defaultChild) } }));
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        AutoRollbackConfiguration: { Alarms: alarmNames },
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: {
            Type: 'CANARY',
            CanarySize: { Type: 'CAPACITY_PERCENT', Value: d.sizePercent },
            WaitIntervalInSeconds: d.waitMinutes * 60,
          },
        },
      },
    });
  });

  test('the scalable target spans the preset minimum and maximum capacity', () => {
    const s = stack.config.endpoint.autoScaling!;
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      ResourceId: `endpoint/${stack.endpoint.endpointName}/variant/AllTraffic`,
      MinCapacity: s.minCapacity,
      MaxCapacity: s.maxCapacity,
    });
  });

  test('the stateful resources keep their logical IDs, so a refactor cannot silently replace them', () => {
    const stateful = ['AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::OpenSearchServerless::Collection'].flatMap(type => Object.keys(template.findResources(type)));
    const logGroups = Object.entries(template.findResources('AWS::Logs::LogGroup')).filter(([, r]) => r.DeletionPolicy === 'Retain').map(([logicalId]) => logicalId);
    expect([...stateful, ...logGroups].sort()).toEqual([
      'EndpointLogGroup15F89CA5',
      'FineTuningDatasetsBucket1CAF140D',
      'FineTuningStateMachineLogs6EB12DFB',
      'FoundationAccessLogsBucketEB228A1B',
      'FoundationArtifactsBucketC186E5B0',
      'FoundationDataCaptureBucket05EBB08F',
      'FoundationKeyCE5FC256',
      'PromotionFunctionLogGroup4CD7FF13',
      'VectorStoreCollectionB78DBAF4',
      'VectorStoreIndexManagerLogGroup4471C3AC',
    ]);
  });

  test('the key, the buckets, the collection and the endpoint log group are retained', () => {
    for (const type of ['AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::OpenSearchServerless::Collection']) {
      const resources = Object.values(template.findResources(type));
      expect(resources.length).toBeGreaterThan(0);
      for (const r of resources) expect(r.DeletionPolicy).toBe('Retain');
    }
    template.hasResource('AWS::Logs::LogGroup', { Properties: { LogGroupName: `/aws/sagemaker/Endpoints/${stack.endpoint.endpointName}` }, DeletionPolicy: 'Retain' });
  });
});

describe('When an LlmOpsStack serves a Hugging Face Hub model with internet egress', () => {
  const modelId = 'mistralai/Mistral-7B-Instruct-v0.3';
  let stack: LlmOpsStack;
  let template: Template;

  beforeAll(() => {
    const config = resolveConfig('dev', { network: { internetEgress: true }, endpoint: { model: { kind: 'huggingFaceHub', modelId } } });
    stack = new LlmOpsStack(new App(), 'LlmOps-dev', { config, approvedModelPackageParameter: PARAMETER });
    template = Template.fromStack(stack);
  });

  test('the model runs without network isolation and loads HF_MODEL_ID from the Hub', () => {
    template.resourceCountIs('AWS::SageMaker::Model', 1);
    template.hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: false,
      PrimaryContainer: { 'Fn::If': [Match.anyValue(), Match.anyValue(), Match.objectLike({ Environment: Match.objectLike({ HF_MODEL_ID: modelId }), ModelDataSource: Match.absent() })] },
    });
  });

  test('the model runs in the private subnets that reach the internet through the NAT gateway', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.hasResourceProperties('AWS::SageMaker::Model', {
      VpcConfig: { Subnets: stack.resolve(stack.foundation.vpc.privateSubnets.map(s => s.subnetId)) },
    });
  });

  test('the boundary does not require network isolation, as the training script downloads the Hub model', () => {
    const [boundary] = Object.values(template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('^Permissions boundary') } }));
    const sids = boundary.Properties.PolicyDocument.Statement.map((st: { Sid: string }) => st.Sid);
    expect(sids).toEqual(expect.arrayContaining(['AllowGrantedActions', 'DenyPrivilegeEscalation', 'DenySageMakerOutsideVpc', 'DenyTrainingWithoutOutputKey']));
    expect(sids).not.toContain('DenySageMakerWithoutNetworkIsolation');
  });

  test('no artifacts bucket is created, as nothing reads from it', () => {
    // Access logs and the fine-tuning datasets (dev captures no data in inference-component mode).
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.resourceCountIs('AWS::SageMaker::EndpointConfig', 1);
    expect(template.findResources('AWS::S3::Bucket', { Properties: { LoggingConfiguration: { LogFilePrefix: 'artifacts/' } } })).toEqual({});
  });
});

describe('When an LlmOpsStack is built with a vector store', () => {
  const dev = new LlmOpsStack(new App(), 'LlmOps-dev', { config: resolveConfig('dev'), approvedModelPackageParameter: PARAMETER });
  const devTemplate = Template.fromStack(dev);
  const prod = new LlmOpsStack(new App(), 'LlmOps-prod', { config: resolveConfig('prod'), approvedModelPackageParameter: PARAMETER });
  const prodTemplate = Template.fromStack(prod);

  test('dev gets an Aurora pgvector store that can pause, prod an OpenSearch Serverless collection with standby replicas', () => {
    devTemplate.hasResourceProperties('AWS::RDS::DBCluster', { ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 2 } });
    devTemplate.resourceCountIs('AWS::OpenSearchServerless::Collection', 0);
    prodTemplate.hasResourceProperties('AWS::OpenSearchServerless::Collection', { Type: 'VECTORSEARCH', StandbyReplicas: 'ENABLED' });
    prodTemplate.resourceCountIs('AWS::RDS::DBCluster', 0);
  });

  test('the store shares the foundation key and VPC', () => {
    devTemplate.hasResourceProperties('AWS::RDS::DBCluster', { KmsKeyId: { 'Fn::GetAtt': [logicalId(dev, dev.foundation.encryptionKey.node.defaultChild), 'Arn'] } });
    devTemplate.resourceCountIs('AWS::EC2::VPC', 1);
    prodTemplate.resourceCountIs('AWS::EC2::VPC', 1);
    prodTemplate.resourceCountIs('AWS::KMS::Key', 1);
  });

  test('the application role may write the store and invoke the endpoint; the endpoint role gets no store access', () => {
    const access = (prod.vectorStore as OpenSearchServerlessVectorStore).node.findChild('DataAccessPolicy') as CfnAccessPolicy;
    const policyText = JSON.stringify(prod.resolve(access.policy));
    expect(policyText).toContain(logicalId(prod, prod.applicationRole.node.defaultChild));
    expect(policyText).not.toContain(logicalId(prod, prod.endpoint.role.node.defaultChild));
    devTemplate.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Description: Match.stringLikeRegexp('ApplicationRole'),
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointWithResponseStream'] }), Match.objectLike({ Action: 'rds-db:connect' })]) },
    });
    const endpointPolicies = JSON.stringify(devTemplate.findResources('AWS::IAM::ManagedPolicy', { Properties: { Description: Match.stringLikeRegexp('Endpoint/ExecutionRole') } }));
    expect(endpointPolicies).not.toMatch(/rds-db|rds-data|aoss/);
  });

  test('outputs give the endpoint, the application role and the store connection details', () => {
    const outputs = devTemplate.toJSON().Outputs;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining([
      'EndpointName', 'ApplicationRoleArn', 'VectorStoreKind', 'VectorStoreHost', 'VectorStoreDatabase', 'VectorStoreTable', 'VectorStoreSecretArn', 'VectorStoreDimension',
    ]));
    expect(outputs.VectorStoreKind.Value).toBe('aurora-pgvector');
    expect(Object.keys(prodTemplate.toJSON().Outputs)).toEqual(expect.arrayContaining(['VectorStoreEndpoint', 'VectorStoreIndex']));
  });
});

describe('When an LlmOpsStack is configured with alarm emails and thresholds', () => {
  const config = resolveConfig('staging', { monitoring: { alarmEmails: ['oncall@example.com'], thresholds: { endpoint: { error5xxPercent: { critical: 2 } } } } });
  const stack = new LlmOpsStack(new App(), 'LlmOps-staging', { config, approvedModelPackageParameter: PARAMETER });
  const template = Template.fromStack(stack);

  test('the addresses are subscribed to the alarm topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  test('the thresholds reach the alarms: only a critical 5xx alarm, at 2 %', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'LlmOps-staging-Endpoint-Error5xxRate-Critical', Threshold: 0.02 });
    expect(template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmName: 'LlmOps-staging-Endpoint-Error5xxRate-Warning' } })).toEqual({});
  });

  test('an invalid email address fails the configuration with its field path', () => {
    const e = validationError(() => resolveConfig('dev', { monitoring: { alarmEmails: ['not-an-email'] } }));
    expect(e.message).toBe("LlmOpsConfig (dev): monitoring.alarmEmails[0] 'not-an-email' is not an email address [LLMOPS_CONFIG_MONITORING]");
  });
});

describe('When an environment serves a fixed number of copies on inference components', () => {
  const config = resolveConfig('staging', {
    endpoint: {
      autoScaling: undefined, deployment: undefined, dataCaptureSamplingPercentage: 0, instanceCount: 1,
      inferenceComponents: { minInstances: 1, maxInstances: 2, minCopies: 2, maxCopies: 2, acceleratorsPerCopy: 1 },
    },
  });
  const stack = new LlmOpsStack(new App(), 'LlmOps-staging', { config, approvedModelPackageParameter: PARAMETER });
  const template = Template.fromStack(stack);

  test('it synthesizes two copies with no scaling, on a fleet of 1 to 2 instances', () => {
    template.hasResourceProperties('AWS::SageMaker::InferenceComponent', { RuntimeConfig: { CopyCount: 2 } });
    template.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 1, MaxInstanceCount: 2 } })],
    });
  });
});
