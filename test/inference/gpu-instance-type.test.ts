import { Token } from 'aws-cdk-lib';
import { ProductionVariantInstanceType, TrainingInstanceType } from '@aws-sdk/client-sagemaker';
import { AcceleratorKind, GPU_CATALOGUE, GpuInstanceType } from '../../constructs';
import { validationError } from '../util';

describe('The GPU catalogue', () => {
  test('every catalogued name is a SageMaker hosting instance type in the SDK enum', () => {
    const sdk = new Set<string>(Object.values(ProductionVariantInstanceType));
    const unknown = [...GPU_CATALOGUE.keys()].filter(name => !sdk.has(name));
    expect(unknown).toEqual([]);
  });

  test('every catalogued NVIDIA type is a SageMaker training type in the SDK enum, and no Neuron type is', () => {
    const sdk = new Set<string>(Object.values(TrainingInstanceType));
    const entries = [...GPU_CATALOGUE.entries()];
    expect(entries.filter(([name, s]) => s.acceleratorKind === AcceleratorKind.NVIDIA && !sdk.has(name)).map(([name]) => name)).toEqual([]);
    expect(entries.filter(([name, s]) => s.acceleratorKind === AcceleratorKind.NEURON && sdk.has(name)).map(([name]) => name)).toEqual([]);
  });

  test('covers g5, g6, g6e, p4d, p4de, p5, p5e, p5en and inf2', () => {
    const families = new Set([...GPU_CATALOGUE.keys()].map(n => n.split('.')[1]));
    for (const f of ['g5', 'g6', 'g6e', 'p4d', 'p4de', 'p5', 'p5e', 'p5en', 'inf2']) expect(families).toContain(f);
  });

  test('marks the families with local NVMe storage, and inf2 as without', () => {
    expect(GpuInstanceType.G5_2XLARGE.supportsVolumeKmsKey).toBe(false);
    expect(GpuInstanceType.P5_48XLARGE.supportsVolumeKmsKey).toBe(false);
    expect(GpuInstanceType.INF2_XLARGE.supportsVolumeKmsKey).toBe(true);
  });
});

describe('GpuInstanceType', () => {
  test('a constant carries its hardware facts', () => {
    expect(GpuInstanceType.G5_12XLARGE.name).toBe('ml.g5.12xlarge');
    expect(GpuInstanceType.G5_12XLARGE.acceleratorCount).toBe(4);
    expect(GpuInstanceType.G5_12XLARGE.totalAcceleratorMemoryMiB).toBe(4 * 24576);
    expect(GpuInstanceType.INF2_48XLARGE.spec?.acceleratorKind).toBe(AcceleratorKind.NEURON);
  });

  test('of() returns catalogued facts for a known name', () => {
    expect(GpuInstanceType.of('ml.p5.48xlarge').acceleratorCount).toBe(8);
    expect(GpuInstanceType.of('ml.p5.48xlarge').toString()).toBe('ml.p5.48xlarge');
  });

  test('of() rejects a name that is not a SageMaker hosting type, listing the GPU families', () => {
    const e = validationError(() => GpuInstanceType.of('ml.g5.3xlarge'));
    expect(e.codes).toEqual(['LLMOPS_INSTANCE_UNKNOWN']);
    expect(e.message).toMatch(/^GpuInstanceType.of: instanceType 'ml.g5.3xlarge' is not a SageMaker hosting instance type; use a GPU type such as one of .*ml\.g5\.\*.*ml\.p5\.\*/);
  });

  test('of() rejects a hosting type without an accelerator', () => {
    const e = validationError(() => GpuInstanceType.of('ml.m5.large'));
    expect(e.codes).toEqual(['LLMOPS_INSTANCE_NO_GPU']);
    expect(e.message).toContain("instanceType 'ml.m5.large' has no GPU or accelerator; use one of ml.g4dn.*, ml.g5.*");
  });

  test('of() rejects an accelerated type that is not catalogued unless its spec is given', () => {
    const e = validationError(() => GpuInstanceType.of('ml.trn1.2xlarge'));
    expect(e.codes).toEqual(['LLMOPS_INSTANCE_UNCATALOGUED']);
    expect(e.message).toContain('pass them as GpuInstanceType.of(name, spec)');

    const trn = GpuInstanceType.of('ml.trn1.2xlarge', {
      accelerator: 'AWS Trainium', acceleratorKind: AcceleratorKind.NEURON, acceleratorCount: 1,
      memoryPerAcceleratorMiB: 32768, vcpu: 8, hostMemoryGiB: 32, localNvme: true,
    });
    expect(trn.acceleratorCount).toBe(1);
  });

  test('of() passes an unresolved token through with no hardware facts', () => {
    const t = GpuInstanceType.of(Token.asString({ Ref: 'InstanceTypeParam' }));
    expect(t.spec).toBeUndefined();
    expect(t.acceleratorCount).toBeUndefined();
    expect(t.supportsVolumeKmsKey).toBe(false);
  });

  test('smallestWithMemory prefers fewer accelerators, then less memory', () => {
    expect(GpuInstanceType.smallestWithMemory(20 * 1024)?.name).toBe('ml.g6.xlarge');
    expect(GpuInstanceType.smallestWithMemory(150 * 1024, AcceleratorKind.NVIDIA)?.name).toBe('ml.g6e.12xlarge');
    expect(GpuInstanceType.smallestWithMemory(10_000 * 1024)).toBeUndefined();
  });
});
