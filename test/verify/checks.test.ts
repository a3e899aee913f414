import { ProductionVariantSummary } from '@aws-sdk/client-sagemaker';
import {
  DEFAULT_RETRY_POLICY, errorText, isSecretKey, isThrottling, judgeVariant, redactOutputs, stackState, verifyTargets, withRetry,
} from '../../lib/verify';
import { fakeClock } from './fixtures';

describe('When judging a production variant', () => {
  const zeroScaling = { Status: 'ENABLED' as const, MinInstanceCount: 0, MaxInstanceCount: 4 };
  test.each<{ when: string; endpointStatus: string; summary: ProductionVariantSummary; healthy: boolean; note?: string }>([
    { when: 'instances on an InService endpoint', endpointStatus: 'InService', summary: { VariantName: 'v', CurrentInstanceCount: 2, DesiredInstanceCount: 2 }, healthy: true, note: undefined },
    { when: 'fewer instances than desired (autoscaling at work)', endpointStatus: 'InService', summary: { VariantName: 'v', CurrentInstanceCount: 1, DesiredInstanceCount: 3 }, healthy: true, note: undefined },
    { when: 'zero instances without scale to zero', endpointStatus: 'InService', summary: { VariantName: 'v', CurrentInstanceCount: 0, DesiredInstanceCount: 1 }, healthy: false, note: 'no instance, and scaling to zero is not configured' },
    { when: 'zero instances, scaling ENABLED with minimum 0 (inference components)', endpointStatus: 'InService', summary: { VariantName: 'v', CurrentInstanceCount: 0, ManagedInstanceScaling: zeroScaling }, healthy: true, note: 'scaled to zero (managed instance scaling, minimum 0)' },
    { when: 'zero instances, scaling minimum 0 but DISABLED', endpointStatus: 'InService', summary: { VariantName: 'v', CurrentInstanceCount: 0, ManagedInstanceScaling: { ...zeroScaling, Status: 'DISABLED' } }, healthy: false, note: 'no instance, and scaling to zero is not configured' },
    { when: 'zero instances, scaling minimum 1', endpointStatus: 'InService', summary: { VariantName: 'v', CurrentInstanceCount: 0, ManagedInstanceScaling: { ...zeroScaling, MinInstanceCount: 1 } }, healthy: false, note: 'no instance, and scaling to zero is not configured' },
    { when: 'scaled to zero but the endpoint is Updating', endpointStatus: 'Updating', summary: { VariantName: 'v', CurrentInstanceCount: 0, ManagedInstanceScaling: zeroScaling }, healthy: false, note: 'endpoint is Updating' },
    { when: 'instances but the endpoint Failed', endpointStatus: 'Failed', summary: { VariantName: 'v', CurrentInstanceCount: 1 }, healthy: false, note: 'endpoint is Failed' },
    { when: 'a variant status in progress', endpointStatus: 'InService', summary: { VariantName: 'v', CurrentInstanceCount: 1, VariantStatus: [{ Status: 'ActivatingTraffic', StartTime: new Date() }] }, healthy: false, note: 'still ActivatingTraffic' },
    { when: 'a serverless variant', endpointStatus: 'InService', summary: { VariantName: 'v', CurrentServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } }, healthy: true, note: 'serverless' },
    { when: 'no instance count at all', endpointStatus: 'InService', summary: { VariantName: 'v' }, healthy: false, note: 'no instance count reported' },
  ])('$when: healthy $healthy', ({ endpointStatus, summary, healthy, note }) => {
    const v = judgeVariant(endpointStatus, summary);
    expect(v.healthy).toBe(healthy);
    expect(v.note).toBe(note);
  });
});

describe('When reading a stack status', () => {
  test.each([
    ['CREATE_COMPLETE', 'ready'], ['UPDATE_COMPLETE', 'ready'], ['IMPORT_COMPLETE', 'ready'], ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'ready'],
    ['CREATE_IN_PROGRESS', 'waiting'], ['UPDATE_IN_PROGRESS', 'waiting'], ['IMPORT_IN_PROGRESS', 'waiting'],
    ['UPDATE_ROLLBACK_COMPLETE', 'failed'], ['UPDATE_ROLLBACK_IN_PROGRESS', 'failed'], ['ROLLBACK_COMPLETE', 'failed'], ['CREATE_FAILED', 'failed'],
    ['DELETE_IN_PROGRESS', 'failed'], ['REVIEW_IN_PROGRESS', 'failed'],
  ])('%s is %s', (status, state) => {
    expect(stackState(status)).toBe(state);
  });
});

describe('When choosing what to verify', () => {
  test('outputs come first; resources found only by ARN (lower-cased names) are added once', () => {
    const targets = verifyTargets(
      { EndpointName: 'Chat-Endpoint', InferenceComponentName: 'Model-A' },
      { endpoints: ['chat-endpoint', 'other-endpoint'], inferenceComponents: ['model-a', 'adapter-b'], alarms: [] },
    );
    expect(targets).toEqual({
      endpoints: ['Chat-Endpoint', 'other-endpoint'],
      inferenceComponents: ['Model-A', 'adapter-b'],
      smokeEndpoint: 'Chat-Endpoint',
      smokeInferenceComponent: 'Model-A',
    });
  });

  test('without an EndpointName output the smoke request goes to the only endpoint, or nowhere when there are several', () => {
    expect(verifyTargets({}, { endpoints: ['a'], inferenceComponents: [], alarms: [] }).smokeEndpoint).toBe('a');
    expect(verifyTargets({}, { endpoints: ['a', 'b'], inferenceComponents: [], alarms: [] }).smokeEndpoint).toBeUndefined();
  });
});

describe('When retrying', () => {
  test.each(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded'])('%s is throttling', name => {
    expect(isThrottling(Object.assign(new Error('x'), { name }))).toBe(true);
  });

  test('HTTP 429 is throttling; validation and access errors are not', () => {
    expect(isThrottling(Object.assign(new Error('x'), { name: 'Other', $metadata: { httpStatusCode: 429 } }))).toBe(true);
    expect(isThrottling(Object.assign(new Error('x'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }))).toBe(false);
    expect(isThrottling(Object.assign(new Error('x'), { name: 'AccessDeniedException' }))).toBe(false);
    expect(isThrottling('Throttling')).toBe(false);
  });

  test('delays double up to the cap, with jitter between half and all of each', async () => {
    const clock = { ...fakeClock(), random: () => 0 };
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const call = jest.fn(() => Promise.reject(throttled));

    await expect(withRetry(call, clock, { maxAttempts: 7, baseDelayMs: 1_000, maxDelayMs: 10_000 })).rejects.toBe(throttled);

    expect(call).toHaveBeenCalledTimes(7);
    expect(clock.sleeps).toEqual([500, 1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  test('the default policy makes 6 attempts, 1 s doubling to at most 20 s', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({ maxAttempts: 6, baseDelayMs: 1_000, maxDelayMs: 20_000 });
  });
});

describe('When printing values that may be secret', () => {
  test.each([['DatabaseSecretArn', true], ['ApiToken', true], ['adminPASSWORD', true], ['EndpointName', false], ['GuardrailId', false]])('%s is secret: %s', (key, secret) => {
    expect(isSecretKey(key)).toBe(secret);
  });

  test('redactOutputs replaces only the secret-named values', () => {
    expect(redactOutputs({ EndpointName: 'e', DbSecretArn: 'arn:secret', SessionToken: 't' })).toEqual({ EndpointName: 'e', DbSecretArn: '<redacted>', SessionToken: '<redacted>' });
  });

  test('errorText keeps name and message, cuts long messages, and withholds model errors\' messages', () => {
    expect(errorText(Object.assign(new Error('Endpoint x not found'), { name: 'ValidationError' }))).toBe('ValidationError: Endpoint x not found');
    expect(errorText(new Error('y'.repeat(400)))).toBe(`Error: ${'y'.repeat(300)}…`);
    expect(errorText(Object.assign(new Error('output: secret'), { name: 'ModelStreamError', $metadata: { httpStatusCode: 424 } })))
      .toBe("ModelStreamError (HTTP 424); message withheld: it may contain the model's output");
  });
});

describe('When a retry is aborted', () => {
  test('an abort during the backoff ends the retries with the last error', async () => {
    const abort = new AbortController();
    const clock = { ...fakeClock(), sleep: async () => { abort.abort(); } };
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const call = jest.fn(() => Promise.reject(throttled));

    await expect(withRetry(call, clock, DEFAULT_RETRY_POLICY, abort.signal)).rejects.toBe(throttled);

    expect(call).toHaveBeenCalledTimes(1);
  });
});
