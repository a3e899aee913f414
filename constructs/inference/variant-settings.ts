import { Token } from 'aws-cdk-lib';
import { PropValidator } from '../common/validation';

/** How SageMaker routes requests among the instances of a variant. */
export enum RoutingStrategy {
  /** To the instance with the fewest outstanding requests: best for LLMs, whose requests vary widely in length. */
  LEAST_OUTSTANDING_REQUESTS = 'LEAST_OUTSTANDING_REQUESTS',
  /** To a random instance. */
  RANDOM = 'RANDOM',
}

/** What a data capture records. */
export enum CaptureMode {
  /** Requests (prompts) only. */
  INPUT = 'Input',
  /** Responses (completions) only. */
  OUTPUT = 'Output',
  /** Requests and responses. */
  INPUT_AND_OUTPUT = 'InputAndOutput',
}

/**
 * The AMI (NVIDIA driver and CUDA version) of the instances of a variant.
 * Without one, SageMaker picks a per-family default that is too old for CUDA 12 images on g5 and p4d.
 */
export class InferenceAmiVersion {
  /** Amazon Linux 2, NVIDIA driver 535, CUDA 12.2. */
  public static readonly AL2_GPU_2 = new InferenceAmiVersion('al2-ami-sagemaker-inference-gpu-2');
  /** Amazon Linux 2, NVIDIA driver 535, CUDA 12.2, without CUDA forward-compatibility mounting. */
  public static readonly AL2_GPU_2_1 = new InferenceAmiVersion('al2-ami-sagemaker-inference-gpu-2-1');
  /** Amazon Linux 2, NVIDIA driver 550, CUDA 12.4. */
  public static readonly AL2_GPU_3_1 = new InferenceAmiVersion('al2-ami-sagemaker-inference-gpu-3-1');
  /** Amazon Linux 2023, GPU image version 4.1. */
  public static readonly AL2023_GPU_4_1 = new InferenceAmiVersion('al2023-ami-sagemaker-inference-gpu-4-1');
  /** Amazon Linux 2, AWS Neuron driver 2.19 (Inferentia2). */
  public static readonly AL2_NEURON_2 = new InferenceAmiVersion('al2-ami-sagemaker-inference-neuron-2');

  /** A version by name, for versions newer than this library. */
  public static of(name: string): InferenceAmiVersion {
    return new InferenceAmiVersion(name);
  }

  private constructor(
    /** The `InferenceAmiVersion` value. */
    public readonly name: string,
  ) {}

  /** Checks the name against the SDK's `ProductionVariantInferenceAmiVersion` values. */
  public validate(v: PropValidator, prop: string): void {
    if (Token.isUnresolved(this.name)) return;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const known = Object.values((require('@aws-sdk/client-sagemaker') as any).ProductionVariantInferenceAmiVersion as Record<string, string>);
    v.check(known.includes(this.name), 'LLMOPS_AMI_VERSION', prop, this.name, `is not a SageMaker inference AMI version; allowed: ${known.join(', ')}`);
  }
}
