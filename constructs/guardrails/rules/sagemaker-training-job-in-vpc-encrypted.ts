// Compliant: every SageMaker training job a state machine starts runs in a VPC with inter-container encryption and KMS keys.
import type { NagRuleResult } from 'cdk-nag';
import { NagRuleCompliance, asRecord, compliance, hasLocalNvme, isLiteralTrue, isSet, listItems, parseJsonWithTokens, resourceRule, textWithPlaceholders } from './support';

/** The finding reported when the definition cannot be read: in S3, an unsupported intrinsic, or JSON that does not parse. */
export const DEFINITION_UNREADABLE = 'DefinitionUnreadable';

/** `arn:<partition>:states:::sagemaker:createTrainingJob` (optimized or AWS SDK integration), with `.sync` or `.waitForTaskToken`. */
const CREATE_TRAINING_JOB = /^arn:.+:states:::(aws-sdk:)?sagemaker:createTrainingJob(\.sync|\.waitForTaskToken)?$/;

/**
 * Reads the state machine's definition (`Definition`, or `DefinitionString` with its `DefinitionSubstitutions`) and
 * finds every Task state, in Parallel branches and Map item processors too, that creates a SageMaker training job.
 * Its `Parameters` (JSONPath) or `Arguments` (JSONata) must have:
 * - `VpcConfig` with subnets and security groups (or `VpcConfig.$`, a path evaluated at run time);
 * - `EnableInterContainerTrafficEncryption: true` (a literal; a path or expression cannot be checked);
 * - `OutputDataConfig.KmsKeyId`;
 * - `ResourceConfig.VolumeKmsKeyId`, unless every literal instance type (`InstanceType`, or each of `InstanceGroups`)
 *   has local NVMe storage in GPU_CATALOGUE, where SageMaker rejects a volume key.
 * A `Key.$` field counts as set. A state machine that starts no training job is not applicable. A definition that
 * cannot be read is reported as the finding `DefinitionUnreadable` rather than passed: acknowledge
 * `LlmOps-SageMakerTrainingJobInVpcEncrypted[DefinitionUnreadable]` on a state machine that starts no training job.
 */
export const SageMakerTrainingJobInVpcEncrypted = resourceRule('SageMakerTrainingJobInVpcEncrypted', ['AWS::StepFunctions::StateMachine'], ({ properties }): NagRuleResult => {
  const definition = stateMachineDefinition(properties);
  if (!definition) return [DEFINITION_UNREADABLE];
  const jobs = trainingJobStates(definition);
  if (jobs.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
  return compliance(jobs.every(job => isSecure(job.state)));
});

/**
 * The definition of a state machine from its rendered properties: `Definition`, or `DefinitionString` with its
 * `DefinitionSubstitutions`, intrinsics as placeholder strings.
 * @returns undefined when the definition is in S3, is an unsupported intrinsic, does not parse or has no `States`
 */
export function stateMachineDefinition(properties: Record<string, unknown>): Record<string, unknown> | undefined {
  let definition: Record<string, unknown> | undefined;
  if (properties.Definition !== undefined) {
    definition = asRecord(properties.Definition);
  } else if (properties.DefinitionString !== undefined) {
    const parsed = parseJsonWithTokens(properties.DefinitionString, asRecord(properties.DefinitionSubstitutions));
    definition = parsed.ok ? asRecord(parsed.value) : undefined;
  }
  return definition && asRecord(definition.States) ? definition : undefined;
}

/** A Task state that creates a training job, with its name. */
export interface TrainingJobState {
  /** The state's name. */
  readonly name: string;
  /** The state, as in the definition. */
  readonly state: Record<string, unknown>;
}

/** The Task states that create a training job, in `States`, Parallel `Branches` and Map `ItemProcessor`/`Iterator`. */
export function trainingJobStates(machine: Record<string, unknown>): TrainingJobState[] {
  return Object.entries(asRecord(machine.States) ?? {}).flatMap(([name, value]) => {
    const state = asRecord(value) ?? {};
    switch (state.Type) {
      case 'Task': return CREATE_TRAINING_JOB.test(textWithPlaceholders(state.Resource)) ? [{ name, state }] : [];
      case 'Parallel': return listItems(state.Branches).flatMap(branch => trainingJobStates(asRecord(branch) ?? {}));
      case 'Map': return trainingJobStates(asRecord(state.ItemProcessor) ?? asRecord(state.Iterator) ?? {});
      default: return [];
    }
  });
}

function isSecure(state: Record<string, unknown>): boolean {
  const request = asRecord(state.Parameters) ?? asRecord(state.Arguments);
  if (!request) return false;
  const vpc = asRecord(request.VpcConfig);
  const output = asRecord(request.OutputDataConfig);
  const resources = asRecord(request.ResourceConfig);
  const instanceTypes = resources?.InstanceGroups !== undefined
    ? listItems(resources.InstanceGroups).map(group => asRecord(group)?.InstanceType)
    : [resources?.InstanceType];
  return (given(request, 'VpcConfig') && (vpc === undefined || (given(vpc, 'Subnets') && given(vpc, 'SecurityGroupIds'))))
    && isLiteralTrue(request.EnableInterContainerTrafficEncryption)
    && output !== undefined && given(output, 'KmsKeyId')
    && resources !== undefined && (given(resources, 'VolumeKmsKeyId') || (instanceTypes.length > 0 && instanceTypes.every(hasLocalNvme)));
}

/** A field of `Parameters`/`Arguments`, as a literal or as `Key.$` (a JSONPath evaluated at run time). */
function given(fields: Record<string, unknown>, key: string): boolean {
  return isSet(fields[key]) || isSet(fields[`${key}.$`]);
}
