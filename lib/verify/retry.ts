import { VerifyClock } from './io';

/** How throttled calls are retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  /** The delay before the first retry, in milliseconds; it doubles on each retry. */
  readonly baseDelayMs: number;
  /** The longest delay between attempts, in milliseconds. */
  readonly maxDelayMs: number;
}

/** 6 attempts, 1 s doubling to at most 20 s, with jitter: about a minute of throttling before giving up. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 1_000, maxDelayMs: 20_000 };

// The throttling error codes of CloudFormation and CloudWatch (Throttling), SageMaker (ThrottlingException),
// SageMaker Runtime and API Gateway style services (TooManyRequestsException), and EC2 style APIs.
const THROTTLING_CODES = new Set([
  'Throttling', 'ThrottlingException', 'ThrottledException', 'TooManyRequestsException',
  'RequestLimitExceeded', 'RequestThrottled', 'RequestThrottledException', 'SlowDown',
]);

/** Whether an AWS SDK error means "slow down": a throttling error code or HTTP 429. */
export function isThrottling(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: unknown; Code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  return THROTTLING_CODES.has(String(e.name)) || THROTTLING_CODES.has(String(e.Code)) || e.$metadata?.httpStatusCode === 429;
}

/**
 * Calls `call`, retrying throttling errors with exponential backoff and jitter (each delay between half and all
 * of `baseDelayMs × 2^retry`, capped at `maxDelayMs`); any other error, or the last throttling error, is thrown.
 * The SDK's own retries happen inside each attempt; this adds patience for a busy account. An abort of `signal`
 * ends the waiting and throws the last error.
 */
export async function withRetry<T>(
  call: () => Promise<T>, clock: VerifyClock, policy: RetryPolicy = DEFAULT_RETRY_POLICY, signal?: AbortSignal,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (!isThrottling(e) || attempt >= policy.maxAttempts || signal?.aborted) throw e;
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const random = clock.random ? clock.random() : Math.random();
      await clock.sleep(Math.round(ceiling / 2 + (ceiling / 2) * random), signal);
      if (signal?.aborted) throw e;
    }
  }
}
