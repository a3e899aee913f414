import { DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeEndpointCommand, DescribeInferenceComponentCommand } from '@aws-sdk/client-sagemaker';
import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import { runVerify, VerifyReport } from '../../lib/verify';
import {
  ALARMS, alarm, captureIo, cfn, cfnError, clients, cloudwatch, COMPONENT, componentArn, COMPOSITE_ALARM, ENDPOINT, endpoint,
  endpointArn, healthyWorld, options, REGION, resetMocks, resource, runtime, sagemaker, sageMakerError, STACK, stack, variant,
} from './fixtures';

beforeEach(resetMocks);

describe('When the deployment is healthy', () => {
  test('every check passes, exit code 0, a HEALTHY report and no waiting', async () => {
    healthyWorld();
    const io = captureIo();

    const code = await runVerify(options(), clients(), io);

    expect(code).toBe(0);
    expect(io.stdout()).toContain(`llmops verify: ${STACK} (${REGION}): HEALTHY`);
    expect(io.stdout()).toContain(`endpoint   ${ENDPOINT}: InService`);
    expect(io.stdout()).toContain('variant  AllTraffic: 1/1 instances ok');
    expect(io.stdout()).toContain('alarms     3 checked, 0 in ALARM');
    expect(io.stdout()).not.toContain('FAILED');
    expect(io.stderr()).toBe('');
    expect(io.clock.sleeps).toEqual([]);
    expect(cfn.commandCalls(DescribeStacksCommand).map(c => c.args[0].input)).toEqual([{ StackName: STACK }]);
    // The output and the resource name the same endpoint (the ARN lower-cased): described once.
    expect(sagemaker.commandCalls(DescribeEndpointCommand).map(c => c.args[0].input)).toEqual([{ EndpointName: ENDPOINT }]);
    expect(runtime.commandCalls(InvokeEndpointCommand)).toHaveLength(0);
  });

  test('alarms are found among the stack resources and described as metric and composite alarms', async () => {
    healthyWorld();

    await runVerify(options(), clients(), captureIo());

    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map(c => c.args[0].input)).toEqual([
      { AlarmNames: [...ALARMS, COMPOSITE_ALARM], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], MaxRecords: 100, NextToken: undefined },
    ]);
  });

  test('an update still in progress is waited for, with a progress line, then verified', async () => {
    healthyWorld();
    cfn.on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [stack({ StackStatus: 'UPDATE_IN_PROGRESS' })] })
      .resolves({ Stacks: [stack()] });
    const io = captureIo();

    const code = await runVerify(options(), clients(), io);

    expect(code).toBe(0);
    expect(io.stderr()).toBe(`waiting 0s/30m: stack ${STACK} UPDATE_IN_PROGRESS\n`);
    expect(io.clock.sleeps).toEqual([15_000]);
  });
});

describe('When an endpoint is Updating, then InService', () => {
  test('verify waits --poll between looks, prints a progress line per wait, and passes', async () => {
    healthyWorld();
    sagemaker.on(DescribeEndpointCommand)
      .resolvesOnce(endpoint('Updating', [variant({ VariantStatus: [{ Status: 'Baking', StartTime: new Date() }] })]))
      .resolvesOnce(endpoint('Updating', [variant({ VariantStatus: [{ Status: 'Baking', StartTime: new Date() }] })]))
      .resolves(endpoint('InService'));
    const io = captureIo();

    const code = await runVerify(options(), clients(), io);

    expect(code).toBe(0);
    expect(io.stderr()).toBe(
      `waiting 0s/30m: endpoint ${ENDPOINT} Updating (AllTraffic: Baking)\n` +
      `waiting 15s/30m: endpoint ${ENDPOINT} Updating (AllTraffic: Baking)\n`);
    expect(io.clock.sleeps).toEqual([15_000, 15_000]);
    expect(sagemaker.commandCalls(DescribeEndpointCommand)).toHaveLength(3);
    expect(io.stdout()).toContain('HEALTHY in 30s');
  });

  test('an InService endpoint whose variant is still Baking is waited for too', async () => {
    healthyWorld();
    sagemaker.on(DescribeEndpointCommand)
      .resolvesOnce(endpoint('InService', [variant({ VariantStatus: [{ Status: 'Baking', StartTime: new Date() }] })]))
      .resolves(endpoint('InService'));
    const io = captureIo();

    expect(await runVerify(options(), clients(), io)).toBe(0);
    expect(io.stderr()).toBe(`waiting 0s/30m: endpoint ${ENDPOINT} InService (AllTraffic: Baking)\n`);
  });
});

describe('When an endpoint has Failed', () => {
  test('verify fails at once with its FailureReason, without waiting or a smoke request', async () => {
    healthyWorld();
    const reason = 'The primary container for production variant AllTraffic did not pass the ping health check.';
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('Failed', [variant({ CurrentInstanceCount: 0 })], { FailureReason: reason }));
    const io = captureIo();

    const code = await runVerify(options({ smokeBody: '{"inputs":"ping"}' }), clients(), io);

    expect(code).toBe(1);
    expect(io.stdout()).toContain(`FAILED [ENDPOINT_UNHEALTHY] endpoint ${ENDPOINT} is Failed: ${reason}`);
    expect(io.stdout()).toContain(`smoke      ${ENDPOINT}: skipped: the endpoints are not healthy`);
    expect(io.clock.sleeps).toEqual([]);
    expect(runtime.commandCalls(InvokeEndpointCommand)).toHaveLength(0);
  });

  test('a failed endpoint ends the wait even while another is still Updating', async () => {
    healthyWorld();
    cfn.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: [resource('AWS::SageMaker::Endpoint', endpointArn(ENDPOINT)), resource('AWS::SageMaker::Endpoint', endpointArn('other'))],
    });
    sagemaker.on(DescribeEndpointCommand, { EndpointName: ENDPOINT }).resolves(endpoint('Failed', [], { FailureReason: 'CapacityError' }));
    sagemaker.on(DescribeEndpointCommand, { EndpointName: 'other' }).resolves(endpoint('Updating', [], { EndpointName: 'other' }));
    const io = captureIo();

    const report = await json(io, options());

    expect(report.failures).toEqual([{ code: 'ENDPOINT_UNHEALTHY', message: `endpoint ${ENDPOINT} is Failed: CapacityError` }]);
    expect(report.endpoints.map(e => [e.name, e.status])).toEqual([[ENDPOINT, 'Failed'], ['other', 'Updating']]);
    expect(io.clock.sleeps).toEqual([]);
  });

  test('a missing endpoint (named by the output but deleted) fails as NotFound', async () => {
    healthyWorld();
    sagemaker.on(DescribeEndpointCommand).rejects(sageMakerError('ValidationException', `Could not find endpoint "${endpointArn(ENDPOINT)}".`));

    const report = await json(captureIo(), options());

    expect(report.failures).toEqual([{ code: 'ENDPOINT_UNHEALTHY', message: `endpoint ${ENDPOINT} is NotFound: Could not find endpoint "${endpointArn(ENDPOINT)}".` }]);
  });
});

describe('When an alarm is firing', () => {
  test('verify fails and the report names the alarm and its reason', async () => {
    healthyWorld();
    const firing = ALARMS[1];
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [alarm(ALARMS[0]), alarm(firing, 'ALARM', 'Threshold Crossed: 3 datapoints were greater than the threshold (0.05).')],
      CompositeAlarms: [{ AlarmName: COMPOSITE_ALARM, StateValue: 'ALARM', StateReason: 'arn:...Error5xxRate-Critical transitioned to ALARM' }],
    });
    const io = captureIo();

    const code = await runVerify(options(), clients(), io);

    expect(code).toBe(1);
    expect(io.stdout()).toContain('alarms     3 checked, 2 in ALARM');
    expect(io.stdout()).toContain(`  ALARM    ${firing}\n`);
    expect(io.stdout()).toContain(`FAILED [ALARM] alarm ${firing} is in ALARM: Threshold Crossed: 3 datapoints were greater than the threshold (0.05).`);
    expect(io.stdout()).toContain(`FAILED [ALARM] alarm ${COMPOSITE_ALARM} is in ALARM`);
  });

  test('INSUFFICIENT_DATA (a fresh alarm) passes', async () => {
    healthyWorld();
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: ALARMS.map(a => alarm(a, 'INSUFFICIENT_DATA')) });

    expect(await runVerify(options(), clients(), captureIo())).toBe(0);
  });

  test('alarm names go to DescribeAlarms 100 at a time, every page of each batch read', async () => {
    healthyWorld();
    const names = Array.from({ length: 230 }, (_, i) => `${STACK}-Alarm${i}-Warning`);
    cfn.on(ListStackResourcesCommand)
      .resolvesOnce({ StackResourceSummaries: [resource('AWS::SageMaker::Endpoint', endpointArn(ENDPOINT)), ...names.slice(0, 150).map(n => resource('AWS::CloudWatch::Alarm', n))], NextToken: 'page2' })
      .resolves({ StackResourceSummaries: names.slice(150).map(n => resource('AWS::CloudWatch::Alarm', n)) });
    cloudwatch.on(DescribeAlarmsCommand).callsFake((input: { AlarmNames: string[]; NextToken?: string }) => {
      // Pages of 60: the first page of a batch of 100 has a NextToken.
      const from = input.NextToken ? 60 : 0;
      const page = input.AlarmNames.slice(from, from + 60);
      const last = input.AlarmNames[input.AlarmNames.length - 1];
      return { MetricAlarms: page.map(n => alarm(n, n === names[229] ? 'ALARM' : 'OK')), NextToken: page.includes(last) ? undefined : 'more' };
    });

    const report = await json(captureIo(), options());

    expect(cfn.commandCalls(ListStackResourcesCommand).map(c => c.args[0].input.NextToken)).toEqual([undefined, 'page2']);
    const calls = cloudwatch.commandCalls(DescribeAlarmsCommand).map(c => [c.args[0].input.AlarmNames!.length, c.args[0].input.NextToken]);
    expect(calls).toEqual([[100, undefined], [100, 'more'], [100, undefined], [100, 'more'], [30, undefined]]);
    expect(report.alarms).toEqual({ checked: 230, inAlarm: [{ name: names[229], reason: 'Threshold Crossed: state ALARM' }] });
  });
});

describe('When AWS throttles', () => {
  test('ThrottlingException and TooManyRequestsException are retried with backoff through the injected sleep, then pass', async () => {
    healthyWorld();
    cfn.on(DescribeStacksCommand).rejectsOnce(cfnError('Throttling', 'Rate exceeded')).resolves({ Stacks: [stack()] });
    sagemaker.on(DescribeEndpointCommand)
      .rejectsOnce(sageMakerError('ThrottlingException', 'Rate exceeded'))
      .rejectsOnce(sageMakerError('ThrottlingException', 'Rate exceeded'))
      .resolves(endpoint('InService'));
    cloudwatch.on(DescribeAlarmsCommand)
      .rejectsOnce(Object.assign(new Error('Too many requests'), { name: 'TooManyRequestsException' }))
      .resolves({ MetricAlarms: ALARMS.map(a => alarm(a)) });
    const io = captureIo();

    const code = await runVerify(options(), clients(), io);

    expect(code).toBe(0);
    // Exponential: 1 s, then 2 s (jitter at its maximum: the fake random() returns 1).
    expect(io.clock.sleeps).toEqual([1_000, 1_000, 2_000, 1_000]);
    expect(io.stderr()).toBe(''); // retries are not waits for the deployment
  });

  test('HTTP 429 counts as throttling, whatever the error name', async () => {
    healthyWorld();
    sagemaker.on(DescribeEndpointCommand).rejectsOnce(sageMakerError('SomethingNew', 'slow down', 429)).resolves(endpoint('InService'));

    expect(await runVerify(options(), clients(), captureIo())).toBe(0);
  });

  test('throttling that never stops gives up after 6 attempts with AWS_ERROR', async () => {
    healthyWorld();
    sagemaker.on(DescribeEndpointCommand).rejects(sageMakerError('ThrottlingException', 'Rate exceeded'));
    const io = captureIo();

    const report = await json(io, options());

    expect(sagemaker.commandCalls(DescribeEndpointCommand)).toHaveLength(6);
    expect(io.clock.sleeps).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
    expect(report.failures).toEqual([{ code: 'AWS_ERROR', message: 'ThrottlingException: Rate exceeded' }]);
  });

  test('other errors are not retried: AccessDenied fails at once, with the reason', async () => {
    healthyWorld();
    cfn.on(DescribeStacksCommand).rejects(cfnError('AccessDenied', 'User: arn:aws:sts::123456789012:assumed-role/ci/job is not authorized to perform: cloudformation:DescribeStacks'));
    const io = captureIo();

    const code = await runVerify(options(), clients(), io);

    expect(code).toBe(1);
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(1);
    expect(io.stdout()).toContain('FAILED [AWS_ERROR] AccessDenied: User: arn:aws:sts::123456789012:assumed-role/ci/job is not authorized');
  });
});

describe('When the stack does not exist', () => {
  test('verify fails with STACK_NOT_FOUND naming the stack and region, and calls nothing else', async () => {
    cfn.on(DescribeStacksCommand).rejects(cfnError('ValidationError', `Stack with id ${STACK} does not exist`));
    const io = captureIo();

    const code = await runVerify(options(), clients(), io);

    expect(code).toBe(1);
    expect(io.stdout()).toContain(`FAILED [STACK_NOT_FOUND] stack ${STACK} not found in ${REGION} (Stack with id ${STACK} does not exist); check --env, --project, --stack and --region`);
    expect(cfn.commandCalls(ListStackResourcesCommand)).toHaveLength(0);
    expect(sagemaker.calls()).toHaveLength(0);
    expect(cloudwatch.calls()).toHaveLength(0);
  });
});

describe('When the stack did not deploy', () => {
  test.each(['UPDATE_ROLLBACK_COMPLETE', 'ROLLBACK_COMPLETE', 'UPDATE_FAILED', 'DELETE_IN_PROGRESS', 'REVIEW_IN_PROGRESS'])('%s fails with STACK_STATUS and its reason', async status => {
    healthyWorld();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack({ StackStatus: status as 'UPDATE_COMPLETE', StackStatusReason: 'The following resource(s) failed to update: [Endpoint]' })] });

    const report = await json(captureIo(), options());

    expect(report.failures).toEqual([{ code: 'STACK_STATUS', message: `stack ${STACK} is ${status}: The following resource(s) failed to update: [Endpoint]` }]);
    expect(sagemaker.calls()).toHaveLength(0);
  });

  test('a stack with no endpoint (e.g. the registry stack) fails with NO_ENDPOINT', async () => {
    healthyWorld();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack({}, {})] });
    cfn.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: [] });

    const report = await json(captureIo(), options());

    expect(report.failures.map(f => f.code)).toEqual(['NO_ENDPOINT']);
  });
});

describe('When an endpoint never becomes InService', () => {
  test('verify gives up at --timeout by the injected clock, with TIMEOUT and what is still in progress', async () => {
    healthyWorld();
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('Creating', [variant({ CurrentInstanceCount: 0, VariantStatus: [{ Status: 'Creating', StartTime: new Date() }] })]));
    const io = captureIo();

    const code = await runVerify(options({ timeoutMs: 30 * 60_000, pollMs: 15_000 }), clients(), io);

    expect(code).toBe(1);
    expect(sagemaker.commandCalls(DescribeEndpointCommand)).toHaveLength(121); // at 0 s, 15 s, ..., 30 m
    expect(io.clock.sleeps.every(ms => ms === 15_000)).toBe(true);
    expect(io.stderr().split('\n').filter(Boolean)).toHaveLength(120);
    expect(io.stderr()).toContain(`waiting 29m45s/30m: endpoint ${ENDPOINT} Creating (AllTraffic: Creating)\n`);
    expect(io.stdout()).toContain(`FAILED [TIMEOUT] still in progress after 30m (--timeout): endpoint ${ENDPOINT} Creating (AllTraffic: Creating)`);
    expect(io.stdout()).toContain('FAILED in 30m');
  });

  test('the last sleep is cut short so that the wait ends at the deadline', async () => {
    healthyWorld();
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('Updating'));
    const io = captureIo();

    await runVerify(options({ timeoutMs: 40_000, pollMs: 15_000 }), clients(), io);

    expect(io.clock.sleeps).toEqual([15_000, 15_000, 10_000]);
  });
});

describe('When the endpoint has several production variants', () => {
  test('every variant is checked: one without instances fails and is named', async () => {
    healthyWorld();
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', [
      variant({ VariantName: 'Blue', CurrentInstanceCount: 2, DesiredInstanceCount: 2 }),
      variant({ VariantName: 'Green', CurrentInstanceCount: 0, DesiredInstanceCount: 1 }),
    ]));
    const io = captureIo();

    expect(await runVerify(options(), clients(), io)).toBe(1);
    expect(io.stdout()).toContain('variant  Blue: 2/2 instances ok');
    expect(io.stdout()).toContain('variant  Green: 0/1 instances UNHEALTHY (no instance, and scaling to zero is not configured)');
    expect(io.stdout()).toContain(`FAILED [VARIANT_UNHEALTHY] endpoint ${ENDPOINT} variant Green: no instance, and scaling to zero is not configured`);
  });

  test('an InService endpoint that reports no variant fails', async () => {
    healthyWorld();
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', []));

    const report = await json(captureIo(), options());

    expect(report.failures).toEqual([{ code: 'VARIANT_UNHEALTHY', message: `endpoint ${ENDPOINT} reports no production variant` }]);
  });
});

describe('When the stack serves an inference component', () => {
  const outputs = { EndpointName: ENDPOINT, InferenceComponentName: COMPONENT };
  const scaledToZero = variant({ CurrentInstanceCount: 0, DesiredInstanceCount: 0, ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 0, MaxInstanceCount: 2 } });

  function componentWorld(): void {
    healthyWorld();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack({}, outputs)] });
    cfn.on(ListStackResourcesCommand).resolves({
      StackResourceSummaries: [
        resource('AWS::SageMaker::Endpoint', endpointArn(ENDPOINT)),
        resource('AWS::SageMaker::InferenceComponent', componentArn(COMPONENT)),
        resource('AWS::SageMaker::InferenceComponent', componentArn('llmops-prod-adapter')),
      ],
    });
    sagemaker.on(DescribeInferenceComponentCommand).callsFake((input: { InferenceComponentName: string }) => ({
      InferenceComponentName: input.InferenceComponentName, InferenceComponentStatus: 'InService', RuntimeConfig: { CurrentCopyCount: 0, DesiredCopyCount: 0 },
    }));
  }

  test('an endpoint scaled to zero instances is healthy when it is InService', async () => {
    componentWorld();
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService', [scaledToZero]));
    const io = captureIo();

    expect(await runVerify(options(), clients(), io)).toBe(0);
    expect(io.stdout()).toContain('variant  AllTraffic: 0/0 instances ok (scaled to zero (managed instance scaling, minimum 0))');
    expect(io.stdout()).toContain(`component  ${COMPONENT}: InService, 0/0 copies`);
    expect(sagemaker.commandCalls(DescribeInferenceComponentCommand).map(c => c.args[0].input.InferenceComponentName)).toEqual([COMPONENT, 'llmops-prod-adapter']);
  });

  test('the same endpoint scaled to zero is not healthy when it is not InService', async () => {
    componentWorld();
    sagemaker.on(DescribeEndpointCommand).resolves(endpoint('OutOfService', [scaledToZero]));

    const report = await json(captureIo(), options());

    expect(report.ok).toBe(false);
    expect(report.endpoints[0].variants[0]).toMatchObject({ healthy: false, note: 'endpoint is OutOfService' });
    expect(report.failures).toEqual([{ code: 'ENDPOINT_UNHEALTHY', message: `endpoint ${ENDPOINT} is OutOfService` }]);
  });

  test('an inference component that Failed fails with its reason', async () => {
    componentWorld();
    sagemaker.on(DescribeInferenceComponentCommand, { InferenceComponentName: COMPONENT }).resolves({
      InferenceComponentName: COMPONENT, InferenceComponentStatus: 'Failed', FailureReason: 'Insufficient accelerators on the fleet',
    });

    const report = await json(captureIo(), options());

    expect(report.failures).toEqual([{ code: 'INFERENCE_COMPONENT_UNHEALTHY', message: `inference component ${COMPONENT} is Failed: Insufficient accelerators on the fleet` }]);
  });

  test('an inference component still Creating is waited for', async () => {
    componentWorld();
    sagemaker.on(DescribeInferenceComponentCommand, { InferenceComponentName: COMPONENT })
      .resolvesOnce({ InferenceComponentName: COMPONENT, InferenceComponentStatus: 'Creating' })
      .resolves({ InferenceComponentName: COMPONENT, InferenceComponentStatus: 'InService', RuntimeConfig: { CurrentCopyCount: 1, DesiredCopyCount: 1 } });
    const io = captureIo();

    expect(await runVerify(options(), clients(), io)).toBe(0);
    expect(io.stderr()).toBe(`waiting 0s/30m: endpoint ${ENDPOINT} InService, component ${COMPONENT} Creating, component llmops-prod-adapter InService\n`);
  });

  test('the smoke request names the InferenceComponentName output', async () => {
    componentWorld();
    runtime.on(InvokeEndpointCommand).resolves({ Body: new TextEncoder().encode('{"generated_text":"pong"}') as never, ContentType: 'application/json' });

    const report = await json(captureIo(), options({ smokeBody: '{"inputs":"ping"}' }));

    expect(report.ok).toBe(true);
    const input = runtime.commandCalls(InvokeEndpointCommand)[0].args[0].input;
    expect({ ...input, Body: new TextDecoder().decode(input.Body as Uint8Array) }).toEqual({
      EndpointName: ENDPOINT, InferenceComponentName: COMPONENT, ContentType: 'application/json', Accept: 'application/json', Body: '{"inputs":"ping"}',
    });
    expect(report.smoke).toEqual({ endpointName: ENDPOINT, inferenceComponentName: COMPONENT, result: 'ok', latencyMs: 0, responseBytes: 25, contentType: 'application/json' });
  });
});

describe('When a smoke request is asked for', () => {
  test('success prints the latency and response length, never the body; no InferenceComponentName on a plain endpoint', async () => {
    healthyWorld();
    runtime.on(InvokeEndpointCommand).resolves({ Body: new TextEncoder().encode('{"generated_text":"the answer"}') as never, ContentType: 'application/json' });
    const io = captureIo();

    const code = await runVerify(options({ smokeBody: '{"inputs":"What is 6 x 7?"}' }), clients(), io);

    expect(code).toBe(0);
    expect(io.stdout()).toContain(`smoke      ${ENDPOINT}: ok in 0 ms, 31 bytes of application/json`);
    expect(io.stdout()).not.toContain('the answer');
    expect(io.stdout()).not.toContain('6 x 7');
    expect(runtime.commandCalls(InvokeEndpointCommand)[0].args[0].input.InferenceComponentName).toBeUndefined();
  });

  test('an error fails with SMOKE_FAILED; a ModelError\'s message (it may quote the model\'s output) is withheld', async () => {
    healthyWorld();
    runtime.on(InvokeEndpointCommand).rejects(Object.assign(
      new Error('Received client error (400) from primary with message "{"error":"Input validation error: sk-live-0123456789"}".'),
      { name: 'ModelError', OriginalStatusCode: 400 }));
    const io = captureIo();

    const code = await runVerify(options({ smokeBody: '{"inputs":"ping"}' }), clients(), io);

    expect(code).toBe(1);
    expect(io.stdout()).toContain(`FAILED [SMOKE_FAILED] smoke request to ${ENDPOINT} failed: ModelError (HTTP 400); message withheld: it may contain the model's output`);
    expect(io.stdout()).not.toContain('sk-live');
  });

  test('no answer within --smoke-timeout fails with SMOKE_TIMEOUT and aborts the request', async () => {
    healthyWorld();
    runtime.on(InvokeEndpointCommand).callsFake(() => new Promise(() => { /* never answers */ }));
    const io = captureIo();

    const report = await json(io, options({ smokeBody: '{"inputs":"ping"}', smokeTimeoutMs: 60_000 }));

    expect(report.smoke).toEqual({ endpointName: ENDPOINT, result: 'timeout', latencyMs: 60_000, error: 'no response within 1m (--smoke-timeout)' });
    expect(report.failures).toEqual([{ code: 'SMOKE_TIMEOUT', message: `smoke request to ${ENDPOINT}: no response within 1m (--smoke-timeout)` }]);
    expect(io.clock.sleeps).toEqual([60_000]);
    const sendOptions = (runtime.commandCalls(InvokeEndpointCommand)[0].args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined;
    expect(sendOptions?.abortSignal?.aborted).toBe(true);
  });
});

describe('When --json is given', () => {
  test('stdout is exactly the report as JSON, with a stable shape', async () => {
    healthyWorld();
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack({}, { EndpointName: ENDPOINT, ApplicationRoleArn: 'arn:aws:iam::123456789012:role/app', GuardrailId: 'gr-123' })] });
    const io = captureIo();

    const code = await runVerify(options({ json: true }), clients(), io);

    expect(code).toBe(0);
    expect(Object.keys(JSON.parse(io.stdout()))).toEqual([
      'schemaVersion', 'ok', 'stackName', 'region', 'stackStatus', 'outputs', 'endpoints', 'inferenceComponents', 'alarms', 'failures', 'elapsedMs',
    ]);
    expect(JSON.parse(io.stdout())).toEqual({
      schemaVersion: 1,
      ok: true,
      stackName: STACK,
      region: REGION,
      stackStatus: 'UPDATE_COMPLETE',
      outputs: { EndpointName: ENDPOINT, ApplicationRoleArn: 'arn:aws:iam::123456789012:role/app', GuardrailId: 'gr-123' },
      endpoints: [{ name: ENDPOINT, status: 'InService', variants: [{ name: 'AllTraffic', currentInstanceCount: 1, desiredInstanceCount: 1, statuses: [], healthy: true }] }],
      inferenceComponents: [],
      alarms: { checked: 3, inAlarm: [] },
      failures: [],
      elapsedMs: 0,
    });
  });

  test('failures carry a stable code and a message', async () => {
    cfn.on(DescribeStacksCommand).rejects(cfnError('ValidationError', `Stack with id ${STACK} does not exist`));

    const report = await json(captureIo(), options());

    expect(report).toMatchObject({ ok: false, stackName: STACK, outputs: {}, endpoints: [], failures: [{ code: 'STACK_NOT_FOUND' }] });
    expect(report.stackStatus).toBeUndefined();
    expect(report.alarms).toBeUndefined();
  });
});

describe('When outputs or responses hold secrets', () => {
  test('outputs whose key contains Secret, Token or Password are redacted; bodies and credentials are never printed', async () => {
    healthyWorld();
    const secretValues = ['arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf', 'tok-0123456789', 'hunter2'];
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack({}, {
      EndpointName: ENDPOINT, DatabaseSecretArn: secretValues[0], ApiTOKEN: secretValues[1], AdminPassword: secretValues[2],
    })] });
    runtime.on(InvokeEndpointCommand).resolves({ Body: new TextEncoder().encode('{"generated_text":"confidential answer"}') as never });
    const smokeBody = '{"inputs":"my api key is sk-live-9876543210"}';

    for (const json of [false, true]) {
      const io = captureIo();
      expect(await runVerify(options({ smokeBody, json }), clients(), io)).toBe(0);
      const printed = io.stdout() + io.stderr();
      for (const value of [...secretValues, 'sk-live', 'confidential answer', 'fake-secret-access-key', 'AKIAFAKEFAKEFAKE']) expect(printed).not.toContain(value);
      expect(printed).toContain(json ? '"DatabaseSecretArn": "<redacted>"' : 'output     DatabaseSecretArn = <redacted>');
      expect(printed).toContain(json ? '"ApiTOKEN": "<redacted>"' : 'output     AdminPassword = <redacted>');
      expect(printed).toContain(ENDPOINT);
    }
  });
});

/** Runs verify with --json and returns the parsed report. */
async function json(io: ReturnType<typeof captureIo>, opts: ReturnType<typeof options>): Promise<VerifyReport> {
  await runVerify({ ...opts, json: true }, clients(), io);
  return JSON.parse(io.stdout()) as VerifyReport;
}
