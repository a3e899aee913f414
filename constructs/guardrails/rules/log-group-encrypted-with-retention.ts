// Compliant: a CloudWatch Logs log group is encrypted with a KMS key (KmsKeyId) and has a retention period (RetentionInDays).
import { compliance, isSet, resourceRule } from './support';

/**
 * Logs of inference, training and data pipelines can hold prompts, completions and data samples: encrypt them with a
 * customer managed key and keep them only as long as needed (`RetentionInDays`; without it they are kept forever).
 */
export const LogGroupEncryptedWithRetention = resourceRule('LogGroupEncryptedWithRetention', ['AWS::Logs::LogGroup'], ({ properties }) =>
  compliance(isSet(properties.KmsKeyId) && isSet(properties.RetentionInDays)));
