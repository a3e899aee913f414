// LlmOpsChecks: a cdk-nag v3 rule pack for what the standard packs do not cover: SageMaker models, endpoints and
// training jobs, OpenSearch Serverless policies, permissions boundaries, retention of stateful resources in
// production, and log group encryption and retention. Every rule is an error.
//
//   Validations.of(app).addPlugins(new LlmOpsChecks());
//   Validations.of(construct).acknowledge({ id: 'LlmOps-SageMakerModelNetworkIsolation', reason: '...' });
import { CfnResource } from 'aws-cdk-lib';
import { NagMessageLevel, NagPack, NagPackProps } from 'cdk-nag';
import { IConstruct } from 'constructs';
import {
  IamRolePermissionsBoundary, LogGroupEncryptedWithRetention, NagRuleFunction, OpenSearchServerlessCustomerKey, OpenSearchServerlessNotPublic,
  ProductionStatefulRetained, SageMakerDataCaptureEncrypted, SageMakerEndpointConfigVolumeKey, SageMakerModelInVpc, SageMakerModelNetworkIsolation,
  SageMakerProductionEndpointRollback, SageMakerTrainingJobInVpcEncrypted,
} from './rules';

/** One rule of a pack with what a finding tells the user. */
export interface LlmOpsRuleDefinition {
  /** The rule; its `name` is the rule id suffix (`LlmOps-<name>`). */
  readonly rule: NagRuleFunction;
  /** What is wrong and how to fix it (the finding's description). */
  readonly info: string;
  /** Why the rule exists (added to the description when the pack is verbose). */
  readonly explanation: string;
  /** Error or warning. */
  readonly level: NagMessageLevel;
}

/** The pack name: rule ids are `LlmOps-<rule name>`. */
export const LLMOPS_PACK_NAME = 'LlmOps';

/** Every rule of LlmOpsChecks with its texts, to compose a pack of your own. */
export const LLMOPS_RULES: readonly LlmOpsRuleDefinition[] = [
  {
    rule: SageMakerModelInVpc,
    info: 'The SageMaker model does not run in a VPC: set VpcConfig with private subnets and security groups (GpuInferenceEndpoint does this by default).',
    explanation: 'Without VpcConfig the model containers run in a SageMaker-managed network with internet access; in a VPC their traffic stays on subnets, security groups and VPC endpoints you control.',
  },
  {
    rule: SageMakerModelNetworkIsolation,
    info: 'The SageMaker model loads model data from S3 or a model package but does not set EnableNetworkIsolation: true.',
    explanation: 'A container whose weights come from S3 or a model package needs no network at run time; network isolation stops a compromised or malicious model image from sending prompts, completions or weights anywhere.',
  },
  {
    rule: SageMakerEndpointConfigVolumeKey,
    info: 'The SageMaker endpoint config has no KmsKeyId, and an instance type it uses has no local NVMe storage (or is not in the GPU catalogue): set KmsKeyId to a customer managed key.',
    explanation: 'KmsKeyId encrypts the ML storage volumes that hold the model weights with a key you control. SageMaker rejects it only for instance types with local NVMe storage, which the instance hardware encrypts.',
  },
  {
    rule: SageMakerDataCaptureEncrypted,
    info: 'The SageMaker endpoint config captures data without a KMS key: set DataCaptureConfig.KmsKeyId to a customer managed key.',
    explanation: 'Captured requests and responses are prompts and completions, often with personal data; a customer managed key lets you control and audit who can read them.',
  },
  {
    rule: SageMakerProductionEndpointRollback,
    info: 'The production SageMaker endpoint does not deploy blue/green with auto-rollback alarms: set DeploymentConfig.BlueGreenUpdatePolicy and at least one alarm in DeploymentConfig.AutoRollbackConfiguration.Alarms (GpuInferenceEndpoint: deployment.rollbackAlarms or addRollbackAlarm).',
    explanation: 'A blue/green update keeps the old fleet until the new one is healthy, and rollback alarms revert a bad model or container automatically instead of serving errors to production traffic.',
  },
  {
    rule: SageMakerTrainingJobInVpcEncrypted,
    info: 'A SageMaker training job started by the state machine lacks VpcConfig, EnableInterContainerTrafficEncryption: true, OutputDataConfig.KmsKeyId, or ResourceConfig.VolumeKmsKeyId (required unless the instance type has local NVMe storage), or the definition could not be read ([DefinitionUnreadable]).',
    explanation: 'Training jobs read datasets and write model artifacts: in a VPC their traffic stays private, inter-container encryption protects distributed-training traffic, and customer managed keys protect the artifacts and the training volumes.',
  },
  {
    rule: OpenSearchServerlessCustomerKey,
    info: 'The OpenSearch Serverless encryption policy does not use a customer managed key: set "AWSOwnedKey": false and "KmsARN" to your key.',
    explanation: 'Vector stores hold embeddings of your documents; a customer managed key lets you control, audit and revoke access to the data at rest.',
  },
  {
    rule: OpenSearchServerlessNotPublic,
    info: 'The OpenSearch Serverless network policy allows public access: set "AllowFromPublic": false and reach the collection through "SourceVPCEs".',
    explanation: 'A public collection endpoint is reachable from the internet; with VPC endpoints only your network can reach it, in addition to the data access policy.',
  },
  {
    rule: IamRolePermissionsBoundary,
    info: 'The IAM role has no permissions boundary: apply one, e.g. PermissionsBoundary.of(stack).apply(policy), which also covers the roles of custom resource providers.',
    explanation: 'A permissions boundary caps what a role can ever do, so a wrong grant or a compromised pipeline cannot escalate beyond it.',
  },
  {
    rule: ProductionStatefulRetained,
    info: 'The stateful resource in a production environment is deleted with its stack: set DeletionPolicy Retain or Snapshot (removalPolicy: RemovalPolicy.RETAIN or SNAPSHOT).',
    explanation: 'Deleting or replacing a production stack must not destroy data, keys, logs, secrets or the model registry; retained resources can be re-imported or cleaned up deliberately.',
  },
  {
    rule: LogGroupEncryptedWithRetention,
    info: 'The log group is not encrypted with a KMS key or has no retention period: set KmsKeyId (encryptionKey) and RetentionInDays (retention).',
    explanation: 'Logs of inference and training can hold prompts, completions and data samples: encrypt them with a customer managed key and keep them only as long as needed.',
  },
].map(r => ({ ...r, level: NagMessageLevel.ERROR }));

/**
 * Checks SageMaker models, endpoint configs, endpoints and training jobs (in state machines), OpenSearch Serverless
 * security policies, IAM role permissions boundaries, retention of stateful resources in production, and log
 * groups, with the rules in {@link LLMOPS_RULES}.
 *
 * Add it with `Validations.of(app).addPlugins(new LlmOpsChecks())`; acknowledge a finding with
 * `Validations.of(construct).acknowledge({ id: 'LlmOps-<rule>', reason })`.
 */
export class LlmOpsChecks extends NagPack {
  public override readonly name = LLMOPS_PACK_NAME;
  public override readonly ruleIds = LLMOPS_RULES.map(r => `${LLMOPS_PACK_NAME}-${r.rule.name}`);

  /**
   * @param scope only needed with `props.writeSuppressionsToCloudFormation` (it adds an aspect to `scope`)
   * @param props cdk-nag pack options (verbose descriptions, acknowledgements in template metadata)
   */
  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = LLMOPS_PACK_NAME;
  }

  protected override checkResource(node: CfnResource): void {
    for (const definition of LLMOPS_RULES) this.applyRule({ ...definition, node });
  }
}
