// Runtime code (bundled into a Lambda by esbuild): promotes an approved model package.
// Invoked asynchronously by an EventBridge rule on "SageMaker Model Package State Change". When a package of the
// configured group is Approved (and SageMaker still says so), its ARN is written to the SSM parameter the endpoint
// stack reads at deploy time, and the rollout is started as a CloudFormation update of that stack with the previous
// template and the previous parameter values: CloudFormation re-resolves the SSM-typed parameter, so the template
// stays the single truth and the endpoint's deployment policy and rollback alarms guard the rollout. The handler
// never calls SageMaker UpdateEndpoint.
import { createHash } from 'crypto';
import {
  Capability,
  CloudFormationClient,
  DescribeStacksCommand,
  Stack,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { GetParameterCommand, GetParameterHistoryCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

/** One IAM permission the promotion handler needs. `{placeholders}` in `resource` are filled in by the construct. */
export interface PromotionPermission {
  readonly actions: readonly string[];
  /** An ARN pattern; `{partition}`, `{region}` and `{account}` are the stack's, the others are named below. */
  readonly resource: string;
  /** IAM condition block, when the permission must be narrowed further. */
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Why the handler (or CloudFormation on its behalf) needs it. */
  readonly purpose: string;
}

/**
 * Everything the promotion handler's role needs, scoped to one group, one parameter and one stack.
 *
 * - `{modelPackageGroupNameLowercase}`: SageMaker writes names in ARNs in lower case, and IAM compares ARNs
 *   case-sensitively, so the group name must be lower-cased (or be lower case to begin with).
 * - `{parameterName}`: the parameter's name without its leading `/` (as in the parameter's ARN).
 * - `{stackName}`: the stack to update.
 * - `{stackServiceRoleArn}`: the role the stack was deployed with (with the CDK's modern bootstrap,
 *   `arn:{partition}:iam::{account}:role/cdk-{qualifier}-cfn-exec-role-{account}-{region}`). An update without a
 *   `RoleARN` reuses it, and CloudFormation still checks that the caller may pass it.
 * - `{stackSsmParameterNames}`: every parameter named by an `AWS::SSM::Parameter::Value<...>` parameter of the
 *   stack. CloudFormation resolves them with the caller's credentials on every update: the promoted parameter and,
 *   for a CDK stack, the bootstrap version parameter `cdk-bootstrap/{qualifier}/version`.
 */
export const PROMOTION_PERMISSIONS: readonly PromotionPermission[] = [
  {
    actions: ['sagemaker:DescribeModelPackage'],
    resource: 'arn:{partition}:sagemaker:{region}:{account}:model-package/{modelPackageGroupNameLowercase}/*',
    purpose: 'confirm that the package is still Approved and belongs to the group (events can arrive out of order)',
  },
  {
    actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:GetParameterHistory'],
    resource: 'arn:{partition}:ssm:{region}:{account}:parameter/{parameterName}',
    purpose: 'read the promoted package ARN, write the newly approved one, and find the previous one when a package is rejected',
  },
  {
    actions: ['ssm:GetParameters'],
    resource: 'arn:{partition}:ssm:{region}:{account}:parameter/{stackSsmParameterNames}',
    purpose: 'CloudFormation resolves the stack\'s SSM-typed parameters with the caller\'s credentials on UpdateStack',
  },
  {
    actions: ['cloudformation:DescribeStacks', 'cloudformation:UpdateStack'],
    resource: 'arn:{partition}:cloudformation:{region}:{account}:stack/{stackName}/*',
    purpose: 'read the stack\'s parameters and status, and start the update that rolls the new package out',
  },
  {
    actions: ['iam:PassRole'],
    resource: '{stackServiceRoleArn}',
    conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    purpose: 'CloudFormation reuses the service role the stack was deployed with, and checks that the caller may pass it',
  },
];

/** The capabilities the update acknowledges: the stack's template was already accepted with them. */
export const UPDATE_CAPABILITIES: Capability[] = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'];

/** The EventBridge event this handler receives (only the fields it reads). */
export interface ModelPackageStateChangeEvent {
  readonly source?: string;
  readonly 'detail-type'?: string;
  readonly detail?: {
    readonly ModelPackageGroupName?: string;
    readonly ModelPackageArn?: string;
    readonly ModelPackageVersion?: number;
    readonly ModelApprovalStatus?: string;
  };
}

export type PromotionResult =
  | { readonly action: 'ignored'; readonly reason: string; readonly modelPackageArn?: string }
  | {
    /** `reverted`: a rejected package was replaced by the newest earlier approved one, or 'none' (the base model). */
    readonly action: 'promoted' | 'already-current' | 'reverted';
    readonly modelPackageArn: string;
    readonly parameterUpdated: boolean;
    readonly stackId: string;
  };

/**
 * The stack is in a `*_IN_PROGRESS` state. The parameter already holds the new ARN; the invocation fails so the
 * asynchronous retry starts the update later (and the next deploy of the stack would pick the package up anyway).
 */
export class StackBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StackBusyError';
  }
}

/** The handler's configuration, from the environment. */
export interface PromotionConfig {
  readonly parameterName: string;
  readonly stackName: string;
  readonly modelPackageGroupName: string;
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') throw new Error(`environment variable ${name} must be set`);
  return value;
}

export function configFromEnv(): PromotionConfig {
  return {
    parameterName: requireEnv('PARAMETER_NAME'),
    stackName: requireEnv('STACK_NAME'),
    modelPackageGroupName: requireEnv('MODEL_PACKAGE_GROUP_NAME'),
  };
}

/** The parts of a versioned model package ARN. */
export interface ModelPackageArnParts {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  /** As written in the ARN: SageMaker lower-cases it. */
  readonly group: string;
  readonly version: number;
}

const MODEL_PACKAGE_ARN = /^arn:(aws[a-z-]*):sagemaker:([a-z0-9-]+):(\d{12}):model-package\/([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})\/([1-9]\d{0,9})$/;

/** Parses `arn:aws*:sagemaker:<region>:<account>:model-package/<group>/<version>`; undefined when it does not match. */
export function parseModelPackageArn(arn: string): ModelPackageArnParts | undefined {
  const m = MODEL_PACKAGE_ARN.exec(arn);
  if (!m) return undefined;
  return { partition: m[1], region: m[2], account: m[3], group: m[4], version: Number(m[5]) };
}

/**
 * The UpdateStack ClientRequestToken: derived only from the package ARN and the version of the parameter that
 * holds it, so a repeated event sends the same token (and cannot start a second update), while promoting the same
 * package again later (after another one, which writes the parameter again and bumps its version) gets a new one.
 * Matches `[a-zA-Z0-9][-a-zA-Z0-9]*`, at most 128 characters.
 */
export function clientRequestToken(modelPackageArn: string, parameterVersion: number | undefined): string {
  const digest = createHash('sha256').update(`${modelPackageArn}\n${parameterVersion ?? ''}`).digest('hex').slice(0, 40);
  const version = parseModelPackageArn(modelPackageArn)?.version;
  return ['promote', version === undefined ? undefined : `v${version}`, parameterVersion === undefined ? undefined : `p${parameterVersion}`, digest]
    .filter((part): part is string => part !== undefined)
    .join('-');
}

const STATE_CHANGE = 'SageMaker Model Package State Change';
const IN_PROGRESS_MESSAGE = /\bis in ([A-Z_]+_IN_PROGRESS) state\b/;
const NO_UPDATES_MESSAGE = 'No updates are to be performed';

let sagemakerClient: SageMakerClient | undefined;
let ssmClient: SSMClient | undefined;
let cloudFormationClient: CloudFormationClient | undefined;

/** The clients, created on first use (tests replace them with aws-sdk-client-mock). */
function sagemaker(): SageMakerClient {
  sagemakerClient ??= new SageMakerClient({});
  return sagemakerClient;
}
function ssm(): SSMClient {
  ssmClient ??= new SSMClient({});
  return ssmClient;
}
function cloudFormation(): CloudFormationClient {
  cloudFormationClient ??= new CloudFormationClient({});
  return cloudFormationClient;
}

function log(entry: Record<string, unknown>): void {
  console.log(JSON.stringify(entry));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

/** Wraps an SDK failure as "<what> failed: <message>", keeping the original as the cause. */
function withContext(what: string, err: unknown): Error {
  const wrapped = new Error(`${what} failed: ${messageOf(err)}`, { cause: err });
  const name = errorName(err);
  if (name) wrapped.name = name;
  return wrapped;
}

function ignored(reason: string, modelPackageArn?: string): PromotionResult {
  log({ decision: 'ignored', reason, modelPackageArn });
  return modelPackageArn === undefined ? { action: 'ignored', reason } : { action: 'ignored', reason, modelPackageArn };
}

/** Checks the event itself; returns the ARN to promote, or the reason to ignore the event. */
function checkEvent(event: ModelPackageStateChangeEvent | undefined, config: PromotionConfig): { arn: string; status: 'Approved' | 'Rejected' } | { reason: string; arn?: string } {
  if (event?.source !== 'aws.sagemaker' || event['detail-type'] !== STATE_CHANGE) {
    return { reason: `not a "${STATE_CHANGE}" event from aws.sagemaker (source ${JSON.stringify(event?.source)}, detail-type ${JSON.stringify(event?.['detail-type'])})` };
  }
  const detail = event.detail ?? {};
  const arn = typeof detail.ModelPackageArn === 'string' ? detail.ModelPackageArn : undefined;
  if (detail.ModelPackageGroupName !== config.modelPackageGroupName) {
    return { reason: `the package belongs to group ${JSON.stringify(detail.ModelPackageGroupName)}, not ${config.modelPackageGroupName}`, arn };
  }
  const status = detail.ModelApprovalStatus;
  if (status !== 'Approved' && status !== 'Rejected') {
    return { reason: `the package's approval status is ${JSON.stringify(status)}, not Approved (or Rejected, which reverts a promotion)`, arn };
  }
  if (arn === undefined) return { reason: 'the event has no ModelPackageArn' };
  const parts = parseModelPackageArn(arn);
  if (!parts) {
    return { reason: `ModelPackageArn ${JSON.stringify(arn)} is not a versioned model package ARN (arn:aws:sagemaker:<region>:<account>:model-package/<group>/<version>)`, arn };
  }
  if (parts.group !== config.modelPackageGroupName.toLowerCase()) {
    return { reason: `ModelPackageArn ${arn} is in group ${parts.group}, not ${config.modelPackageGroupName}`, arn };
  }
  if (detail.ModelPackageVersion !== undefined && detail.ModelPackageVersion !== parts.version) {
    return { reason: `ModelPackageVersion ${detail.ModelPackageVersion} does not match the version in ${arn}`, arn };
  }
  return { arn, status };
}

/** Asks SageMaker for the package's current state; returns the reason to ignore it, if any. */
async function checkPackage(arn: string, config: PromotionConfig, expected: 'Approved' | 'Rejected' = 'Approved'): Promise<string | undefined> {
  let described;
  try {
    described = await sagemaker().send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
  } catch (err) {
    throw withContext(`describing model package ${arn}`, err);
  }
  if (described.ModelPackageGroupName !== config.modelPackageGroupName) {
    return `SageMaker says ${arn} belongs to group ${JSON.stringify(described.ModelPackageGroupName)}, not ${config.modelPackageGroupName}`;
  }
  if (described.ModelApprovalStatus !== expected) {
    return `SageMaker now says ${arn} is ${JSON.stringify(described.ModelApprovalStatus)}, not ${expected} (the event is stale)`;
  }
  return undefined;
}

/** Writes the ARN to the parameter unless it already holds it; returns whether it wrote, and the parameter version. */
async function writeParameter(arn: string, config: PromotionConfig): Promise<{ updated: boolean; version?: number }> {
  let current: { value?: string; version?: number } = {};
  try {
    const output = await ssm().send(new GetParameterCommand({ Name: config.parameterName }));
    current = { value: output.Parameter?.Value, version: output.Parameter?.Version };
  } catch (err) {
    if (errorName(err) !== 'ParameterNotFound') throw withContext(`reading parameter ${config.parameterName}`, err);
  }
  if (current.value === arn) {
    log({ decision: 'parameter-current', parameterName: config.parameterName, modelPackageArn: arn, parameterVersion: current.version });
    return { updated: false, version: current.version };
  }
  let version: number | undefined;
  try {
    const output = await ssm().send(new PutParameterCommand({ Name: config.parameterName, Value: arn, Type: 'String', Overwrite: true }));
    version = output.Version;
  } catch (err) {
    throw withContext(`writing parameter ${config.parameterName}`, err);
  }
  log({ decision: 'parameter-updated', parameterName: config.parameterName, modelPackageArn: arn, previous: current.value ?? null, parameterVersion: version });
  return { updated: true, version };
}

async function describeStack(stackName: string): Promise<Stack> {
  try {
    const output = await cloudFormation().send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = output.Stacks?.[0];
    if (!stack) throw new Error(`stack ${stackName} not found`);
    return stack;
  } catch (err) {
    throw withContext(`describing stack ${stackName}`, err);
  }
}

function busy(stackName: string, status: string, arn: string, config: PromotionConfig, parameterUpdated: boolean): StackBusyError {
  log({ decision: 'stack-busy', stackName, stackStatus: status, modelPackageArn: arn, parameterUpdated });
  return new StackBusyError(
    `stack ${stackName} is in ${status}: the parameter ${config.parameterName} ${parameterUpdated ? 'was updated to' : 'already holds'} ${arn}, `
    + 'but the stack update must be retried once the current operation ends (the asynchronous invocation retries it; '
    + 'the next deploy of the stack picks the package up anyway)',
  );
}

/** The Lambda entry point. */
export async function handler(event: ModelPackageStateChangeEvent): Promise<PromotionResult> {
  const config = configFromEnv();

  const checked = checkEvent(event, config);
  if ('reason' in checked) return ignored(checked.reason, checked.arn);
  const arn = checked.arn;
  if (checked.status === 'Rejected') return revert(arn, config);

  const stale = await checkPackage(arn, config);
  if (stale) return ignored(stale, arn);

  const parameter = await writeParameter(arn, config);
  return rollOut(arn, parameter, config);
}

/**
 * A rejected package that the parameter holds (e.g. after its rollout was rolled back by the endpoint's alarms) is
 * replaced by the newest earlier value that is still Approved — or 'none', the base model — and rolled out.
 */
async function revert(rejected: string, config: PromotionConfig): Promise<PromotionResult> {
  const stale = await checkPackage(rejected, config, 'Rejected');
  if (stale) return ignored(stale, rejected);
  let current: string | undefined;
  try {
    current = (await ssm().send(new GetParameterCommand({ Name: config.parameterName }))).Parameter?.Value;
  } catch (err) {
    if (errorName(err) !== 'ParameterNotFound') throw withContext(`reading parameter ${config.parameterName}`, err);
  }
  if (current !== rejected) return ignored(`the rejected package is not the promoted one (the parameter holds ${JSON.stringify(current ?? null)})`, rejected);

  const history: Array<{ value?: string; version?: number }> = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await ssm().send(new GetParameterHistoryCommand({ Name: config.parameterName, NextToken: nextToken }));
      for (const p of page.Parameters ?? []) history.push({ value: p.Value, version: p.Version });
      nextToken = page.NextToken;
    } while (nextToken);
  } catch (err) {
    throw withContext(`reading the history of parameter ${config.parameterName}`, err);
  }
  let target = 'none';
  for (const entry of history.sort((a, b) => (b.version ?? 0) - (a.version ?? 0))) {
    if (!entry.value || entry.value === rejected) continue;
    if (entry.value === 'none') break;
    if (parseModelPackageArn(entry.value) && !(await checkPackage(entry.value, config))) {
      target = entry.value;
      break;
    }
  }
  let version: number | undefined;
  try {
    version = (await ssm().send(new PutParameterCommand({ Name: config.parameterName, Value: target, Type: 'String', Overwrite: true }))).Version;
  } catch (err) {
    throw withContext(`writing parameter ${config.parameterName}`, err);
  }
  log({ decision: 'reverted', parameterName: config.parameterName, rejected, restored: target, parameterVersion: version });
  const result = await rollOut(target, { updated: true, version }, config);
  return result.action === 'promoted' ? { ...result, action: 'reverted' } : result;
}

/** Starts the stack update that rolls the parameter's value out (or finds it already current). */
async function rollOut(arn: string, parameter: { updated: boolean; version?: number }, config: PromotionConfig): Promise<PromotionResult> {
  const stackName = config.stackName;

  const stack = await describeStack(stackName);
  const stackId = stack.StackId ?? stackName;
  if (stack.StackStatus?.endsWith('_IN_PROGRESS')) {
    // A repeated delivery while the update this package started is still rolling out: nothing more to do.
    if (!parameter.updated) {
      log({ decision: 'already-current', stackName, stackId, stackStatus: stack.StackStatus, modelPackageArn: arn, parameterUpdated: false });
      return { action: 'already-current', modelPackageArn: arn, parameterUpdated: false, stackId };
    }
    throw busy(stackName, stack.StackStatus, arn, config, parameter.updated);
  }
  if (!stack.RoleARN) {
    // Without a service role the update would run with this function's own, deliberately narrow, permissions.
    throw new Error(
      `stack ${stackName} has no CloudFormation service role, so an update would run with this function's permissions; `
      + `deploy it with a service role (the CDK bootstrap's cfn-exec role does this) — the parameter ${config.parameterName} holds ${arn} and the next deploy picks it up`,
    );
  }

  const token = clientRequestToken(arn, parameter.version);
  try {
    const output = await cloudFormation().send(new UpdateStackCommand({
      StackName: stackName,
      UsePreviousTemplate: true,
      // For an AWS::SSM::Parameter::Value<...> parameter the previous value is the parameter's name; CloudFormation
      // resolves it again on the update, which is what picks up the new ARN.
      Parameters: (stack.Parameters ?? []).map(p => ({ ParameterKey: p.ParameterKey, UsePreviousValue: true })),
      Capabilities: UPDATE_CAPABILITIES,
      ClientRequestToken: token,
    }));
    const updatedStackId = output.StackId ?? stackId;
    log({ decision: 'promoted', stackName, stackId: updatedStackId, modelPackageArn: arn, clientRequestToken: token, parameterUpdated: parameter.updated });
    return { action: 'promoted', modelPackageArn: arn, parameterUpdated: parameter.updated, stackId: updatedStackId };
  } catch (err) {
    const name = errorName(err);
    const message = messageOf(err);
    if (name === 'ValidationError' && message.includes(NO_UPDATES_MESSAGE)) {
      log({ decision: 'already-current', stackName, stackId, modelPackageArn: arn, clientRequestToken: token, parameterUpdated: parameter.updated });
      return { action: 'already-current', modelPackageArn: arn, parameterUpdated: parameter.updated, stackId };
    }
    const inProgress = name === 'ValidationError' ? IN_PROGRESS_MESSAGE.exec(message) : null;
    if (inProgress && !parameter.updated) {
      log({ decision: 'already-current', stackName, stackId, stackStatus: inProgress[1], modelPackageArn: arn, parameterUpdated: false });
      return { action: 'already-current', modelPackageArn: arn, parameterUpdated: false, stackId };
    }
    if (inProgress) throw busy(stackName, inProgress[1], arn, config, parameter.updated);
    if (name === 'TokenAlreadyExistsException') {
      // This exact promotion (package and parameter version) was already requested by an earlier delivery.
      if ((stack.Parameters ?? []).some(p => p.ResolvedValue === arn)) {
        log({ decision: 'already-current', stackName, stackId, modelPackageArn: arn, clientRequestToken: token, parameterUpdated: parameter.updated });
        return { action: 'already-current', modelPackageArn: arn, parameterUpdated: parameter.updated, stackId };
      }
      throw withContext(
        `updating stack ${stackName} (an update with token ${token} was already requested for ${arn}, but the stack does not resolve to it: `
        + 'the earlier update may have failed and rolled back; deploy the stack to retry)',
        err,
      );
    }
    throw withContext(`updating stack ${stackName}`, err);
  }
}
