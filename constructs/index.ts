// The reusable construct library: one folder per concern.
export * from './common/validation';
export * from './common/least-privilege-role';
export * from './common/compliance';
export * from './foundation/secure-defaults';
export * from './foundation/llmops-foundation';
export * from './inference/gpu-catalogue';
export * from './inference/gpu-instance-type';
export * from './inference/model-source';
export * from './inference/serving-container';
export * from './inference/dlc-accounts';
export * from './inference/model-sizing';
export * from './inference/variant-settings';
export * from './inference/deployment-strategy';
export * from './inference/inference-endpoint';
export * from './inference/gpu-inference-endpoint';
export * from './common/handler-asset';
export * from './common/custom-resource-function';
export * from './vector-store/vector-store';
export * from './vector-store/opensearch-serverless-vector-store';
export * from './vector-store/aurora-pgvector-store';
export * from './fine-tuning/training-image';
export * from './fine-tuning/pipeline-definition';
export * from './fine-tuning/fine-tuning-pipeline';
export * from './fine-tuning/model-promotion';
export * from './monitoring/thresholds';
export * from './monitoring/llmops-monitoring';
export * from './guardrails/policy-analysis';
export * from './guardrails/training-job-requests';
export * from './guardrails/iam-guardrails';
export * from './guardrails/rules';
export * from './guardrails/content-guardrail';
export * from './inference/endpoint-resources';
export * from './inference/inference-component';
export * from './inference/inference-component-endpoint';
export * from './inference/endpoint-fleet';

// LlmOpsChecks extends cdk-nag's NagPack, so its module (and cdk-nag) load on first use of these names only.
import type * as llmOpsChecks from './guardrails/llmops-checks';
import { defineLazyExports } from './common/lazy-exports';
export type { LlmOpsRuleDefinition } from './guardrails/llmops-checks';
/** The LlmOps cdk-nag v3 rule pack (see guardrails/llmops-checks.ts); cdk-nag loads on first use. */
export declare const LlmOpsChecks: typeof llmOpsChecks.LlmOpsChecks;
/** An LlmOpsChecks pack. */
export type LlmOpsChecks = llmOpsChecks.LlmOpsChecks;
/** Every rule of the LlmOps pack, for custom packs. */
export declare const LLMOPS_RULES: typeof llmOpsChecks.LLMOPS_RULES;
/** The LlmOps pack's name, the prefix of its rule IDs. */
export declare const LLMOPS_PACK_NAME: typeof llmOpsChecks.LLMOPS_PACK_NAME;
// eslint-disable-next-line @typescript-eslint/no-require-imports
defineLazyExports(exports, () => require('./guardrails/llmops-checks'), ['LlmOpsChecks', 'LLMOPS_RULES', 'LLMOPS_PACK_NAME']);
