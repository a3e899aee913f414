import { CfnElement, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { IConstruct } from 'constructs';
import {
  AcceleratorKind, Approval, FineTuningPipeline, FineTuningPipelineProps, GateComparison, GpuInstanceType, LlmOpsFoundation, ModelSource, neverFires,
  ServingContainer, TrainingImage,
} from '../../constructs';
import { newStack, validationError } from '../util';

// asl-validator has no type declarations: it returns { isValid, errors }.
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errors: unknown[] };
// jsonata comes with asl-validator; it evaluates the JSONata states the way Step Functions does.
const jsonata = require('jsonata') as (expression: string) => { evaluate(input: unknown, bindings?: Record<string, unknown>): Promise<unknown> };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** The logical ID of a construct's CloudFormation resource. */
function logicalId(c: IConstruct): string {
  return Stack.of(c).getLogicalId((c.node.defaultChild ?? c) as CfnElement);
}

/** The placeholders that tokens become in the definition text: `${LogicalId}`, `${LogicalId.Attribute}`, `${AWS::Region}`. */
const ref = (c: IConstruct) => `\${${logicalId(c)}}`;
const att = (c: IConstruct, attribute: string) => `\${${logicalId(c)}.${attribute}}`;

function placeholder(part: unknown): string {
  if (typeof part === 'string') return part;
  const token = part as Record<string, unknown>;
  if (typeof token.Ref === 'string') return `\${${token.Ref}}`;
  if (Array.isArray(token['Fn::GetAtt'])) return `\${${token['Fn::GetAtt'].join('.')}}`;
  return `\${${Object.keys(token)[0]}}`;
}

/** The synthesized DefinitionString of the pipeline's state machine, its Fn::Join parts joined, tokens as placeholders. */
function definitionText(t: Template, pipeline: FineTuningPipeline): string {
  const machine = t.toJSON().Resources[logicalId(pipeline.stateMachine)];
  expect(machine.Type).toBe('AWS::StepFunctions::StateMachine');
  const body = machine.Properties.DefinitionString;
  if (typeof body === 'string') return body;
  const [separator, parts] = body['Fn::Join'];
  return (parts as unknown[]).map(placeholder).join(separator);
}

/** Validates the definition with asl-validator, the partition placeholder replaced by a real partition. */
function validateAsl(text: string): { isValid: boolean; errors: unknown[] } {
  const { isValid, errors } = aslValidator(JSON.parse(text.split('${AWS::Partition}').join('aws')));
  return { isValid, errors };
}

/** Every state reachable from StartAt through Next, Default, Choices and Catch. */
function reachable(asl: Json): string[] {
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const s = asl.States[name];
    const next = [s.Next, s.Default, ...(s.Choices ?? []).map((c: Json) => c.Next), ...(s.Catch ?? []).map((c: Json) => c.Next)];
    for (const n of next.filter(Boolean)) visit(n);
  };
  visit(asl.StartAt);
  return [...seen].sort();
}

/** Evaluates a JSONata field (`{% ... %}`) with `$states.input` bound to `input`. */
async function evaluate(field: string, input: unknown): Promise<unknown> {
  const match = /^\{%([\s\S]*)%\}$/.exec(field);
  expect(match).not.toBeNull();
  return jsonata(match![1]).evaluate({}, { states: { input } });
}

/** The statements of the customer managed policies whose description names `path`. */
function statementsOf(t: Template, path: string): Json[] {
  return Object.values(t.findResources('AWS::IAM::ManagedPolicy'))
    .filter(p => String(p.Properties.Description).endsWith(` of ${path}`))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

const actionsOf = (s: Json): string[] => [s.Action].flat();
const joined = (value: Json): string => (value['Fn::Join'] ? value['Fn::Join'][1].map(placeholder).join('') : placeholder(value));

/** The input a finished training step leaves for Evaluate. */
function trained(metrics: Record<string, number>): Json {
  return {
    capacity: { attempts: 0 },
    training: {
      TrainingJobName: 'job-1',
      ModelArtifacts: 's3://datasets/output/job-1/output/model.tar.gz',
      FinalMetricDataList: Object.entries(metrics).map(([MetricName, Value]) => ({ MetricName, Value, Timestamp: '2026-01-01T00:00:00Z' })),
    },
  };
}

describe('When a pipeline fine-tunes weights from S3 with the default settings', () => {
  const stack = newStack();
  const foundation = new LlmOpsFoundation(stack, 'Foundation');
  const pipeline = new FineTuningPipeline(stack, 'Pipeline', {
    baseModel: ModelSource.fromBucket(foundation.artifactsBucket, 'models/base/'),
    evaluation: { metric: 'eval_loss', threshold: 1.5 },
    hyperparameters: { 'epochs': '3', 'learning_rate': '2e-4', 'lora.r': '16' },
    vpc: foundation.vpc,
    encryptionKey: foundation.encryptionKey,
  });
  const t = Template.fromStack(stack);
  const text = definitionText(t, pipeline);
  const asl = JSON.parse(text);
  const states = asl.States;
  const train = states.Train;
  const params = train.Parameters;
  const key = att(foundation.encryptionKey, 'Arn');
  const datasets = ref(pipeline.datasetsBucket);

  test('the synthesized definition is valid Amazon States Language', () => {
    expect(validateAsl(text)).toEqual({ isValid: true, errors: [] });
  });

  test('the workflow starts at Prepare and every state is reachable from it', () => {
    expect(asl.StartAt).toBe('Prepare');
    expect(Object.keys(states).sort()).toEqual([
      'CapacityCheck', 'CountCapacityRetry', 'Evaluate', 'Gate', 'GateNotMet', 'Prepare', 'Register', 'Registered', 'Train', 'TrainingFailed', 'WaitForCapacity',
    ]);
    expect(reachable(asl)).toEqual(Object.keys(states).sort());
    expect(states.Prepare).toEqual(expect.objectContaining({ Type: 'Pass', Result: { attempts: 0 }, ResultPath: '$.capacity', Next: 'Train' }));
    expect(train.Next).toBe('Evaluate');
    expect(states.Evaluate.Next).toBe('Gate');
    expect(states.Registered).toEqual({ Type: 'Succeed' });
  });

  test('Train runs createTrainingJob.sync in the stack partition, under a unique job name per attempt built from the job prefix', () => {
    expect(train.Type).toBe('Task');
    expect(train.Resource).toBe('arn:${AWS::Partition}:states:::sagemaker:createTrainingJob.sync');
    expect(pipeline.modelPackageGroupName).toMatch(/^TestStack-Pipeline-[0-9A-F]{8}$/);
    expect(pipeline.jobNamePrefix).toBe(pipeline.modelPackageGroupName.toLowerCase().slice(0, 26).replace(/-+$/, ''));
    expect(params['TrainingJobName.$']).toBe(`States.Format('${pipeline.jobNamePrefix}-{}', States.UUID())`);
    expect(params.TrainingJobName).toBeUndefined();
    // SageMaker job names have at most 63 characters; a UUID has 36.
    expect(`${pipeline.jobNamePrefix}-`.length + 36).toBeLessThanOrEqual(63);
  });

  test('the job runs the Hugging Face PyTorch training image in File mode, as the training role', () => {
    expect(params.AlgorithmSpecification.TrainingImage).toBe(
      `\${Fn::FindInMap}.dkr.ecr.\${AWS::Region}.\${AWS::URLSuffix}/huggingface-pytorch-training:${TrainingImage.HUGGING_FACE_PYTORCH_DEFAULT_TAG}`);
    expect(params.AlgorithmSpecification.TrainingInputMode).toBe('File');
    expect(params.RoleArn).toBe(att(pipeline.trainingRole, 'Arn'));
  });

  test('the default metric definitions scrape train_loss and eval_loss from Hugging Face Trainer logs', () => {
    const metrics: Array<{ Name: string; Regex: string }> = params.AlgorithmSpecification.MetricDefinitions;
    expect(metrics.map(m => m.Name)).toEqual(['train_loss', 'eval_loss']);
    const [trainLoss, evalLoss] = metrics.map(m => new RegExp(m.Regex));
    expect(trainLoss.exec("{'loss': 1.2345, 'grad_norm': 0.5, 'learning_rate': 0.0002, 'epoch': 0.5}")?.[1]).toBe('1.2345');
    expect(trainLoss.exec("{'loss': 2.5e-05, 'epoch': 3.0}")?.[1]).toBe('2.5e-05');
    expect(trainLoss.exec("{'eval_loss': 0.98, 'eval_runtime': 12.3}")).toBeNull();
    expect(evalLoss.exec("{'eval_loss': 0.98, 'eval_runtime': 12.3}")?.[1]).toBe('0.98');
    expect(evalLoss.exec("{'loss': 1.2345, 'epoch': 0.5}")).toBeNull();
  });

  test('the job reads the train and validation prefixes of the datasets bucket and the base model weights as channels', () => {
    const channel = (name: string, uri: string) => ({
      ChannelName: name,
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: uri, S3DataDistributionType: 'FullyReplicated' } },
    });
    expect(params.InputDataConfig).toEqual([
      channel('train', `s3://${datasets}/train/`),
      channel('validation', `s3://${datasets}/validation/`),
      channel('code', `s3://${datasets}/code/`),
      channel('model', `s3://${ref(foundation.artifactsBucket)}/models/base/`),
    ]);
  });

  test('the output is encrypted with the key, and ml.g5 (local NVMe storage) gets no volume key', () => {
    expect(params.OutputDataConfig).toEqual({ S3OutputPath: `s3://${datasets}/output/`, KmsKeyId: key });
    expect(params.ResourceConfig).toEqual({ InstanceType: 'ml.g5.2xlarge', InstanceCount: 1, VolumeSizeInGB: 100 });
  });

  test('managed spot training waits at most twice the 24-hour runtime and checkpoints under a prefix per execution', () => {
    expect(params.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 86400, MaxWaitTimeInSeconds: 172800 });
    expect(params.EnableManagedSpotTraining).toBe(true);
    expect(params.CheckpointConfig).toEqual({ 'S3Uri.$': `States.Format('s3://${datasets}/checkpoints/{}/', $$.Execution.Name)` });
  });

  test('the job runs in the isolated subnets with its own security group, encrypts inter-container traffic and is network-isolated', () => {
    expect(params.VpcConfig).toEqual({
      Subnets: foundation.vpc.isolatedSubnets.map(s => ref(s)),
      SecurityGroupIds: [expect.stringMatching(/^\$\{PipelineTrainingSecurityGroup[0-9A-F]{8}\.GroupId\}$/)],
    });
    expect(params.EnableInterContainerTrafficEncryption).toBe(true);
    expect(params.EnableNetworkIsolation).toBe(true);
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Training jobs of TestStack/Pipeline'),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 })],
    });
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter(r => JSON.stringify(r.Properties.GroupId).includes('PipelineTrainingSecurityGroup'));
    expect(ingress).toHaveLength(1);
    expect(ingress[0].Properties.SourceSecurityGroupId).toEqual(ingress[0].Properties.GroupId);
  });

  test('the hyperparameters are passed as given, with no model_id for S3 weights', () => {
    expect(params.HyperParameters).toEqual({
      'epochs': '3', 'learning_rate': '2e-4', 'lora.r': '16',
      // The training toolkit of the image runs train.py from the code channel.
      'sagemaker_program': 'train.py', 'sagemaker_submit_directory': '/opt/ml/input/data/code',
    });
  });

  test('the job is tagged with the execution, and the whole job description is kept under $.training (FinalMetricDataList may be absent)', () => {
    expect(params.Tags).toEqual([{ 'Key': 'llmops:execution', 'Value.$': '$$.Execution.Name' }]);
    expect(train.ResultSelector).toBeUndefined();
    expect(train.ResultPath).toBe('$.training');
  });

  test('SageMaker API errors are retried a bounded number of times with backoff, never every error', () => {
    expect(train.Retry).toHaveLength(1);
    const [retry] = train.Retry;
    expect(retry.ErrorEquals.length).toBeGreaterThan(0);
    expect(retry.ErrorEquals).not.toContain('States.ALL');
    expect(retry.ErrorEquals).not.toContain('States.TaskFailed');
    expect(retry.MaxAttempts).toBeGreaterThanOrEqual(1);
    expect(retry.MaxAttempts).toBeLessThanOrEqual(5);
    expect(retry.IntervalSeconds).toBeGreaterThanOrEqual(1);
    expect(retry.BackoffRate).toBeGreaterThan(1);
  });

  test('the retrier names the error the optimized SageMaker integration raises for throttling and limits', () => {
    // createTrainingJob.sync is an optimized integration: SageMaker API errors (ThrottlingException, ResourceLimitExceeded)
    // reach the state as SageMaker.AmazonSageMakerException, the specific code only in Cause
    // (aws/aws-step-functions-data-science-sdk-python#191 and #162). ServiceName.<Code>Exception names are those of aws-sdk:* tasks.
    expect(train.Retry[0].ErrorEquals).toContain('SageMaker.AmazonSageMakerException');
  });

  test('a failed job goes to the capacity check, any other error fails the execution, and both keep the input', () => {
    expect(train.Catch).toEqual([
      { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.trainingError', Next: 'CapacityCheck' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.trainingError', Next: 'TrainingFailed' },
    ]);
    expect(states.TrainingFailed).toEqual({ Type: 'Fail', Error: 'TrainingFailed', CausePath: '$.trainingError.Cause' });
  });

  test('a job that failed for lack of capacity is retried after 10 minutes, at most capacityRetries (3) times', () => {
    expect(states.CapacityCheck).toEqual(expect.objectContaining({
      Type: 'Choice',
      Choices: [{
        And: [
          { Or: [
            { Variable: '$.trainingError.Cause', StringMatches: '*CapacityError*' },
            { Variable: '$.trainingError.Cause', StringMatches: '*MaxWaitTimeExceeded*' },
          ] },
          { Variable: '$.capacity.attempts', NumericLessThan: 3 },
        ],
        Next: 'WaitForCapacity',
      }],
      Default: 'TrainingFailed',
    }));
    expect(states.WaitForCapacity).toEqual({ Type: 'Wait', Seconds: 600, Next: 'CountCapacityRetry' });
    expect(states.CountCapacityRetry).toEqual({
      Type: 'Pass', Parameters: { 'attempts.$': 'States.MathAdd($.capacity.attempts, 1)' }, ResultPath: '$.capacity', Next: 'Train',
    });
  });

  test('Evaluate reads the gate metric from the final metrics in JSONata and keeps the rest of the input', async () => {
    expect(states.Evaluate).toEqual(expect.objectContaining({ Type: 'Pass', QueryLanguage: 'JSONata', Next: 'Gate' }));
    const input = trained({ train_loss: 0.9, eval_loss: 1.2 });
    const output = await evaluate(states.Evaluate.Output, input);
    expect(output).toEqual({ ...input, evaluation: { metric: 'eval_loss', value: 1.2, threshold: 1.5 } });
    const missing = await evaluate(states.Evaluate.Output, trained({ train_loss: 0.9 })) as Json;
    expect(missing.evaluation.value).toBeUndefined();
  });

  test('the gate lets eval_loss below 1.5 through to Register and stops a value equal to it or not reported', async () => {
    expect(states.Gate).toEqual(expect.objectContaining({ Type: 'Choice', QueryLanguage: 'JSONata', Default: 'GateNotMet' }));
    expect(states.Gate.Choices).toHaveLength(1);
    const [choice] = states.Gate.Choices;
    expect(choice.Next).toBe('Register');
    expect(choice.Condition).toContain('$states.input.evaluation.value < 1.5');
    const gate = (value?: number) => evaluate(choice.Condition, { evaluation: { metric: 'eval_loss', value, threshold: 1.5 } });
    expect(await gate(1.2)).toBe(true);
    expect(await gate(1.5)).toBe(false);
    expect(await gate(2)).toBe(false);
    expect(await gate(undefined)).toBe(false);
  });

  test('GateNotMet fails the execution with a cause that names the metric, its value and the threshold', async () => {
    const fail = states.GateNotMet;
    expect(fail).toEqual(expect.objectContaining({ Type: 'Fail', QueryLanguage: 'JSONata', Error: 'EvaluationGateNotMet' }));
    const input = { ...trained({ eval_loss: 1.7 }), evaluation: { metric: 'eval_loss', value: 1.7, threshold: 1.5 } };
    expect(await evaluate(fail.Cause, input)).toBe('eval_loss = 1.7 does not meet < 1.5 (training job job-1)');
    const unreported = { ...trained({}), evaluation: { metric: 'eval_loss', threshold: 1.5 } };
    expect(await evaluate(fail.Cause, unreported)).toBe('eval_loss = not reported does not meet < 1.5 (training job job-1)');
  });

  test('Register creates a package pending manual approval in the group, served by TGI, with the evaluation attached', () => {
    const register = states.Register;
    expect(register.Resource).toBe('arn:${AWS::Partition}:states:::aws-sdk:sagemaker:createModelPackage');
    expect(register.Next).toBe('Registered');
    expect(register.ResultPath).toBe('$.registration');
    const p = register.Parameters;
    expect(p.ModelPackageGroupName).toBe(pipeline.modelPackageGroupName);
    expect(p.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(p.InferenceSpecification).toEqual({
      Containers: [{
        'Image': `\${Fn::FindInMap}.dkr.ecr.\${AWS::Region}.\${AWS::URLSuffix}/huggingface-pytorch-tgi-inference:${ServingContainer.TGI_DEFAULT_TAG}`,
        'ModelDataUrl.$': '$.training.ModelArtifacts.S3ModelArtifacts',
        'Environment': { HF_MODEL_ID: '/opt/ml/model' },
      }],
      SupportedContentTypes: ['application/json'],
      SupportedResponseMIMETypes: ['application/json'],
      SupportedRealtimeInferenceInstanceTypes: ['ml.g5.2xlarge'],
    });
    expect(p.CustomerMetadataProperties).toEqual({
      'training_job.$': '$.training.TrainingJobName',
      'execution.$': '$$.Execution.Name',
      'evaluation_metric': 'eval_loss',
      'evaluation_value.$': "States.Format('{}', $.evaluation.value)",
      'evaluation_threshold': 'LESS_THAN 1.5',
    });
    for (const retry of register.Retry) expect(retry.MaxAttempts).toBeLessThanOrEqual(5);
  });

  test('the state machine has X-Ray tracing and logs everything, with execution data, to a KMS-encrypted log group with retention', () => {
    t.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineStateMachineLogs'), 'Arn'] } } }],
      },
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/TestStack-Pipeline'),
      KmsKeyId: { 'Fn::GetAtt': [logicalId(foundation.encryptionKey), 'Arn'] },
      RetentionInDays: 365,
    });
  });

  test('the state machine role may start training jobs only under the job prefix and pass only the training role, to SageMaker', () => {
    const statements = statementsOf(t, 'TestStack/Pipeline/StateMachineRole');
    const jobs = statements.filter(s => actionsOf(s).includes('sagemaker:CreateTrainingJob'));
    expect(jobs).toHaveLength(1);
    expect(joined(jobs[0].Resource)).toBe(`arn:\${AWS::Partition}:sagemaker:\${AWS::Region}:\${AWS::AccountId}:training-job/${pipeline.jobNamePrefix}-*`);
    const passRole = statements.filter(s => actionsOf(s).includes('iam:PassRole'));
    expect(passRole).toEqual([{
      Action: 'iam:PassRole',
      Effect: 'Allow',
      Resource: { 'Fn::GetAtt': [logicalId(pipeline.trainingRole), 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    }]);
    const actions = statements.flatMap(actionsOf);
    expect(actions.filter(a => a.startsWith('sagemaker:') && a.includes('*'))).toEqual([]);
    expect(actions.filter(a => a.startsWith('iam:') && a !== 'iam:PassRole')).toEqual([]);
  });

  test('the state machine role may register packages only in its own group', () => {
    const statements = statementsOf(t, 'TestStack/Pipeline/StateMachineRole').filter(s => actionsOf(s).includes('sagemaker:CreateModelPackage'));
    expect(statements).toHaveLength(1);
    expect(statements[0].Resource.map(joined)).toEqual([
      `arn:\${AWS::Partition}:sagemaker:\${AWS::Region}:\${AWS::AccountId}:model-package/${pipeline.modelPackageGroupName.toLowerCase()}/*`,
      `\${${logicalId(pipeline.modelPackageGroup)}.ModelPackageGroupArn}`,
    ]);
  });

  test('the training role reads train/ and validation/ and writes only checkpoints/ and output/ of the datasets bucket', () => {
    const statements = statementsOf(t, 'TestStack/Pipeline/TrainingRole');
    const bucketArn = `\${${logicalId(pipeline.datasetsBucket)}.Arn}`;
    const resources = (action: string) => statements.filter(s => actionsOf(s).includes(action)).map(s => joined(s.Resource));
    expect(resources('s3:GetObject')).toEqual(expect.arrayContaining([`${bucketArn}/train/*`, `${bucketArn}/validation/*`]));
    expect(resources('s3:PutObject').sort()).toEqual([`${bucketArn}/checkpoints/*`, `${bucketArn}/output/*`]);
    expect(resources('s3:DeleteObject')).toEqual([]);
    const listPrefixes = statements.filter(s => actionsOf(s).includes('s3:ListBucket') && joined(s.Resource) === bucketArn)
      .flatMap(s => s.Condition.StringLike['s3:prefix']);
    expect(listPrefixes).toEqual(expect.arrayContaining(['train/*', 'validation/*']));
  });

  test('the datasets bucket is KMS-encrypted, versioned and TLS-only, and its checkpoints expire', () => {
    const bucket = t.toJSON().Resources[logicalId(pipeline.datasetsBucket)];
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      expect.objectContaining({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(foundation.encryptionKey), 'Arn'] } } }),
    ]);
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual(expect.arrayContaining([
      expect.objectContaining({ Prefix: 'checkpoints/', ExpirationInDays: 30, Status: 'Enabled' }),
    ]));
    expect(bucket.DeletionPolicy).toBe('Retain');
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalId(pipeline.datasetsBucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  test('the model package group has the pipeline\'s name and is retained when it leaves the stack', () => {
    const group = t.toJSON().Resources[logicalId(pipeline.modelPackageGroup)];
    expect(group.Type).toBe('AWS::SageMaker::ModelPackageGroup');
    expect(group.Properties.ModelPackageGroupName).toBe(pipeline.modelPackageGroupName);
    expect(group.DeletionPolicy).toBe('Retain');
    expect(group.UpdateReplacePolicy).toBe('Retain');
  });

  test('without triggers or a topic, no rule starts or reports executions and the bucket sends no events', () => {
    t.resourceCountIs('AWS::Events::Rule', 0);
    expect(t.toJSON().Resources[logicalId(pipeline.datasetsBucket)].Properties.NotificationConfiguration).toBeUndefined();
  });

  test('the metric methods read the AWS/States metrics of this state machine', () => {
    const dimensions = { StateMachineArn: pipeline.stateMachine.stateMachineArn };
    const expected: Array<[cloudwatch.Metric, string, string]> = [
      [pipeline.metricExecutionsFailed(), 'ExecutionsFailed', 'Sum'],
      [pipeline.metricExecutionsSucceeded(), 'ExecutionsSucceeded', 'Sum'],
      [pipeline.metricExecutionsTimedOut(), 'ExecutionsTimedOut', 'Sum'],
      [pipeline.metricExecutionTime(), 'ExecutionTime', 'Average'],
    ];
    for (const [metric, name, statistic] of expected) {
      expect({ namespace: metric.namespace, name: metric.metricName, statistic: metric.statistic, dimensions: metric.dimensions })
        .toEqual({ namespace: 'AWS/States', name, statistic, dimensions });
    }
    expect(pipeline.metricExecutionsFailed({ period: Duration.hours(1) }).period.toHours()).toBe(1);
  });
});

describe('When a pipeline is started by a schedule, new data and alarms, and reports failures to a topic', () => {
  const stack = newStack();
  const foundation = new LlmOpsFoundation(stack, 'Foundation');
  const alarm = (id: string) => new cloudwatch.Alarm(stack, id, {
    metric: new cloudwatch.Metric({ namespace: 'Test', metricName: id }), threshold: 1, evaluationPeriods: 1,
  });
  const drift = alarm('Drift');
  const quality = alarm('Quality');
  const topic = new sns.Topic(stack, 'Topic', { masterKey: foundation.encryptionKey });
  const pipeline = new FineTuningPipeline(stack, 'Pipeline', {
    baseModel: ModelSource.fromBucket(foundation.artifactsBucket, 'models/base/'),
    evaluation: { metric: 'eval_loss', threshold: 1.5 },
    triggers: { schedule: events.Schedule.cron({ minute: '0', hour: '3', weekDay: 'SUN' }), onNewData: true, alarms: [drift, quality] },
    notificationTopic: topic,
    vpc: foundation.vpc,
    encryptionKey: foundation.encryptionKey,
  });
  const t = Template.fromStack(stack);
  const machine = { Ref: logicalId(pipeline.stateMachine) };
  const startTarget = [{ Arn: machine, Id: Match.anyValue(), RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^PipelineTriggerRole'), 'Arn'] } }];
  const topicTarget = [{ Arn: { Ref: logicalId(topic) }, Id: Match.anyValue() }];

  test('the schedule rule starts the state machine through a role', () => {
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 3 ? * SUN *)', State: 'ENABLED', Targets: startTarget });
  });

  test('the trigger role may only start executions of this state machine', () => {
    expect(statementsOf(t, 'TestStack/Pipeline/TriggerRole')).toEqual([{ Action: 'states:StartExecution', Effect: 'Allow', Resource: machine }]);
  });

  test('the marker train/_READY (one per dataset, not one per file) starts the pipeline through native EventBridge notifications', () => {
    expect(t.toJSON().Resources[logicalId(pipeline.datasetsBucket)].Properties.NotificationConfiguration)
      .toEqual({ EventBridgeConfiguration: { EventBridgeEnabled: true } });
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': { bucket: { name: [{ Ref: logicalId(pipeline.datasetsBucket) }] }, object: { key: [{ wildcard: 'train/*_READY' }] } },
      },
      Targets: startTarget,
    });
    // aws-cdk-lib's eventBridgeEnabled would deploy a notifications Lambda; the native property needs none.
    t.resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('either alarm entering ALARM starts the pipeline', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        'resources': [{ 'Fn::GetAtt': [logicalId(drift), 'Arn'] }, { 'Fn::GetAtt': [logicalId(quality), 'Arn'] }],
        'detail': { state: { value: ['ALARM'] } },
      },
      Targets: startTarget,
    });
  });

  test('failed, timed-out and aborted executions of this state machine are reported to the topic', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        'detail': { stateMachineArn: [machine], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
      Targets: topicTarget,
    });
  });

  test('failed and stopped training jobs of this pipeline, by job prefix, are reported to the topic', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.sagemaker'],
        'detail-type': ['SageMaker Training Job State Change'],
        'detail': { TrainingJobName: [{ prefix: `${pipeline.jobNamePrefix}-` }], TrainingJobStatus: ['Failed', 'Stopped'] },
      },
      Targets: topicTarget,
    });
  });

  test('there are exactly the three start rules and the two notification rules', () => {
    t.resourceCountIs('AWS::Events::Rule', 5);
  });
});

describe('When spot training is off, on an instance without local NVMe, with a named group, a custom metric and automatic approval', () => {
  const stack = newStack();
  const foundation = new LlmOpsFoundation(stack, 'Foundation');
  // ml.p3 has EBS storage only; the catalogue does not list it, so its spec is given.
  const p3 = GpuInstanceType.ofTraining('ml.p3.2xlarge', {
    accelerator: 'NVIDIA V100', acceleratorKind: AcceleratorKind.NVIDIA, acceleratorCount: 1, memoryPerAcceleratorMiB: 16384, vcpu: 8, hostMemoryGiB: 61, localNvme: false,
  });
  const pipeline = new FineTuningPipeline(stack, 'Pipeline', {
    baseModel: ModelSource.fromBucket(foundation.artifactsBucket, 'models/base/'),
    image: TrainingImage.fromImageUri('123456789012.dkr.ecr.us-east-1.amazonaws.com/trainer:1'),
    instanceType: p3,
    instanceCount: 2,
    volumeSizeGb: 200,
    spot: false,
    maxRuntime: Duration.hours(6),
    capacityRetries: 5,
    metricDefinitions: [{ name: 'eval_accuracy', regex: "'eval_accuracy': ([0-9.]+)" }],
    evaluation: { metric: 'eval_accuracy', threshold: 0.8, comparison: GateComparison.GREATER_THAN_OR_EQUAL },
    approval: Approval.AUTOMATIC,
    modelPackageGroupName: 'Chat-Models',
    servingInstanceTypes: [GpuInstanceType.G6E_XLARGE, GpuInstanceType.G5_12XLARGE],
    vpc: foundation.vpc,
    encryptionKey: foundation.encryptionKey,
  });
  const t = Template.fromStack(stack);
  const text = definitionText(t, pipeline);
  const states = JSON.parse(text).States;
  const params = states.Train.Parameters;

  test('the synthesized definition is valid Amazon States Language', () => {
    expect(validateAsl(text)).toEqual({ isValid: true, errors: [] });
  });

  test('without spot there is no wait limit and no checkpoint configuration', () => {
    expect(params.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 21600 });
    expect(params.EnableManagedSpotTraining).toBe(false);
    expect(params.CheckpointConfig).toBeUndefined();
  });

  test('an instance without local NVMe storage gets the volume key, with the instance count and volume size', () => {
    expect(params.ResourceConfig).toEqual({
      InstanceType: 'ml.p3.2xlarge', InstanceCount: 2, VolumeSizeInGB: 200, VolumeKmsKeyId: att(foundation.encryptionKey, 'Arn'),
    });
  });

  test('the job uses the given image and scrapes the custom metric', () => {
    expect(params.AlgorithmSpecification).toEqual({
      TrainingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/trainer:1',
      TrainingInputMode: 'File',
      MetricDefinitions: [{ Name: 'eval_accuracy', Regex: "'eval_accuracy': ([0-9.]+)" }],
    });
  });

  test('job names, job grants and package grants use the lower-cased group name', () => {
    expect(pipeline.modelPackageGroupName).toBe('Chat-Models');
    expect(pipeline.jobNamePrefix).toBe('chat-models');
    expect(params['TrainingJobName.$']).toBe("States.Format('chat-models-{}', States.UUID())");
    const statements = statementsOf(t, 'TestStack/Pipeline/StateMachineRole');
    const resources = statements.flatMap(s => [s.Resource].flat().map(joined));
    expect(resources).toContain('arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:training-job/chat-models-*');
    expect(resources).toContain('arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package/chat-models/*');
    t.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: 'Chat-Models' });
  });

  test('a job that failed for lack of capacity is retried at most capacityRetries (5) times', () => {
    expect(states.CapacityCheck.Choices[0].And).toContainEqual({ Variable: '$.capacity.attempts', NumericLessThan: 5 });
  });

  test('the gate lets an accuracy of at least 0.8 through', async () => {
    const condition = states.Gate.Choices[0].Condition;
    expect(condition).toContain('$states.input.evaluation.value >= 0.8');
    const gate = (value: number) => evaluate(condition, { evaluation: { metric: 'eval_accuracy', value, threshold: 0.8 } });
    expect(await gate(0.8)).toBe(true);
    expect(await gate(0.79)).toBe(false);
  });

  test('packages are registered as Approved, for the given serving instance types', () => {
    expect(states.Register.Parameters.ModelPackageGroupName).toBe('Chat-Models');
    expect(states.Register.Parameters.ModelApprovalStatus).toBe('Approved');
    expect(states.Register.Parameters.InferenceSpecification.SupportedRealtimeInferenceInstanceTypes).toEqual(['ml.g6e.xlarge', 'ml.g5.12xlarge']);
    expect(states.Register.Parameters.CustomerMetadataProperties).toEqual(expect.objectContaining({ evaluation_metric: 'eval_accuracy', evaluation_threshold: 'GREATER_THAN_OR_EQUAL 0.8' }));
  });

  test('an image URI gets no ECR pull permission', () => {
    const actions = [...statementsOf(t, 'TestStack/Pipeline/TrainingRole'), ...statementsOf(t, 'TestStack/Pipeline/TrainingRole/UnscopedGrants')].flatMap(actionsOf);
    expect(actions.filter(a => a.startsWith('ecr:'))).toEqual([]);
  });
});

describe('When gates compare in each direction', () => {
  const stack = newStack();
  const foundation = new LlmOpsFoundation(stack, 'Foundation');
  const comparisons: Array<[GateComparison, string, number[], number[]]> = [
    // comparison, operator, values that pass a threshold of 2, values that do not
    [GateComparison.LESS_THAN, '<', [1.99], [2, 2.01]],
    [GateComparison.LESS_THAN_OR_EQUAL, '<=', [1.99, 2], [2.01]],
    [GateComparison.GREATER_THAN, '>', [2.01], [2, 1.99]],
    [GateComparison.GREATER_THAN_OR_EQUAL, '>=', [2.01, 2], [1.99]],
  ];
  const pipelines = comparisons.map(([comparison]) => new FineTuningPipeline(stack, comparison, {
    baseModel: ModelSource.fromBucket(foundation.artifactsBucket, 'models/base/'),
    evaluation: { metric: 'eval_loss', threshold: 2, comparison },
    vpc: foundation.vpc,
    encryptionKey: foundation.encryptionKey,
  }));
  const t = Template.fromStack(stack);
  const statesOf = pipelines.map(p => JSON.parse(definitionText(t, p)).States);

  test.each(comparisons.map((c, i) => [...c, i] as const))('%s renders the operator %s in the gate, its failure cause and the package metadata',
    async (_comparison, op, passing, failing, i) => {
      const states = statesOf[i];
      const condition = states.Gate.Choices[0].Condition;
      expect(condition).toBe(`{% $exists($states.input.evaluation.value) and $states.input.evaluation.value ${op} 2 %}`);
      for (const value of passing) expect(await evaluate(condition, { evaluation: { value } })).toBe(true);
      for (const value of failing) expect(await evaluate(condition, { evaluation: { value } })).toBe(false);
      const cause = await evaluate(states.GateNotMet.Cause, { ...trained({ eval_loss: 3 }), evaluation: { metric: 'eval_loss', value: 3, threshold: 2 } });
      expect(cause).toBe(`eval_loss = 3 does not meet ${op} 2 (training job job-1)`);
      // Model package metadata values may not contain '<' or '>'.
      expect(states.Register.Parameters.CustomerMetadataProperties.evaluation_threshold).toBe(`${_comparison} 2`);
      expect(states.Register.Parameters.CustomerMetadataProperties.evaluation_threshold).toMatch(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u);
    });
});

describe('When a pipeline fine-tunes a Hugging Face Hub model and is given no VPC or key', () => {
  const stack = newStack();
  const pipeline = new FineTuningPipeline(stack, 'Pipeline', {
    baseModel: ModelSource.huggingFaceHub('mistralai/Mistral-7B-v0.3'),
    evaluation: { metric: 'eval_loss', threshold: 2 },
  });
  const t = Template.fromStack(stack);
  const text = definitionText(t, pipeline);
  const params = JSON.parse(text).States.Train.Parameters;

  test('the synthesized definition is valid Amazon States Language', () => {
    expect(validateAsl(text)).toEqual({ isValid: true, errors: [] });
  });

  test('the Hub id becomes the model_id hyperparameter and there is no model channel', () => {
    expect(params.HyperParameters).toEqual({
      model_id: 'mistralai/Mistral-7B-v0.3', sagemaker_program: 'train.py', sagemaker_submit_directory: '/opt/ml/input/data/code',
    });
    expect(params.InputDataConfig.map((c: Json) => c.ChannelName)).toEqual(['train', 'validation', 'code']);
  });

  test('the job is not network-isolated and runs in private subnets with a NAT route, so the script can download the model', () => {
    expect(params.EnableNetworkIsolation).toBe(false);
    const vpc = pipeline.foundation!.vpc;
    expect(vpc.privateSubnets.length).toBeGreaterThan(0);
    expect(params.VpcConfig.Subnets).toEqual(vpc.privateSubnets.map(s => ref(s)));
    t.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  test('the pipeline creates its own foundation, whose key encrypts the job output and whose access-log bucket logs the datasets bucket', () => {
    const foundation = pipeline.foundation!;
    expect(foundation).toBeDefined();
    expect(params.OutputDataConfig.KmsKeyId).toBe(att(foundation.encryptionKey, 'Arn'));
    expect(t.toJSON().Resources[logicalId(pipeline.datasetsBucket)].Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logicalId(foundation.accessLogsBucket) },
      LogFilePrefix: 'datasets/',
    });
  });
});

describe('When pipeline props are invalid', () => {
  const where = "FineTuningPipeline at 'TestStack/Pipeline'";
  const pipeline = (stack: Stack, extra: Partial<FineTuningPipelineProps>) => new FineTuningPipeline(stack, 'Pipeline', {
    baseModel: ModelSource.fromBucket(s3.Bucket.fromBucketName(stack, 'Weights', 'weights-bucket'), 'models/base/'),
    evaluation: { metric: 'eval_loss', threshold: 1.5 },
    ...extra,
  });
  const cases: Array<[string, (s: Stack) => Partial<FineTuningPipelineProps>, string, string]> = [
    ['a max wait shorter than the max runtime with spot', () => ({ maxRuntime: Duration.hours(10), maxWait: Duration.hours(5) }), 'LLMOPS_SPOT_MAX_WAIT',
      "maxWait '18000 seconds' is shorter than maxRuntime (36000 seconds); with spot training maxWait covers the wait for capacity plus the run, so it must be at least maxRuntime"],
    ['a max wait without spot', () => ({ spot: false, maxWait: Duration.hours(2) }), 'LLMOPS_SPOT_MAX_WAIT',
      "maxWait '7200 seconds' only applies to spot training; remove it or set spot: true"],
    ['an empty metric regex', () => ({ metricDefinitions: [{ name: 'eval_loss', regex: '' }] }), 'LLMOPS_METRIC_DEFINITION',
      "metricDefinitions[0].regex '' must be a regular expression of 1-500 characters with one capture group for the value"],
    ['a blank metric regex', () => ({ metricDefinitions: [{ name: 'eval_loss', regex: '   ' }] }), 'LLMOPS_METRIC_DEFINITION',
      "metricDefinitions[0].regex '   ' must be a regular expression of 1-500 characters with one capture group for the value"],
    ['a gate metric not among the metric definitions', () => ({ evaluation: { metric: 'eval_accuracy', threshold: 0.8 } }), 'LLMOPS_GATE_METRIC',
      "evaluation.metric 'eval_accuracy' is not among the metric definitions; allowed: 'train_loss', 'eval_loss'"],
    ['a hyperparameter key reserved for the training toolkit', () => ({ hyperparameters: { sagemaker_program: 'x.py' } }), 'LLMOPS_HYPERPARAMETER',
      "hyperparameters key 'sagemaker_program' is not a hyperparameter name; allowed: 1-256 characters without control characters, not starting with 'sagemaker_' (reserved for the training toolkit; see trainingScript)"],
    ['a hyperparameter key with a control character', () => ({ hyperparameters: { 'a\tb': '1' } }), 'LLMOPS_HYPERPARAMETER',
      "hyperparameters key 'a\tb' is not a hyperparameter name; allowed: 1-256 characters without control characters, not starting with 'sagemaker_' (reserved for the training toolkit; see trainingScript)"],
    ['a training script that is not a .py or .sh file', (st) => ({ trainingScript: { bucket: s3.Bucket.fromBucketName(st, 'Code', 'code-bucket'), prefix: 'src/', entryPoint: 'train' } }),
      'LLMOPS_TRAINING_SCRIPT', "trainingScript.entryPoint 'train' is not a script path; allowed: a relative path to a .py or .sh file, e.g. 'train.py'"],
    ['a hyperparameter that is not a string', () => ({ hyperparameters: { epochs: 3 as unknown as string } }), 'LLMOPS_HYPERPARAMETER',
      'hyperparameters.epochs 3 must be a string of at most 2500 characters (SageMaker passes hyperparameters as strings; write String(value))'],
    ['an empty alarm trigger list', () => ({ triggers: { alarms: [] } }), 'LLMOPS_TRIGGER_NEVER_FIRES',
      "triggers.alarms '[]' can never fire; give at least one alarm or leave alarms out"],
    ['a schedule on February 30', () => ({ triggers: { schedule: events.Schedule.cron({ minute: '0', hour: '3', day: '30', month: '2' }) } }), 'LLMOPS_TRIGGER_NEVER_FIRES',
      "triggers.schedule 'cron(0 3 30 2 ? *)' can never fire (day 30 does not exist in month 2); pick a date that exists"],
    ['an instance count of 0', () => ({ instanceCount: 0 }), 'LLMOPS_INSTANCE_COUNT',
      'instanceCount 0 is out of range; allowed: an integer from 1 to 100'],
    ['a model package as base model', () => ({ baseModel: ModelSource.fromModelPackage('arn:aws:sagemaker:us-east-1:123456789012:model-package/chat-models/1') }), 'LLMOPS_BASE_MODEL',
      "baseModel 'ModelSource.fromModelPackage' cannot be fine-tuned directly; use ModelSource.fromBucket with the package's weights, or a Hub id"],
  ];

  test.each(cases)('%s fails with a message naming the path, prop, value and what is allowed', (_name, extra, code, message) => {
    const stack = newStack();
    const e = validationError(() => pipeline(stack, extra(stack)));
    expect(e.codes).toEqual([code]);
    expect(e.message).toBe(`${where}: ${message} [${code}]`);
  });

  test('an approved package as base model fails like a model package: only its fallback would be trained', () => {
    const stack = newStack();
    const e = validationError(() => pipeline(stack, {
      baseModel: ModelSource.fromApprovedPackage('/llmops/dev/approved-model-package', {
        fallback: ModelSource.fromBucket(s3.Bucket.fromBucketName(stack, 'Base', 'base-weights'), 'models/base/'),
      }),
    }));
    expect(e.codes).toEqual(['LLMOPS_BASE_MODEL']);
    expect(e.message).toContain(`${where}: baseModel `);
    expect(e.message).toContain('cannot be fine-tuned directly');
  });

  test.each([
    ['ml.m5.large', 'LLMOPS_INSTANCE_NO_GPU', "GpuInstanceType.ofTraining: instanceType 'ml.m5.large' has no GPU or accelerator; use one of ml.g4dn.*, "],
    ['ml.g5.3xlarge', 'LLMOPS_INSTANCE_UNKNOWN', "GpuInstanceType.ofTraining: instanceType 'ml.g5.3xlarge' is not a SageMaker training instance type; use a GPU type such as one of ml.g4dn.*, "],
    ['ml.inf2.xlarge', 'LLMOPS_INSTANCE_UNKNOWN', "GpuInstanceType.ofTraining: instanceType 'ml.inf2.xlarge' is not a SageMaker training instance type; "],
  ])('the training instance type %s fails in GpuInstanceType.ofTraining itself with %s', (name, code, message) => {
    const e = validationError(() => pipeline(newStack(), { instanceType: GpuInstanceType.ofTraining(name) }));
    expect(e.codes).toEqual([code]);
    expect(e.where).toBe('GpuInstanceType.ofTraining');
    expect(e.message.startsWith(message)).toBe(true);
    expect(e.message).toContain(`[${code}]`);
  });

  test('every problem is reported at once', () => {
    const e = validationError(() => pipeline(newStack(), { instanceCount: 0, triggers: { alarms: [] } }));
    expect(e.codes).toEqual(['LLMOPS_INSTANCE_COUNT', 'LLMOPS_TRIGGER_NEVER_FIRES']);
    expect(e.message).toMatch(/^FineTuningPipeline at 'TestStack\/Pipeline' has 2 invalid props:\n {2}- instanceCount 0 /);
  });
});

describe('When neverFires reads a schedule expression', () => {
  test.each([
    ['cron(0 3 30 2 ? *)', 'day 30 does not exist in month 2'],
    ['cron(0 3 31 4,6,9,11 ? *)', 'day 31 does not exist in month 4,6,9,11'],
    ['cron(0 3 30 FEB ? *)', 'day 30 does not exist in month FEB'],
    ['cron(0 3 31 apr ? *)', 'day 31 does not exist in month apr'],
  ])('%s can never fire', (expression, reason) => {
    expect(neverFires(expression)).toBe(reason);
  });

  test.each([
    'cron(0 3 29 2 ? *)', // leap years
    'cron(0 3 31 1,4 ? *)', // January has a 31st
    'cron(0 3 30 * ? *)',
    'cron(0 3 L 2 ? *)',
    'cron(0 3 ? * SUN *)',
    'rate(7 days)',
  ])('%s can fire', expression => {
    expect(neverFires(expression)).toBeUndefined();
  });
});
