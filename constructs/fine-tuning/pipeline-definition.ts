// The Amazon States Language definition of the fine-tuning workflow, as a pure function of its settings, so that
// tests can read every state, parameter, retry and catch path.
//
//   Prepare → Train (createTrainingJob.sync; retries API throttling; a job that failed for lack of capacity is
//   retried after a wait, a bounded number of times) → Evaluate (JSONata: the gate metric from FinalMetricDataList)
//   → Gate → Register (createModelPackage) → Registered
//   Train failure → TrainingFailed; gate not met → GateNotMet (the cause names metric, value and threshold).

/** What {@link buildDefinition} needs. */
export interface PipelineDefinitionSettings {
  readonly partition: string;
  readonly jobNamePrefix: string;
  readonly trainingImage: string;
  readonly trainingRoleArn: string;
  readonly metricDefinitions: ReadonlyArray<{ readonly name: string; readonly regex: string }>;
  readonly hyperparameters: Record<string, string>;
  /** S3 URI of the base model weights (the `model` channel), if they come from S3. */
  readonly modelChannelUri?: string;
  /** S3 URI of the training code (the `code` channel) and the script to run. */
  readonly code: { readonly uri: string; readonly entryPoint: string };
  readonly datasetsBucketName: string;
  readonly keyArn: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly volumeSizeGb: number;
  /** Whether the instance type accepts a volume KMS key (not on local-NVMe types). */
  readonly volumeKmsKey: boolean;
  readonly spot: boolean;
  readonly maxRuntimeSeconds: number;
  readonly maxWaitSeconds: number;
  readonly capacityRetries: number;
  readonly subnets: string[];
  readonly securityGroups: string[];
  readonly networkIsolation: boolean;
  readonly evaluation: { readonly metric: string; readonly threshold: number; readonly comparison: string };
  readonly modelPackageGroupName: string;
  readonly approval: string;
  readonly servingImage: string;
  readonly servingInstanceTypes: string[];
}

/** Seconds between retries of a job that failed for lack of capacity. */
export const CAPACITY_RETRY_WAIT_SECONDS = 600;

const OPERATORS: Record<string, string> = {
  LESS_THAN: '<', LESS_THAN_OR_EQUAL: '<=', GREATER_THAN: '>', GREATER_THAN_OR_EQUAL: '>=',
};

/** The state machine definition (an ASL object; tokens resolve when the stack renders it). */
export function buildDefinition(s: PipelineDefinitionSettings): Record<string, unknown> {
  const s3 = (prefix: string) => `s3://${s.datasetsBucketName}/${prefix}`;
  const channel = (name: string, uri: string) => ({
    ChannelName: name,
    DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: uri, S3DataDistributionType: 'FullyReplicated' } },
  });
  const op = OPERATORS[s.evaluation.comparison];
  const metric = JSON.stringify(s.evaluation.metric);
  const valueExpr = `$states.input.training.FinalMetricDataList[MetricName = ${metric}].Value`;

  return {
    Comment: 'Fine-tune, evaluate, register (cdk-llmops)',
    StartAt: 'Prepare',
    States: {
      Prepare: {
        Type: 'Pass',
        Comment: 'Counts retries of a job that failed for lack of capacity',
        Result: { attempts: 0 },
        ResultPath: '$.capacity',
        Next: 'Train',
      },
      Train: {
        Type: 'Task',
        Resource: `arn:${s.partition}:states:::sagemaker:createTrainingJob.sync`,
        Parameters: {
          // A unique job name per attempt; the execution is recorded in a tag.
          'TrainingJobName.$': `States.Format('${s.jobNamePrefix}-{}', States.UUID())`,
          AlgorithmSpecification: {
            TrainingImage: s.trainingImage,
            TrainingInputMode: 'File',
            MetricDefinitions: s.metricDefinitions.map(m => ({ Name: m.name, Regex: m.regex })),
          },
          RoleArn: s.trainingRoleArn,
          // The SageMaker training toolkit in the DLCs runs sagemaker_program from sagemaker_submit_directory.
          HyperParameters: { ...s.hyperparameters, sagemaker_program: s.code.entryPoint, sagemaker_submit_directory: '/opt/ml/input/data/code' },
          InputDataConfig: [
            channel('train', s3('train/')),
            channel('validation', s3('validation/')),
            channel('code', s.code.uri),
            ...(s.modelChannelUri ? [channel('model', s.modelChannelUri)] : []),
          ],
          OutputDataConfig: { S3OutputPath: s3('output/'), KmsKeyId: s.keyArn },
          ResourceConfig: {
            InstanceType: s.instanceType,
            InstanceCount: s.instanceCount,
            VolumeSizeInGB: s.volumeSizeGb,
            ...(s.volumeKmsKey ? { VolumeKmsKeyId: s.keyArn } : {}),
          },
          StoppingCondition: {
            MaxRuntimeInSeconds: s.maxRuntimeSeconds,
            ...(s.spot ? { MaxWaitTimeInSeconds: s.maxWaitSeconds } : {}),
          },
          EnableManagedSpotTraining: s.spot,
          ...(s.spot ? { CheckpointConfig: { 'S3Uri.$': `States.Format('${s3('checkpoints/')}{}/', $$.Execution.Name)` } } : {}),
          VpcConfig: { Subnets: s.subnets, SecurityGroupIds: s.securityGroups },
          EnableInterContainerTrafficEncryption: true,
          EnableNetworkIsolation: s.networkIsolation,
          Tags: [{ Key: 'llmops:execution', 'Value.$': '$$.Execution.Name' }],
        },
        // The whole DescribeTrainingJob result: FinalMetricDataList is absent when no metric was scraped, and a
        // ResultSelector path to it would fail the execution with an uncatchable runtime error.
        ResultPath: '$.training',
        Retry: [{
          // The optimized SageMaker integration reports API errors (throttling, limits) as AmazonSageMakerException.
          ErrorEquals: ['SageMaker.AmazonSageMakerException', 'SageMaker.ResourceLimitExceededException', 'SageMaker.ThrottlingException', 'ThrottlingException'],
          IntervalSeconds: 60,
          MaxAttempts: 3,
          BackoffRate: 2,
        }],
        Catch: [
          { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.trainingError', Next: 'CapacityCheck' },
          { ErrorEquals: ['States.ALL'], ResultPath: '$.trainingError', Next: 'TrainingFailed' },
        ],
        Next: 'Evaluate',
      },
      CapacityCheck: {
        Type: 'Choice',
        Comment: 'Retry a job that failed for lack of (spot) capacity, a bounded number of times',
        // SageMaker's FailureReason says 'CapacityError' (status messages say 'capacity error' in lower case while a
        // job still retries); a spot job that never got capacity ends with MaxWaitTimeExceeded.
        Choices: [{
          And: [
            { Or: [
              { Variable: '$.trainingError.Cause', StringMatches: '*CapacityError*' },
              { Variable: '$.trainingError.Cause', StringMatches: '*MaxWaitTimeExceeded*' },
            ] },
            { Variable: '$.capacity.attempts', NumericLessThan: s.capacityRetries },
          ],
          Next: 'WaitForCapacity',
        }],
        Default: 'TrainingFailed',
      },
      WaitForCapacity: { Type: 'Wait', Seconds: CAPACITY_RETRY_WAIT_SECONDS, Next: 'CountCapacityRetry' },
      CountCapacityRetry: {
        Type: 'Pass',
        Parameters: { 'attempts.$': 'States.MathAdd($.capacity.attempts, 1)' },
        ResultPath: '$.capacity',
        Next: 'Train',
      },
      TrainingFailed: { Type: 'Fail', Error: 'TrainingFailed', CausePath: '$.trainingError.Cause' },
      Evaluate: {
        Type: 'Pass',
        QueryLanguage: 'JSONata',
        Comment: `Reads ${s.evaluation.metric} from the job's final metrics`,
        Output: `{% $merge([$states.input, {"evaluation": {"metric": ${metric}, "value": ${valueExpr}, "threshold": ${s.evaluation.threshold}}}]) %}`,
        Next: 'Gate',
      },
      Gate: {
        Type: 'Choice',
        QueryLanguage: 'JSONata',
        Choices: [{
          Condition: `{% $exists($states.input.evaluation.value) and $states.input.evaluation.value ${op} ${s.evaluation.threshold} %}`,
          Next: 'Register',
        }],
        Default: 'GateNotMet',
      },
      GateNotMet: {
        Type: 'Fail',
        QueryLanguage: 'JSONata',
        Error: 'EvaluationGateNotMet',
        Cause: `{% ${metric} & " = " & ($exists($states.input.evaluation.value) ? $string($states.input.evaluation.value) : "not reported") & " does not meet ${op} ${s.evaluation.threshold} (training job " & $states.input.training.TrainingJobName & ")" %}`,
      },
      Register: {
        Type: 'Task',
        Resource: `arn:${s.partition}:states:::aws-sdk:sagemaker:createModelPackage`,
        Parameters: {
          ModelPackageGroupName: s.modelPackageGroupName,
          ModelApprovalStatus: s.approval,
          'ModelPackageDescription.$': "States.Format('Fine-tuned by execution {} (training job {})', $$.Execution.Name, $.training.TrainingJobName)",
          InferenceSpecification: {
            Containers: [{
              Image: s.servingImage,
              'ModelDataUrl.$': '$.training.ModelArtifacts.S3ModelArtifacts',
              Environment: { HF_MODEL_ID: '/opt/ml/model' },
            }],
            SupportedContentTypes: ['application/json'],
            SupportedResponseMIMETypes: ['application/json'],
            SupportedRealtimeInferenceInstanceTypes: s.servingInstanceTypes,
          },
          CustomerMetadataProperties: {
            'training_job.$': '$.training.TrainingJobName',
            'execution.$': '$$.Execution.Name',
            'evaluation_metric': s.evaluation.metric,
            'evaluation_value.$': "States.Format('{}', $.evaluation.value)",
            // Metadata values allow letters, digits, spaces and _.:/=+-@ only: no '<' or '>'.
            'evaluation_threshold': `${s.evaluation.comparison} ${s.evaluation.threshold}`,
          },
        },
        ResultPath: '$.registration',
        Retry: [{ ErrorEquals: ['SageMaker.ThrottlingException', 'SageMaker.SageMakerException'], IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2 }],
        Next: 'Registered',
      },
      Registered: { Type: 'Succeed' },
    },
  };
}
