// Every IAM action cdk-llmops grants, in one place, so the guardrails can be reviewed in one file.
// Grants are built from these lists and scoped to single resources wherever the service allows it.

/** Invoke a SageMaker endpoint, streaming or not (resource: the endpoint ARN). */
export const SAGEMAKER_INVOKE_ACTIONS = [
  'sagemaker:InvokeEndpoint',
  'sagemaker:InvokeEndpointWithResponseStream',
];

/** Pull an image from one ECR repository (resource: the repository ARN). */
export const ECR_PULL_ACTIONS = [
  'ecr:BatchCheckLayerAvailability',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchGetImage',
];

/** Get an ECR login token. The action has no resource-level permissions: it needs Resource "*". */
export const ECR_AUTH_ACTIONS = ['ecr:GetAuthorizationToken'];

/** Read objects under one S3 prefix (resource: `arn:...:bucket/prefix*`). */
export const S3_READ_OBJECT_ACTIONS = ['s3:GetObject'];

/** List one bucket, conditioned on the prefix (resource: the bucket ARN). */
export const S3_LIST_ACTIONS = ['s3:ListBucket'];

/** Write objects under one S3 prefix (resource: `arn:...:bucket/prefix*`). */
export const S3_WRITE_OBJECT_ACTIONS = ['s3:PutObject', 's3:AbortMultipartUpload'];

/** Write to one log group (resource: the log group ARN and its streams). */
export const LOGS_WRITE_ACTIONS = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'logs:DescribeLogStreams',
];

/**
 * Publish custom metrics. PutMetricData has no resource-level permissions (Resource "*");
 * grants condition it on `cloudwatch:namespace`.
 */
export const CLOUDWATCH_PUT_METRIC_ACTIONS = ['cloudwatch:PutMetricData'];

/** Read alarm states for deployment auto-rollback (resource: the alarm ARNs). */
export const CLOUDWATCH_DESCRIBE_ALARM_ACTIONS = ['cloudwatch:DescribeAlarms'];

/**
 * Describe the network, as SageMaker does before it attaches ENIs in a VPC.
 * EC2 Describe* actions have no resource-level permissions: they need Resource "*".
 */
export const EC2_DESCRIBE_NETWORK_ACTIONS = [
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeVpcs',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
];

/** Create and delete the ENIs of a VPC-attached model (conditioned on the VPC). */
export const EC2_ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:CreateNetworkInterfacePermission',
  'ec2:DeleteNetworkInterface',
  'ec2:DeleteNetworkInterfacePermission',
];

/** Let SageMaker create a grant on a KMS key for the resources it runs (conditioned on kms:GrantIsForAWSResource). */
export const KMS_CREATE_GRANT_ACTIONS = ['kms:CreateGrant'];

/**
 * Attach a Lambda function to a VPC. Lambda checks these at CreateFunction and creates the ENIs itself; they
 * have no resource-level permissions (Resource "*").
 */
export const LAMBDA_VPC_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/** Write a Lambda function's own logs (resource: its log group). */
export const LAMBDA_LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

/** Query an OpenSearch Serverless collection through its data plane (resource: the collection ARN). */
export const AOSS_API_ACTIONS = ['aoss:APIAccessAll'];

/** Data access policy permissions of OpenSearch Serverless index readers. */
export const AOSS_INDEX_READ_PERMISSIONS = ['aoss:DescribeIndex', 'aoss:ReadDocument'];

/** Data access policy permissions of OpenSearch Serverless index writers. */
export const AOSS_INDEX_WRITE_PERMISSIONS = ['aoss:DescribeIndex', 'aoss:ReadDocument', 'aoss:WriteDocument'];

/** Data access policy permissions of the index manager (the custom resource that creates the index). */
export const AOSS_INDEX_MANAGE_PERMISSIONS = ['aoss:CreateIndex', 'aoss:DeleteIndex', 'aoss:DescribeIndex', 'aoss:UpdateIndex'];

/** Run SQL through the RDS Data API (resource: the cluster ARN). */
export const RDS_DATA_ACTIONS = ['rds-data:ExecuteStatement', 'rds-data:BatchExecuteStatement', 'rds-data:BeginTransaction', 'rds-data:CommitTransaction', 'rds-data:RollbackTransaction'];

/** Sign in to an Aurora cluster with IAM authentication (resource: `dbuser:<cluster-resource-id>/<user>`). */
export const RDS_IAM_CONNECT_ACTIONS = ['rds-db:connect'];

/** Read one Secrets Manager secret (resource: the secret ARN). */
export const SECRET_READ_ACTIONS = ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'];

/**
 * Watch, stop and tag training jobs from Step Functions (resource: `training-job/<prefix>*`). Creating one is
 * `SAGEMAKER_GUARDED_CREATE_ACTIONS.trainingJob`, granted on its own with conditions.
 */
export const SAGEMAKER_TRAINING_JOB_ACTIONS = ['sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:AddTags'];

/**
 * The EventBridge rule that Step Functions manages for `createTrainingJob.sync`
 * (resource: `rule/StepFunctionsGetEventsForSageMakerTrainingJobsRule`).
 */
export const STATES_SYNC_RULE_ACTIONS = ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'];

/** Register a model package version (resource: `model-package/<group>/*`). */
export const SAGEMAKER_REGISTER_ACTIONS = ['sagemaker:CreateModelPackage'];

/** Let SageMaker run as a role (conditioned on iam:PassedToService = sagemaker.amazonaws.com). */
export const PASS_ROLE_ACTIONS = ['iam:PassRole'];

/** Apply a Bedrock guardrail to content (the ApplyGuardrail API), on the guardrail's ARN. */
export const BEDROCK_APPLY_GUARDRAIL_ACTIONS = ['bedrock:ApplyGuardrail'];

/**
 * IAM actions that let a principal raise its own or another principal's privileges: a permissions boundary denies
 * them all (users, keys, policies, boundaries, role trust).
 */
export const IAM_PRIVILEGE_ESCALATION_ACTIONS = [
  'iam:CreateUser', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:CreateAccessKey', 'iam:AddUserToGroup',
  'iam:CreateRole', 'iam:UpdateAssumeRolePolicy',
  'iam:AttachRolePolicy', 'iam:AttachUserPolicy', 'iam:AttachGroupPolicy',
  'iam:PutRolePolicy', 'iam:PutUserPolicy', 'iam:PutGroupPolicy',
  'iam:CreatePolicy', 'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicyVersion',
  'iam:DetachRolePolicy', 'iam:DetachUserPolicy', 'iam:DetachGroupPolicy',
  'iam:DeleteRolePolicy', 'iam:DeleteUserPolicy', 'iam:DeleteGroupPolicy', 'iam:DeletePolicy',
  'iam:PutRolePermissionsBoundary', 'iam:PutUserPermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary',
];

/** KMS actions that would destroy or disable a key, or take it over: a permissions boundary denies them on the stack's keys. */
export const KMS_KEY_DESTRUCTION_ACTIONS = [
  'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:DisableKeyRotation', 'kms:PutKeyPolicy', 'kms:DeleteAlias', 'kms:UpdateAlias',
];

/** The SageMaker create calls whose requests carry the VPC, KMS and network-isolation condition keys. */
export const SAGEMAKER_GUARDED_CREATE_ACTIONS = {
  model: 'sagemaker:CreateModel',
  endpointConfig: 'sagemaker:CreateEndpointConfig',
  trainingJob: 'sagemaker:CreateTrainingJob',
  tuningJob: 'sagemaker:CreateHyperParameterTuningJob',
  processingJob: 'sagemaker:CreateProcessingJob',
  transformJob: 'sagemaker:CreateTransformJob',
} as const;

/** `llmops verify`: read a stack's status, outputs and resources (resource: `stack/<name>/*`). */
export const VERIFY_STACK_ACTIONS = ['cloudformation:DescribeStacks', 'cloudformation:ListStackResources'];

/** `llmops verify`: read an endpoint's and its variants' status (resource: the endpoint). */
export const VERIFY_ENDPOINT_ACTIONS = ['sagemaker:DescribeEndpoint'];

/** `llmops verify`: read an inference component's status (resource: the component). */
export const VERIFY_COMPONENT_ACTIONS = ['sagemaker:DescribeInferenceComponent'];

/** `llmops verify`: read alarm states (no resource-level permissions). */
export const VERIFY_ALARM_ACTIONS = ['cloudwatch:DescribeAlarms'];
