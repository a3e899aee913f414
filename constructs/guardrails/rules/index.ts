// The LlmOps cdk-nag rules: one pure rule per file. LlmOpsChecks (../llmops-checks.ts) composes them into a pack.
export { ENVIRONMENT_TAG, isProduction, PRODUCTION_ENVIRONMENTS, resourceRule } from './support';
export type { NagRuleFunction, RenderedResource } from './support';
export * from './sagemaker-model-in-vpc';
export * from './sagemaker-model-network-isolation';
export * from './sagemaker-endpoint-config-volume-key';
export * from './sagemaker-data-capture-encrypted';
export * from './sagemaker-production-endpoint-rollback';
export * from './sagemaker-training-job-in-vpc-encrypted';
export * from './opensearch-serverless-customer-key';
export * from './opensearch-serverless-not-public';
export * from './iam-role-permissions-boundary';
export * from './production-stateful-retained';
export * from './log-group-encrypted-with-retention';
