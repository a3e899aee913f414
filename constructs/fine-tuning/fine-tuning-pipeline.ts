import { ArnFormat, Duration, Names, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CfnModelPackageGroup } from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { buildDefinition } from './pipeline-definition';
import { TrainingImage } from './training-image';
import { acknowledgeComplianceRule, acknowledgeReplication, acknowledgeSecurityGroupSourceRules, acknowledgeWildcardResource } from '../common/compliance';
import { warnImportedKey } from '../common/custom-resource-function';
import { LeastPrivilegeRole } from '../common/least-privilege-role';
import { PropValidator } from '../common/validation';
import { LlmOpsFoundation, selectPrivateSubnets } from '../foundation/llmops-foundation';
import { allowCloudWatchLogs, secureBucketProps } from '../foundation/secure-defaults';
import { GpuInstanceType } from '../inference/gpu-instance-type';
import { grantPrefixRead, ModelSource, ModelSourceKind } from '../inference/model-source';
import { ServingContainer, tgiImageUri } from '../inference/serving-container';
import {
  CLOUDWATCH_PUT_METRIC_ACTIONS, EC2_DESCRIBE_NETWORK_ACTIONS, EC2_ENI_ACTIONS, ECR_AUTH_ACTIONS, KMS_CREATE_GRANT_ACTIONS, LOGS_WRITE_ACTIONS,
  PASS_ROLE_ACTIONS, S3_WRITE_OBJECT_ACTIONS, SAGEMAKER_GUARDED_CREATE_ACTIONS, SAGEMAKER_REGISTER_ACTIONS, SAGEMAKER_TRAINING_JOB_ACTIONS,
  STATES_SYNC_RULE_ACTIONS,
} from '../permissions';

/** How the evaluation metric is compared with its threshold. */
export enum GateComparison {
  /** The metric must be below the threshold (losses, perplexity). */
  LESS_THAN = 'LESS_THAN',
  /** The metric must be at most the threshold. */
  LESS_THAN_OR_EQUAL = 'LESS_THAN_OR_EQUAL',
  /** The metric must be above the threshold (accuracy, F1). */
  GREATER_THAN = 'GREATER_THAN',
  /** The metric must be at least the threshold. */
  GREATER_THAN_OR_EQUAL = 'GREATER_THAN_OR_EQUAL',
}

/** How a registered model package is approved. */
export enum Approval {
  /** Registered as PendingManualApproval: a person approves it (production). */
  MANUAL = 'PendingManualApproval',
  /** Registered as Approved, which promotes it at once (dev). */
  AUTOMATIC = 'Approved',
}

/** A metric the training job reports, scraped from its logs. */
export interface TrainingMetricDefinition {
  /** Metric name (1–255 characters). */
  readonly name: string;
  /** Regular expression with one capture group for the value (1–500 characters). */
  readonly regex: string;
}

/** The gate a trained model must pass to be registered. */
export interface EvaluationGate {
  /** The metric to compare; must be one of the metric definitions. */
  readonly metric: string;
  /** The threshold. */
  readonly threshold: number;
  /**
   * How the metric is compared with the threshold.
   * @default GateComparison.LESS_THAN
   */
  readonly comparison?: GateComparison;
}

/** What starts the pipeline. Each is optional; without any, start executions yourself. */
export interface FineTuningTriggers {
  /**
   * Retrain on a schedule.
   * @default - no schedule
   */
  readonly schedule?: events.Schedule;
  /**
   * Retrain when a dataset upload finishes: the marker object `train/_READY` (or any `train/**_READY`) is written to
   * the datasets bucket (EventBridge notifications). Upload the data first, the marker last.
   * @default false
   */
  readonly onNewData?: boolean;
  /**
   * Retrain when any of these alarms enters ALARM (quality or drift alarms).
   * @default - none
   */
  readonly alarms?: cloudwatch.IAlarm[];
}

/** Props of {@link FineTuningPipeline}. */
export interface FineTuningPipelineProps {
  /** The model to fine-tune: S3 weights become the `model` input channel; a Hub id becomes the `model_id` hyperparameter. */
  readonly baseModel: ModelSource;
  /**
   * The training container.
   * @default TrainingImage.huggingFacePytorch()
   */
  readonly image?: TrainingImage;
  /**
   * GPU instance type of the training job (validated against the SDK's TrainingInstanceType).
   * @default GpuInstanceType.ofTraining('ml.g5.2xlarge')
   */
  readonly instanceType?: GpuInstanceType;
  /**
   * Number of training instances.
   * @default 1
   */
  readonly instanceCount?: number;
  /**
   * Size of each instance's ML storage volume, in GB.
   * @default 100
   */
  readonly volumeSizeGb?: number;
  /**
   * The training script: `entryPoint` under `prefix` of `bucket`, mounted as the `code` channel and run by the
   * SageMaker training toolkit of the image (`sagemaker_program`). With network isolation the script cannot install
   * packages: use what the image ships, or your own image.
   * @default - `train.py` under `code/` of the datasets bucket
   */
  readonly trainingScript?: { readonly bucket: s3.IBucket; readonly prefix: string; readonly entryPoint: string };
  /**
   * Hyperparameters passed to the training script (string values; SageMaker passes them as strings).
   * @default - none (plus `model_id` for a Hub base model)
   */
  readonly hyperparameters?: Record<string, string>;
  /**
   * Metrics scraped from the training logs.
   * @default - `train_loss` and `eval_loss` as printed by the Hugging Face Trainer
   */
  readonly metricDefinitions?: TrainingMetricDefinition[];
  /** The evaluation gate. */
  readonly evaluation: EvaluationGate;
  /**
   * Managed spot training (checkpoints under `checkpoints/<execution>/` of the datasets bucket let a job resume).
   * @default true
   */
  readonly spot?: boolean;
  /**
   * Longest a training job may run.
   * @default Duration.hours(24)
   */
  readonly maxRuntime?: Duration;
  /**
   * Longest a spot job may wait for capacity plus run; at least `maxRuntime`.
   * @default - twice maxRuntime
   */
  readonly maxWait?: Duration;
  /**
   * How often a job that failed for lack of capacity is retried (10 minutes apart).
   * @default 3
   */
  readonly capacityRetries?: number;
  /**
   * How registered packages are approved.
   * @default Approval.MANUAL
   */
  readonly approval?: Approval;
  /**
   * Instance types the registered packages may be served on.
   * @default [GpuInstanceType.G5_2XLARGE]
   */
  readonly servingInstanceTypes?: GpuInstanceType[];
  /**
   * Serving image tag (TGI) of the registered packages.
   * @default ServingContainer.TGI_DEFAULT_TAG
   */
  readonly servingImageTag?: string;
  /**
   * What starts the pipeline.
   * @default - nothing: start executions yourself
   */
  readonly triggers?: FineTuningTriggers;
  /**
   * Where failed and stopped executions and training jobs are reported.
   * @default - not reported
   */
  readonly notificationTopic?: sns.ITopic;
  /**
   * Model package group name.
   * @default - derived from the construct path
   */
  readonly modelPackageGroupName?: string;
  /** @default - a new key with rotation */
  readonly encryptionKey?: kms.IKey;
  /**
   * Where the datasets bucket delivers its server access logs.
   * @default - the access-log bucket of the foundation the pipeline creates when no VPC or key is given; none otherwise (acknowledged)
   */
  readonly accessLogsBucket?: s3.IBucket;
  /** @default - a new private VPC */
  readonly vpc?: ec2.IVpc;
  /** @default - private subnets (isolated ones if the VPC has any) */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Run training with network isolation (no outbound calls).
   * @default - true, except for a Hugging Face Hub base model
   */
  readonly networkIsolation?: boolean;
  /**
   * Retention of the state machine's logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the datasets bucket and the model package group when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const DEFAULT_METRICS: TrainingMetricDefinition[] = [
  { name: 'train_loss', regex: "'loss': ([0-9]+\\.?[0-9]*(?:e-?[0-9]+)?)" },
  { name: 'eval_loss', regex: "'eval_loss': ([0-9]+\\.?[0-9]*(?:e-?[0-9]+)?)" },
];
const GROUP_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** SageMaker allows any key of 1-256 characters; control characters are refused here. */
const HYPERPARAMETER_KEY = /^[^\u0000-\u001f]{1,256}$/;
/** Prefix of every training job this pipeline starts (job names are `<prefix>-<uuid>`). */
const JOB_PREFIX_MAX = 26;

/**
 * A Step Functions workflow that fine-tunes an LLM on SageMaker (managed spot training with checkpoints), gates it
 * on an evaluation metric, and registers it as a model package in a group it owns — started by a schedule, new data
 * or an alarm. Promotion of approved packages to an endpoint is done by {@link ModelPromotion}.
 */
export class FineTuningPipeline extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The model package group. */
  public readonly modelPackageGroup: CfnModelPackageGroup;
  /** The model package group name. */
  public readonly modelPackageGroupName: string;
  /** The model package group ARN. */
  public readonly modelPackageGroupArn: string;
  /** The datasets bucket: `train/`, `validation/`, `checkpoints/`, `output/`. */
  public readonly datasetsBucket: s3.Bucket;
  /** The role training jobs run as. */
  public readonly trainingRole: LeastPrivilegeRole;
  /** Prefix of the training job names. */
  public readonly jobNamePrefix: string;
  /** The foundation this pipeline created for itself when no VPC or key was given. */
  public readonly foundation?: LlmOpsFoundation;

  constructor(scope: Construct, id: string, props: FineTuningPipelineProps) {
    super(scope, id);
    const instanceType = props.instanceType ?? GpuInstanceType.ofTraining('ml.g5.2xlarge');
    const instanceCount = props.instanceCount ?? 1;
    const metrics = props.metricDefinitions ?? DEFAULT_METRICS;
    const spot = props.spot ?? true;
    const maxRuntime = props.maxRuntime ?? Duration.hours(24);
    const maxWait = props.maxWait ?? Duration.seconds(maxRuntime.toSeconds() * 2);
    const capacityRetries = props.capacityRetries ?? 3;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const hyperparameters = props.hyperparameters ?? {};
    this.modelPackageGroupName = props.modelPackageGroupName
      ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).replace(/[^a-zA-Z0-9-]/g, '');
    this.jobNamePrefix = this.modelPackageGroupName.toLowerCase().slice(0, JOB_PREFIX_MAX).replace(/-+$/, '');

    this.validate(props, { instanceCount, metrics, spot, maxRuntime, maxWait, capacityRetries, hyperparameters });

    if (!props.vpc || !props.encryptionKey) {
      this.foundation = new LlmOpsFoundation(this, 'Foundation', {
        encryptionKey: props.encryptionKey, vpc: props.vpc, removalPolicy,
        internetEgress: props.vpc ? undefined : props.baseModel.requiresInternet,
      });
    }
    const key = props.encryptionKey ?? this.foundation!.encryptionKey;
    const vpc = props.vpc ?? this.foundation!.vpc;
    const subnets = vpc.selectSubnets(props.vpcSubnets ?? selectPrivateSubnets(vpc, props.baseModel.requiresInternet));
    const stack = Stack.of(this);

    // Datasets: versioned (data versioning for traceability), KMS, TLS-only, access-logged; checkpoints expire.
    const logsBucket = props.accessLogsBucket ?? this.foundation?.accessLogsBucket;
    this.datasetsBucket = new s3.Bucket(this, 'DatasetsBucket', {
      ...secureBucketProps({ encryptionKey: key, accessLogsBucket: logsBucket, accessLogsPrefix: logsBucket ? 'datasets/' : undefined, removalPolicy }),
      lifecycleRules: [
        { id: 'ExpireNoncurrentVersions', noncurrentVersionExpiration: Duration.days(365), abortIncompleteMultipartUploadAfter: Duration.days(7) },
        { id: 'ExpireCheckpoints', prefix: 'checkpoints/', expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(1) },
      ],
    });
    if (props.triggers?.onNewData) {
      // The native CloudFormation property: aws-cdk-lib's eventBridgeEnabled deploys a Lambda with an AWS managed policy.
      (this.datasetsBucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    }
    acknowledgeReplication(this.datasetsBucket);
    if (!logsBucket) {
      const reason = 'the pipeline was given a VPC and key but no foundation: pass a foundation-created pipeline or enable access logging on your side';
      Validations.of(this.datasetsBucket).acknowledge({ id: 'AwsSolutions-S1', reason });
      acknowledgeComplianceRule(this.datasetsBucket, 'S3BucketLoggingEnabled', reason);
    }

    // Training role: reads the datasets and base model, writes output and checkpoints, logs, pulls its image.
    this.trainingRole = new LeastPrivilegeRole(this, 'TrainingRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker training jobs of ${this.node.path}`,
    });
    const role = this.trainingRole;
    for (const prefix of ['train/', 'validation/']) grantPrefixRead(role, this.datasetsBucket, prefix);
    for (const prefix of ['checkpoints/', 'output/']) {
      const objects = this.datasetsBucket.arnForObjects(`${prefix}*`);
      iam.Grant.addToPrincipal({ grantee: role, actions: S3_WRITE_OBJECT_ACTIONS, resourceArns: [objects] });
      acknowledgeWildcardResource(role, objects, `training jobs write one object per file under ${prefix}; the grant is limited to that prefix`);
    }
    grantPrefixRead(role, this.datasetsBucket, 'checkpoints/');
    const script = props.trainingScript ?? { bucket: this.datasetsBucket, prefix: 'code/', entryPoint: 'train.py' };
    grantPrefixRead(role, script.bucket, script.prefix);
    iam.Grant.addToPrincipal({ grantee: role, actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'], resourceArns: [key.keyArn] });
    iam.Grant.addToPrincipal({ grantee: role, actions: KMS_CREATE_GRANT_ACTIONS, resourceArns: [key.keyArn], conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } } });
    const jobLogs = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/TrainingJobs:*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    iam.Grant.addToPrincipal({ grantee: role, actions: ['logs:CreateLogGroup', ...LOGS_WRITE_ACTIONS], resourceArns: [jobLogs] });
    acknowledgeWildcardResource(role, jobLogs, 'SageMaker writes one log stream per training job, named after the job, into the shared /aws/sagemaker/TrainingJobs group');
    role.grantUnscoped(CLOUDWATCH_PUT_METRIC_ACTIONS, 'PutMetricData has no resource-level permissions; conditioned on the SageMaker training namespace',
      { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/TrainingJobs', 'AWS/SageMaker'] } });
    role.grantUnscoped(EC2_DESCRIBE_NETWORK_ACTIONS, 'EC2 Describe* actions have no resource-level permissions; SageMaker reads the VPC before it attaches ENIs');
    role.grantUnscoped(EC2_ENI_ACTIONS, 'SageMaker creates training ENIs whose IDs are unknown before deploy; conditioned on ec2:Vpc of this VPC',
      { ArnEquals: { 'ec2:Vpc': stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: vpc.vpcId }) } });
    const image = (props.image ?? TrainingImage.huggingFacePytorch()).bind(this, role);
    if (image.pullsFromEcr) role.grantUnscoped(ECR_AUTH_ACTIONS, 'ecr:GetAuthorizationToken has no resource-level permissions; image pulls are scoped to one repository');
    const base = props.baseModel.bind(this, { role });

    const securityGroup = new ec2.SecurityGroup(this, 'TrainingSecurityGroup', {
      vpc, allowAllOutbound: false, description: `Training jobs of ${this.node.path}: no inbound from outside the group; outbound HTTPS and intra-cluster traffic`,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to VPC endpoints and S3');
    // Distributed training: the instances of one job talk to each other.
    securityGroup.connections.allowInternally(ec2.Port.allTraffic(), 'Between the instances of one training job');
    acknowledgeSecurityGroupSourceRules(securityGroup,
      'SageMaker distributed training needs all traffic between the instances of one job (NCCL picks its ports); the only source is this security group itself, never a CIDR');

    // The model registry.
    this.modelPackageGroup = new CfnModelPackageGroup(this, 'ModelPackageGroup', {
      modelPackageGroupName: this.modelPackageGroupName,
      modelPackageGroupDescription: `Fine-tuned models of ${this.node.path}`,
    });
    this.modelPackageGroup.applyRemovalPolicy(removalPolicy);
    this.modelPackageGroupArn = this.modelPackageGroup.attrModelPackageGroupArn;

    // The state machine and its role.
    const machineRole = new LeastPrivilegeRole(this, 'StateMachineRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: `Fine-tuning state machine of ${this.node.path}`,
    });
    const jobs = stack.formatArn({ service: 'sagemaker', resource: 'training-job', resourceName: `${this.jobNamePrefix}-*` });
    // Creating a job is allowed only with this pipeline's output key and encrypted inter-container traffic.
    iam.Grant.addToPrincipal({
      grantee: machineRole, actions: [SAGEMAKER_GUARDED_CREATE_ACTIONS.trainingJob], resourceArns: [jobs],
      conditions: { ArnEquals: { 'sagemaker:OutputKmsKeyArn': key.keyArn }, Bool: { 'sagemaker:InterContainerTrafficEncryption': 'true' } },
    });
    iam.Grant.addToPrincipal({ grantee: machineRole, actions: SAGEMAKER_TRAINING_JOB_ACTIONS, resourceArns: [jobs] });
    acknowledgeWildcardResource(machineRole, jobs, `every execution starts a training job named ${this.jobNamePrefix}-<uuid>; the grant covers only that prefix`);
    iam.Grant.addToPrincipal({
      grantee: machineRole, actions: STATES_SYNC_RULE_ACTIONS,
      resourceArns: [stack.formatArn({ service: 'events', resource: 'rule', resourceName: 'StepFunctionsGetEventsForSageMakerTrainingJobsRule' })],
    });
    iam.Grant.addToPrincipal({
      grantee: machineRole, actions: PASS_ROLE_ACTIONS, resourceArns: [role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    });
    const packages = stack.formatArn({ service: 'sagemaker', resource: 'model-package', resourceName: `${this.modelPackageGroupName.toLowerCase()}/*` });
    iam.Grant.addToPrincipal({ grantee: machineRole, actions: SAGEMAKER_REGISTER_ACTIONS, resourceArns: [packages, this.modelPackageGroupArn] });
    acknowledgeWildcardResource(machineRole, packages, 'each registration creates the next version of this group; the grant covers only this group');
    iam.Grant.addToPrincipal({ grantee: machineRole, actions: ['kms:DescribeKey', ...KMS_CREATE_GRANT_ACTIONS], resourceArns: [key.keyArn] });

    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}`,
      encryptionKey: key,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    if (!allowCloudWatchLogs(key, '/aws/vendedlogs/states/')) warnImportedKey(this, key, '/aws/vendedlogs/states/');

    const comparison = props.evaluation.comparison ?? GateComparison.LESS_THAN;
    const definition = buildDefinition({
      partition: stack.partition,
      jobNamePrefix: this.jobNamePrefix,
      trainingImage: image.imageUri,
      trainingRoleArn: role.roleArn,
      metricDefinitions: metrics,
      hyperparameters: { ...hyperparameters, ...(base.kind === ModelSourceKind.HUGGING_FACE_HUB ? { model_id: base.modelId! } : {}) },
      code: { uri: script.bucket.s3UrlForObject(script.prefix), entryPoint: script.entryPoint },
      modelChannelUri: base.modelDataSource ? (base.modelDataSource as { s3DataSource: { s3Uri: string } }).s3DataSource.s3Uri : undefined,
      datasetsBucketName: this.datasetsBucket.bucketName,
      keyArn: key.keyArn,
      instanceType: instanceType.name,
      instanceCount,
      volumeSizeGb: props.volumeSizeGb ?? 100,
      volumeKmsKey: instanceType.supportsVolumeKmsKey,
      spot,
      maxRuntimeSeconds: maxRuntime.toSeconds(),
      maxWaitSeconds: maxWait.toSeconds(),
      capacityRetries,
      subnets: subnets.subnetIds,
      securityGroups: [securityGroup.securityGroupId],
      networkIsolation: props.networkIsolation ?? !props.baseModel.requiresInternet,
      evaluation: { metric: props.evaluation.metric, threshold: props.evaluation.threshold, comparison },
      modelPackageGroupName: this.modelPackageGroupName,
      approval: props.approval ?? Approval.MANUAL,
      servingImage: tgiImageUri(this, props.servingImageTag ?? ServingContainer.TGI_DEFAULT_TAG),
      servingInstanceTypes: (props.servingInstanceTypes ?? [GpuInstanceType.G5_2XLARGE]).map(t => t.name),
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromString(stack.toJsonString(definition)),
      role: machineRole,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
      comment: `Fine-tunes, evaluates and registers models for ${this.node.path}`,
    });
    Validations.of(machineRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'added by aws-cdk-lib for the state machine\'s own logging (logs:*LogDelivery, PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) and X-Ray tracing (xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules, GetSamplingTargets), which have no resource-level permissions',
    });

    this.addTriggers(props.triggers);
    if (props.notificationTopic) this.addNotifications(props.notificationTopic);
  }

  /** Failed executions. @default - Sum over 5 minutes */
  public metricExecutionsFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricFailed(props);
  }

  /** Succeeded executions (a model was registered). @default - Sum over 5 minutes */
  public metricExecutionsSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricSucceeded(props);
  }

  /** Executions that timed out. @default - Sum over 5 minutes */
  public metricExecutionsTimedOut(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricTimedOut(props);
  }

  /** Execution time, in milliseconds. @default - Average over 5 minutes */
  public metricExecutionTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stateMachine.metricTime(props);
  }

  private addTriggers(t: FineTuningTriggers | undefined): void {
    if (!t || (!t.schedule && !t.onNewData && !t.alarms)) return;
    const triggerRole = new LeastPrivilegeRole(this, 'TriggerRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `Starts executions of ${this.node.path}`,
    });
    const target = new targets.SfnStateMachine(this.stateMachine, { role: triggerRole });
    if (t.schedule) new events.Rule(this, 'ScheduleTrigger', { schedule: t.schedule, targets: [target], description: 'Retrain on schedule' });
    if (t.onNewData) {
      new events.Rule(this, 'NewDataTrigger', {
        description: 'Retrain when new training data arrives',
        // One execution per dataset, not per file: upload train/_READY after the data.
        eventPattern: { source: ['aws.s3'], detailType: ['Object Created'], detail: { bucket: { name: [this.datasetsBucket.bucketName] }, object: { key: events.Match.wildcard('train/*_READY') } } },
        targets: [target],
      });
    }
    if (t.alarms && t.alarms.length > 0) {
      new events.Rule(this, 'AlarmTrigger', {
        description: 'Retrain when a quality or drift alarm fires',
        eventPattern: { source: ['aws.cloudwatch'], detailType: ['CloudWatch Alarm State Change'], resources: t.alarms.map(a => a.alarmArn), detail: { state: { value: ['ALARM'] } } },
        targets: [target],
      });
    }
  }

  /** Reports failed, timed-out or aborted executions and failed or stopped training jobs of this pipeline to `topic`. */
  public addNotifications(topic: sns.ITopic): void {
    new events.Rule(this, 'ExecutionFailedNotification', {
      description: 'Failed, timed-out or aborted fine-tuning executions',
      eventPattern: {
        source: ['aws.states'], detailType: ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [this.stateMachine.stateMachineArn], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
      targets: [new targets.SnsTopic(topic)],
    });
    new events.Rule(this, 'TrainingJobFailedNotification', {
      description: 'Failed or stopped training jobs of this pipeline',
      eventPattern: {
        source: ['aws.sagemaker'], detailType: ['SageMaker Training Job State Change'],
        detail: { TrainingJobName: [{ prefix: `${this.jobNamePrefix}-` }], TrainingJobStatus: ['Failed', 'Stopped'] },
      },
      targets: [new targets.SnsTopic(topic)],
    });
  }

  private validate(props: FineTuningPipelineProps, r: {
    instanceCount: number; metrics: TrainingMetricDefinition[]; spot: boolean; maxRuntime: Duration; maxWait: Duration; capacityRetries: number;
    hyperparameters: Record<string, string>;
  }): void {
    const v = new PropValidator('FineTuningPipeline', this);
    v.range('LLMOPS_INSTANCE_COUNT', 'instanceCount', r.instanceCount, 1, 100);
    v.range('LLMOPS_VOLUME_SIZE', 'volumeSizeGb', props.volumeSizeGb, 1, 16384, 'GB');
    v.range('LLMOPS_CAPACITY_RETRIES', 'capacityRetries', r.capacityRetries, 0, 10);
    const runtime = r.maxRuntime.toSeconds();
    const runtimeOk = Token.isUnresolved(runtime) ? false : v.range('LLMOPS_MAX_RUNTIME', 'maxRuntime', runtime, 1, 28 * 24 * 3600, 'seconds (28 days)');
    if (r.spot && runtimeOk && !Token.isUnresolved(r.maxWait.toSeconds())) {
      v.check(r.maxWait.toSeconds() >= runtime, 'LLMOPS_SPOT_MAX_WAIT', 'maxWait', `${r.maxWait.toSeconds()} seconds`,
        `is shorter than maxRuntime (${runtime} seconds); with spot training maxWait covers the wait for capacity plus the run, so it must be at least maxRuntime`);
    }
    if (!r.spot && props.maxWait) v.fail('LLMOPS_SPOT_MAX_WAIT', 'maxWait', `${props.maxWait.toSeconds()} seconds`, 'only applies to spot training; remove it or set spot: true');
    const names = new Set<string>();
    r.metrics.forEach((m, i) => {
      v.check(m.name.length >= 1 && m.name.length <= 255, 'LLMOPS_METRIC_DEFINITION', `metricDefinitions[${i}].name`, m.name, 'must be 1-255 characters');
      v.check(m.regex.trim().length >= 1 && m.regex.length <= 500, 'LLMOPS_METRIC_DEFINITION', `metricDefinitions[${i}].regex`, m.regex,
        'must be a regular expression of 1-500 characters with one capture group for the value');
      names.add(m.name);
    });
    v.check(names.has(props.evaluation.metric), 'LLMOPS_GATE_METRIC', 'evaluation.metric', props.evaluation.metric,
      `is not among the metric definitions; allowed: ${[...names].map(n => `'${n}'`).join(', ') || 'none defined'}`);
    if (!Token.isUnresolved(props.evaluation.threshold)) {
      v.check(Number.isFinite(props.evaluation.threshold), 'LLMOPS_GATE_THRESHOLD', 'evaluation.threshold', props.evaluation.threshold, 'must be a finite number');
    }
    const entries = Object.entries(r.hyperparameters as Record<string, unknown>);
    v.check(entries.length <= 100, 'LLMOPS_HYPERPARAMETER', 'hyperparameters', `${entries.length} entries`, 'exceed SageMaker\'s limit of 100');
    for (const [k, value] of entries) {
      v.check(HYPERPARAMETER_KEY.test(k) && !k.startsWith('sagemaker_'), 'LLMOPS_HYPERPARAMETER', `hyperparameters key`, k,
        "is not a hyperparameter name; allowed: 1-256 characters without control characters, not starting with 'sagemaker_' (reserved for the training toolkit; see trainingScript)");
      v.check(typeof value === 'string' && value.length <= 2500, 'LLMOPS_HYPERPARAMETER', `hyperparameters.${k}`, value,
        'must be a string of at most 2500 characters (SageMaker passes hyperparameters as strings; write String(value))');
    }
    if (props.modelPackageGroupName !== undefined && !Token.isUnresolved(props.modelPackageGroupName)) {
      v.check(GROUP_NAME.test(props.modelPackageGroupName), 'LLMOPS_PACKAGE_GROUP_NAME', 'modelPackageGroupName', props.modelPackageGroupName,
        "is not a model package group name; allowed: 1-63 letters, digits and '-', starting and ending with a letter or digit");
    }
    const script = props.trainingScript;
    if (script && !Token.isUnresolved(script.prefix)) {
      v.check(script.prefix === '' || (script.prefix.endsWith('/') && !script.prefix.startsWith('/') && !/[*?]/.test(script.prefix)), 'LLMOPS_TRAINING_SCRIPT',
        'trainingScript.prefix', script.prefix, "is not a key prefix; allowed: '' or a prefix without a leading '/' or wildcards that ends with '/'");
    }
    if (script && !Token.isUnresolved(script.entryPoint)) {
      v.check(/^[\w.\-/]+\.(py|sh)$/.test(script.entryPoint), 'LLMOPS_TRAINING_SCRIPT', 'trainingScript.entryPoint', script.entryPoint,
        "is not a script path; allowed: a relative path to a .py or .sh file, e.g. 'train.py'");
    }
    const t = props.triggers;
    if (t?.alarms !== undefined) {
      v.check(t.alarms.length > 0, 'LLMOPS_TRIGGER_NEVER_FIRES', 'triggers.alarms', '[]', 'can never fire; give at least one alarm or leave alarms out');
    }
    if (t?.schedule) {
      const never = neverFires(t.schedule.expressionString);
      v.check(!never, 'LLMOPS_TRIGGER_NEVER_FIRES', 'triggers.schedule', t.schedule.expressionString, `can never fire (${never}); pick a date that exists`);
    }
    if (props.networkIsolation === true && props.baseModel.requiresInternet) {
      v.fail('LLMOPS_ISOLATION_BLOCKS_HUB', 'networkIsolation', true, 'cannot be true for a Hugging Face Hub base model, which the training script downloads; stage the weights in S3 with ModelSource.fromBucket');
    }
    v.check(props.baseModel.kind !== ModelSourceKind.MODEL_PACKAGE && props.baseModel.kind !== ModelSourceKind.APPROVED_PACKAGE, 'LLMOPS_BASE_MODEL', 'baseModel',
      props.baseModel.kind === ModelSourceKind.MODEL_PACKAGE ? 'ModelSource.fromModelPackage' : 'ModelSource.fromApprovedPackage',
      'cannot be fine-tuned directly; use ModelSource.fromBucket with the package\'s weights, or a Hub id');
    v.throwIfInvalid();
  }
}

const DAYS_IN_MONTH: Record<string, number> = { 2: 29, 4: 30, 6: 30, 9: 30, 11: 30, FEB: 29, APR: 30, JUN: 30, SEP: 30, NOV: 30 };

/** Why a cron schedule can never fire (a day that no month in it has), or undefined. */
export function neverFires(expression: string): string | undefined {
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) return undefined;
  const fields = cron[1].trim().split(/\s+/);
  if (fields.length !== 6) return undefined;
  const [, , day, month] = fields;
  if (!/^\d+$/.test(day) || !/^[\dA-Za-z,]+$/.test(month)) return undefined;
  const months = month.toUpperCase().split(',');
  const allShort = months.every(m => DAYS_IN_MONTH[m] !== undefined && Number(day) > DAYS_IN_MONTH[m]);
  return allShort ? `day ${day} does not exist in month ${month}` : undefined;
}
