import { Token } from 'aws-cdk-lib';
import { GpuInstanceType } from './gpu-instance-type';
import { PropValidator } from '../common/validation';

/**
 * The size of the model, for a synth-time check that its weights fit the instance's accelerator memory.
 *
 * The check: `parametersBillions × 10⁹ × bytesPerParameter` must fit in `(1 − kvCacheHeadroom)` of the instance's
 * total accelerator memory. The rest is left for the KV cache, activations and the CUDA context; serving engines
 * pre-allocate it (vLLM keeps 10 % free by default, TGI sizes its KV cache from what remains).
 */
export interface ModelSize {
  /** Number of parameters, in billions (7 for a 7B model). */
  readonly parametersBillions: number;
  /** Bytes per parameter as served: 2 for bf16/fp16, 1 for fp8/int8, 0.5 for 4-bit quantisation. */
  readonly bytesPerParameter: number;
  /**
   * Share of accelerator memory kept free for the KV cache, activations and CUDA context (0–0.9).
   * @default 0.2
   */
  readonly kvCacheHeadroom?: number;
}

const MIB = 1024 * 1024;

/** Memory the weights need, in MiB. */
export function weightsMiB(size: ModelSize): number {
  return (size.parametersBillions * 1e9 * size.bytesPerParameter) / MIB;
}

/** The accelerator memory a model must fit in, when it is not the whole instance's (e.g. one inference component copy's). */
export interface ModelFitMemory {
  /** The accelerator memory available to the model, in MiB. */
  readonly availableMiB: number;
  /** The end of the error message, after `but `: where that memory comes from, and what to do. */
  readonly shortfall: string;
}

/**
 * Checks that the model fits the instance (or `memory`, when given); records problems in `v` under `prop`.
 * Skips the fit check when any value is a token or the instance's memory is unknown.
 */
export function checkModelFits(v: PropValidator, prop: string, size: ModelSize, instanceType: GpuInstanceType, memory?: ModelFitMemory): void {
  const okParams = v.range('LLMOPS_MODEL_SIZE', `${prop}.parametersBillions`, size.parametersBillions, 0.001, 100_000, 'billion', true);
  const okBytes = v.range('LLMOPS_MODEL_SIZE', `${prop}.bytesPerParameter`, size.bytesPerParameter, 0.125, 8, 'bytes', true);
  const headroom = size.kvCacheHeadroom ?? 0.2;
  const okHeadroom = Token.isUnresolved(headroom) || v.range('LLMOPS_MODEL_SIZE', `${prop}.kvCacheHeadroom`, headroom, 0, 0.9, '', true);
  const total = memory ? memory.availableMiB : instanceType.totalAcceleratorMemoryMiB;
  if (!okParams || !okBytes || !okHeadroom || Token.isUnresolved(headroom) || total === undefined) return;

  const weights = weightsMiB(size);
  const needed = weights / (1 - headroom);
  // The same test either way, each in the form it has always had, so floating-point edge cases decide as before.
  if (memory ? needed <= total : weights <= total * (1 - headroom)) return;
  const gib = formatGiB;
  let shortfall = memory?.shortfall;
  if (shortfall === undefined) {
    const fits = GpuInstanceType.smallestWithMemory(needed, instanceType.spec?.acceleratorKind);
    shortfall = `${instanceType.name} has ${gib(total)} GiB of accelerator memory; `
      + (fits ? `the smallest catalogue instance that fits is ${fits.name} (${gib(fits.totalAcceleratorMemoryMiB!)} GiB)` : 'no catalogue instance is large enough: quantise the model (fewer bytesPerParameter)');
  }
  v.fail('LLMOPS_MODEL_DOES_NOT_FIT', prop, { parametersBillions: size.parametersBillions, bytesPerParameter: size.bytesPerParameter },
    `needs ${gib(weights)} GiB of weights plus ${Math.round(headroom * 100)} % KV-cache headroom (${gib(needed)} GiB), but ${shortfall}`);
}

/** MiB as GiB with one decimal, as the fit messages show it. */
export function formatGiB(mib: number): string {
  return (mib / 1024).toFixed(1);
}
