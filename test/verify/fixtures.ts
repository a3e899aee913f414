// A fake AWS world for `llmops verify`: mocked clients, a virtual clock and captured output.
import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  Stack,
  StackResourceSummary,
} from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, DescribeAlarmsCommand, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import {
  DescribeEndpointCommand,
  DescribeEndpointCommandOutput,
  DescribeInferenceComponentCommand,
  ProductionVariantSummary,
  SageMakerClient,
  SageMakerServiceException,
} from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { VerifyClients, VerifyClock, VerifyIo, VerifyOptions } from '../../lib/verify';

export const REGION = 'eu-west-1';
export const STACK = 'LlmOps-prod';
export const ENDPOINT = 'llmops-prod-endpoint-a1b2c3';
export const COMPONENT = 'llmops-prod-model-d4e5f6';
export const ALARMS = [`${STACK}-Endpoint-ModelLatencyP99-Critical`, `${STACK}-Endpoint-Error5xxRate-Critical`];
export const COMPOSITE_ALARM = `${STACK}-Endpoint-ServiceHealth-Critical`;

export const cfn = mockClient(CloudFormationClient);
export const sagemaker = mockClient(SageMakerClient);
export const cloudwatch = mockClient(CloudWatchClient);
export const runtime = mockClient(SageMakerRuntimeClient);

/** Real clients (their send is mocked above) for one region. */
export function clients(): VerifyClients {
  const config = { region: REGION, credentials: { accessKeyId: 'AKIAFAKEFAKEFAKE', secretAccessKey: 'fake-secret-access-key' } };
  return {
    cloudFormation: new CloudFormationClient(config),
    sageMaker: new SageMakerClient(config),
    cloudWatch: new CloudWatchClient(config),
    sageMakerRuntime: new SageMakerRuntimeClient(config),
  };
}

/** A virtual clock: `sleep` advances `now` (on the next macrotask, after every settled promise has run). */
export interface FakeClock extends VerifyClock {
  /** Every sleep asked for, in milliseconds. */
  readonly sleeps: number[];
}

export function fakeClock(): FakeClock {
  let now = 1_700_000_000_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    random: () => 1,
    sleep: ms => new Promise<void>(resolve => {
      sleeps.push(ms);
      setImmediate(() => { now += ms; resolve(); });
    }),
  };
}

/** Captured stdout (the report) and stderr (progress). */
export interface CapturedIo extends VerifyIo {
  readonly clock: FakeClock;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

export function captureIo(): CapturedIo {
  let out = '';
  let err = '';
  return {
    clock: fakeClock(),
    out: { write: (t: string) => { out += t; } },
    progress: { write: (t: string) => { err += t; } },
    stdout: () => out,
    stderr: () => err,
  };
}

/** `llmops verify --env prod` with the CLI's defaults. */
export function options(overrides: Partial<VerifyOptions> = {}): VerifyOptions {
  return { stackName: STACK, region: REGION, timeoutMs: 30 * 60_000, pollMs: 15_000, smokeTimeoutMs: 60_000, json: false, ...overrides };
}

export function stack(overrides: Partial<Stack> = {}, outputs: Record<string, string> = { EndpointName: ENDPOINT }): Stack {
  return {
    StackName: STACK,
    StackId: `arn:aws:cloudformation:${REGION}:123456789012:stack/${STACK}/6a1e7c30-1b2c-11f0-9d3e-0a1b2c3d4e5f`,
    StackStatus: 'UPDATE_COMPLETE',
    CreationTime: new Date('2025-01-01T00:00:00Z'),
    Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    ...overrides,
  };
}

export function resource(type: string, physicalId: string, logicalId = physicalId.replace(/[^A-Za-z0-9]/g, '')): StackResourceSummary {
  return { LogicalResourceId: logicalId, PhysicalResourceId: physicalId, ResourceType: type, ResourceStatus: 'UPDATE_COMPLETE', LastUpdatedTimestamp: new Date() };
}

export const endpointArn = (name: string): string => `arn:aws:sagemaker:${REGION}:123456789012:endpoint/${name.toLowerCase()}`;
export const componentArn = (name: string): string => `arn:aws:sagemaker:${REGION}:123456789012:inference-component/${name.toLowerCase()}`;

export function variant(overrides: Partial<ProductionVariantSummary> = {}): ProductionVariantSummary {
  return { VariantName: 'AllTraffic', CurrentInstanceCount: 1, DesiredInstanceCount: 1, CurrentWeight: 1, DesiredWeight: 1, ...overrides };
}

export function endpoint(status: string, variants: ProductionVariantSummary[] = [variant()], extra: Partial<DescribeEndpointCommandOutput> = {}): DescribeEndpointCommandOutput {
  return {
    $metadata: {},
    EndpointName: ENDPOINT,
    EndpointArn: endpointArn(ENDPOINT),
    EndpointConfigName: `${ENDPOINT}-config`,
    EndpointStatus: status as DescribeEndpointCommandOutput['EndpointStatus'],
    ProductionVariants: variants,
    CreationTime: new Date('2025-01-01T00:00:00Z'),
    LastModifiedTime: new Date('2025-01-02T00:00:00Z'),
    ...extra,
  };
}

export function alarm(name: string, state: MetricAlarm['StateValue'] = 'OK', reason?: string): MetricAlarm {
  return { AlarmName: name, StateValue: state, StateReason: reason ?? `Threshold Crossed: state ${state}` };
}

export function cfnError(name: string, message: string): CloudFormationServiceException {
  return new CloudFormationServiceException({ name, $fault: 'client', message, $metadata: { httpStatusCode: 400 } });
}

export function sageMakerError(name: string, message: string, httpStatusCode = 400): SageMakerServiceException {
  return new SageMakerServiceException({ name, $fault: 'client', message, $metadata: { httpStatusCode } });
}

/**
 * The healthy world: the stack deployed with its EndpointName output, one endpoint InService with one instance,
 * two metric alarms and one composite alarm, all OK.
 */
export function healthyWorld(): void {
  cfn.on(DescribeStacksCommand).resolves({ Stacks: [stack()] });
  cfn.on(ListStackResourcesCommand).resolves({
    StackResourceSummaries: [
      resource('AWS::SageMaker::Endpoint', endpointArn(ENDPOINT), 'EndpointResource'),
      ...ALARMS.map(a => resource('AWS::CloudWatch::Alarm', a)),
      resource('AWS::CloudWatch::CompositeAlarm', COMPOSITE_ALARM),
      resource('AWS::SNS::Topic', `arn:aws:sns:${REGION}:123456789012:${STACK}-alarms`),
    ],
  });
  sagemaker.on(DescribeEndpointCommand).resolves(endpoint('InService'));
  sagemaker.on(DescribeInferenceComponentCommand).rejects(sageMakerError('ValidationException', 'no inference component expected'));
  cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: ALARMS.map(a => alarm(a)),
    CompositeAlarms: [{ AlarmName: COMPOSITE_ALARM, StateValue: 'OK' }],
  });
}

export function resetMocks(): void {
  cfn.reset();
  sagemaker.reset();
  cloudwatch.reset();
  runtime.reset();
}
