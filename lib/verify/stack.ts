import { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { VerifyClock } from './io';
import { withRetry } from './retry';

/** A stack as DescribeStacks returns it, reduced to what verify needs. */
export interface StackInfo {
  readonly name: string;
  readonly status: string;
  /** @default - none */
  readonly statusReason?: string;
  /** Output key to value, unredacted: redact before printing. */
  readonly outputs: Readonly<Record<string, string>>;
}

/** The stack does not exist (CloudFormation ValidationError "Stack with id X does not exist"). */
export class StackNotFoundError extends Error {
  constructor(public readonly stackName: string, cause: Error) {
    super(cause.message);
    this.name = 'StackNotFoundError';
  }
}

/**
 * Describes the stack.
 * @throws StackNotFoundError when it does not exist; other SDK errors as they are
 */
export async function describeStack(cfn: CloudFormationClient, stackName: string, clock: VerifyClock): Promise<StackInfo> {
  let stack;
  try {
    stack = (await withRetry(() => cfn.send(new DescribeStacksCommand({ StackName: stackName })), clock)).Stacks?.[0];
  } catch (e) {
    if (e instanceof Error && e.name === 'ValidationError' && /does not exist/.test(e.message)) throw new StackNotFoundError(stackName, e);
    throw e;
  }
  if (!stack) throw new StackNotFoundError(stackName, new Error(`Stack with id ${stackName} does not exist`));
  const outputs: Record<string, string> = {};
  for (const o of stack.Outputs ?? []) if (o.OutputKey) outputs[o.OutputKey] = o.OutputValue ?? '';
  return { name: stack.StackName ?? stackName, status: stack.StackStatus ?? 'UNKNOWN', statusReason: stack.StackStatusReason, outputs };
}

/**
 * Where a stack status leaves verification:
 * - `ready`: deployed (CREATE_COMPLETE, UPDATE_COMPLETE, IMPORT_COMPLETE, or UPDATE_COMPLETE_CLEANUP_IN_PROGRESS,
 *   which only deletes replaced resources);
 * - `waiting`: a create, update or import is running (wait for it, within the timeout);
 * - `failed`: anything else: a failed or rolled-back deployment (the stack runs the previous version), a
 *   deletion, or REVIEW_IN_PROGRESS (never deployed).
 */
export function stackState(status: string): 'ready' | 'waiting' | 'failed' {
  if (['CREATE_COMPLETE', 'UPDATE_COMPLETE', 'IMPORT_COMPLETE', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS'].includes(status)) return 'ready';
  if (['CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', 'IMPORT_IN_PROGRESS'].includes(status)) return 'waiting';
  return 'failed';
}

/** The names of the stack's resources that verify checks, from their physical IDs. */
export interface StackResources {
  /** AWS::SageMaker::Endpoint */
  readonly endpoints: readonly string[];
  /** AWS::SageMaker::InferenceComponent */
  readonly inferenceComponents: readonly string[];
  /** AWS::CloudWatch::Alarm and AWS::CloudWatch::CompositeAlarm (the physical ID is the alarm name). */
  readonly alarms: readonly string[];
}

/** Lists every resource of the stack (all pages) and picks out endpoints, inference components and alarms. */
export async function listStackResources(cfn: CloudFormationClient, stackName: string, clock: VerifyClock): Promise<StackResources> {
  const endpoints: string[] = [];
  const inferenceComponents: string[] = [];
  const alarms: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await withRetry(() => cfn.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: nextToken })), clock);
    for (const r of page.StackResourceSummaries ?? []) {
      const id = r.PhysicalResourceId;
      if (!id || r.ResourceStatus?.startsWith('DELETE')) continue;
      if (r.ResourceType === 'AWS::SageMaker::Endpoint') endpoints.push(nameFromArn(id, 'endpoint/'));
      else if (r.ResourceType === 'AWS::SageMaker::InferenceComponent') inferenceComponents.push(nameFromArn(id, 'inference-component/'));
      else if (r.ResourceType === 'AWS::CloudWatch::Alarm' || r.ResourceType === 'AWS::CloudWatch::CompositeAlarm') alarms.push(id);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return { endpoints, inferenceComponents, alarms };
}

/** A SageMaker physical ID is the resource's ARN (`...:endpoint/name`; SageMaker lower-cases the name) or its name. */
function nameFromArn(physicalId: string, prefix: string): string {
  if (!physicalId.startsWith('arn:')) return physicalId;
  const resource = physicalId.split(':').slice(5).join(':');
  return resource.startsWith(prefix) ? resource.slice(prefix.length) : resource;
}

/** What verify checks: the outputs' names first, then other resources of the stack not already named. */
export interface VerifyTargets {
  readonly endpoints: readonly string[];
  readonly inferenceComponents: readonly string[];
  /** The endpoint for the smoke request: the EndpointName output, or the stack's only endpoint. */
  readonly smokeEndpoint?: string;
  /** The InferenceComponentName output, passed to InvokeEndpoint. */
  readonly smokeInferenceComponent?: string;
}

/**
 * Merges the stack's EndpointName and InferenceComponentName outputs with its SageMaker resources. Names are
 * compared case-insensitively, since ARNs (the resources' physical IDs) carry them lower-cased; an output's
 * spelling wins.
 */
export function verifyTargets(outputs: Readonly<Record<string, string>>, resources: StackResources): VerifyTargets {
  const merge = (named: string | undefined, found: readonly string[]): string[] => {
    const all: string[] = named ? [named] : [];
    for (const n of found) if (!all.some(a => a.toLowerCase() === n.toLowerCase())) all.push(n);
    return all;
  };
  const endpoints = merge(outputs.EndpointName || undefined, resources.endpoints);
  return {
    endpoints,
    inferenceComponents: merge(outputs.InferenceComponentName || undefined, resources.inferenceComponents),
    smokeEndpoint: outputs.EndpointName || (endpoints.length === 1 ? endpoints[0] : undefined),
    smokeInferenceComponent: outputs.InferenceComponentName || undefined,
  };
}
