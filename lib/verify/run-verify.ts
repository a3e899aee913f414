import { checkAlarms } from './alarms';
import { describeProgress, describeServing, servingBroken, servingFailures, servingInProgress } from './endpoints';
import { VerifyClients, VerifyIo } from './io';
import { formatDuration, VerifyOptions } from './options';
import { errorText, redactOutputs } from './redact';
import { renderJson, renderText, VerifyFailure, VerifyReport } from './report';
import { sendSmokeRequest } from './smoke';
import { describeStack, listStackResources, StackNotFoundError, stackState, verifyTargets } from './stack';
import { pollUntil, WaitWindow } from './wait';

type Draft = { -readonly [K in keyof VerifyReport]: VerifyReport[K] };

/**
 * Verifies a deployed LLMOps stack and returns the report:
 * 1. the stack exists and is deployed (an update in progress is waited for);
 * 2. its endpoints (the EndpointName output and every AWS::SageMaker::Endpoint) and inference components (the
 *    InferenceComponentName output and every AWS::SageMaker::InferenceComponent) become InService, polled with a
 *    progress line until `timeoutMs` has passed since the start; a Failed one ends the wait at once;
 * 3. every production variant passes `judgeVariant`;
 * 4. none of the stack's alarms (AWS::CloudWatch::Alarm and CompositeAlarm) is in ALARM;
 * 5. with `smokeBody`, one InvokeEndpoint request succeeds within `smokeTimeoutMs`.
 *
 * Never throws for AWS errors: they become failures of the report (AWS_ERROR, STACK_NOT_FOUND).
 */
export async function verify(options: VerifyOptions, clients: VerifyClients, io: VerifyIo): Promise<VerifyReport> {
  const { clock } = io;
  const start = clock.now();
  const window: WaitWindow = { start, deadline: start + options.timeoutMs, pollMs: options.pollMs };
  const failures: VerifyFailure[] = [];
  const report: Draft = {
    // Every key in print order; undefined ones are left out of the JSON.
    schemaVersion: 1, ok: false, stackName: options.stackName, region: options.region ?? await sdkRegion(clients), stackStatus: undefined,
    outputs: {}, endpoints: [], inferenceComponents: [], alarms: undefined, smoke: undefined, failures, elapsedMs: 0,
  };
  const fail = (code: VerifyFailure['code'], message: string): void => { failures.push({ code, message }); };
  const waited = `after ${formatDuration(options.timeoutMs)} (--timeout)`;

  try {
    const stack = await pollUntil(() => describeStack(clients.cloudFormation, options.stackName, clock),
      s => stackState(s.status) !== 'waiting', s => `stack ${s.name} ${s.status}`, window, io);
    report.stackStatus = stack.value.status;
    report.outputs = redactOutputs(stack.value.outputs);
    if (stack.timedOut) {
      fail('TIMEOUT', `stack ${options.stackName} is still ${stack.value.status} ${waited}`);
      return finish(report, clock.now() - start);
    }
    if (stackState(stack.value.status) === 'failed') {
      fail('STACK_STATUS', `stack ${options.stackName} is ${stack.value.status}${stack.value.statusReason ? `: ${stack.value.statusReason}` : ''}`);
      return finish(report, clock.now() - start);
    }

    const resources = await listStackResources(clients.cloudFormation, options.stackName, clock);
    const targets = verifyTargets(stack.value.outputs, resources);
    let servingOk = false;
    if (targets.endpoints.length === 0) {
      fail('NO_ENDPOINT', `stack ${options.stackName} has no EndpointName output and no AWS::SageMaker::Endpoint`);
    } else {
      const serving = await pollUntil(
        () => describeServing(clients.sageMaker, targets.endpoints, targets.inferenceComponents, clock),
        s => !servingInProgress(s) || servingBroken(s), s => describeProgress(s), window, io);
      report.endpoints = serving.value.endpoints;
      report.inferenceComponents = serving.value.inferenceComponents;
      const problems = servingFailures(serving.value);
      failures.push(...problems);
      // Still in progress without a timeout means the wait stopped early for a broken resource, which has failed.
      if (serving.timedOut) fail('TIMEOUT', `still in progress ${waited}: ${describeProgress(serving.value, true)}`);
      servingOk = failures.length === 0;
    }

    report.alarms = await checkAlarms(clients.cloudWatch, resources.alarms, clock);
    for (const a of report.alarms.inAlarm) fail('ALARM', `alarm ${a.name} is in ALARM${a.reason ? `: ${a.reason}` : ''}`);

    if (options.smokeBody !== undefined && targets.smokeEndpoint) {
      const target = { endpointName: targets.smokeEndpoint, inferenceComponentName: targets.smokeInferenceComponent };
      if (!servingOk) {
        report.smoke = { ...target, result: 'skipped' };
      } else {
        report.smoke = await sendSmokeRequest(clients.sageMakerRuntime, target, options.smokeBody, options.smokeTimeoutMs, clock);
        if (report.smoke.result === 'timeout') fail('SMOKE_TIMEOUT', `smoke request to ${target.endpointName}: ${report.smoke.error}`);
        if (report.smoke.result === 'failed') fail('SMOKE_FAILED', `smoke request to ${target.endpointName} failed: ${report.smoke.error}`);
      }
    } else if (options.smokeBody !== undefined && targets.endpoints.length > 0) {
      fail('SMOKE_FAILED', `no endpoint for the smoke request: the stack has no EndpointName output and ${targets.endpoints.length} endpoints`);
    }
  } catch (e) {
    if (e instanceof StackNotFoundError) {
      fail('STACK_NOT_FOUND', `stack ${e.stackName} not found${report.region ? ` in ${report.region}` : ''} (${e.message}); check --env, --project, --stack and --region`);
    } else {
      fail('AWS_ERROR', errorText(e));
    }
  }
  return finish(report, clock.now() - start);
}

function finish(report: Draft, elapsedMs: number): VerifyReport {
  report.ok = report.failures.length === 0;
  report.elapsedMs = elapsedMs;
  return report;
}

/** The region the clients were built for, or undefined when none is configured. */
async function sdkRegion(clients: VerifyClients): Promise<string | undefined> {
  try {
    return await clients.cloudFormation.config.region();
  } catch {
    return undefined;
  }
}

/**
 * Runs {@link verify}, writes the report (JSON with `options.json`, else text) to `io.out`, and returns the
 * process exit code: 0 when healthy, 1 when any check failed.
 */
export async function runVerify(options: VerifyOptions, clients: VerifyClients, io: VerifyIo): Promise<number> {
  const report = await verify(options, clients, io);
  io.out.write(options.json ? renderJson(report) : renderText(report));
  return report.ok ? 0 : 1;
}
