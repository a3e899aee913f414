import {
  DescribeEndpointCommand,
  DescribeInferenceComponentCommand,
  ProductionVariantSummary,
  SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { VerifyClock } from './io';
import { EndpointReport, InferenceComponentReport, VariantReport, VerifyFailure } from './report';
import { withRetry } from './retry';

/** Endpoint and inference component statuses that are on their way somewhere: wait for them. */
const IN_PROGRESS = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack']);

/**
 * The production variant rule, for a variant of an endpoint in `endpointStatus`:
 * - an endpoint that is not InService fails on its own, so none of its variants is healthy;
 * - a variant with an in-progress status (Creating, Updating, Deleting, ActivatingTraffic, Baking) is not healthy;
 * - a serverless variant (no instances) is healthy;
 * - a variant with at least one instance is healthy;
 * - a variant with zero instances is healthy only when SageMaker scaled it there: managed instance scaling is
 *   ENABLED with MinInstanceCount 0, which only inference-component endpoints allow (and the endpoint is InService,
 *   as above). A cold start then awaits the first request; `--smoke` would exercise it.
 *
 * CurrentInstanceCount below DesiredInstanceCount (autoscaling at work) is shown but does not fail.
 */
export function judgeVariant(endpointStatus: string, v: ProductionVariantSummary): VariantReport {
  const statuses = (v.VariantStatus ?? []).map(s => s.Status ?? 'Unknown');
  const base = {
    name: v.VariantName ?? '?',
    currentInstanceCount: v.CurrentInstanceCount,
    desiredInstanceCount: v.DesiredInstanceCount,
    statuses,
  };
  if (endpointStatus !== 'InService') return { ...base, healthy: false, note: `endpoint is ${endpointStatus}` };
  if (statuses.length > 0) return { ...base, healthy: false, note: `still ${statuses.join(', ')}` };
  if (v.CurrentServerlessConfig) return { ...base, healthy: true, note: 'serverless' };
  if ((v.CurrentInstanceCount ?? 0) >= 1) return { ...base, healthy: true };
  const scaling = v.ManagedInstanceScaling;
  if (v.CurrentInstanceCount === 0 && scaling?.Status === 'ENABLED' && scaling.MinInstanceCount === 0) {
    return { ...base, healthy: true, note: 'scaled to zero (managed instance scaling, minimum 0)' };
  }
  return { ...base, healthy: false, note: v.CurrentInstanceCount === 0 ? 'no instance, and scaling to zero is not configured' : 'no instance count reported' };
}

/** Describes one endpoint and judges its variants; a missing endpoint is reported with status `NotFound`. */
export async function describeEndpoint(sagemaker: SageMakerClient, name: string, clock: VerifyClock): Promise<EndpointReport> {
  try {
    const e = await withRetry(() => sagemaker.send(new DescribeEndpointCommand({ EndpointName: name })), clock);
    const status = e.EndpointStatus ?? 'Unknown';
    return {
      name: e.EndpointName ?? name,
      status,
      failureReason: e.FailureReason || undefined,
      variants: (e.ProductionVariants ?? []).map(v => judgeVariant(status, v)),
    };
  } catch (e) {
    if (isNotFound(e)) return { name, status: 'NotFound', failureReason: (e as Error).message, variants: [] };
    throw e;
  }
}

/** Describes one inference component; a missing one is reported with status `NotFound`. */
export async function describeInferenceComponent(sagemaker: SageMakerClient, name: string, clock: VerifyClock): Promise<InferenceComponentReport> {
  try {
    const c = await withRetry(() => sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: name })), clock);
    return {
      name: c.InferenceComponentName ?? name,
      status: c.InferenceComponentStatus ?? 'Unknown',
      failureReason: c.FailureReason || undefined,
      currentCopyCount: c.RuntimeConfig?.CurrentCopyCount,
      desiredCopyCount: c.RuntimeConfig?.DesiredCopyCount,
    };
  } catch (e) {
    if (isNotFound(e)) return { name, status: 'NotFound', failureReason: (e as Error).message };
    throw e;
  }
}

// SageMaker answers Describe* of a missing resource with ValidationException "Could not find ...".
function isNotFound(e: unknown): boolean {
  return e instanceof Error && (e.name === 'ResourceNotFound' || (e.name === 'ValidationException' && /could not find|not found|does not exist/i.test(e.message)));
}

/** The endpoints and inference components of the stack, as last seen. */
export interface ServingState {
  readonly endpoints: readonly EndpointReport[];
  readonly inferenceComponents: readonly InferenceComponentReport[];
}

/** Describes every endpoint and inference component once. */
export async function describeServing(
  sagemaker: SageMakerClient, endpoints: readonly string[], components: readonly string[], clock: VerifyClock,
): Promise<ServingState> {
  return {
    endpoints: await Promise.all(endpoints.map(n => describeEndpoint(sagemaker, n, clock))),
    inferenceComponents: await Promise.all(components.map(n => describeInferenceComponent(sagemaker, n, clock))),
  };
}

/** An endpoint in progress, or InService with a variant still in progress (e.g. Baking): worth waiting for. */
function endpointBusy(e: EndpointReport): boolean {
  return IN_PROGRESS.has(e.status) || (e.status === 'InService' && e.variants.some(v => v.statuses.length > 0));
}

/** Whether anything is still in progress. */
export function servingInProgress(s: ServingState): boolean {
  return s.endpoints.some(endpointBusy) || s.inferenceComponents.some(c => IN_PROGRESS.has(c.status));
}

/** Whether something has reached a status it will not recover from by waiting (Failed, OutOfService, ...). */
export function servingBroken(s: ServingState): boolean {
  return [...s.endpoints, ...s.inferenceComponents].some(x => !IN_PROGRESS.has(x.status) && x.status !== 'InService');
}

/** `name Status (Variant: Baking)` for each resource, or for each busy one with `onlyBusy`. */
export function describeProgress(s: ServingState, onlyBusy = false): string {
  const endpoints = s.endpoints.filter(e => !onlyBusy || endpointBusy(e)).map(e => {
    const busy = e.variants.filter(v => v.statuses.length).map(v => `${v.name}: ${v.statuses.join(', ')}`);
    return `endpoint ${e.name} ${e.status}${busy.length ? ` (${busy.join('; ')})` : ''}`;
  });
  const components = s.inferenceComponents.filter(c => !onlyBusy || IN_PROGRESS.has(c.status)).map(c => `component ${c.name} ${c.status}`);
  return [...endpoints, ...components].join(', ');
}

/** The failures of a settled state: unhealthy endpoints, their unhealthy variants, unhealthy inference components. */
export function servingFailures(s: ServingState): VerifyFailure[] {
  const failures: VerifyFailure[] = [];
  for (const e of s.endpoints) {
    if (endpointBusy(e)) continue; // still in progress: reported as a timeout
    if (e.status !== 'InService') {
      failures.push({ code: 'ENDPOINT_UNHEALTHY', message: `endpoint ${e.name} is ${e.status}${e.failureReason ? `: ${e.failureReason}` : ''}` });
      continue;
    }
    if (e.variants.length === 0) failures.push({ code: 'VARIANT_UNHEALTHY', message: `endpoint ${e.name} reports no production variant` });
    for (const v of e.variants.filter(x => !x.healthy)) {
      failures.push({ code: 'VARIANT_UNHEALTHY', message: `endpoint ${e.name} variant ${v.name}: ${v.note}` });
    }
  }
  for (const c of s.inferenceComponents) {
    if (IN_PROGRESS.has(c.status) || c.status === 'InService') continue;
    failures.push({ code: 'INFERENCE_COMPONENT_UNHEALTHY', message: `inference component ${c.name} is ${c.status}${c.failureReason ? `: ${c.failureReason}` : ''}` });
  }
  return failures;
}
