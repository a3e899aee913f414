import { createHash } from 'crypto';
import { Duration, Lazy, RemovalPolicy, Size, SizeRoundingBehavior, Stack, Token } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CfnEndpoint, CfnEndpointConfig } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import {
  acknowledgeNvmeVolumeKey, createEndpointLogGroup, createModelSecurityGroup, createSageMakerModel, DEFAULT_SERVING_CONTAINER, defaultInferenceAmi,
  grantEndpointNetworkAndMetrics, grantVolumeKeyCreateGrant, importSageMakerAutoScalingRole,
} from './endpoint-resources';
import { GpuInstanceType } from './gpu-instance-type';
import { IInferenceComponent, InferenceComponent, InferenceComponentProps } from './inference-component';
import { endpointArnFor, InferenceEndpointBase } from './inference-endpoint';
import { checkModelFits, formatGiB, ModelSize } from './model-sizing';
import { ModelSource } from './model-source';
import { LoraAdapterOptions, ServingContainer } from './serving-container';
import { InferenceAmiVersion, RoutingStrategy } from './variant-settings';
import { LeastPrivilegeRole } from '../common/least-privilege-role';
import { PropValidator, SAGEMAKER_NAME, uniqueLowerName } from '../common/validation';
import { LlmOpsFoundation, selectPrivateSubnets } from '../foundation/llmops-foundation';
import { S3_READ_OBJECT_ACTIONS, SAGEMAKER_INVOKE_ACTIONS } from '../permissions';

/** The instances of an endpoint built on inference components, which SageMaker scales to fit the copies. */
export interface InstanceFleetOptions {
  /**
   * Fewest instances. 0 lets SageMaker release every instance once no component has a copy running (scale to zero).
   * @default 1
   */
  readonly minInstances?: number;
  /**
   * Most instances: the fleet that every component's copies must fit in.
   * @default - minInstances, and at least 1
   */
  readonly maxInstances?: number;
  /**
   * Instances at creation.
   * @default - minInstances, and at least 1 (the components' first copies need somewhere to start)
   */
  readonly initialInstances?: number;
}

/** How many copies of a model run. */
export interface CopyCountOptions {
  /** Fewest copies; 0 scales the model to zero when idle (and wakes it when a request finds no copy). */
  readonly min: number;
  /** Most copies. */
  readonly max: number;
  /**
   * Copies at creation.
   * @default - min, and at least 1
   */
  readonly initial?: number;
}

/** Copy-count auto scaling of one component. */
export interface ComponentScalingOptions {
  /**
   * Target of concurrent requests per copy, tracked on the high-resolution (10 s)
   * `SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution` metric.
   * @default 4
   */
  readonly targetConcurrentRequestsPerCopy?: number;
  /**
   * Wait after a scale-in before the next one.
   * @default Duration.minutes(5)
   */
  readonly scaleInCooldown?: Duration;
  /**
   * Wait after a scale-out before the next one.
   * @default Duration.minutes(5)
   */
  readonly scaleOutCooldown?: Duration;
}

/** A model served by an inference component. */
export interface InferenceComponentModelOptions {
  /** Where the weights come from. */
  readonly model: ModelSource;
  /**
   * The serving container.
   * @default ServingContainer.tgi()
   */
  readonly container?: ServingContainer;
  /** Accelerators (GPUs or Neuron devices) each copy reserves. */
  readonly acceleratorsPerCopy: number;
  /**
   * Size of the model, for the synth-time check that its weights (plus KV-cache headroom) fit the accelerator memory
   * of one copy.
   * @default - no fit check
   */
  readonly modelSize?: ModelSize;
  /**
   * Host memory each copy reserves.
   * @default - the copy's share of the instance's host memory: host memory × acceleratorsPerCopy ÷ accelerators, less 10 %
   */
  readonly memoryPerCopy?: Size;
  /** How many copies run. */
  readonly copies: CopyCountOptions;
  /**
   * Copy-count auto scaling, when `copies.min` and `copies.max` differ (scale to zero always scales).
   * @default - target tracking at 4 concurrent requests per copy, 5-minute cooldowns
   */
  readonly scaling?: ComponentScalingOptions;
  /**
   * Extra environment variables of the container.
   * @default - none
   */
  readonly environment?: Record<string, string>;
  /**
   * Serve LoRA adapters loaded at run time (`addAdapter` with this component as the base). Needs a container that
   * loads adapters at run time: LMI (vLLM); TGI loads them only at start-up.
   * @default - no adapters
   */
  readonly loraAdapters?: LoraAdapterOptions;
  /**
   * How long the container may take to pass its health check.
   * @default Duration.minutes(15)
   */
  readonly startupTimeout?: Duration;
  /**
   * How long SageMaker may take to download the model data.
   * @default Duration.minutes(20)
   */
  readonly downloadTimeout?: Duration;
}

/** Where a LoRA adapter's weights are: a gzip-compressed tar (`.tar.gz`) of the adapter weights and config in S3. */
export interface AdapterSource {
  /** The bucket that holds the adapter archive. */
  readonly bucket: s3.IBucket;
  /** The object key of the archive, e.g. the fine-tuning pipeline's `output/<job>/output/model.tar.gz`. */
  readonly key: string;
}

/** A LoRA adapter served by its base model's copies. */
export interface InferenceComponentAdapterOptions {
  /** The component of this endpoint whose copies load the adapter. */
  readonly base: IInferenceComponent;
  /** The adapter archive. */
  readonly adapterSource: AdapterSource;
}

/** Props of {@link InferenceComponentEndpoint}. */
export interface InferenceComponentEndpointProps {
  /**
   * The GPU instance type of the fleet.
   * @default GpuInstanceType.G5_2XLARGE
   */
  readonly instanceType?: GpuInstanceType;
  /**
   * The fleet: SageMaker adds instances when copies need room and removes them when they do not.
   * @default - one instance
   */
  readonly fleet?: InstanceFleetOptions;
  /**
   * How requests are routed to copies.
   * @default RoutingStrategy.LEAST_OUTSTANDING_REQUESTS
   */
  readonly routingStrategy?: RoutingStrategy;
  /**
   * The inference AMI of the instances.
   * @default - AL2 GPU 3.1 on NVIDIA instances, AL2023 GPU 4.1 on Blackwell GPUs, AL2 Neuron 2 on Inferentia
   */
  readonly inferenceAmiVersion?: InferenceAmiVersion;
  /**
   * The endpoint name.
   * @default - a unique, deterministic name derived from the construct path
   */
  readonly endpointName?: string;
  /**
   * Customer managed key for volumes (where the instance type accepts one) and logs.
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The VPC of the model containers.
   * @default - a new private VPC with isolated subnets
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of the model containers.
   * @default - private subnets: with egress when `internetEgress`, else isolated ones if the VPC has any
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Run the containers in subnets with a route to the internet, which a Hugging Face Hub model needs to download its
   * weights (the created VPC then gets a NAT gateway).
   * @default false - isolated subnets; addModel refuses a Hub model
   */
  readonly internetEgress?: boolean;
  /**
   * Security groups of the model containers.
   * @default - a new group with no inbound rules and outbound HTTPS only
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /**
   * Retention of the endpoint's logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the key, logs and foundation this construct creates when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The variant every component is placed on. */
const VARIANT_NAME = 'AllTraffic';

/**
 * A SageMaker endpoint built on inference components: the endpoint config carries only the instance fleet, which
 * SageMaker scales (`ManagedInstanceScaling`, down to zero instances when allowed), and each model is an
 * `AWS::SageMaker::InferenceComponent` with its own accelerators, memory and copy count, added with `addModel`.
 * LoRA adapters ride on a base model's copies (`addAdapter`), so fine-tuned variants need no GPU of their own.
 *
 * Scale to zero: a component with `copies.min: 0` scales its copies in to zero on the concurrency target, and a
 * step-scaling policy, triggered by a `NoCapacityInvocationFailures` alarm, adds one copy when a request arrives
 * while none runs. That request fails, as does every request until the copy (and, if the fleet had scaled to zero,
 * the instance) has started: several minutes for an LLM. Callers must retry, or keep `min: 1` where that is not
 * acceptable.
 *
 * Every copy must fit: the accelerators and memory of every component's copies at `copies.max` must fit in the
 * fleet at `maxInstances`, or `addModel` throws naming the component and the numbers.
 */
export class InferenceComponentEndpoint extends InferenceEndpointBase {
  public readonly endpointName: string;
  public readonly endpointArn: string;
  public readonly primaryVariantName = VARIANT_NAME;
  /** The instance type of the fleet. */
  public readonly instanceType: GpuInstanceType;
  /** The fewest and most instances of the fleet. */
  public readonly fleet: { readonly minInstances: number; readonly maxInstances: number; readonly initialInstances: number };
  /** The execution role of the endpoint and its models. */
  public readonly role: LeastPrivilegeRole;
  /** The customer managed key of volumes and logs. */
  public readonly encryptionKey: kms.IKey;
  /** The VPC of the model containers. */
  public readonly vpc: ec2.IVpc;
  /** The security groups of the model containers. */
  public readonly connections: ec2.Connections;
  /** The endpoint's log group. */
  public readonly logGroup: logs.ILogGroup;
  /** The key and VPC this construct created, if none were given. */
  public readonly foundation?: LlmOpsFoundation;
  /** The endpoint configuration resource. */
  public readonly cfnEndpointConfig: CfnEndpointConfig;
  /** The endpoint resource. */
  public readonly cfnEndpoint: CfnEndpoint;

  private readonly components: ModelComponent[] = [];
  private readonly internetEgress: boolean;
  private readonly logRetention: logs.RetentionDays;
  private readonly logRemovalPolicy: RemovalPolicy;
  private readonly subnets: ec2.SelectedSubnets;

  constructor(scope: Construct, id: string, props: InferenceComponentEndpointProps = {}) {
    super(scope, id);
    this.instanceType = props.instanceType ?? GpuInstanceType.G5_2XLARGE;
    const minInstances = props.fleet?.minInstances ?? 1;
    const maxInstances = props.fleet?.maxInstances ?? Math.max(minInstances, 1);
    const initialInstances = props.fleet?.initialInstances ?? Math.max(minInstances, 1);
    this.fleet = { minInstances, maxInstances, initialInstances };

    const v = new PropValidator('InferenceComponentEndpoint', this);
    const minOk = v.range('LLMOPS_FLEET_RANGE', 'fleet.minInstances', minInstances, 0, 1000);
    let maxOk = false;
    if (!Token.isUnresolved(maxInstances) && maxInstances === 0) {
      v.fail('LLMOPS_FLEET_EMPTY', 'fleet.maxInstances', maxInstances, 'leaves no instance for any copy; allowed: at least 1 (minInstances: 0 is what scales the fleet to zero)');
    } else {
      maxOk = v.range('LLMOPS_FLEET_RANGE', 'fleet.maxInstances', maxInstances, 1, 1000);
    }
    // Order is judged only between values that are themselves valid, so a default never draws an error of its own.
    if (minOk && maxOk) {
      v.check(minInstances <= maxInstances, 'LLMOPS_FLEET_ORDER', 'fleet.minInstances', minInstances,
        `is greater than fleet.maxInstances (${maxInstances}); allowed: minInstances ≤ maxInstances`);
      if (minInstances <= maxInstances && !Token.isUnresolved(initialInstances)) {
        v.check(initialInstances >= Math.max(minInstances, 1) && initialInstances <= maxInstances, 'LLMOPS_FLEET_ORDER', 'fleet.initialInstances', initialInstances,
          `is outside ${Math.max(minInstances, 1)}-${maxInstances}; allowed: at least 1 and at least minInstances, at most maxInstances`);
      }
    }
    if (props.endpointName !== undefined && !Token.isUnresolved(props.endpointName)) {
      v.check(SAGEMAKER_NAME.test(props.endpointName), 'LLMOPS_ENDPOINT_NAME', 'endpointName', props.endpointName,
        "is not a SageMaker endpoint name; allowed: 1-63 letters, digits and '-', starting and ending with a letter or digit");
    }
    props.inferenceAmiVersion?.validate(v, 'inferenceAmiVersion');
    v.throwIfInvalid();

    this.endpointName = props.endpointName ?? uniqueLowerName(this, 63);
    this.endpointArn = endpointArnFor(Stack.of(this), this.endpointName);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (!props.vpc || !props.encryptionKey) {
      this.foundation = new LlmOpsFoundation(this, 'Foundation', {
        encryptionKey: props.encryptionKey, vpc: props.vpc, internetEgress: props.vpc ? undefined : props.internetEgress, removalPolicy,
      });
    }
    this.encryptionKey = props.encryptionKey ?? this.foundation!.encryptionKey;
    this.vpc = props.vpc ?? this.foundation!.vpc;
    this.internetEgress = props.internetEgress ?? false;
    this.subnets = this.vpc.selectSubnets(props.vpcSubnets ?? selectPrivateSubnets(this.vpc, this.internetEgress));
    const securityGroups = props.securityGroups ?? [createModelSecurityGroup(this, this.vpc)];
    this.connections = new ec2.Connections({ securityGroups });

    this.role = new LeastPrivilegeRole(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `SageMaker execution role of ${this.node.path} and its inference components`,
    });
    grantEndpointNetworkAndMetrics(this.role, this.vpc);
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    this.logRemovalPolicy = removalPolicy;
    this.logGroup = createEndpointLogGroup(this, {
      endpointName: this.endpointName, encryptionKey: this.encryptionKey, role: this.role, retention: this.logRetention, removalPolicy,
    });

    // The fleet: no model on the variant; SageMaker places the components' copies and scales the instances.
    const volumeKey = this.instanceType.supportsVolumeKmsKey;
    if (volumeKey) grantVolumeKeyCreateGrant(this.role, this.encryptionKey);
    this.cfnEndpointConfig = new CfnEndpointConfig(this, 'EndpointConfig', {
      executionRoleArn: this.role.roleArn,
      vpcConfig: { subnets: this.subnets.subnetIds, securityGroupIds: securityGroups.map(sg => sg.securityGroupId) },
      // Isolated unless a component's model downloads its weights at start-up.
      enableNetworkIsolation: Lazy.any({ produce: () => !this.components.some(c => c.requiresInternet) }) as unknown as boolean,
      kmsKeyId: volumeKey ? this.encryptionKey.keyArn : undefined,
      productionVariants: [{
        variantName: VARIANT_NAME,
        instanceType: this.instanceType.name,
        initialInstanceCount: initialInstances,
        managedInstanceScaling: { status: 'ENABLED', minInstanceCount: minInstances, maxInstanceCount: maxInstances },
        routingConfig: { routingStrategy: props.routingStrategy ?? RoutingStrategy.LEAST_OUTSTANDING_REQUESTS },
        inferenceAmiVersion: (props.inferenceAmiVersion ?? defaultInferenceAmi(this.instanceType))?.name,
      }],
    });
    if (this.role.grantsPolicy) this.cfnEndpointConfig.node.addDependency(this.role);
    if (!volumeKey) acknowledgeNvmeVolumeKey(this.cfnEndpointConfig, this.instanceType.name, 'Logs use the customer key.');
    this.cfnEndpoint = new CfnEndpoint(this, 'Endpoint', {
      endpointName: this.endpointName,
      endpointConfigName: this.cfnEndpointConfig.attrEndpointConfigName,
    });
    this.cfnEndpoint.node.addDependency(this.logGroup);
    if (minInstances === 0) {
      this.node.addValidation({
        validate: () => {
          const models = this.components.filter(c => c.base === undefined);
          const kept = models.filter(c => !c.scalesToZero).map(c => `'${c.node.id}'`);
          if (models.length > 0 && kept.length === 0) return [];
          const why = kept.length > 0 ? `${kept.join(', ')} keep at least one copy` : 'no model component was added';
          return [`InferenceComponentEndpoint at '${this.node.path}': fleet.minInstances 0 needs copies.min 0 on every model component, since the fleet scales to zero only when no copy runs; ${why} [LLMOPS_FLEET_NEVER_ZERO]`];
        },
      });
    }
  }

  /**
   * Grants `sagemaker:InvokeEndpoint` and `InvokeEndpointWithResponseStream` on this endpoint and on every inference
   * component added so far (callers must name a component). Prefer the component's own `grantInvoke`, which covers
   * exactly that component, and components added later.
   */
  public override grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee, actions: SAGEMAKER_INVOKE_ACTIONS, resourceArns: [this.endpointArn, ...this.components.map(c => c.inferenceComponentArn)],
    });
  }

  /** The inference components of the endpoint, models and adapters, in the order they were added. */
  public get inferenceComponents(): InferenceComponent[] {
    return [...this.components];
  }

  /**
   * Adds a model as an inference component with its own accelerators, memory and copy count.
   * @throws LlmOpsValidationError when the options are invalid or the copies no longer fit the fleet
   */
  public addModel(id: string, options: InferenceComponentModelOptions): InferenceComponent {
    const where = `InferenceComponentEndpoint at '${this.node.path}', addModel('${id}')`;
    const v = new PropValidator(where);
    const spec = this.instanceType.spec;
    const perInstance = spec?.acceleratorCount;
    const c = options.copies;
    const initial = c.initial ?? Math.max(c.min, 1);
    for (const child of [id, `${id}Model`]) {
      v.check(this.node.tryFindChild(child) === undefined, 'LLMOPS_COMPONENT_ID', 'id', id,
        `clashes with the child '${child}' of the endpoint; allowed: an id no other component or part of the endpoint uses`);
    }
    const acceleratorsOk = v.range('LLMOPS_COMPONENT_ACCELERATORS', 'acceleratorsPerCopy', options.acceleratorsPerCopy, 1, perInstance ?? 64,
      perInstance !== undefined ? `(a copy runs on one ${this.instanceType.name}, which has ${perInstance})` : '');
    // The default is the copy's share of host memory, computed only from a valid accelerator count.
    const memoryMiB = options.memoryPerCopy?.toMebibytes({ rounding: SizeRoundingBehavior.FLOOR })
      ?? (spec && acceleratorsOk ? Math.floor(spec.hostMemoryGiB * 1024 * options.acceleratorsPerCopy / spec.acceleratorCount * 0.9) : undefined);
    if (options.model.requiresInternet && !this.internetEgress) {
      v.fail('LLMOPS_HUB_NEEDS_EGRESS', 'model', options.model.kind,
        `downloads its weights from the Hugging Face Hub, but the endpoint runs in subnets without internet egress; create the endpoint with internetEgress: true (and a VPC with NAT), or stage the weights in S3 with ModelSource.fromBucket`);
    }
    if (memoryMiB !== undefined && (options.memoryPerCopy !== undefined || acceleratorsOk)) {
      v.range('LLMOPS_COMPONENT_MEMORY', 'memoryPerCopy', memoryMiB, 128, spec ? spec.hostMemoryGiB * 1024 : 4_000_000, 'MiB');
    }
    const minOk = v.range('LLMOPS_COPY_RANGE', 'copies.min', c.min, 0, 1000);
    const maxOk = v.range('LLMOPS_COPY_RANGE', 'copies.max', c.max, 1, 1000);
    if (minOk && maxOk) {
      v.check(c.min <= c.max, 'LLMOPS_COPY_ORDER', 'copies.min', c.min, `is greater than copies.max (${c.max}); allowed: min ≤ max`);
      if (c.min <= c.max && !Token.isUnresolved(initial)) {
        v.check(initial >= Math.max(c.min, 1) && initial <= c.max, 'LLMOPS_COPY_ORDER', 'copies.initial', initial,
          `is outside ${Math.max(c.min, 1)}-${c.max}; allowed: at least 1 and at least min, at most max`);
      }
    }
    const s = options.scaling;
    if (s !== undefined && minOk && maxOk && c.min === c.max && c.min > 0) {
      v.fail('LLMOPS_SCALING_UNUSED', 'scaling', s, `has no effect with a fixed copy count (copies.min = copies.max = ${c.max}); give copies a range, or remove it`);
    }
    v.range('LLMOPS_SCALING_TARGET', 'scaling.targetConcurrentRequestsPerCopy', s?.targetConcurrentRequestsPerCopy, 0.1, 100_000, '', true);
    if (s?.scaleInCooldown) v.range('LLMOPS_COOLDOWN_RANGE', 'scaling.scaleInCooldown', s.scaleInCooldown.toSeconds(), 0, 86400, 'seconds');
    if (s?.scaleOutCooldown) v.range('LLMOPS_COOLDOWN_RANGE', 'scaling.scaleOutCooldown', s.scaleOutCooldown.toSeconds(), 0, 86400, 'seconds');
    const startup = options.startupTimeout ?? Duration.minutes(15);
    const download = options.downloadTimeout ?? Duration.minutes(20);
    v.range('LLMOPS_TIMEOUT_RANGE', 'startupTimeout', startup.toSeconds(), 60, 3600, 'seconds');
    v.range('LLMOPS_TIMEOUT_RANGE', 'downloadTimeout', download.toSeconds(), 60, 3600, 'seconds');
    options.model.validate(v, 'model');
    if (options.modelSize) this.checkModelFitsCopy(v, options.modelSize, options.acceleratorsPerCopy);
    const container = options.container ?? DEFAULT_SERVING_CONTAINER;
    if (options.loraAdapters) {
      v.check(container.supportsRuntimeAdapters, 'LLMOPS_ADAPTER_CONTAINER', 'loraAdapters', options.loraAdapters,
        'needs a container that loads LoRA adapters at run time; TGI loads them only at start-up: use ServingContainer.lmi()');
      v.range('LLMOPS_ADAPTER_RANGE', 'loraAdapters.maxAdapters', options.loraAdapters.maxAdapters, 1, 1000);
      v.range('LLMOPS_ADAPTER_RANGE', 'loraAdapters.maxRank', options.loraAdapters.maxRank, 1, 1024);
    }
    if (!v.hasProblems && memoryMiB !== undefined) this.checkFit(v, id, options.acceleratorsPerCopy, memoryMiB, c.max);
    v.throwIfInvalid();

    const built = createSageMakerModel(this, `${id}Model`, {
      model: options.model,
      container: options.container,
      role: this.role,
      instanceType: this.instanceType,
      startupTimeout: startup,
      environment: options.environment,
      networkIsolation: !options.model.requiresInternet,
      subnetIds: this.subnets.subnetIds,
      securityGroupIds: this.connections.securityGroups.map(sg => sg.securityGroupId),
      acceleratorsPerCopy: options.acceleratorsPerCopy,
      loraAdapters: options.loraAdapters,
    });
    const component = new ModelComponent(this, id, {
      endpoint: this,
      inferenceComponentName: this.componentName(id),
      variantName: VARIANT_NAME,
      cfnModel: built.cfnModel,
      copies: { min: c.min, max: c.max },
      copyCount: initial,
      acceleratorsPerCopy: options.acceleratorsPerCopy,
      memoryPerCopyMiB: memoryMiB,
      requiresInternet: options.model.requiresInternet,
      servesAdapters: options.loraAdapters !== undefined,
      specification: {
        modelName: built.cfnModel.attrModelName,
        computeResourceRequirements: { numberOfAcceleratorDevicesRequired: options.acceleratorsPerCopy, minMemoryRequiredInMb: memoryMiB },
        startupParameters: {
          containerStartupHealthCheckTimeoutInSeconds: startup.toSeconds(),
          modelDataDownloadTimeoutInSeconds: download.toSeconds(),
        },
      },
    });
    component.cfnInferenceComponent.node.addDependency(this.cfnEndpoint);
    // The containers of a component log to a group of their own, which exists (encrypted, with retention) first.
    component.logGroup = createEndpointLogGroup(component, {
      endpointName: component.inferenceComponentName, logGroupPrefix: '/aws/sagemaker/InferenceComponents/',
      encryptionKey: this.encryptionKey, role: this.role, retention: this.logRetention, removalPolicy: this.logRemovalPolicy,
    });
    component.cfnInferenceComponent.node.addDependency(component.logGroup);
    this.components.push(component);
    if (c.min !== c.max || c.min === 0) this.addCopyScaling(component, options.scaling ?? {});
    return component;
  }

  /**
   * Adds a LoRA adapter that runs in the copies of `base` (a model component of this endpoint): no accelerators,
   * memory or copies of its own. Invoke it with its own `inferenceComponentName`.
   * @throws LlmOpsValidationError when `base` is not a model component of this endpoint, or the key is empty
   */
  public addAdapter(id: string, options: InferenceComponentAdapterOptions): InferenceComponent {
    const v = new PropValidator(`InferenceComponentEndpoint at '${this.node.path}', addAdapter('${id}')`);
    const base = options.base;
    const ours = base instanceof ModelComponent && this.components.includes(base);
    v.check(ours, 'LLMOPS_ADAPTER_BASE', 'base', base.node.path,
      `is not an inference component of this endpoint; allowed: a component returned by addModel on '${this.node.path}'`);
    if (ours) {
      v.check(base.base === undefined, 'LLMOPS_ADAPTER_BASE', 'base', base.node.path,
        'is itself an adapter; allowed: a model component (adapters load into the copies of a base model)');
      v.check(base.base !== undefined || (base as ModelComponent).servesAdapters, 'LLMOPS_ADAPTER_BASE', 'base', base.node.path,
        'was added without loraAdapters, so its container does not load adapters; pass loraAdapters to addModel for the base');
    }
    const { bucket, key } = options.adapterSource;
    if (!Token.isUnresolved(key)) {
      v.check(/\.tar\.gz$/.test(key) && key.trim() === key, 'LLMOPS_ADAPTER_KEY', 'adapterSource.key', key,
        'is not the key of an adapter archive; allowed: a gzip-compressed tar ending in .tar.gz (SageMaker loads nothing else), e.g. output/<job>/output/model.tar.gz');
    }
    v.throwIfInvalid();

    const baseComponent = base as InferenceComponent;
    iam.Grant.addToPrincipal({ grantee: this.role, actions: S3_READ_OBJECT_ACTIONS, resourceArns: [bucket.arnForObjects(key)] });
    bucket.encryptionKey?.grantDecrypt(this.role);
    const adapter = new ModelComponent(this, id, {
      endpoint: this,
      inferenceComponentName: this.componentName(id),
      base: baseComponent,
      requiresInternet: false,
      servesAdapters: false,
      specification: {
        baseInferenceComponentName: baseComponent.inferenceComponentName,
        container: { artifactUrl: bucket.s3UrlForObject(key) },
      },
    });
    adapter.cfnInferenceComponent.node.addDependency(baseComponent.cfnInferenceComponent);
    // A request to the adapter of a base at zero copies fails under the adapter's name; it must wake the base too.
    const baseWake = (baseComponent as ModelComponent).wakeAction;
    if (baseWake) addWakeAlarm(adapter, baseComponent, baseWake);
    this.components.push(adapter);
    return adapter;
  }

  /** The copies of every component at `copies.max`, plus these, must fit the fleet at `maxInstances`. */
  private checkFit(v: PropValidator, id: string, accelerators: number, memoryMiB: number, maxCopies: number): void {
    const spec = this.instanceType.spec;
    const maxInstances = this.fleet.maxInstances;
    if (!spec || [accelerators, memoryMiB, maxCopies, maxInstances].some(x => Token.isUnresolved(x))) return;
    const models = this.components.filter(x => x.copies !== undefined);
    const others = (f: (x: InferenceComponent) => number) => models.reduce((sum, x) => sum + f(x), 0);
    const otherNames = models.map(x => `'${x.node.id}'`).join(', ');
    const usedAcc = others(x => (x.acceleratorsPerCopy ?? 0) * x.copies!.max);
    const usedMem = others(x => (x.memoryPerCopyMiB ?? 0) * x.copies!.max);
    const fleetAcc = spec.acceleratorCount * maxInstances;
    const fleetMem = Math.floor(spec.hostMemoryGiB * 1024) * maxInstances;
    const fleet = `${this.instanceType.name}: ${spec.acceleratorCount} accelerators and ${spec.hostMemoryGiB} GiB per instance × fleet.maxInstances ${maxInstances}`;
    const also = otherNames ? `, plus ${usedAcc} reserved by ${otherNames}` : '';
    v.check(usedAcc + accelerators * maxCopies <= fleetAcc, 'LLMOPS_COMPONENTS_DO_NOT_FIT', `${id}: acceleratorsPerCopy × copies.max`,
      `${accelerators} × ${maxCopies} = ${accelerators * maxCopies}`,
      `accelerators${also}, exceed the fleet's ${fleetAcc} (${fleet}); lower copies.max or raise fleet.maxInstances`);
    const alsoMem = otherNames ? `, plus ${usedMem} MiB reserved by ${otherNames}` : '';
    v.check(usedMem + memoryMiB * maxCopies <= fleetMem, 'LLMOPS_COMPONENTS_DO_NOT_FIT', `${id}: memoryPerCopy × copies.max`,
      `${memoryMiB} MiB × ${maxCopies} = ${memoryMiB * maxCopies} MiB`,
      `of host memory${alsoMem}, exceeds the fleet's ${fleetMem} MiB (${fleet}); lower memoryPerCopy or copies.max, or raise fleet.maxInstances`);
  }

  /** The model's weights plus KV-cache headroom must fit the accelerator memory a copy reserves. */
  private checkModelFitsCopy(v: PropValidator, size: ModelSize, accelerators: number): void {
    const perAccelerator = this.instanceType.spec?.memoryPerAcceleratorMiB;
    const headroom = size.kvCacheHeadroom ?? 0.2;
    if (perAccelerator === undefined || [accelerators, size.parametersBillions, size.bytesPerParameter, headroom].some(x => Token.isUnresolved(x))) return;
    const copy = perAccelerator * accelerators;
    checkModelFits(v, 'modelSize', size, this.instanceType, {
      availableMiB: copy,
      shortfall: `a copy reserves acceleratorsPerCopy ${accelerators} × ${formatGiB(perAccelerator)} GiB = ${formatGiB(copy)} GiB on ${this.instanceType.name}; raise acceleratorsPerCopy or pick a larger instance type`,
    });
  }

  /** Copy-count scaling: target tracking on concurrency; from zero, a step policy woken by the no-capacity alarm. */
  private addCopyScaling(component: ModelComponent, s: ComponentScalingOptions): void {
    const target = new appscaling.ScalableTarget(component, 'ScalableTarget', {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      resourceId: `inference-component/${component.inferenceComponentName}`,
      scalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      minCapacity: component.copies!.min,
      maxCapacity: component.copies!.max,
      // Application Auto Scaling uses its service-linked role for SageMaker; naming it avoids an unused role.
      role: importSageMakerAutoScalingRole(component, 'ScalingRole'),
    });
    target.node.addDependency(component.cfnInferenceComponent);
    target.scaleToTrackMetric('ConcurrencyScaling', {
      predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_CONCURRENT_REQUESTS_PER_COPY_HIGH_RESOLUTION,
      targetValue: s.targetConcurrentRequestsPerCopy ?? 4,
      scaleInCooldown: s.scaleInCooldown ?? Duration.minutes(5),
      scaleOutCooldown: s.scaleOutCooldown ?? Duration.minutes(5),
    });
    component.scalableTarget = target;
    if (component.scalesToZero) {
      // Target tracking cannot scale out from zero copies (there is no per-copy metric): a request that finds no
      // copy fails, the alarm fires, and the step policy adds one copy.
      const wake = new appscaling.StepScalingAction(component, 'WakeFromZero', {
        scalingTarget: target,
        adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
        cooldown: Duration.minutes(1),
      });
      wake.addAdjustment({ lowerBound: 0, adjustment: 1 });
      component.wakeAction = wake;
      addWakeAlarm(component, component, wake);
    }
  }

  /**
   * A deterministic component name (at most 63 characters): the endpoint's unique name, a readable slug of the id and
   * a hash of the id, so two ids never share a name (`Chat` and `chat`, or ids that differ past the slug).
   */
  private componentName(id: string): string {
    const name = uniqueLowerName(this, 40).replace(/-+$/, '');
    const slug = id.replace(/[^a-zA-Z0-9]/g, '').toLowerCase().slice(0, 12) || 'component';
    const hash = createHash('sha256').update(id).digest('hex').slice(0, 8);
    return `${name}-${slug}-${hash}`;
  }
}

/**
 * Adds the alarm that wakes `base` from zero copies when a request to `target` (the base or one of its adapters) found no
 * copy: `NoCapacityInvocationFailures` ≥ 1 in one minute (AWS's example uses `>`, which one failed request never trips).
 */
function addWakeAlarm(target: InferenceComponent, base: InferenceComponent, wake: appscaling.StepScalingAction): void {
  const alarm = new cloudwatch.Alarm(target, 'NoCapacityAlarm', {
    alarmDescription: `A request to ${target.node.path} found no copy running; adds one copy of ${base.node.path} (scale from zero)`,
    metric: target.metricNoCapacityInvocationFailures({ period: Duration.minutes(1) }),
    threshold: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  alarm.addAlarmAction(new cloudwatchActions.ApplicationScalingAction(wake));
}

/** The props of a component this endpoint creates. */
interface ModelComponentProps extends InferenceComponentProps {
  /** Whether the component's model downloads its weights at start-up. */
  readonly requiresInternet: boolean;
  /** Whether the component's container loads LoRA adapters at run time. */
  readonly servesAdapters: boolean;
}

/** An inference component this endpoint created: it knows whether its model needs the internet, and its wake action. */
class ModelComponent extends InferenceComponent {
  /** Whether the component's model downloads its weights at start-up (the endpoint then cannot be isolated). */
  public readonly requiresInternet: boolean;
  /** Whether the component's container loads LoRA adapters at run time. */
  public readonly servesAdapters: boolean;
  /** The step-scaling policy that adds a copy from zero, if the component scales to zero. */
  public wakeAction?: appscaling.StepScalingAction;

  constructor(scope: Construct, id: string, props: ModelComponentProps) {
    super(scope, id, props);
    this.requiresInternet = props.requiresInternet;
    this.servesAdapters = props.servesAdapters;
  }
}
