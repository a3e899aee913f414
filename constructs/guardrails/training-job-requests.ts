// Reads the SageMaker training jobs a Step Functions state machine starts, from its synthesized definition: what
// each CreateTrainingJob request will carry (VPC, network isolation, encryption, instance type).
import { Stack } from 'aws-cdk-lib';
import { stackResources } from './policy-analysis';
import { stateMachineDefinition, trainingJobStates } from './rules/sagemaker-training-job-in-vpc-encrypted';
import { asRecord, renderResource } from './rules/support';

/** What one CreateTrainingJob task of a state machine sends. */
export interface TrainingJobRequest {
  /** Construct path of the state machine. */
  readonly stateMachinePath: string;
  /** Name of the Task state. */
  readonly stateName: string;
  /** Whether the request has a `VpcConfig`. */
  readonly vpc: boolean;
  /** `EnableNetworkIsolation` as written (a JSONata or JSONPath expression when computed at run time). */
  readonly networkIsolation: unknown;
  /** `EnableInterContainerTrafficEncryption` as written. */
  readonly interContainerEncryption: unknown;
  /** Whether `OutputDataConfig.KmsKeyId` is set. */
  readonly outputKmsKey: boolean;
  /** Whether `ResourceConfig.VolumeKmsKeyId` is set. */
  readonly volumeKmsKey: boolean;
  /** `ResourceConfig.InstanceType`, when it is a literal. */
  readonly instanceType?: string;
}

/** Every CreateTrainingJob task of a state machine definition, with what it sends. */
export function trainingJobsOfDefinition(definition: Record<string, unknown>, stateMachinePath: string): TrainingJobRequest[] {
  return trainingJobStates(definition).map(({ name, state }) => {
    // JSONPath states carry the request in Parameters, JSONata states in Arguments; a `.$` key is computed.
    const request = asRecord(state.Parameters) ?? asRecord(state.Arguments) ?? {};
    const get = (fields: Record<string, unknown> | undefined, key: string) => fields?.[key] ?? fields?.[`${key}.$`];
    const instanceType = get(asRecord(request.ResourceConfig), 'InstanceType');
    return {
      stateMachinePath,
      stateName: name,
      vpc: get(request, 'VpcConfig') !== undefined,
      networkIsolation: get(request, 'EnableNetworkIsolation'),
      interContainerEncryption: get(request, 'EnableInterContainerTrafficEncryption'),
      outputKmsKey: get(asRecord(request.OutputDataConfig), 'KmsKeyId') !== undefined,
      volumeKmsKey: get(asRecord(request.ResourceConfig), 'VolumeKmsKeyId') !== undefined,
      instanceType: typeof instanceType === 'string' && /^ml\.[a-z0-9-]+\.[a-z0-9]+$/.test(instanceType) ? instanceType : undefined,
    };
  });
}

/** Every CreateTrainingJob request of the state machines of `stack` (definitions in S3 or unreadable are skipped). */
export function trainingJobRequests(stack: Stack): TrainingJobRequest[] {
  return stackResources(stack).filter(r => r.cfnResourceType === 'AWS::StepFunctions::StateMachine').flatMap(resource => {
    const definition = stateMachineDefinition(renderResource(resource)?.properties ?? {});
    return definition ? trainingJobsOfDefinition(definition, resource.node.path) : [];
  });
}
