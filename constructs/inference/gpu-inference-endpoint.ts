import { Duration, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CfnEndpoint, CfnEndpointConfig, CfnModel } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { DeploymentStrategy, EndpointDeploymentOptions, TrafficShiftType } from './deployment-strategy';
import {
  acknowledgeNvmeVolumeKey, createEndpointLogGroup, createModelSecurityGroup, createSageMakerModel, DEFAULT_SERVING_CONTAINER, defaultInferenceAmi,
  grantEndpointNetworkAndMetrics, grantVolumeKeyCreateGrant, importSageMakerAutoScalingRole,
} from './endpoint-resources';
import { GpuInstanceType } from './gpu-instance-type';
import { endpointArnFor, IInferenceEndpoint, InferenceEndpointAttributes, InferenceEndpointBase } from './inference-endpoint';
import { checkModelFits, ModelSize } from './model-sizing';
import { ModelSource, ModelSourceKind } from './model-source';
import { ServingContainer } from './serving-container';
import { CaptureMode, InferenceAmiVersion, RoutingStrategy } from './variant-settings';
import { acknowledgeWildcardResource } from '../common/compliance';
import { LeastPrivilegeRole } from '../common/least-privilege-role';
import { PropValidator, SAGEMAKER_NAME, uniqueLowerName } from '../common/validation';
import { LlmOpsFoundation, selectPrivateSubnets } from '../foundation/llmops-foundation';
import { CLOUDWATCH_DESCRIBE_ALARM_ACTIONS, S3_WRITE_OBJECT_ACTIONS } from '../permissions';

/** Application Auto Scaling of a production variant. */
export interface EndpointAutoScalingOptions {
  /** Fewest instances (at least 1: real-time variants cannot scale to zero). */
  readonly minCapacity: number;
  /** Most instances. */
  readonly maxCapacity: number;
  /**
   * Target of concurrent requests per model copy, tracked on the high-resolution (10 s)
   * `SageMakerVariantConcurrentRequestsPerModelHighResolution` metric. Streamed responses count until the last token.
   * @default 5, unless only `targetInvocationsPerInstance` is given
   */
  readonly targetConcurrentRequestsPerModel?: number;
  /**
   * Target of invocations per instance per minute (`SageMakerVariantInvocationsPerInstance`), as a second policy.
   * @default - no invocation-based policy
   */
  readonly targetInvocationsPerInstance?: number;
  /**
   * Wait after a scale-in before the next one.
   * @default Duration.minutes(10)
   */
  readonly scaleInCooldown?: Duration;
  /**
   * Wait after a scale-out before the next one. GPU instances take minutes to load a model.
   * @default Duration.minutes(5)
   */
  readonly scaleOutCooldown?: Duration;
}

/** Data capture of requests and responses: the audit trail of prompts and answers. */
export interface DataCaptureOptions {
  /**
   * Whether to capture.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Share of requests captured, 0–100.
   * @default 100
   */
  readonly samplingPercentage?: number;
  /**
   * What to capture.
   * @default CaptureMode.INPUT_AND_OUTPUT
   */
  readonly captureMode?: CaptureMode;
  /**
   * Destination bucket.
   * @default - a versioned, TLS-only bucket encrypted with the endpoint's key
   */
  readonly bucket?: s3.IBucket;
  /**
   * Key prefix in the bucket, ending with `/`.
   * @default 'endpoints/<endpointName>/'
   */
  readonly prefix?: string;
}

/** One more production variant (A/B testing), or the shadow variant. Unset fields inherit the endpoint's. */
export interface ProductionVariantOptions {
  /** Variant name, unique in the endpoint. */
  readonly variantName: string;
  /**
   * Where this variant's weights come from.
   * @default - the endpoint's model
   */
  readonly model?: ModelSource;
  /**
   * This variant's serving container.
   * @default - the endpoint's container (none for a model package)
   */
  readonly container?: ServingContainer;
  /**
   * This variant's GPU instance type.
   * @default - the endpoint's instance type
   */
  readonly instanceType?: GpuInstanceType;
  /**
   * Initial instance count of this variant.
   * @default 1
   */
  readonly instanceCount?: number;
  /**
   * Relative share of traffic (≥ 0); traffic splits in proportion to the weights of all variants.
   * Ignored for the shadow variant, which receives a copy of the primary's traffic.
   * @default 1
   */
  readonly weight?: number;
  /** Extra environment for this variant's container, applied last. @default - none */
  readonly environment?: Record<string, string>;
  /** Auto scaling of this variant. @default - fixed instance count */
  readonly autoScaling?: EndpointAutoScalingOptions;
  /** Model size, for the fit check. @default - the endpoint's `modelSize` when the model is the endpoint's */
  readonly modelSize?: ModelSize;
}

/** Props of {@link GpuInferenceEndpoint}. */
export interface GpuInferenceEndpointProps {
  /** Where the weights come from. */
  readonly model: ModelSource;

  /**
   * The serving container. A model package brings its own, so leave it out for `ModelSource.fromModelPackage`.
   * @default ServingContainer.tgi()
   */
  readonly container?: ServingContainer;

  /**
   * The GPU instance type of the primary variant.
   * @default GpuInstanceType.G5_2XLARGE (1× NVIDIA A10G, 24 GiB)
   */
  readonly instanceType?: GpuInstanceType;

  /**
   * Initial instance count of the primary variant.
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * Name of the primary variant.
   * @default 'AllTraffic'
   */
  readonly variantName?: string;

  /**
   * Traffic weight of the primary variant (see `additionalVariants`).
   * @default 1
   */
  readonly weight?: number;

  /**
   * Environment for the container, applied after the container's own (so it overrides them).
   * @default - none
   */
  readonly environment?: Record<string, string>;

  /**
   * More production variants that share the traffic by weight, e.g. a challenger model for A/B testing.
   * @default - none
   */
  readonly additionalVariants?: ProductionVariantOptions[];

  /**
   * A shadow variant that receives a copy of the primary's requests; its responses are captured, not returned.
   * SageMaker allows it only next to a single production variant.
   * @default - none
   */
  readonly shadowVariant?: ProductionVariantOptions;

  /**
   * How long SageMaker waits for the container's health check to pass (60 s – 1 h). LLMs load for minutes.
   * @default Duration.minutes(15)
   */
  readonly containerStartupHealthCheckTimeout?: Duration;

  /**
   * How long SageMaker may take to download the model data (60 s – 1 h).
   * @default Duration.minutes(20)
   */
  readonly modelDataDownloadTimeout?: Duration;

  /**
   * Request routing among instances.
   * @default RoutingStrategy.LEAST_OUTSTANDING_REQUESTS
   */
  readonly routingStrategy?: RoutingStrategy;

  /**
   * Driver/CUDA AMI of the instances.
   * @default - InferenceAmiVersion.AL2_GPU_3_1 (CUDA 12.4) on NVIDIA instances, AL2023_GPU_4_1 on Blackwell GPUs
   * (g7e, p6), AL2_NEURON_2 on Inferentia
   */
  readonly inferenceAmiVersion?: InferenceAmiVersion;

  /**
   * Size of the model: synth fails if the weights plus KV-cache headroom exceed the accelerator memory.
   * @default - no fit check
   */
  readonly modelSize?: ModelSize;

  /**
   * Auto scaling of the primary variant. `instanceCount` must lie within its range: every new endpoint
   * configuration starts the variant at `instanceCount`. SageMaker rejects an update that changes the instance type
   * of a variant registered for auto scaling: remove `autoScaling`, deploy, change the type, then add it back.
   * @default - fixed instance count
   */
  readonly autoScaling?: EndpointAutoScalingOptions;

  /**
   * Data capture of requests and responses to an encrypted bucket.
   * @default - capture 100 % of requests and responses
   */
  readonly dataCapture?: DataCaptureOptions;

  /**
   * Deployment guardrails for updates: blue/green traffic shifting with automatic rollback on alarms.
   * @default - SageMaker's default: blue/green, all at once, no alarms
   */
  readonly deployment?: EndpointDeploymentOptions;

  /**
   * The endpoint name. It must be fixed at synth time so that alarms (dimension EndpointName) and the endpoint's
   * rollback alarms do not depend on each other.
   * The endpoint's log group is named after it: a log group retained after the stack was deleted blocks a new
   * deployment of the same name, so delete it (or pick another name) before deploying again.
   * @default - a unique, deterministic name derived from the construct path
   */
  readonly endpointName?: string;

  /**
   * Customer managed key for data capture, logs and (where the instance type allows) the ML storage volume.
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * VPC of the model containers.
   * @default - a new private VPC (isolated subnets; with a NAT gateway only for Hugging Face Hub models)
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of the model containers.
   * @default - private subnets: with egress for Hugging Face Hub models, else isolated ones if the VPC has any
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the model containers.
   * @default - a new group with no inbound rules and outbound HTTPS only
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Run the containers with network isolation (no outbound calls at all).
   * @default - true, except for Hugging Face Hub models, which must download their weights
   */
  readonly networkIsolation?: boolean;

  /**
   * Retention of the endpoint's log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the log group, key and buckets this construct creates when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The fully resolved settings of one variant. */
interface ResolvedVariant {
  readonly variantName: string;
  readonly model: ModelSource;
  readonly container?: ServingContainer;
  readonly instanceType: GpuInstanceType;
  readonly instanceCount: number;
  readonly weight: number;
  readonly environment?: Record<string, string>;
  readonly autoScaling?: EndpointAutoScalingOptions;
  readonly modelSize?: ModelSize;
  readonly prop: string;
}

const MAX_ROLLBACK_ALARMS = 10;

/**
 * A real-time SageMaker endpoint that serves an LLM on GPUs, secure and production-ready by default:
 * private VPC, network isolation for S3 and registry models, a least-privilege execution role, KMS-encrypted data
 * capture and logs, LLM-sized timeouts, least-outstanding-requests routing, optional auto scaling, A/B and shadow
 * variants, and blue/green deployments that roll back on alarms.
 */
export class GpuInferenceEndpoint extends InferenceEndpointBase {
  /** Imports an existing endpoint by name. */
  public static fromEndpointAttributes(scope: Construct, id: string, attrs: InferenceEndpointAttributes): IInferenceEndpoint {
    class Import extends InferenceEndpointBase {
      public readonly endpointName = attrs.endpointName;
      public readonly endpointArn = endpointArnFor(Stack.of(scope), attrs.endpointName);
      public readonly primaryVariantName = attrs.primaryVariantName ?? 'AllTraffic';
    }
    return new Import(scope, id);
  }

  public readonly endpointName: string;
  public readonly endpointArn: string;
  public readonly primaryVariantName: string;
  /** The instance type of the primary variant. */
  public readonly instanceType: GpuInstanceType;
  /** The execution role of the models. */
  public readonly role: iam.IRole;
  /** The customer managed key. */
  public readonly encryptionKey: kms.IKey;
  /** The VPC of the model containers. */
  public readonly vpc: ec2.IVpc;
  /** The security groups of the model containers. */
  public readonly connections: ec2.Connections;
  /** The endpoint's log group (`/aws/sagemaker/Endpoints/<name>`). */
  public readonly logGroup: logs.ILogGroup;
  /** The data capture bucket, if capture is on. */
  public readonly dataCaptureBucket?: s3.IBucket;
  /** The S3 URI that data capture writes to, if capture is on. */
  public readonly dataCaptureS3Uri?: string;
  /** The auto scaling targets, by variant name. */
  public readonly scalableTargets: Record<string, appscaling.ScalableTarget> = {};
  /** The instance type of every variant (the shadow variant's included), by variant name. */
  public readonly variantInstanceTypes: Record<string, GpuInstanceType> = {};
  /** The foundation this endpoint created for itself when no VPC, key or capture bucket was given. */
  public readonly foundation?: LlmOpsFoundation;
  /** The L1 endpoint. */
  public readonly cfnEndpoint: CfnEndpoint;
  /** The L1 endpoint configuration. */
  public readonly cfnEndpointConfig: CfnEndpointConfig;
  /** The L1 models, by variant name (the shadow variant's included). */
  public readonly cfnModels: Record<string, CfnModel> = {};

  private readonly rollbackAlarms: cloudwatch.IAlarm[] = [];
  private describeAlarms?: iam.PolicyStatement;
  private readonly deploymentStrategy?: DeploymentStrategy;

  constructor(scope: Construct, id: string, props: GpuInferenceEndpointProps) {
    super(scope, id);

    // 1. Resolve and validate every prop; throw once with all problems.
    const v = new PropValidator('GpuInferenceEndpoint', this);
    this.instanceType = props.instanceType ?? GpuInstanceType.G5_2XLARGE;
    this.primaryVariantName = props.variantName ?? 'AllTraffic';
    const primary: ResolvedVariant = {
      variantName: this.primaryVariantName,
      model: props.model,
      container: props.container,
      instanceType: this.instanceType,
      instanceCount: props.instanceCount ?? 1,
      weight: props.weight ?? 1,
      autoScaling: props.autoScaling,
      modelSize: props.modelSize,
      prop: '',
    };
    const inherit = (o: ProductionVariantOptions, prop: string): ResolvedVariant => ({
      variantName: o.variantName,
      model: o.model ?? props.model,
      container: o.container ?? (o.model?.kind === ModelSourceKind.MODEL_PACKAGE ? undefined : props.container),
      instanceType: o.instanceType ?? this.instanceType,
      instanceCount: o.instanceCount ?? 1,
      weight: o.weight ?? 1,
      environment: o.environment,
      autoScaling: o.autoScaling,
      modelSize: o.modelSize ?? (o.model ? undefined : props.modelSize),
      prop,
    });
    const variants = [primary, ...(props.additionalVariants ?? []).map((o, i) => inherit(o, `additionalVariants[${i}].`))];
    const shadow = props.shadowVariant && inherit(props.shadowVariant, 'shadowVariant.');
    const all = shadow ? [...variants, shadow] : variants;
    for (const x of all) this.variantInstanceTypes[x.variantName] = x.instanceType;

    this.endpointName = props.endpointName ?? uniqueLowerName(this, 63);
    const startup = props.containerStartupHealthCheckTimeout ?? Duration.minutes(15);
    const download = props.modelDataDownloadTimeout ?? Duration.minutes(20);
    const needsInternet = all.some(x => x.model.requiresInternet);
    const capture = props.dataCapture ?? {};
    const captureOn = capture.enabled ?? true;
    this.deploymentStrategy = props.deployment?.strategy;
    this.validate(v, props, variants, shadow, startup, download, capture);
    v.throwIfInvalid();

    // 2. Encryption, network and buckets: given, or a secure foundation of our own.
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (!props.vpc || !props.encryptionKey || (captureOn && !capture.bucket)) {
      this.foundation = new LlmOpsFoundation(this, 'Foundation', {
        encryptionKey: props.encryptionKey,
        vpc: props.vpc,
        internetEgress: props.vpc ? undefined : needsInternet,
        removalPolicy,
      });
    }
    this.encryptionKey = props.encryptionKey ?? this.foundation!.encryptionKey;
    this.vpc = props.vpc ?? this.foundation!.vpc;
    if (needsInternet && !props.vpcSubnets && this.vpc.privateSubnets.length === 0) {
      v.fail('LLMOPS_HUB_NEEDS_EGRESS', 'vpc', this.vpc.node.path,
        'has no private subnets with internet egress, which a Hugging Face Hub model needs to download its weights; give a VPC with NAT, or stage the weights in S3 with ModelSource.fromBucket')
        .throwIfInvalid();
    }
    const subnets = this.vpc.selectSubnets(props.vpcSubnets ?? selectPrivateSubnets(this.vpc, needsInternet));
    const securityGroups = props.securityGroups ?? [createModelSecurityGroup(this, this.vpc)];
    this.connections = new ec2.Connections({ securityGroups });

    // 3. Execution role: every permission is a grant on one resource, in one customer managed policy.
    const role = new LeastPrivilegeRole(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker execution role of ${this.node.path}`,
    });
    this.role = role;
    grantEndpointNetworkAndMetrics(role, this.vpc);

    // 4. Logs: the endpoint's own log group, encrypted, with retention.
    this.logGroup = createEndpointLogGroup(this, {
      endpointName: this.endpointName, encryptionKey: this.encryptionKey, role, retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR, removalPolicy,
    });

    // 5. Models, one per variant.
    const modelFor = (variant: ResolvedVariant, id: string): CfnModel => {
      const built = createSageMakerModel(this, id, {
        model: variant.model,
        container: variant.container,
        role,
        instanceType: variant.instanceType,
        startupTimeout: startup,
        environment: props.environment || variant.environment ? { ...props.environment, ...variant.environment } : undefined,
        networkIsolation: props.networkIsolation ?? !variant.model.requiresInternet,
        subnetIds: subnets.subnetIds,
        securityGroupIds: securityGroups.map(sg => sg.securityGroupId),
      });
      this.cfnModels[variant.variantName] = built.cfnModel;
      return built.cfnModel;
    };
    const renderVariant = (variant: ResolvedVariant, model: CfnModel, shadowVariant: boolean): CfnEndpointConfig.ProductionVariantProperty => ({
      variantName: variant.variantName,
      modelName: model.attrModelName,
      instanceType: variant.instanceType.name,
      initialInstanceCount: variant.instanceCount,
      initialVariantWeight: shadowVariant ? undefined : variant.weight,
      containerStartupHealthCheckTimeoutInSeconds: startup.toSeconds(),
      modelDataDownloadTimeoutInSeconds: download.toSeconds(),
      routingConfig: { routingStrategy: props.routingStrategy ?? RoutingStrategy.LEAST_OUTSTANDING_REQUESTS },
      inferenceAmiVersion: (props.inferenceAmiVersion ?? defaultInferenceAmi(variant.instanceType))?.name,
    });
    const productionVariants = variants.map((x, i) => renderVariant(x, modelFor(x, i === 0 ? 'Model' : `Model${x.variantName}`), false));
    const shadowVariants = shadow ? [renderVariant(shadow, modelFor(shadow, 'ShadowModel'), true)] : undefined;

    // 6. Data capture.
    let dataCaptureConfig: CfnEndpointConfig.DataCaptureConfigProperty | undefined;
    if (captureOn) {
      const bucket = capture.bucket ?? this.foundation!.dataCaptureBucket;
      const prefix = capture.prefix ?? `endpoints/${this.endpointName}/`;
      this.dataCaptureBucket = bucket;
      this.dataCaptureS3Uri = bucket.s3UrlForObject(prefix);
      const captureKey = bucket.encryptionKey ?? this.encryptionKey;
      const objects = bucket.arnForObjects(`${prefix}*`);
      iam.Grant.addToPrincipal({ grantee: role, actions: S3_WRITE_OBJECT_ACTIONS, resourceArns: [objects] });
      iam.Grant.addToPrincipal({ grantee: role, actions: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'], resourceArns: [captureKey.keyArn] });
      acknowledgeWildcardResource(role, objects,
        `SageMaker data capture writes one object per request batch under ${prefix} of the capture bucket; the grant is limited to that prefix`);
      dataCaptureConfig = {
        enableCapture: true,
        initialSamplingPercentage: capture.samplingPercentage ?? 100,
        destinationS3Uri: this.dataCaptureS3Uri,
        kmsKeyId: captureKey.keyArn,
        captureOptions: captureModes(capture.captureMode ?? CaptureMode.INPUT_AND_OUTPUT),
        captureContentTypeHeader: { jsonContentTypes: ['application/json'] },
      };
    }

    // 7. Endpoint configuration: volume key only where every instance type accepts one.
    const volumeKey = all.every(x => x.instanceType.supportsVolumeKmsKey);
    if (volumeKey) grantVolumeKeyCreateGrant(role, this.encryptionKey);
    this.cfnEndpointConfig = new CfnEndpointConfig(this, 'EndpointConfig', {
      productionVariants,
      shadowProductionVariants: shadowVariants,
      dataCaptureConfig,
      kmsKeyId: volumeKey ? this.encryptionKey.keyArn : undefined,
    });
    if (!volumeKey) {
      const types = [...new Set(all.filter(x => !x.instanceType.supportsVolumeKmsKey).map(x => x.instanceType.name))].join(', ');
      acknowledgeNvmeVolumeKey(this.cfnEndpointConfig, types, 'Data capture and logs use the customer key.');
    }

    // 8. The endpoint, with deployment guardrails.
    for (const alarm of props.deployment?.rollbackAlarms ?? []) this.addRollbackAlarm(alarm);
    this.cfnEndpoint = new CfnEndpoint(this, 'Endpoint', {
      endpointName: this.endpointName,
      endpointConfigName: this.cfnEndpointConfig.attrEndpointConfigName,
      deploymentConfig: Lazy.any({ produce: () => this.renderDeployment(props.deployment) }),
    });
    this.cfnEndpoint.node.addDependency(this.logGroup);
    this.endpointArn = endpointArnFor(Stack.of(this), this.endpointName);
    this.node.addValidation({
      validate: () => this.rollbackAlarms.length > MAX_ROLLBACK_ALARMS
        ? [`GpuInferenceEndpoint at '${this.node.path}': deployment.rollbackAlarms has ${this.rollbackAlarms.length} alarms; SageMaker allows at most ${MAX_ROLLBACK_ALARMS} [LLMOPS_TOO_MANY_ROLLBACK_ALARMS]`]
        : [],
    });

    // 9. Auto scaling.
    for (const variant of variants) {
      if (variant.autoScaling) this.addAutoScaling(variant.variantName, variant.autoScaling);
    }
  }

  /**
   * Adds an alarm that rolls a deployment back when it fires (at most 10 per endpoint).
   * Without a `deployment` strategy, updates then shift all traffic at once and watch the alarms.
   */
  public addRollbackAlarm(alarm: cloudwatch.IAlarm): void {
    this.rollbackAlarms.push(alarm);
    // SageMaker reads the alarms' state with the execution role while it bakes a deployment: one statement, every alarm.
    if (!this.describeAlarms) {
      this.describeAlarms = new iam.PolicyStatement({ actions: CLOUDWATCH_DESCRIBE_ALARM_ACTIONS });
      this.role.addToPrincipalPolicy(this.describeAlarms);
    }
    this.describeAlarms.addResources(alarm.alarmArn);
  }

  private validate(v: PropValidator, props: GpuInferenceEndpointProps, variants: ResolvedVariant[], shadow: ResolvedVariant | undefined,
    startup: Duration, download: Duration, capture: DataCaptureOptions): void {
    if (props.endpointName !== undefined && !Token.isUnresolved(props.endpointName)) {
      v.check(SAGEMAKER_NAME.test(props.endpointName), 'LLMOPS_ENDPOINT_NAME', 'endpointName', props.endpointName,
        "is not a SageMaker endpoint name; allowed: 1-63 letters, digits and '-', starting and ending with a letter or digit");
    }
    v.range('LLMOPS_TIMEOUT_RANGE', 'containerStartupHealthCheckTimeout', startup.toSeconds(), 60, 3600, 'seconds');
    v.range('LLMOPS_TIMEOUT_RANGE', 'modelDataDownloadTimeout', download.toSeconds(), 60, 3600, 'seconds');

    const all = shadow ? [...variants, shadow] : variants;
    const names = new Set<string>();
    const checked = new Set<object>();
    for (const x of all) {
      // Sources and containers shared by several variants are validated once, under the first variant's prop.
      if (!checked.has(x.model)) {
        checked.add(x.model);
        x.model.validate(v, `${x.prop}model`);
      }
      const container = x.model.kind === ModelSourceKind.MODEL_PACKAGE ? undefined : x.container ?? DEFAULT_SERVING_CONTAINER;
      if (container && !checked.has(container)) {
        checked.add(container);
        container.validate(v, `${x.prop}container`, { scope: this, instanceType: x.instanceType });
      }
      if (!Token.isUnresolved(x.variantName)) {
        v.check(SAGEMAKER_NAME.test(x.variantName), 'LLMOPS_VARIANT_NAME', `${x.prop}variantName`, x.variantName,
          "is not a SageMaker variant name; allowed: 1-63 letters, digits and '-', starting and ending with a letter or digit");
        v.check(!names.has(x.variantName), 'LLMOPS_VARIANT_NAME_DUPLICATE', `${x.prop}variantName`, x.variantName, 'is used by another variant; variant names must be unique');
        names.add(x.variantName);
      }
      v.range('LLMOPS_INSTANCE_COUNT', `${x.prop}instanceCount`, x.instanceCount, 1, 1000);
      if (x.model.kind === ModelSourceKind.MODEL_PACKAGE) {
        v.check(x.container === undefined, 'LLMOPS_PACKAGE_HAS_CONTAINER', `${x.prop}container`, 'ServingContainer',
          'must be left out for ModelSource.fromModelPackage: a model package brings its own container');
      }
      if (x.modelSize) checkModelFits(v, `${x.prop}modelSize`, x.modelSize, x.instanceType);
      if (x.autoScaling) this.validateScaling(v, `${x.prop || ''}autoScaling`, x.autoScaling, x.instanceCount, `${x.prop}instanceCount`);
    }
    if (props.networkIsolation === true && all.some(x => x.model.requiresInternet)) {
      v.fail('LLMOPS_ISOLATION_BLOCKS_HUB', 'networkIsolation', true,
        'cannot be true for a Hugging Face Hub model, which downloads its weights at start-up; stage the weights in S3 with ModelSource.fromBucket instead');
    }
    for (const x of variants) {
      if (!Token.isUnresolved(x.weight)) {
        v.check(Number.isFinite(x.weight) && x.weight >= 0, 'LLMOPS_VARIANT_WEIGHT', `${x.prop || ''}weight`, x.weight,
          'is negative; allowed: a weight ≥ 0 (traffic splits in proportion to the weights)');
      }
    }
    if (variants.every(x => !Token.isUnresolved(x.weight) && x.weight === 0)) {
      v.fail('LLMOPS_VARIANT_WEIGHTS_ZERO', variants.length > 1 ? 'weight, additionalVariants[*].weight' : 'weight', variants.map(x => x.weight),
        'are all zero, so no variant would receive traffic; give at least one variant a weight > 0');
    }
    if (shadow && variants.length > 1) {
      v.fail('LLMOPS_SHADOW_WITH_AB', 'shadowVariant', shadow.variantName,
        `cannot be combined with additionalVariants (${variants.length} production variants); SageMaker allows a shadow variant only next to one production variant`);
    }
    const capturePct = capture.samplingPercentage;
    v.range('LLMOPS_SAMPLING_RANGE', 'dataCapture.samplingPercentage', capturePct, 0, 100, '%');
    if (capture.prefix !== undefined && !Token.isUnresolved(capture.prefix)) {
      v.check(capture.prefix.endsWith('/') && !capture.prefix.startsWith('/'), 'LLMOPS_CAPTURE_PREFIX', 'dataCapture.prefix', capture.prefix,
        "is not a key prefix; allowed: a prefix without a leading '/' that ends with '/'");
    }
    if (capture.enabled === false) {
      for (const k of ['samplingPercentage', 'bucket', 'prefix', 'captureMode'] as const) {
        v.check(capture[k] === undefined, 'LLMOPS_CAPTURE_OPTION_IGNORED', `dataCapture.${k}`, k === 'bucket' ? 'IBucket' : capture[k],
          'has no effect while dataCapture.enabled is false; remove it or enable capture');
      }
    }
    if (props.deployment) {
      const d = props.deployment;
      d.strategy.validate(v, 'deployment');
      if (d.strategy.type !== TrafficShiftType.ALL_AT_ONCE) {
        for (const x of variants) {
          const smallest = x.autoScaling && !Token.isUnresolved(x.autoScaling.minCapacity) ? Math.min(x.autoScaling.minCapacity, x.instanceCount) : x.instanceCount;
          if (Token.isUnresolved(smallest)) continue;
          v.check(smallest >= 2, 'LLMOPS_DEPLOYMENT_NEEDS_CAPACITY', `${x.prop}${x.autoScaling ? 'autoScaling.minCapacity' : 'instanceCount'}`, smallest,
            `is too small for a ${d.strategy.type.toLowerCase()} deployment: SageMaker shifts at most half of a variant's instances per step; use 2 or more instances, or DeploymentStrategy.allAtOnce()`);
        }
      }
      v.check((d.rollbackAlarms?.length ?? 0) <= MAX_ROLLBACK_ALARMS, 'LLMOPS_TOO_MANY_ROLLBACK_ALARMS', 'deployment.rollbackAlarms',
        `${d.rollbackAlarms?.length} alarms`, `exceeds SageMaker's limit; allowed: at most ${MAX_ROLLBACK_ALARMS}`);
      if (d.terminationWait) v.range('LLMOPS_DEPLOYMENT_WAIT', 'deployment.terminationWait', d.terminationWait.toSeconds(), 0, 3600, 'seconds');
      if (d.maximumExecutionTimeout) {
        const max = d.maximumExecutionTimeout.toSeconds();
        if (v.range('LLMOPS_DEPLOYMENT_TIMEOUT', 'deployment.maximumExecutionTimeout', max, 600, 28800, 'seconds') && !Token.isUnresolved(d.strategy.wait.toSeconds())) {
          const waits = d.strategy.wait.toSeconds() + (d.terminationWait?.toSeconds() ?? 0);
          v.check(max > waits, 'LLMOPS_DEPLOYMENT_TIMEOUT', 'deployment.maximumExecutionTimeout', `${max} seconds`,
            `must exceed the strategy wait plus terminationWait (${waits} seconds)`);
        }
      }
    }
    props.inferenceAmiVersion?.validate(v, 'inferenceAmiVersion');
  }

  private validateScaling(v: PropValidator, prop: string, s: EndpointAutoScalingOptions, instanceCount: number, countProp: string): void {
    let minOk = false;
    if (!Token.isUnresolved(s.minCapacity) && s.minCapacity === 0) {
      v.fail('LLMOPS_SCALE_TO_ZERO_CLASSIC', `${prop}.minCapacity`, 0,
        'asks for scale to zero, which only an endpoint built on inference components supports; use InferenceComponentEndpoint with fleet.minInstances 0 and copies.min 0, or keep minCapacity at 1 or more');
    } else {
      minOk = v.range('LLMOPS_CAPACITY_RANGE', `${prop}.minCapacity`, s.minCapacity, 1, 1000, '(real-time variants cannot scale to zero)');
    }
    const maxOk = v.range('LLMOPS_CAPACITY_RANGE', `${prop}.maxCapacity`, s.maxCapacity, 1, 1000);
    if (minOk && maxOk) {
      v.check(s.minCapacity <= s.maxCapacity, 'LLMOPS_CAPACITY_ORDER', `${prop}.minCapacity`, s.minCapacity,
        `is greater than ${prop}.maxCapacity (${s.maxCapacity}); allowed: minCapacity ≤ maxCapacity`);
      if (s.minCapacity <= s.maxCapacity && !Token.isUnresolved(instanceCount)) {
        v.check(instanceCount >= s.minCapacity && instanceCount <= s.maxCapacity, 'LLMOPS_INSTANCE_COUNT_SCALING', countProp, instanceCount,
          `is outside ${prop} (${s.minCapacity}-${s.maxCapacity}); every deployment starts the variant at instanceCount, so keep it within the scaling range`);
      }
    }
    v.range('LLMOPS_SCALING_TARGET', `${prop}.targetConcurrentRequestsPerModel`, s.targetConcurrentRequestsPerModel, 0.1, 100_000, '', true);
    v.range('LLMOPS_SCALING_TARGET', `${prop}.targetInvocationsPerInstance`, s.targetInvocationsPerInstance, 0.1, 1_000_000, 'per minute', true);
    if (s.scaleInCooldown) v.range('LLMOPS_COOLDOWN_RANGE', `${prop}.scaleInCooldown`, s.scaleInCooldown.toSeconds(), 0, 86400, 'seconds');
    if (s.scaleOutCooldown) v.range('LLMOPS_COOLDOWN_RANGE', `${prop}.scaleOutCooldown`, s.scaleOutCooldown.toSeconds(), 0, 86400, 'seconds');
  }

  private renderDeployment(d: EndpointDeploymentOptions | undefined): CfnEndpoint.DeploymentConfigProperty | undefined {
    if (!d && this.rollbackAlarms.length === 0) return undefined;
    const strategy = this.deploymentStrategy ?? DeploymentStrategy.allAtOnce();
    return {
      blueGreenUpdatePolicy: {
        trafficRoutingConfiguration: strategy.render(),
        terminationWaitInSeconds: d?.terminationWait?.toSeconds(),
        maximumExecutionTimeoutInSeconds: d?.maximumExecutionTimeout?.toSeconds(),
      },
      autoRollbackConfiguration: this.rollbackAlarms.length > 0
        ? { alarms: this.rollbackAlarms.map(a => ({ alarmName: a.alarmName })) }
        : undefined,
    };
  }

  private addAutoScaling(variantName: string, s: EndpointAutoScalingOptions): void {
    const target = new appscaling.ScalableTarget(this, `ScalableTarget${variantName === this.primaryVariantName ? '' : variantName}`, {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      resourceId: `endpoint/${this.endpointName}/variant/${variantName}`,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      minCapacity: s.minCapacity,
      maxCapacity: s.maxCapacity,
      // Application Auto Scaling uses its service-linked role for SageMaker; naming it avoids an unused role.
      role: importSageMakerAutoScalingRole(this, `ScalingRole${variantName}`),
    });
    target.node.addDependency(this.cfnEndpoint);
    const cooldowns = { scaleInCooldown: s.scaleInCooldown ?? Duration.minutes(10), scaleOutCooldown: s.scaleOutCooldown ?? Duration.minutes(5) };
    if (s.targetConcurrentRequestsPerModel !== undefined || s.targetInvocationsPerInstance === undefined) {
      target.scaleToTrackMetric('ConcurrencyScaling', {
        predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_CONCURRENT_REQUESTS_PER_MODEL_HIGH_RESOLUTION,
        targetValue: s.targetConcurrentRequestsPerModel ?? 5,
        ...cooldowns,
      });
    }
    if (s.targetInvocationsPerInstance !== undefined) {
      target.scaleToTrackMetric('InvocationScaling', {
        predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
        targetValue: s.targetInvocationsPerInstance,
        ...cooldowns,
      });
    }
    this.scalableTargets[variantName] = target;
  }
}

function captureModes(mode: CaptureMode): CfnEndpointConfig.CaptureOptionProperty[] {
  return mode === CaptureMode.INPUT_AND_OUTPUT ? [{ captureMode: 'Input' }, { captureMode: 'Output' }] : [{ captureMode: mode }];
}
