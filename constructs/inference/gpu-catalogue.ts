// The GPU and accelerator catalogue: one row per SageMaker hosting instance type.
//
// Sources (checked 2026-11-22, see shared/reference/sagemaker.md §4.4 and Appendix A): accelerator memory is the
// EC2 DescribeInstanceTypes figure in MiB (an NVIDIA L4 reports 22888 MiB, not the marketed 24 GB). Every name is
// checked against @aws-sdk/client-sagemaker's ProductionVariantInstanceType enum by test/inference/gpu-instance-type.test.ts.
//
// localNvme: the instance has local NVMe instance storage, encrypted by the instance's hardware module. SageMaker
// rejects an EndpointConfig KmsKeyId (and a training VolumeKmsKeyId) for such instances (CreateEndpointConfig API
// reference, "KmsKeyId"). g4dn, g5, g6, g6e, g7e, p4d, p4de, p5, p5e, p5en and p6 have it; inf2 does not.

/** The kind of accelerator an instance carries. */
export enum AcceleratorKind {
  /** NVIDIA GPUs (CUDA). */
  NVIDIA = 'NVIDIA',
  /** AWS Inferentia / Trainium (Neuron SDK). */
  NEURON = 'NEURON',
}

/** The hardware of one accelerated instance type. */
export interface GpuInstanceSpec {
  /** Accelerator model, e.g. `NVIDIA A10G`. */
  readonly accelerator: string;
  /** NVIDIA GPU or AWS Neuron device. */
  readonly acceleratorKind: AcceleratorKind;
  /** Number of accelerators (GPUs, or Inferentia chips). */
  readonly acceleratorCount: number;
  /** Memory of one accelerator, in MiB. */
  readonly memoryPerAcceleratorMiB: number;
  /** vCPUs of the host. */
  readonly vcpu: number;
  /** Host memory, in GiB. */
  readonly hostMemoryGiB: number;
  /**
   * Whether the instance has local NVMe instance storage, where SageMaker rejects an EndpointConfig volume KMS key.
   */
  readonly localNvme: boolean;
  /**
   * The oldest CUDA version that supports the GPU, when newer than what every driver offers (Blackwell GPUs need
   * CUDA 12.8 and an R570+ driver).
   * @default - any CUDA 11 or 12 image runs
   */
  readonly minimumCuda?: number;
}

type Row = [string, string, AcceleratorKind, number, number, number, number, boolean];

// name, accelerator, kind, count, MiB per accelerator, vCPU, host GiB, local NVMe
const ROWS: Row[] = [
  ['ml.g4dn.xlarge', 'NVIDIA T4', AcceleratorKind.NVIDIA, 1, 16384, 4, 16, true],
  ['ml.g4dn.2xlarge', 'NVIDIA T4', AcceleratorKind.NVIDIA, 1, 16384, 8, 32, true],
  ['ml.g4dn.4xlarge', 'NVIDIA T4', AcceleratorKind.NVIDIA, 1, 16384, 16, 64, true],
  ['ml.g4dn.8xlarge', 'NVIDIA T4', AcceleratorKind.NVIDIA, 1, 16384, 32, 128, true],
  ['ml.g4dn.16xlarge', 'NVIDIA T4', AcceleratorKind.NVIDIA, 1, 16384, 64, 256, true],
  ['ml.g4dn.12xlarge', 'NVIDIA T4', AcceleratorKind.NVIDIA, 4, 16384, 48, 192, true],
  ['ml.g5.xlarge', 'NVIDIA A10G', AcceleratorKind.NVIDIA, 1, 24576, 4, 16, true],
  ['ml.g5.2xlarge', 'NVIDIA A10G', AcceleratorKind.NVIDIA, 1, 24576, 8, 32, true],
  ['ml.g5.4xlarge', 'NVIDIA A10G', AcceleratorKind.NVIDIA, 1, 24576, 16, 64, true],
  ['ml.g5.8xlarge', 'NVIDIA A10G', AcceleratorKind.NVIDIA, 1, 24576, 32, 128, true],
  ['ml.g5.16xlarge', 'NVIDIA A10G', AcceleratorKind.NVIDIA, 1, 24576, 64, 256, true],
  ['ml.g5.12xlarge', 'NVIDIA A10G', AcceleratorKind.NVIDIA, 4, 24576, 48, 192, true],
  ['ml.g5.24xlarge', 'NVIDIA A10G', AcceleratorKind.NVIDIA, 4, 24576, 96, 384, true],
  ['ml.g5.48xlarge', 'NVIDIA A10G', AcceleratorKind.NVIDIA, 8, 24576, 192, 768, true],
  ['ml.g6.xlarge', 'NVIDIA L4', AcceleratorKind.NVIDIA, 1, 22888, 4, 16, true],
  ['ml.g6.2xlarge', 'NVIDIA L4', AcceleratorKind.NVIDIA, 1, 22888, 8, 32, true],
  ['ml.g6.4xlarge', 'NVIDIA L4', AcceleratorKind.NVIDIA, 1, 22888, 16, 64, true],
  ['ml.g6.8xlarge', 'NVIDIA L4', AcceleratorKind.NVIDIA, 1, 22888, 32, 128, true],
  ['ml.g6.16xlarge', 'NVIDIA L4', AcceleratorKind.NVIDIA, 1, 22888, 64, 256, true],
  ['ml.g6.12xlarge', 'NVIDIA L4', AcceleratorKind.NVIDIA, 4, 22888, 48, 192, true],
  ['ml.g6.24xlarge', 'NVIDIA L4', AcceleratorKind.NVIDIA, 4, 22888, 96, 384, true],
  ['ml.g6.48xlarge', 'NVIDIA L4', AcceleratorKind.NVIDIA, 8, 22888, 192, 768, true],
  ['ml.g6e.xlarge', 'NVIDIA L40S', AcceleratorKind.NVIDIA, 1, 45776, 4, 32, true],
  ['ml.g6e.2xlarge', 'NVIDIA L40S', AcceleratorKind.NVIDIA, 1, 45776, 8, 64, true],
  ['ml.g6e.4xlarge', 'NVIDIA L40S', AcceleratorKind.NVIDIA, 1, 45776, 16, 128, true],
  ['ml.g6e.8xlarge', 'NVIDIA L40S', AcceleratorKind.NVIDIA, 1, 45776, 32, 256, true],
  ['ml.g6e.16xlarge', 'NVIDIA L40S', AcceleratorKind.NVIDIA, 1, 45776, 64, 512, true],
  ['ml.g6e.12xlarge', 'NVIDIA L40S', AcceleratorKind.NVIDIA, 4, 45776, 48, 384, true],
  ['ml.g6e.24xlarge', 'NVIDIA L40S', AcceleratorKind.NVIDIA, 4, 45776, 96, 768, true],
  ['ml.g6e.48xlarge', 'NVIDIA L40S', AcceleratorKind.NVIDIA, 8, 45776, 192, 1536, true],
  ['ml.g7e.2xlarge', 'NVIDIA RTX PRO 6000 Blackwell', AcceleratorKind.NVIDIA, 1, 98304, 8, 64, true],
  ['ml.g7e.4xlarge', 'NVIDIA RTX PRO 6000 Blackwell', AcceleratorKind.NVIDIA, 1, 98304, 16, 128, true],
  ['ml.g7e.8xlarge', 'NVIDIA RTX PRO 6000 Blackwell', AcceleratorKind.NVIDIA, 1, 98304, 32, 256, true],
  ['ml.g7e.48xlarge', 'NVIDIA RTX PRO 6000 Blackwell', AcceleratorKind.NVIDIA, 8, 98304, 192, 2048, true],
  ['ml.p4d.24xlarge', 'NVIDIA A100 40GB', AcceleratorKind.NVIDIA, 8, 40960, 96, 1152, true],
  ['ml.p4de.24xlarge', 'NVIDIA A100 80GB', AcceleratorKind.NVIDIA, 8, 81920, 96, 1152, true],
  ['ml.p5.4xlarge', 'NVIDIA H100', AcceleratorKind.NVIDIA, 1, 81920, 16, 256, true],
  ['ml.p5.48xlarge', 'NVIDIA H100', AcceleratorKind.NVIDIA, 8, 81920, 192, 2048, true],
  ['ml.p5e.48xlarge', 'NVIDIA H200', AcceleratorKind.NVIDIA, 8, 144384, 192, 2048, true],
  ['ml.p5en.48xlarge', 'NVIDIA H200', AcceleratorKind.NVIDIA, 8, 144384, 192, 2048, true],
  ['ml.p6-b200.48xlarge', 'NVIDIA B200', AcceleratorKind.NVIDIA, 8, 183359, 192, 2048, true],
  ['ml.inf2.xlarge', 'AWS Inferentia2 (2 NeuronCore-v2/chip)', AcceleratorKind.NEURON, 1, 32768, 4, 16, false],
  ['ml.inf2.8xlarge', 'AWS Inferentia2', AcceleratorKind.NEURON, 1, 32768, 32, 128, false],
  ['ml.inf2.24xlarge', 'AWS Inferentia2', AcceleratorKind.NEURON, 6, 32768, 96, 384, false],
  ['ml.inf2.48xlarge', 'AWS Inferentia2', AcceleratorKind.NEURON, 12, 32768, 192, 768, false],
];

/** The catalogue, keyed by instance type name (`ml.g5.2xlarge`). */
export const GPU_CATALOGUE: ReadonlyMap<string, GpuInstanceSpec> = new Map(
  ROWS.map(([name, accelerator, acceleratorKind, acceleratorCount, memoryPerAcceleratorMiB, vcpu, hostMemoryGiB, localNvme]) =>
    [name, {
      accelerator, acceleratorKind, acceleratorCount, memoryPerAcceleratorMiB, vcpu, hostMemoryGiB, localNvme,
      minimumCuda: /Blackwell|B200/.test(accelerator) ? 12.8 : undefined,
    }]),
);
