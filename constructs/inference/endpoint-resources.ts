// The parts every kind of endpoint shares: the model containers' security group, the execution role's network,
// metric, volume-key and ECR grants, the endpoint's log group, a SageMaker model built from a ModelSource and a
// ServingContainer, and the service-linked role of its auto scaling.
import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CfnEndpointConfig, CfnModel } from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { AcceleratorKind } from './gpu-catalogue';
import { GpuInstanceType } from './gpu-instance-type';
import { ModelSource, ModelSourceKind } from './model-source';
import { LoraAdapterOptions, ServingContainer } from './serving-container';
import { InferenceAmiVersion } from './variant-settings';
import { acknowledgeComplianceRule } from '../common/compliance';
import { warnImportedKey } from '../common/custom-resource-function';
import { LeastPrivilegeRole } from '../common/least-privilege-role';
import { allowCloudWatchLogs } from '../foundation/secure-defaults';
import {
  CLOUDWATCH_PUT_METRIC_ACTIONS, EC2_DESCRIBE_NETWORK_ACTIONS, EC2_ENI_ACTIONS, ECR_AUTH_ACTIONS, KMS_CREATE_GRANT_ACTIONS, LOGS_WRITE_ACTIONS,
} from '../permissions';

/** The serving container of a model when none is given: Hugging Face TGI. */
export const DEFAULT_SERVING_CONTAINER = ServingContainer.tgi();

/** A security group for model containers: no inbound rules, outbound HTTPS only. */
export function createModelSecurityGroup(scope: Construct, vpc: ec2.IVpc): ec2.SecurityGroup {
  const sg = new ec2.SecurityGroup(scope, 'SecurityGroup', {
    vpc,
    allowAllOutbound: false,
    description: `Model containers of ${scope.node.path}: no inbound; outbound HTTPS only`,
  });
  // HTTPS to VPC interface endpoints and the S3 gateway endpoint (S3 has no fixed CIDR); the subnets' routes
  // decide what is reachable, and isolated subnets have no route to the internet.
  sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to VPC endpoints and S3');
  return sg;
}

/** What an execution role needs to run containers in `vpc` and publish their metrics. */
export function grantEndpointNetworkAndMetrics(role: LeastPrivilegeRole, vpc: ec2.IVpc): void {
  const stack = Stack.of(role);
  role.grantUnscoped(EC2_DESCRIBE_NETWORK_ACTIONS, 'EC2 Describe* actions have no resource-level permissions; SageMaker reads the VPC before it attaches ENIs');
  role.grantUnscoped(EC2_ENI_ACTIONS, 'SageMaker creates ENIs whose IDs are unknown before deploy; conditioned on ec2:Vpc of this VPC',
    { ArnEquals: { 'ec2:Vpc': stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: vpc.vpcId }) } });
  role.grantUnscoped(CLOUDWATCH_PUT_METRIC_ACTIONS, 'PutMetricData has no resource-level permissions; conditioned on the SageMaker namespaces',
    { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'AWS/SageMaker'] } });
}

/** Lets the execution role create grants on the volume key, for AWS resources only (SageMaker's ML storage volumes). */
export function grantVolumeKeyCreateGrant(role: iam.IGrantable, key: kms.IKey): void {
  iam.Grant.addToPrincipal({
    grantee: role,
    actions: KMS_CREATE_GRANT_ACTIONS,
    resourceArns: [key.keyArn],
    conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
  });
}

/**
 * Acknowledges the missing EndpointConfig KMS key of instance types with local NVMe storage, which SageMaker refuses
 * a volume key for.
 * @param instanceTypes the instance type names, as the reason names them (e.g. `ml.g4dn.xlarge, ml.g5.12xlarge`)
 * @param customerKeyUse the sentence that ends the reason: what the customer key encrypts instead
 */
export function acknowledgeNvmeVolumeKey(endpointConfig: CfnEndpointConfig, instanceTypes: string, customerKeyUse: string): void {
  acknowledgeComplianceRule(endpointConfig, 'SageMakerEndpointConfigurationKMSKeyConfigured',
    `${instanceTypes} has local NVMe instance storage, encrypted by the instance's hardware module; SageMaker rejects an EndpointConfig KmsKeyId for such instances. ${customerKeyUse}`);
}

/** The roles already granted `ecr:GetAuthorizationToken`. */
const ecrAuthGranted = new WeakSet<iam.IRole>();

/**
 * Grants `ecr:GetAuthorizationToken` (which has no resource-level permissions), once per role: as an unscoped grant
 * of a {@link LeastPrivilegeRole}, else as a `"*"` statement on the role's policy.
 */
export function grantEcrAuth(role: iam.IRole): void {
  if (ecrAuthGranted.has(role)) return;
  ecrAuthGranted.add(role);
  if (role instanceof LeastPrivilegeRole) {
    role.grantUnscoped(ECR_AUTH_ACTIONS, 'ecr:GetAuthorizationToken has no resource-level permissions; image pulls are scoped to one repository');
  } else {
    iam.Grant.addToPrincipal({ grantee: role, actions: ECR_AUTH_ACTIONS, resourceArns: ['*'] });
  }
}

/**
 * The service-linked role Application Auto Scaling uses for SageMaker, imported as `id` under `scope`: naming it
 * keeps a scalable target from creating a role of its own.
 */
export function importSageMakerAutoScalingRole(scope: Construct, id: string): iam.IRole {
  return iam.Role.fromRoleArn(scope, id, Stack.of(scope).formatArn({
    service: 'iam', region: '', resource: 'role',
    resourceName: 'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
  }), { mutable: false });
}

/** Options of {@link createEndpointLogGroup}. */
export interface EndpointLogGroupOptions {
  /** The endpoint whose containers log here (`/aws/sagemaker/Endpoints/<name>`). */
  readonly endpointName: string;
  /** The key that encrypts the logs. */
  readonly encryptionKey: kms.IKey;
  /** The role that writes the logs. */
  readonly role: iam.IRole;
  /** How long logs are kept. */
  readonly retention: logs.RetentionDays;
  /** What happens to the log group when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Where SageMaker writes the containers' logs: `/aws/sagemaker/Endpoints/` (endpoints) or
   * `/aws/sagemaker/InferenceComponents/` (inference components, `endpointName` then being the component's name).
   * @default '/aws/sagemaker/Endpoints/'
   */
  readonly logGroupPrefix?: string;
}

/** The endpoint's own log group (`LogGroup` under `scope`): encrypted, with retention, writable by the role. */
export function createEndpointLogGroup(scope: Construct, o: EndpointLogGroupOptions): logs.LogGroup {
  const prefix = o.logGroupPrefix ?? '/aws/sagemaker/Endpoints/';
  if (!allowCloudWatchLogs(o.encryptionKey, prefix)) warnImportedKey(scope, o.encryptionKey, prefix);
  const logGroup = new logs.LogGroup(scope, 'LogGroup', {
    logGroupName: `${prefix}${o.endpointName}`,
    encryptionKey: o.encryptionKey,
    retention: o.retention,
    removalPolicy: o.removalPolicy,
  });
  iam.Grant.addToPrincipal({ grantee: o.role, actions: LOGS_WRITE_ACTIONS, resourceArns: [logGroup.logGroupArn] });
  return logGroup;
}

/** Options of {@link createSageMakerModel}. */
export interface SageMakerModelOptions {
  /** Where the weights come from. */
  readonly model: ModelSource;
  /** The serving container (ignored for a model package, which brings its own). @default DEFAULT_SERVING_CONTAINER */
  readonly container?: ServingContainer;
  /** The execution role, granted what the model and container need (`ecr:GetAuthorizationToken` included). */
  readonly role: iam.IRole;
  /** The instance type the container is tuned for. */
  readonly instanceType: GpuInstanceType;
  /** How long the container may take to start. */
  readonly startupTimeout: Duration;
  /** Extra environment variables, over the container's. */
  readonly environment?: Record<string, string>;
  /** Whether the container runs without network access. */
  readonly networkIsolation: boolean;
  /** The accelerators one copy gets (inference components). @default - every accelerator of the instance */
  readonly acceleratorsPerCopy?: number;
  /** Serve LoRA adapters at run time. @default - no adapters */
  readonly loraAdapters?: LoraAdapterOptions;
  /** Subnets of the containers. */
  readonly subnetIds: string[];
  /** Security groups of the containers. */
  readonly securityGroupIds: string[];
}

/** A SageMaker model. */
export interface SageMakerModel {
  /** The model resource. */
  readonly cfnModel: CfnModel;
}

/**
 * A SageMaker model (`id` under `scope`) from a model source and a serving container, in the given subnets. An
 * approved-package source renders `Fn::If`: the approved package once there is one, else the fallback. When the
 * image is pulled from ECR, the role is granted `ecr:GetAuthorizationToken` (once, see {@link grantEcrAuth}).
 */
export function createSageMakerModel(scope: Construct, id: string, o: SageMakerModelOptions): SageMakerModel {
  const source = o.model.bind(scope, { role: o.role });
  let pullsFromEcr = source.pullsFromEcr === true;
  let image: string | undefined;
  let environment: Record<string, string> | undefined;
  if (o.model.kind !== ModelSourceKind.MODEL_PACKAGE) {
    const bound = (o.container ?? DEFAULT_SERVING_CONTAINER).bind(scope, {
      role: o.role, instanceType: o.instanceType, model: source, startupTimeout: o.startupTimeout,
      acceleratorsPerCopy: o.acceleratorsPerCopy, loraAdapters: o.loraAdapters,
    });
    image = bound.image;
    pullsFromEcr ||= bound.pullsFromEcr;
    environment = { ...bound.environment, ...o.environment };
  } else if (o.environment) {
    environment = { ...o.environment };
  }
  if (pullsFromEcr) grantEcrAuth(o.role);
  const container: CfnModel.ContainerDefinitionProperty = {
    image,
    environment,
    modelDataSource: source.modelDataSource,
    modelPackageName: source.modelPackageName,
  };
  const cfnModel = new CfnModel(scope, id, {
    executionRoleArn: o.role.roleArn,
    enableNetworkIsolation: o.networkIsolation,
    // The approved package once there is one, else the fallback (keys in CloudFormation case inside Fn::If).
    primaryContainer: source.approvedPackage
      ? Fn.conditionIf(source.approvedPackage.condition.logicalId,
        { ModelPackageName: source.approvedPackage.modelPackageName, Environment: environment },
        { Image: image, Environment: environment, ModelDataSource: source.modelDataSource && renderModelDataSource(source.modelDataSource) })
      : container,
    vpcConfig: { subnets: o.subnetIds, securityGroupIds: o.securityGroupIds },
  });
  if (o.role instanceof LeastPrivilegeRole && o.role.grantsPolicy) cfnModel.node.addDependency(o.role.grantsPolicy);
  return { cfnModel };
}

/** A model data source in CloudFormation's own case, for use inside an intrinsic. */
export function renderModelDataSource(source: CfnModel.ModelDataSourceProperty): Record<string, unknown> {
  const s3 = source.s3DataSource as CfnModel.S3DataSourceProperty;
  return { S3DataSource: { S3Uri: s3.s3Uri, S3DataType: s3.s3DataType, CompressionType: s3.compressionType } };
}

/** The inference AMI an instance type needs by default. */
export function defaultInferenceAmi(instanceType: GpuInstanceType): InferenceAmiVersion | undefined {
  switch (instanceType.spec?.acceleratorKind) {
    case AcceleratorKind.NVIDIA:
      // Blackwell GPUs need a CUDA 12.8+ driver (R570+), newer than the AL2 GPU images carry.
      return (instanceType.spec?.minimumCuda ?? 0) > 12.4 ? InferenceAmiVersion.AL2023_GPU_4_1 : InferenceAmiVersion.AL2_GPU_3_1;
    case AcceleratorKind.NEURON: return InferenceAmiVersion.AL2_NEURON_2;
    default: return undefined;
  }
}
