import { CfnOutput, Duration, RemovalPolicy, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { contentGuardrailProps, LlmOpsConfig, validateConfig } from './config';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import {
  Approval, AuroraPgVectorStore, ContentGuardrail, IamGuardrails, InferenceComponent, InferenceComponentEndpoint, defaultInterfaceEndpoints, DeploymentStrategy, FineTuningPipeline, GateComparison, ModelPromotion, PropValidator, EndpointDeploymentOptions, GpuInferenceEndpoint, GpuInstanceType, IVectorStore, LeastPrivilegeRole,
  LlmOpsFoundation, LlmOpsMonitoring, ModelSource, OpenSearchServerlessVectorStore, ServingContainer, VectorDistance,
} from '../constructs';

/** Props of {@link LlmOpsStack}. */
export interface LlmOpsStackProps extends StackProps {
  /** The environment's configuration (see `resolveConfig`). */
  readonly config: LlmOpsConfig;
  /**
   * The SSM parameter with the approved model package ARN (an {@link LlmOpsRegistryStack}'s), required with
   * `config.fineTuning`: the endpoint serves that package once one is approved.
   * @default - no promotion
   */
  readonly approvedModelPackageParameter?: string;
}

/**
 * One environment of the LLMOps application, wired from one typed configuration: the shared foundation (key,
 * private VPC, buckets), the GPU inference endpoint, the vector store, the fine-tuning pipeline with promotion of
 * approved models through this stack, an application role, and monitoring of all of it (whose critical latency and
 * 5xx alarms roll guarded deployments back).
 */
export class LlmOpsStack extends Stack {
  /** The configuration the stack was built from. */
  public readonly config: LlmOpsConfig;
  /** The shared key, VPC and buckets. */
  public readonly foundation: LlmOpsFoundation;
  /** The inference endpoint: classic, or built on inference components (`config.endpoint.inferenceComponents`). */
  public readonly endpoint: GpuInferenceEndpoint | InferenceComponentEndpoint;
  /** The inference component that serves the model, in inference-component mode. */
  public readonly modelComponent?: InferenceComponent;
  /** The topic that every alarm and failure notification goes to. */
  public readonly alarmTopic: sns.ITopic;
  /** Alarms, dashboard and notifications of everything in the stack. */
  public readonly monitoring: LlmOpsMonitoring;
  /** The fine-tuning pipeline, if the environment has one. */
  public readonly fineTuning?: FineTuningPipeline;
  /** The promotion of approved packages to the endpoint, if the environment fine-tunes. */
  public readonly promotion?: ModelPromotion;
  /** The vector store, if the environment has one. */
  public readonly vectorStore?: IVectorStore;
  /**
   * The role of the RAG application (Lambda or ECS tasks): it may invoke the endpoint and read and write the
   * vector store. The endpoint's own execution role gets no access to the store.
   */
  public readonly applicationRole: LeastPrivilegeRole;
  /** The Bedrock guardrail the application applies to prompts and answers, if the environment has one. */
  public readonly contentGuardrail?: ContentGuardrail;
  /** The permissions boundary on every role of the stack, and the synth-time IAM checks. */
  public readonly guardrails: IamGuardrails;

  constructor(scope: Construct, id: string, props: LlmOpsStackProps) {
    super(scope, id, {
      description: `cdk-llmops ${props.config.environment}: GPU inference endpoint, vector store, fine-tuning and monitoring, in a private VPC`,
      terminationProtection: props.config.terminationProtection ?? false,
      ...props,
      env: props.env ?? (props.config.account ? { account: props.config.account, region: props.config.region } : undefined),
    });
    validateConfig(props.config);
    this.config = props.config;
    const c = props.config;
    const removalPolicy = c.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    Tags.of(this).add('project', c.projectName);
    Tags.of(this).add('environment', c.environment);

    if (c.fineTuning && !props.approvedModelPackageParameter) {
      new PropValidator('LlmOpsStack', this).fail('LLMOPS_CONFIG_PROMOTION', 'approvedModelPackageParameter', undefined,
        'is required with config.fineTuning: the SSM parameter (of an LlmOpsRegistryStack) that holds the approved model package').throwIfInvalid();
    }
    this.foundation = new LlmOpsFoundation(this, 'Foundation', {
      maxAzs: c.network.maxAzs,
      internetEgress: c.network.internetEgress,
      removalPolicy,
      // Training jobs, the registry and the promotion function need the SageMaker API, SSM and CloudFormation privately.
      interfaceEndpoints: c.fineTuning
        ? [...defaultInterfaceEndpoints(), ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API, ec2.InterfaceVpcEndpointAwsService.SSM, ec2.InterfaceVpcEndpointAwsService.CLOUDFORMATION]
        : undefined,
    });

    const e = c.endpoint;
    const baseModel = e.model.kind === 'bucket'
      ? ModelSource.fromBucket(this.foundation.artifactsBucket, e.model.prefix)
      : ModelSource.huggingFaceHub(e.model.modelId, { revision: e.model.revision });
    let model = baseModel;
    if (c.fineTuning) {
      this.fineTuning = this.createFineTuning(c.fineTuning, baseModel, removalPolicy);
      model = ModelSource.fromApprovedPackage(props.approvedModelPackageParameter!, {
        fallback: baseModel,
        modelData: { bucket: this.fineTuning.datasetsBucket, prefix: 'output/' },
      });
    }
    const container = e.container === 'tgi' ? ServingContainer.tgi() : ServingContainer.lmi();
    const instanceType = GpuInstanceType.of(e.instanceType);
    const logRetention = c.logRetentionDays as logs.RetentionDays;
    if (e.inferenceComponents) {
      const ic = e.inferenceComponents;
      const endpoint = new InferenceComponentEndpoint(this, 'Endpoint', {
        instanceType,
        fleet: { minInstances: ic.minInstances, maxInstances: ic.maxInstances, initialInstances: e.instanceCount },
        encryptionKey: this.foundation.encryptionKey,
        vpc: this.foundation.vpc,
        vpcSubnets: this.foundation.privateSubnets(c.network.internetEgress),
        internetEgress: c.network.internetEgress,
        logRetention,
        removalPolicy,
      });
      this.modelComponent = endpoint.addModel('Model', {
        model,
        container,
        acceleratorsPerCopy: ic.acceleratorsPerCopy ?? instanceType.acceleratorCount ?? 1,
        modelSize: e.modelSize,
        copies: { min: ic.minCopies, max: ic.maxCopies },
        scaling: ic.targetConcurrentRequestsPerCopy === undefined ? undefined : { targetConcurrentRequestsPerCopy: ic.targetConcurrentRequestsPerCopy },
      });
      this.endpoint = endpoint;
    } else {
      this.endpoint = new GpuInferenceEndpoint(this, 'Endpoint', {
        model,
        container,
        instanceType,
        instanceCount: e.instanceCount,
        modelSize: e.modelSize,
        autoScaling: e.autoScaling,
        dataCapture: { samplingPercentage: e.dataCaptureSamplingPercentage, bucket: this.foundation.dataCaptureBucket },
        deployment: e.deployment && this.deploymentOptions(e.deployment),
        encryptionKey: this.foundation.encryptionKey,
        vpc: this.foundation.vpc,
        logRetention,
        removalPolicy,
      });
    }

    this.applicationRole = new LeastPrivilegeRole(this, 'ApplicationRole', {
      assumedBy: new iam.CompositePrincipal(new iam.ServicePrincipal('lambda.amazonaws.com'), new iam.ServicePrincipal('ecs-tasks.amazonaws.com')),
      description: `RAG application of ${this.stackName}: invokes the endpoint, reads and writes the vector store`,
    });
    (this.modelComponent ?? this.endpoint).grantInvoke(this.applicationRole);
    new CfnOutput(this, 'EndpointName', { value: this.endpoint.endpointName, description: 'SageMaker endpoint to invoke' });
    if (this.modelComponent) {
      new CfnOutput(this, 'InferenceComponentName', { value: this.modelComponent.inferenceComponentName, description: 'InferenceComponentName to pass to InvokeEndpoint' });
    }
    new CfnOutput(this, 'ApplicationRoleArn', { value: this.applicationRole.roleArn, description: 'Role for the RAG application' });
    if (c.vectorStore) {
      this.vectorStore = this.createVectorStore(c.vectorStore, removalPolicy);
      this.vectorStore.grantWrite(this.applicationRole);
      for (const [name, value] of Object.entries(this.vectorStore.connectionEnvironment())) {
        new CfnOutput(this, pascal(name), { value, description: `Environment variable ${name} for the application` });
      }
    }

    if (c.contentGuardrail) {
      this.contentGuardrail = new ContentGuardrail(this, 'ContentGuardrail', {
        ...contentGuardrailProps(c.contentGuardrail),
        encryptionKey: this.foundation.encryptionKey,
      });
      this.contentGuardrail.grantApply(this.applicationRole);
      new CfnOutput(this, 'GuardrailId', { value: this.contentGuardrail.guardrailId, description: 'Bedrock guardrail to apply (ApplyGuardrail guardrailIdentifier)' });
      new CfnOutput(this, 'GuardrailVersion', { value: this.contentGuardrail.guardrailVersion, description: 'Published guardrail version to apply' });
    }

    this.monitoring = new LlmOpsMonitoring(this, 'Monitoring', {
      encryptionKey: this.foundation.encryptionKey,
      alarmEmails: c.monitoring?.alarmEmails,
      thresholds: c.monitoring?.thresholds,
    });
    this.alarmTopic = this.monitoring.topic;
    if (this.fineTuning) {
      this.promotion = new ModelPromotion(this, 'Promotion', {
        modelPackageGroupName: this.fineTuning.modelPackageGroupName,
        parameterName: props.approvedModelPackageParameter!,
        targetStack: this,
        vpc: this.foundation.vpc,
        vpcSubnets: this.foundation.privateSubnets(c.network.internetEgress),
        encryptionKey: this.foundation.encryptionKey,
        notificationTopic: this.alarmTopic,
        logRetention,
        removalPolicy,
      });
      this.fineTuning.addNotifications(this.alarmTopic);
    }

    // Every role of the stack gets the boundary; a Hub model is downloaded at start-up, so it cannot be isolated.
    this.guardrails = new IamGuardrails(this, 'Guardrails', { requireNetworkIsolation: e.model.kind === 'bucket' });

    // Every part is watched; the critical latency and 5xx alarms guard the endpoint's deployments.
    if (this.endpoint instanceof InferenceComponentEndpoint) this.monitoring.monitorInferenceComponents(this.endpoint);
    else this.monitoring.monitorEndpoint(this.endpoint, { rollback: e.deployment !== undefined });
    if (this.vectorStore) this.monitoring.monitorVectorStore(this.vectorStore);
    if (this.fineTuning) this.monitoring.monitorFineTuning(this.fineTuning);
    this.monitoring.addAlarmStatusWidget();
  }

  private createFineTuning(f: NonNullable<LlmOpsConfig['fineTuning']>, baseModel: ModelSource, removalPolicy: RemovalPolicy): FineTuningPipeline {
    const comparison = { lt: GateComparison.LESS_THAN, lte: GateComparison.LESS_THAN_OR_EQUAL, gt: GateComparison.GREATER_THAN, gte: GateComparison.GREATER_THAN_OR_EQUAL }[f.evaluation.comparison];
    return new FineTuningPipeline(this, 'FineTuning', {
      baseModel,
      instanceType: GpuInstanceType.ofTraining(f.instanceType),
      instanceCount: f.instanceCount,
      spot: f.spot,
      maxRuntime: Duration.hours(f.maxRuntimeHours),
      evaluation: { metric: f.evaluation.metric, threshold: f.evaluation.threshold, comparison },
      approval: f.approval === 'automatic' ? Approval.AUTOMATIC : Approval.MANUAL,
      triggers: { schedule: f.schedule ? events.Schedule.expression(f.schedule) : undefined, onNewData: f.onNewData },
      servingInstanceTypes: [GpuInstanceType.of(this.config.endpoint.instanceType)],
      vpc: this.foundation.vpc,
      vpcSubnets: this.foundation.privateSubnets(this.config.network.internetEgress),
      encryptionKey: this.foundation.encryptionKey,
      accessLogsBucket: this.foundation.accessLogsBucket,
      removalPolicy,
      logRetention: this.config.logRetentionDays as logs.RetentionDays,
    });
  }

  private createVectorStore(s: NonNullable<LlmOpsConfig['vectorStore']>, removalPolicy: RemovalPolicy): IVectorStore {
    const distance = { 'cosine': VectorDistance.COSINE, 'euclidean': VectorDistance.EUCLIDEAN, 'inner-product': VectorDistance.INNER_PRODUCT }[s.distance];
    const shared = {
      dimension: s.dimension,
      distance,
      vpc: this.foundation.vpc,
      encryptionKey: this.foundation.encryptionKey,
      logRetention: this.config.logRetentionDays as logs.RetentionDays,
    };
    if (s.kind === 'aurora-pgvector') {
      return new AuroraPgVectorStore(this, 'VectorStore', {
        ...shared,
        minCapacity: s.minCapacity,
        maxCapacity: s.maxCapacity,
        backupRetention: s.backupRetentionDays === undefined ? undefined : Duration.days(s.backupRetentionDays),
        removalPolicy: removalPolicy === RemovalPolicy.RETAIN ? RemovalPolicy.SNAPSHOT : removalPolicy,
      });
    }
    return new OpenSearchServerlessVectorStore(this, 'VectorStore', { ...shared, standbyReplicas: s.standbyReplicas, removalPolicy });
  }

  private deploymentOptions(d: NonNullable<LlmOpsConfig['endpoint']['deployment']>): EndpointDeploymentOptions {
    const wait = Duration.minutes(d.waitMinutes);
    const strategy = d.strategy === 'canary' ? DeploymentStrategy.canary(d.sizePercent!, wait)
      : d.strategy === 'linear' ? DeploymentStrategy.linear(d.sizePercent!, wait)
        : DeploymentStrategy.allAtOnce(wait);
    return { strategy, terminationWait: Duration.minutes(5) };
  }
}

/** `VECTOR_STORE_ENDPOINT` → `VectorStoreEndpoint`, for output IDs. */
function pascal(name: string): string {
  return name.toLowerCase().split('_').map(p => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}
