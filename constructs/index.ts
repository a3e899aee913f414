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
