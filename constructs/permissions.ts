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
