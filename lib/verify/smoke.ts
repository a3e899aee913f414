import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { VerifyClock } from './io';
import { formatDuration } from './options';
import { errorText } from './redact';
import { SmokeReport } from './report';
import { withRetry } from './retry';

/** What the smoke request calls. */
export interface SmokeTarget {
  readonly endpointName: string;
  /** Required by InvokeEndpoint on an inference-component endpoint. @default - a plain endpoint */
  readonly inferenceComponentName?: string;
}

/**
 * Sends one InvokeEndpoint request with `body` (JSON) and waits at most `timeoutMs` for it (throttling retried
 * within that time); on timeout the request is aborted. The report keeps the latency, the response's length
 * and content type, never a body.
 */
export async function sendSmokeRequest(
  runtime: SageMakerRuntimeClient, target: SmokeTarget, body: string, timeoutMs: number, clock: VerifyClock,
): Promise<SmokeReport> {
  const abort = new AbortController();
  const start = clock.now();
  const command = new InvokeEndpointCommand({
    EndpointName: target.endpointName,
    InferenceComponentName: target.inferenceComponentName,
    ContentType: 'application/json',
    Accept: 'application/json',
    Body: new TextEncoder().encode(body),
  });
  const request = withRetry(() => runtime.send(command, { abortSignal: abort.signal }), clock, undefined, abort.signal)
    .then(r => ({ response: r }), (e: unknown) => ({ error: e }));
  const timeout = clock.sleep(timeoutMs, abort.signal).then(() => ({ timedOut: true as const }));
  try {
    const outcome = await Promise.race([request, timeout]);
    const latencyMs = Math.round(clock.now() - start);
    if ('timedOut' in outcome) {
      return { ...target, result: 'timeout', latencyMs, error: `no response within ${formatDuration(timeoutMs)} (--smoke-timeout)` };
    }
    if ('error' in outcome) return { ...target, result: 'failed', latencyMs, error: errorText(outcome.error) };
    return { ...target, result: 'ok', latencyMs, responseBytes: outcome.response.Body?.byteLength ?? 0, contentType: outcome.response.ContentType };
  } finally {
    abort.abort(); // cancels whichever of the request and the timer is still running
  }
}
