import { Duration, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  DeploymentStrategy, GpuInferenceEndpoint, GpuInferenceEndpointProps, GpuInstanceType, InferenceAmiVersion, ModelSource, weightsMiB,
} from '../../constructs';
import { newStack, validationError } from '../util';

const WHERE = "GpuInferenceEndpoint at 'TestStack/Chat'";

/** An S3 model, which needs no internet. */
function s3Model(scope: Construct): ModelSource {
  return ModelSource.fromBucket(new s3.Bucket(scope, 'Models'), 'models/llm/');
}

/** Constructs (does not synthesize) an endpoint in a fresh stack, for bad-input tests. */
function endpoint(props: Omit<GpuInferenceEndpointProps, 'model'>): GpuInferenceEndpoint {
  const stack = newStack();
  return new GpuInferenceEndpoint(stack, 'Chat', { model: s3Model(stack), ...props });
}

describe('weightsMiB', () => {
  test('a 7B model in bf16 needs 14 GB, about 13351 MiB', () => {
    expect(weightsMiB({ parametersBillions: 7, bytesPerParameter: 2 })).toBeCloseTo(14e9 / 1024 / 1024, 6);
    expect(weightsMiB({ parametersBillions: 7, bytesPerParameter: 2 })).toBeCloseTo(13351.44, 2);
  });

  test('4-bit quantisation quarters the bf16 size, and headroom does not count', () => {
    const bf16 = weightsMiB({ parametersBillions: 70, bytesPerParameter: 2 });
    expect(weightsMiB({ parametersBillions: 70, bytesPerParameter: 0.5, kvCacheHeadroom: 0.5 })).toBeCloseTo(bf16 / 4, 6);
  });
});

describe('A 7B bf16 model on ml.g5.2xlarge', () => {
  const stack = newStack();
  new GpuInferenceEndpoint(stack, 'Chat', {
    model: s3Model(stack),
    instanceType: GpuInstanceType.G5_2XLARGE,
    modelSize: { parametersBillions: 7, bytesPerParameter: 2 },
  });
  const template = Template.fromStack(stack);

  test('fits the 24 GiB A10G with the default 20 % headroom, so the endpoint synthesizes', () => {
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.g5.2xlarge' })],
    });
  });
});

describe('The model size check', () => {
  test('a 70B bf16 model on ml.g5.2xlarge fails, naming the smallest catalogue instance that fits', () => {
    // 70e9 × 2 B = 130.4 GiB; with 20 % headroom 163.0 GiB. The 1-GPU types top out at 96 GiB (ml.g7e), so the
    // smallest fit has 4 GPUs: ml.g6e.12xlarge (4 × 44.7 GiB = 178.8 GiB, 48 vCPU; the 24xlarge has 96 vCPU).
    const e = validationError(() => endpoint({
      instanceType: GpuInstanceType.G5_2XLARGE,
      modelSize: { parametersBillions: 70, bytesPerParameter: 2 },
    }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_DOES_NOT_FIT']);
    expect(e.message).toBe(`${WHERE}: modelSize {"parametersBillions":70,"bytesPerParameter":2} needs 130.4 GiB of weights plus 20 % KV-cache headroom (163.0 GiB), but ml.g5.2xlarge has 24.0 GiB of accelerator memory; the smallest catalogue instance that fits is ml.g6e.12xlarge (178.8 GiB) [LLMOPS_MODEL_DOES_NOT_FIT]`);
  });

  test('the instance the error suggests for the 70B model passes the check', () => {
    expect(() => endpoint({
      instanceType: GpuInstanceType.G6E_12XLARGE,
      modelSize: { parametersBillions: 70, bytesPerParameter: 2 },
    })).not.toThrow();
  });

  test('a model too large for any catalogue instance fails, saying to quantise', () => {
    const e = validationError(() => endpoint({
      instanceType: GpuInstanceType.P5E_48XLARGE,
      modelSize: { parametersBillions: 1000, bytesPerParameter: 2 },
    }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_DOES_NOT_FIT']);
    expect(e.message).toBe(`${WHERE}: modelSize {"parametersBillions":1000,"bytesPerParameter":2} needs 1862.6 GiB of weights plus 20 % KV-cache headroom (2328.3 GiB), but ml.p5e.48xlarge has 1128.0 GiB of accelerator memory; no catalogue instance is large enough: quantise the model (fewer bytesPerParameter) [LLMOPS_MODEL_DOES_NOT_FIT]`);
  });

  test('a larger kvCacheHeadroom can make a model that fits by weight alone fail', () => {
    // 7B bf16 = 13.0 GiB of weights: fits 24 GiB at 20 % headroom (19.2 GiB usable), not at 50 % (12.0 GiB usable).
    const e = validationError(() => endpoint({ modelSize: { parametersBillions: 7, bytesPerParameter: 2, kvCacheHeadroom: 0.5 } }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_DOES_NOT_FIT']);
    expect(e.message).toContain('needs 13.0 GiB of weights plus 50 % KV-cache headroom (26.1 GiB), but ml.g5.2xlarge has 24.0 GiB');
  });

  test('kvCacheHeadroom above 0.9 fails', () => {
    const e = validationError(() => endpoint({ modelSize: { parametersBillions: 7, bytesPerParameter: 2, kvCacheHeadroom: 0.95 } }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_SIZE']);
    expect(e.message).toBe(`${WHERE}: modelSize.kvCacheHeadroom 0.95 is out of range; allowed: a number from 0 to 0.9 [LLMOPS_MODEL_SIZE]`);
  });

  test('a negative kvCacheHeadroom fails', () => {
    const e = validationError(() => endpoint({ modelSize: { parametersBillions: 7, bytesPerParameter: 2, kvCacheHeadroom: -0.1 } }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_SIZE']);
    expect(e.message).toBe(`${WHERE}: modelSize.kvCacheHeadroom -0.1 is out of range; allowed: a number from 0 to 0.9 [LLMOPS_MODEL_SIZE]`);
  });

  test('parametersBillions of 0 fails', () => {
    const e = validationError(() => endpoint({ modelSize: { parametersBillions: 0, bytesPerParameter: 2 } }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_SIZE']);
    expect(e.message).toBe(`${WHERE}: modelSize.parametersBillions 0 is out of range; allowed: a number from 0.001 to 100000 billion [LLMOPS_MODEL_SIZE]`);
  });

  test('a negative parametersBillions fails', () => {
    const e = validationError(() => endpoint({ modelSize: { parametersBillions: -7, bytesPerParameter: 2 } }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_SIZE']);
    expect(e.message).toContain(`${WHERE}: modelSize.parametersBillions -7 is out of range`);
  });

  test('a token instance type skips the check, since its memory is unknown', () => {
    const instanceType = GpuInstanceType.of(Token.asString({ Ref: 'InstanceType' }));
    const chat = endpoint({ instanceType, modelSize: { parametersBillions: 1000, bytesPerParameter: 2 } });
    expect(chat.instanceType.totalAcceleratorMemoryMiB).toBeUndefined();
  });
});

describe('DeploymentStrategy.render', () => {
  test('canary shifts a capacity share first, then waits', () => {
    expect(DeploymentStrategy.canary(10, Duration.minutes(5)).render()).toEqual({
      type: 'CANARY',
      waitIntervalInSeconds: 300,
      canarySize: { type: 'CAPACITY_PERCENT', value: 10 },
    });
  });

  test('linear shifts equal capacity steps, waiting after each', () => {
    expect(DeploymentStrategy.linear(25, Duration.minutes(2)).render()).toEqual({
      type: 'LINEAR',
      waitIntervalInSeconds: 120,
      linearStepSize: { type: 'CAPACITY_PERCENT', value: 25 },
    });
  });

  test('allAtOnce has no step size and waits 0 seconds by default', () => {
    const rendered = DeploymentStrategy.allAtOnce().render();
    expect(rendered).toEqual({ type: 'ALL_AT_ONCE', waitIntervalInSeconds: 0 });
    expect(rendered.canarySize).toBeUndefined();
    expect(rendered.linearStepSize).toBeUndefined();
  });

  test('allAtOnce keeps watching the rollback alarms for the given wait', () => {
    expect(DeploymentStrategy.allAtOnce(Duration.minutes(10)).render()).toEqual({ type: 'ALL_AT_ONCE', waitIntervalInSeconds: 600 });
  });
});

describe('InferenceAmiVersion', () => {
  test('an unknown version fails through the endpoint, listing the known versions', () => {
    const e = validationError(() => endpoint({ inferenceAmiVersion: InferenceAmiVersion.of('bogus') }));
    expect(e.codes).toEqual(['LLMOPS_AMI_VERSION']);
    expect(e.message).toMatch(new RegExp(`^${WHERE}: inferenceAmiVersion 'bogus' is not a SageMaker inference AMI version; allowed: .*al2-ami-sagemaker-inference-gpu-3-1.* \\[LLMOPS_AMI_VERSION\\]$`));
  });
});
