// Runtime code (bundled into Lambda handlers by esbuild): the CloudFormation custom-resource protocol.
// A handler wrapped by `customResourceHandler` always answers CloudFormation, before the Lambda times out, so a
// failure fails the deploy with its message instead of leaving the stack waiting for an hour.
import * as http from 'http';
import * as https from 'https';

/** The event CloudFormation sends to a custom resource. */
export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Record<string, unknown>;
  readonly OldResourceProperties?: Record<string, unknown>;
}

/** The part of the Lambda context a handler uses. */
export interface LambdaContext {
  getRemainingTimeInMillis(): number;
}

/** What a custom-resource operation returns. */
export interface CustomResourceResult {
  /** The physical ID; changing it on Update makes CloudFormation send Delete for the old one. */
  readonly physicalResourceId: string;
  /** Attributes readable with Fn::GetAtt. */
  readonly data?: Record<string, string>;
}

/** An error whose message is shown to the user in the stack events, as is. */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}

/** How long before the Lambda deadline the handler stops working and reports a failure. */
export const RESPONSE_SAFETY_MS = 15_000;

/** How long the upload of the response may take. */
export const RESPONSE_UPLOAD_TIMEOUT_MS = 10_000;

/** Sends the response document to CloudFormation's pre-signed URL (http allowed for local tests). */
export async function sendResponse(event: CustomResourceEvent, status: 'SUCCESS' | 'FAILED', result: CustomResourceResult, reason?: string): Promise<void> {
  const body = JSON.stringify({
    Status: status,
    // CloudFormation shows at most 4 KB of the reason.
    Reason: (reason ?? status).slice(0, 4000),
    PhysicalResourceId: result.physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
    Data: result.data,
  });
  const url = new URL(event.ResponseURL);
  const client = url.protocol === 'http:' ? http : https;
  await new Promise<void>((resolve, reject) => {
    const req = client.request(url, {
      method: 'PUT',
      headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
    }, res => {
      res.resume();
      res.on('end', () => ((res.statusCode ?? 500) < 300 ? resolve() : reject(new Error(`response upload returned HTTP ${res.statusCode}`))));
    });
    // Never wait forever on the upload: a stuck PUT would leave CloudFormation waiting for its own timeout.
    req.setTimeout(RESPONSE_UPLOAD_TIMEOUT_MS, () => req.destroy(new Error(`response upload timed out after ${RESPONSE_UPLOAD_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Wraps an operation into a Lambda handler that always answers CloudFormation: SUCCESS with the result, or
 * FAILED with the error's message, including when the work would outlast the Lambda (it stops
 * {@link RESPONSE_SAFETY_MS} before the deadline).
 */
export function customResourceHandler(
  operation: (event: CustomResourceEvent, deadline: number) => Promise<CustomResourceResult>,
): (event: CustomResourceEvent, context: LambdaContext) => Promise<void> {
  return async (event, context) => {
    const deadline = Date.now() + context.getRemainingTimeInMillis() - RESPONSE_SAFETY_MS;
    // A failed Create has no physical ID yet; CloudFormation then sends Delete with this one, which must succeed.
    const fallbackId = event.PhysicalResourceId ?? `failed-${event.RequestId}`;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PermanentError('timed out before the Lambda deadline; see the function logs')), Math.max(0, deadline - Date.now()));
      });
      const result = await Promise.race([operation(event, deadline), timeout]);
      await sendResponse(event, 'SUCCESS', result);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      console.error(JSON.stringify({ requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, error: message }));
      await sendResponse(event, 'FAILED', { physicalResourceId: fallbackId }, message);
    } finally {
      if (timer) clearTimeout(timer);
    }
  };
}

/**
 * Runs `attempt` until it succeeds, `isRetryable(error)` is false, the attempts run out, or the next wait would pass
 * `deadline`. Waits grow exponentially from `baseDelayMs`, capped at `maxDelayMs`.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  options: { isRetryable: (err: unknown) => boolean; maxAttempts: number; baseDelayMs: number; maxDelayMs: number; deadline: number; describe: string },
): Promise<T> {
  let delay = options.baseDelayMs;
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      const last = i >= options.maxAttempts || Date.now() + delay >= options.deadline;
      if (!options.isRetryable(err) || last) {
        if (options.isRetryable(err)) {
          const message = err instanceof Error ? err.message : String(err);
          throw new PermanentError(`${options.describe} still failing after ${i} attempts: ${message}`);
        }
        throw err;
      }
      await new Promise(r => setTimeout(r, delay));
      delay = Math.min(delay * 2, options.maxDelayMs);
    }
  }
}
