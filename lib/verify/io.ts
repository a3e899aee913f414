import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';

/** The AWS clients `llmops verify` calls, all for the same account and region. */
export interface VerifyClients {
  /** DescribeStacks and ListStackResources. */
  readonly cloudFormation: CloudFormationClient;
  /** DescribeEndpoint and DescribeInferenceComponent. */
  readonly sageMaker: SageMakerClient;
  /** DescribeAlarms. */
  readonly cloudWatch: CloudWatchClient;
  /** InvokeEndpoint, for the smoke request only. */
  readonly sageMakerRuntime: SageMakerRuntimeClient;
}

/** Time, injected so that tests neither wait nor depend on the wall clock. */
export interface VerifyClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms` milliseconds, or at once when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * A number in [0, 1), for backoff jitter.
   * @default Math.random
   */
  random?(): number;
}

/** Somewhere to write text: `process.stdout` and `process.stderr` fit. */
export interface TextSink {
  write(text: string): unknown;
}

/** Where `llmops verify` writes, and its clock. */
export interface VerifyIo {
  /** The report (text or JSON) goes here: stdout. */
  readonly out: TextSink;
  /** Progress lines while waiting go here: stderr, so that `--json` output stays parseable. */
  readonly progress: TextSink;
  /** The clock that timeouts, polling and backoff use. */
  readonly clock: VerifyClock;
}

/** The real clock: `Date.now`, `setTimeout` (cleared on abort) and `Math.random`. */
export function systemClock(): VerifyClock {
  return {
    now: () => Date.now(),
    random: () => Math.random(),
    sleep: (ms, signal) => new Promise<void>(resolve => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
  };
}
