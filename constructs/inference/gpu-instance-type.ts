import { Token } from 'aws-cdk-lib';
import { AcceleratorKind, GPU_CATALOGUE, GpuInstanceSpec } from './gpu-catalogue';
import { PropValidator } from '../common/validation';

const sdkTypes: Partial<Record<'ProductionVariantInstanceType' | 'TrainingInstanceType', Set<string>>> = {};

/** One of the SDK's lists of SageMaker instance types (hosting or training), loaded once, on first use. */
function sdkInstanceTypes(list: 'ProductionVariantInstanceType' | 'TrainingInstanceType'): Set<string> {
  if (!sdkTypes[list]) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sdk = require('@aws-sdk/client-sagemaker') as Record<typeof list, Record<string, string>>;
    sdkTypes[list] = new Set(Object.values(sdk[list]));
  }
  return sdkTypes[list]!;
}

/** Families of SageMaker instance types that carry an accelerator (GPU, Inferentia or Trainium). */
const ACCELERATED_FAMILY = /^ml\.(g\d+[a-z]*|p\d+[a-z]*(-[a-z0-9]+)?|inf\d+|trn\d+[a-z]*)\./;

/** The catalogued families, e.g. `ml.g5.*`, for error messages. */
export function catalogueFamilies(): string[] {
  const families = new Set<string>();
  for (const name of GPU_CATALOGUE.keys()) families.add(name.replace(/\.[^.]+$/, '.*'));
  return [...families];
}

/**
 * A GPU (or AWS Inferentia) instance type for SageMaker hosting, with the hardware facts that sizing,
 * tensor parallelism and encryption depend on.
 *
 * Use a constant (`GpuInstanceType.G5_2XLARGE`) or `GpuInstanceType.of('ml.p5.48xlarge')`.
 */
export class GpuInstanceType {
  /** ml.g4dn.xlarge: 1× NVIDIA T4 (16 GiB). */
  public static readonly G4DN_XLARGE = GpuInstanceType.catalogued('ml.g4dn.xlarge');
  /** ml.g4dn.2xlarge: 1× NVIDIA T4 (16 GiB). */
  public static readonly G4DN_2XLARGE = GpuInstanceType.catalogued('ml.g4dn.2xlarge');
  /** ml.g4dn.12xlarge: 4× NVIDIA T4 (64 GiB). */
  public static readonly G4DN_12XLARGE = GpuInstanceType.catalogued('ml.g4dn.12xlarge');
  /** ml.g5.xlarge: 1× NVIDIA A10G (24 GiB). */
  public static readonly G5_XLARGE = GpuInstanceType.catalogued('ml.g5.xlarge');
  /** ml.g5.2xlarge: 1× NVIDIA A10G (24 GiB). */
  public static readonly G5_2XLARGE = GpuInstanceType.catalogued('ml.g5.2xlarge');
  /** ml.g5.4xlarge: 1× NVIDIA A10G (24 GiB). */
  public static readonly G5_4XLARGE = GpuInstanceType.catalogued('ml.g5.4xlarge');
  /** ml.g5.8xlarge: 1× NVIDIA A10G (24 GiB). */
  public static readonly G5_8XLARGE = GpuInstanceType.catalogued('ml.g5.8xlarge');
  /** ml.g5.12xlarge: 4× NVIDIA A10G (96 GiB). */
  public static readonly G5_12XLARGE = GpuInstanceType.catalogued('ml.g5.12xlarge');
  /** ml.g5.24xlarge: 4× NVIDIA A10G (96 GiB). */
  public static readonly G5_24XLARGE = GpuInstanceType.catalogued('ml.g5.24xlarge');
  /** ml.g5.48xlarge: 8× NVIDIA A10G (192 GiB). */
  public static readonly G5_48XLARGE = GpuInstanceType.catalogued('ml.g5.48xlarge');
  /** ml.g6.xlarge: 1× NVIDIA L4 (22.4 GiB). */
  public static readonly G6_XLARGE = GpuInstanceType.catalogued('ml.g6.xlarge');
  /** ml.g6.2xlarge: 1× NVIDIA L4 (22.4 GiB). */
  public static readonly G6_2XLARGE = GpuInstanceType.catalogued('ml.g6.2xlarge');
  /** ml.g6.12xlarge: 4× NVIDIA L4 (89.4 GiB). */
  public static readonly G6_12XLARGE = GpuInstanceType.catalogued('ml.g6.12xlarge');
  /** ml.g6.48xlarge: 8× NVIDIA L4 (178.8 GiB). */
  public static readonly G6_48XLARGE = GpuInstanceType.catalogued('ml.g6.48xlarge');
  /** ml.g6e.xlarge: 1× NVIDIA L40S (44.7 GiB). */
  public static readonly G6E_XLARGE = GpuInstanceType.catalogued('ml.g6e.xlarge');
  /** ml.g6e.2xlarge: 1× NVIDIA L40S (44.7 GiB). */
  public static readonly G6E_2XLARGE = GpuInstanceType.catalogued('ml.g6e.2xlarge');
  /** ml.g6e.12xlarge: 4× NVIDIA L40S (178.8 GiB). */
  public static readonly G6E_12XLARGE = GpuInstanceType.catalogued('ml.g6e.12xlarge');
  /** ml.g6e.48xlarge: 8× NVIDIA L40S (357.6 GiB). */
  public static readonly G6E_48XLARGE = GpuInstanceType.catalogued('ml.g6e.48xlarge');
  /** ml.p4d.24xlarge: 8× NVIDIA A100 40GB (320 GiB). */
  public static readonly P4D_24XLARGE = GpuInstanceType.catalogued('ml.p4d.24xlarge');
  /** ml.p4de.24xlarge: 8× NVIDIA A100 80GB (640 GiB). */
  public static readonly P4DE_24XLARGE = GpuInstanceType.catalogued('ml.p4de.24xlarge');
  /** ml.p5.4xlarge: 1× NVIDIA H100 (80 GiB). */
  public static readonly P5_4XLARGE = GpuInstanceType.catalogued('ml.p5.4xlarge');
  /** ml.p5.48xlarge: 8× NVIDIA H100 (640 GiB). */
  public static readonly P5_48XLARGE = GpuInstanceType.catalogued('ml.p5.48xlarge');
  /** ml.p5e.48xlarge: 8× NVIDIA H200 (1128 GiB). */
  public static readonly P5E_48XLARGE = GpuInstanceType.catalogued('ml.p5e.48xlarge');
  /** ml.p5en.48xlarge: 8× NVIDIA H200 (1128 GiB). */
  public static readonly P5EN_48XLARGE = GpuInstanceType.catalogued('ml.p5en.48xlarge');
  /** ml.inf2.xlarge: 1× AWS Inferentia2 (32 GiB). */
  public static readonly INF2_XLARGE = GpuInstanceType.catalogued('ml.inf2.xlarge');
  /** ml.inf2.8xlarge: 1× AWS Inferentia2 (32 GiB). */
  public static readonly INF2_8XLARGE = GpuInstanceType.catalogued('ml.inf2.8xlarge');
  /** ml.inf2.24xlarge: 6× AWS Inferentia2 (192 GiB). */
  public static readonly INF2_24XLARGE = GpuInstanceType.catalogued('ml.inf2.24xlarge');
  /** ml.inf2.48xlarge: 12× AWS Inferentia2 (384 GiB). */
  public static readonly INF2_48XLARGE = GpuInstanceType.catalogued('ml.inf2.48xlarge');

  /**
   * An instance type by name.
   *
   * The name must be a SageMaker hosting instance type (as listed by `@aws-sdk/client-sagemaker`'s
   * `ProductionVariantInstanceType`) that carries an accelerator. Names in the catalogue get their hardware facts
   * from it; an accelerated type that is not catalogued (e.g. `ml.trn1.2xlarge`) needs `spec`.
   * An unresolved token passes through unvalidated, with no hardware facts.
   *
   * @param name e.g. `ml.p5.48xlarge`
   * @param spec hardware facts for a type the catalogue does not list; overrides the catalogue when given
   * @throws LlmOpsValidationError for an unknown name, a type without accelerator, or an uncatalogued type without `spec`
   */
  public static of(name: string, spec?: GpuInstanceSpec): GpuInstanceType {
    return GpuInstanceType.checked('GpuInstanceType.of', 'ProductionVariantInstanceType', 'hosting', name, spec);
  }

  /**
   * A GPU instance type for SageMaker training, validated against `@aws-sdk/client-sagemaker`'s
   * `TrainingInstanceType` and the GPU catalogue like {@link GpuInstanceType.of}.
   */
  public static ofTraining(name: string, spec?: GpuInstanceSpec): GpuInstanceType {
    return GpuInstanceType.checked('GpuInstanceType.ofTraining', 'TrainingInstanceType', 'training', name, spec);
  }

  private static checked(where: string, list: 'ProductionVariantInstanceType' | 'TrainingInstanceType', purpose: string, name: string, spec?: GpuInstanceSpec): GpuInstanceType {
    if (Token.isUnresolved(name)) return new GpuInstanceType(name, spec);
    const v = new PropValidator(where);
    const families = catalogueFamilies().join(', ');
    // Every catalogued name is a hosting type and every catalogued NVIDIA type a training type (tests check both
    // against the SDK's lists), so the SDK loads only for other names: synth stays fast.
    const catalogued = GPU_CATALOGUE.get(name);
    const known = catalogued !== undefined && (list === 'ProductionVariantInstanceType' || catalogued.acceleratorKind === AcceleratorKind.NVIDIA);
    if (!known && !sdkInstanceTypes(list).has(name)) {
      v.fail('LLMOPS_INSTANCE_UNKNOWN', 'instanceType', name,
        `is not a SageMaker ${purpose} instance type; use a GPU type such as one of ${families}`);
    } else if (!ACCELERATED_FAMILY.test(name)) {
      v.fail('LLMOPS_INSTANCE_NO_GPU', 'instanceType', name, `has no GPU or accelerator; use one of ${families}`);
    } else if (!spec && !GPU_CATALOGUE.has(name)) {
      v.fail('LLMOPS_INSTANCE_UNCATALOGUED', 'instanceType', name,
        `is not in the GPU catalogue, so its accelerator count and memory are unknown; pass them as GpuInstanceType.of(name, spec), or use one of ${families}`);
    }
    v.throwIfInvalid();
    return new GpuInstanceType(name, spec ?? GPU_CATALOGUE.get(name));
  }

  /**
   * The smallest catalogued instance whose total accelerator memory is at least `memoryMiB`,
   * preferring fewer accelerators, then less memory, then fewer vCPUs.
   *
   * @param kind only consider this kind of accelerator
   */
  public static smallestWithMemory(memoryMiB: number, kind?: AcceleratorKind): GpuInstanceType | undefined {
    let best: [string, GpuInstanceSpec] | undefined;
    for (const entry of GPU_CATALOGUE.entries()) {
      const [, s] = entry;
      if (kind && s.acceleratorKind !== kind) continue;
      if (s.acceleratorCount * s.memoryPerAcceleratorMiB < memoryMiB) continue;
      if (!best || compareSize(s, best[1]) < 0) best = entry;
    }
    return best && new GpuInstanceType(best[0], best[1]);
  }

  private static catalogued(name: string): GpuInstanceType {
    return new GpuInstanceType(name, GPU_CATALOGUE.get(name));
  }

  /** The instance type name, e.g. `ml.g5.2xlarge` (or a token). */
  public readonly name: string;

  /** The hardware facts; undefined for a token. */
  public readonly spec?: GpuInstanceSpec;

  private constructor(name: string, spec?: GpuInstanceSpec) {
    this.name = name;
    this.spec = spec;
  }

  /** Number of accelerators; undefined when unknown (a token). */
  public get acceleratorCount(): number | undefined {
    return this.spec?.acceleratorCount;
  }

  /** Total accelerator memory in MiB; undefined when unknown (a token). */
  public get totalAcceleratorMemoryMiB(): number | undefined {
    return this.spec && this.spec.acceleratorCount * this.spec.memoryPerAcceleratorMiB;
  }

  /**
   * Whether SageMaker accepts an EndpointConfig volume KMS key for this type: false for types with local NVMe
   * storage (already encrypted by the instance's hardware module) and for unknown types (a token).
   */
  public get supportsVolumeKmsKey(): boolean {
    return this.spec !== undefined && !this.spec.localNvme;
  }

  /** The instance type name. */
  public toString(): string {
    return this.name;
  }
}

function compareSize(a: GpuInstanceSpec, b: GpuInstanceSpec): number {
  return (a.acceleratorCount - b.acceleratorCount)
    || (a.acceleratorCount * a.memoryPerAcceleratorMiB - b.acceleratorCount * b.memoryPerAcceleratorMiB)
    || (a.vcpu - b.vcpu);
}
