import { Aws, CfnMapping, Duration, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { DLC_ACCOUNTS } from './dlc-accounts';
import { AcceleratorKind } from './gpu-catalogue';
import { GpuInstanceType } from './gpu-instance-type';
import { ModelSourceConfig } from './model-source';
import { PropValidator } from '../common/validation';
import { ECR_PULL_ACTIONS } from '../permissions';

/** What the endpoint tells a container when it binds it. */
export interface ServingContainerBindOptions {
  /** The execution role; granted the image pull. */
  readonly role: iam.IGrantable;
  /** The instance type the container runs on (sets the GPU count and tensor parallelism). */
  readonly instanceType: GpuInstanceType;
  /** The bound model source. */
  readonly model: ModelSourceConfig;
  /** The container start-up health check timeout of the variant (LMI waits as long for the model to load). */
  readonly startupTimeout: Duration;
  /**
   * The accelerators one copy of the model gets (an inference component's reservation).
   * @default - every accelerator of the instance
   */
  readonly acceleratorsPerCopy?: number;
  /**
   * Serve LoRA adapters loaded at run time, as inference components on this model.
   * @default - no adapters
   */
  readonly loraAdapters?: LoraAdapterOptions;
}

/** How many LoRA adapters a model serves, and how large. */
export interface LoraAdapterOptions {
  /**
   * Adapters held on the GPU at once.
   * @default 4
   */
  readonly maxAdapters?: number;
  /**
   * The largest adapter rank.
   * @default 64
   */
  readonly maxRank?: number;
}

/** A bound serving container: its image and environment. */
export interface ServingContainerConfig {
  /** The image URI (may contain tokens). */
  readonly image: string;
  /** The environment the container needs for this model and instance type. */
  readonly environment: Record<string, string>;
  /** Whether the image is pulled from ECR with the execution role (which then needs `ecr:GetAuthorizationToken`). */
  readonly pullsFromEcr: boolean;
}

/** Options shared by every serving container. */
export interface ServingContainerOptions {
  /**
   * Extra environment variables. They override the ones the container derives.
   * @default - none
   */
  readonly environment?: Record<string, string>;
}

/** Options for {@link ServingContainer.tgi}. */
export interface TgiOptions extends ServingContainerOptions {
  /**
   * The image tag of `huggingface-pytorch-tgi-inference`.
   * @default ServingContainer.TGI_DEFAULT_TAG
   */
  readonly version?: string;
  /**
   * Maximum prompt length in tokens (`MAX_INPUT_TOKENS`).
   * @default 4096
   */
  readonly maxInputTokens?: number;
  /**
   * Maximum prompt plus generated tokens per request (`MAX_TOTAL_TOKENS`); must exceed `maxInputTokens`.
   * @default 8192
   */
  readonly maxTotalTokens?: number;
}

/** Options for {@link ServingContainer.lmi}. */
export interface LmiOptions extends ServingContainerOptions {
  /**
   * The image tag of `djl-inference`.
   * @default ServingContainer.LMI_DEFAULT_TAG
   */
  readonly version?: string;
  /**
   * Maximum model context length in tokens (`OPTION_MAX_MODEL_LEN`).
   * @default - the model's own maximum
   */
  readonly maxModelLen?: number;
  /**
   * Maximum number of sequences in a rolling batch (`OPTION_MAX_ROLLING_BATCH_SIZE`).
   * @default - the container's default (256)
   */
  readonly maxRollingBatchSize?: number;
}

/** The repository of the Hugging Face TGI deep learning container. */
const TGI_REPOSITORY = 'huggingface-pytorch-tgi-inference';
/** The repository of the LMI (DJL serving) deep learning container. */
const LMI_REPOSITORY = 'djl-inference';

/**
 * The container that serves the model: a Hugging Face TGI or LMI (vLLM) deep learning container,
 * or your own image.
 */
export abstract class ServingContainer {
  /**
   * Whether the container loads LoRA adapters at run time (adapter inference components). LMI (vLLM) does; TGI loads
   * adapters only at start-up. Your own image is taken at its word.
   */
  public get supportsRuntimeAdapters(): boolean {
    return true;
  }

  /** The default TGI image tag (TGI 3.3.6, CUDA 12.4). */
  public static readonly TGI_DEFAULT_TAG = '2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04';
  /** The default LMI image tag (LMI 15, vLLM backend, CUDA 12.8). */
  public static readonly LMI_DEFAULT_TAG = '0.33.0-lmi15.0.0-cu128';

  /**
   * Hugging Face Text Generation Inference, from the AWS deep learning container registry of the stack's region
   * (a CfnMapping when the region is unresolved).
   *
   * Sets `HF_MODEL_ID`, `HF_MODEL_REVISION`, `HF_TOKEN`, `SM_NUM_GPUS` (the instance's GPU count, so TGI shards
   * over every GPU), `MAX_INPUT_TOKENS` and `MAX_TOTAL_TOKENS`. NVIDIA instances only.
   */
  public static tgi(options: TgiOptions = {}): ServingContainer {
    return new TgiContainer(options);
  }

  /**
   * Large Model Inference (DJL serving) with the vLLM rolling-batch backend, from the AWS deep learning container
   * registry of the stack's region.
   *
   * Sets `HF_MODEL_ID`, `OPTION_REVISION`, `HF_TOKEN`, `OPTION_ROLLING_BATCH=vllm`,
   * `OPTION_TENSOR_PARALLEL_DEGREE` (the instance's GPU count), `OPTION_MODEL_LOADING_TIMEOUT` (the variant's
   * start-up timeout) and the optional length limits. NVIDIA instances only.
   */
  public static lmi(options: LmiOptions = {}): ServingContainer {
    return new LmiContainer(options);
  }

  /**
   * Your own image in an ECR repository; the execution role may pull from exactly that repository
   * (plus `ecr:GetAuthorizationToken`, which has no resource-level permissions).
   * The model is passed as `HF_MODEL_ID` (and `HF_MODEL_REVISION` / `HF_TOKEN` when set).
   */
  public static fromEcrRepository(repository: ecr.IRepository, tag: string, options: ServingContainerOptions = {}): ServingContainer {
    return new CustomContainer(repository.repositoryUriForTag(tag), options, repository);
  }

  /**
   * Any image URI. No pull permission is granted: the image must be readable by SageMaker without it (or grant
   * it yourself). The model is passed as `HF_MODEL_ID` (and `HF_MODEL_REVISION` / `HF_TOKEN` when set).
   */
  public static fromImageUri(imageUri: string, options: ServingContainerOptions = {}): ServingContainer {
    return new CustomContainer(imageUri, options);
  }

  /**
   * Records every problem with the container on this instance type in `v`, naming `prop` (e.g. `container`).
   * Unresolved tokens pass.
   */
  public validate(_v: PropValidator, _prop: string, _options: ServingContainerValidateOptions): void {}

  /**
   * Validates the container for the instance, grants the image pull and returns image and environment.
   * @throws LlmOpsValidationError if the container cannot serve on the instance type
   */
  public bind(scope: IConstruct, options: ServingContainerBindOptions): ServingContainerConfig {
    const v = new PropValidator('ServingContainer', scope);
    this.validate(v, 'container', { scope, instanceType: options.instanceType });
    v.throwIfInvalid();
    return this.bindValid(scope, options);
  }

  /** Grants and settings of a container that has been validated. */
  protected abstract bindValid(scope: IConstruct, options: ServingContainerBindOptions): ServingContainerConfig;
}

/** What a container is validated against. */
export interface ServingContainerValidateOptions {
  /** The construct that uses the container (its stack's region selects the image registry). */
  readonly scope: IConstruct;
  /** The instance type the container runs on. */
  readonly instanceType: GpuInstanceType;
}

/**
 * The account of the AWS deep learning container registry in the scope's region: a literal when the region is
 * known, else `Fn::FindInMap` on one `LlmOpsDlcAccounts` mapping per stack.
 */
export function dlcAccount(scope: IConstruct): string {
  const stack = Stack.of(scope);
  if (!Token.isUnresolved(stack.region)) {
    const v = new PropValidator('ServingContainer', scope);
    validateDlcRegion(v, scope);
    v.throwIfInvalid();
    return DLC_ACCOUNTS[stack.region];
  }
  const id = 'LlmOpsDlcAccounts';
  const mapping = (stack.node.tryFindChild(id) as CfnMapping | undefined)
    ?? new CfnMapping(stack, id, { mapping: Object.fromEntries(Object.entries(DLC_ACCOUNTS).map(([r, a]) => [r, { account: a }])) });
  return mapping.findInMap(Aws.REGION, 'account');
}

/**
 * The URI of an AWS deep learning container image in the scope's region, and the ARN of its repository (to grant
 * pulls on). The registry account comes from {@link dlcAccount}.
 */
export function dlcImage(scope: IConstruct, repository: string, tag: string): { imageUri: string; repositoryArn: string } {
  const stack = Stack.of(scope);
  const account = dlcAccount(scope);
  return {
    imageUri: `${account}.dkr.ecr.${stack.region}.${stack.urlSuffix}/${repository}:${tag}`,
    repositoryArn: stack.formatArn({ service: 'ecr', account, resource: 'repository', resourceName: repository }),
  };
}

/** The TGI serving image in the scope's region (for model packages registered by a fine-tuning pipeline). */
export function tgiImageUri(scope: IConstruct, tag: string = ServingContainer.TGI_DEFAULT_TAG): string {
  return dlcImage(scope, TGI_REPOSITORY, tag).imageUri;
}

/** Records a problem if the scope's stack is in a known region that has no deep learning container registry. */
function validateDlcRegion(v: PropValidator, scope: IConstruct): void {
  const region = Stack.of(scope).region;
  if (Token.isUnresolved(region) || DLC_ACCOUNTS[region]) return;
  v.fail('LLMOPS_DLC_REGION', 'stack region', region,
    `has no AWS deep learning container registry in the shipped map; use ServingContainer.fromEcrRepository or fromImageUri, or deploy to one of ${Object.keys(DLC_ACCOUNTS).join(', ')}`);
}

abstract class DlcContainer extends ServingContainer {
  protected abstract readonly repository: string;
  protected abstract readonly kindName: string;

  constructor(protected readonly version: string, protected readonly userEnvironment: Record<string, string> | undefined) {
    super();
  }

  public override validate(v: PropValidator, prop: string, options: ServingContainerValidateOptions): void {
    const kind = options.instanceType.spec?.acceleratorKind;
    const instanceProp = prop.replace(/container$/, 'instanceType');
    v.check(kind !== AcceleratorKind.NEURON, 'LLMOPS_CONTAINER_NEEDS_CUDA', instanceProp, options.instanceType.name,
      `is an AWS Inferentia instance, but ServingContainer.${this.kindName}() serves CUDA images; use an NVIDIA GPU instance, or a Neuron image with ServingContainer.fromImageUri`);
    v.check(Token.isUnresolved(this.version) || /^[\w][\w.-]{0,127}$/.test(this.version), 'LLMOPS_CONTAINER_TAG',
      `${prop} (ServingContainer.${this.kindName} version)`, this.version, 'is not an image tag; allowed: letters, digits, "_", "." and "-", at most 128 characters');
    this.validateOptions(v, `${prop} (ServingContainer.${this.kindName}`);
    validateDlcRegion(v, options.scope);
    const cuda = /(?:^|-)cu(\d\d)(\d)(?:-|$)/.exec(this.version);
    const needed = options.instanceType.spec?.minimumCuda;
    if (cuda && needed !== undefined) {
      const built = Number(`${cuda[1]}.${cuda[2]}`);
      v.check(built >= needed, 'LLMOPS_CONTAINER_CUDA', `${prop} (ServingContainer.${this.kindName} version)`, this.version,
        `is built for CUDA ${built}, but ${options.instanceType.name} (${options.instanceType.spec!.accelerator}) needs CUDA ${needed} or later; pick a newer image version`);
    }
  }

  protected bindValid(scope: IConstruct, options: ServingContainerBindOptions): ServingContainerConfig {
    const { imageUri, repositoryArn } = dlcImage(scope, this.repository, this.version);
    iam.Grant.addToPrincipal({ grantee: options.role, actions: ECR_PULL_ACTIONS, resourceArns: [repositoryArn] });
    return {
      image: imageUri,
      environment: { ...definedOnly(this.environment(options)), ...this.userEnvironment },
      pullsFromEcr: true,
    };
  }

  protected validateOptions(_v: PropValidator, _prop: string): void {}

  protected abstract environment(options: ServingContainerBindOptions): Record<string, string | undefined>;
}

class TgiContainer extends DlcContainer {
  protected readonly repository = TGI_REPOSITORY;
  protected readonly kindName = 'tgi';

  /** TGI loads adapters only at start-up (`LORA_ADAPTERS`); adding one means restarting the model. */
  public override get supportsRuntimeAdapters(): boolean {
    return false;
  }
  private readonly maxInputTokens: number;
  private readonly maxTotalTokens: number;

  constructor(options: TgiOptions) {
    super(options.version ?? ServingContainer.TGI_DEFAULT_TAG, options.environment);
    this.maxInputTokens = options.maxInputTokens ?? 4096;
    this.maxTotalTokens = options.maxTotalTokens ?? 8192;
  }

  protected override validateOptions(v: PropValidator, prop: string): void {
    const inOk = v.range('LLMOPS_TOKENS_RANGE', `${prop} maxInputTokens)`, this.maxInputTokens, 1, 10_000_000);
    const totalOk = v.range('LLMOPS_TOKENS_RANGE', `${prop} maxTotalTokens)`, this.maxTotalTokens, 2, 10_000_000);
    if (inOk && totalOk) {
      v.check(this.maxInputTokens < this.maxTotalTokens, 'LLMOPS_TOKENS_ORDER', `${prop} maxTotalTokens)`,
        this.maxTotalTokens, `must be greater than maxInputTokens (${this.maxInputTokens}): it counts the prompt plus the generated tokens`);
    }
  }

  protected environment(o: ServingContainerBindOptions): Record<string, string | undefined> {
    return {
      HF_MODEL_ID: o.model.modelId,
      HF_MODEL_REVISION: o.model.revision,
      HF_TOKEN: o.model.hubToken,
      SM_NUM_GPUS: (o.acceleratorsPerCopy ?? o.instanceType.acceleratorCount)?.toString(),
      MAX_INPUT_TOKENS: String(this.maxInputTokens),
      MAX_TOTAL_TOKENS: String(this.maxTotalTokens),
    };
  }
}

class LmiContainer extends DlcContainer {
  protected readonly repository = LMI_REPOSITORY;
  protected readonly kindName = 'lmi';

  constructor(private readonly options: LmiOptions) {
    super(options.version ?? ServingContainer.LMI_DEFAULT_TAG, options.environment);
  }

  protected override validateOptions(v: PropValidator, prop: string): void {
    v.range('LLMOPS_TOKENS_RANGE', `${prop} maxModelLen)`, this.options.maxModelLen, 1, 10_000_000);
    v.range('LLMOPS_BATCH_RANGE', `${prop} maxRollingBatchSize)`, this.options.maxRollingBatchSize, 1, 100_000);
  }

  protected environment(o: ServingContainerBindOptions): Record<string, string | undefined> {
    return {
      HF_MODEL_ID: o.model.modelId,
      OPTION_REVISION: o.model.revision,
      HF_TOKEN: o.model.hubToken,
      OPTION_ROLLING_BATCH: 'vllm',
      OPTION_TENSOR_PARALLEL_DEGREE: (o.acceleratorsPerCopy ?? o.instanceType.acceleratorCount)?.toString() ?? 'max',
      // Adapters arrive as inference components while the model runs (LMI 0.27+ with the vLLM backend).
      OPTION_ENABLE_LORA: o.loraAdapters ? 'true' : undefined,
      OPTION_MAX_LORAS: o.loraAdapters ? String(o.loraAdapters.maxAdapters ?? 4) : undefined,
      OPTION_MAX_LORA_RANK: o.loraAdapters ? String(o.loraAdapters.maxRank ?? 64) : undefined,
      OPTION_MODEL_LOADING_TIMEOUT: String(o.startupTimeout.toSeconds()),
      OPTION_MAX_MODEL_LEN: this.options.maxModelLen?.toString(),
      OPTION_MAX_ROLLING_BATCH_SIZE: this.options.maxRollingBatchSize?.toString(),
    };
  }
}

class CustomContainer extends ServingContainer {
  constructor(
    private readonly imageUri: string,
    private readonly options: ServingContainerOptions,
    private readonly repository?: ecr.IRepository,
  ) {
    super();
  }

  protected bindValid(_scope: IConstruct, o: ServingContainerBindOptions): ServingContainerConfig {
    if (this.repository) {
      iam.Grant.addToPrincipal({ grantee: o.role, actions: ECR_PULL_ACTIONS, resourceArns: [this.repository.repositoryArn] });
    }
    return {
      image: this.imageUri,
      environment: {
        ...definedOnly({ HF_MODEL_ID: o.model.modelId, HF_MODEL_REVISION: o.model.revision, HF_TOKEN: o.model.hubToken }),
        ...this.options.environment,
      },
      pullsFromEcr: this.repository !== undefined,
    };
  }
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
