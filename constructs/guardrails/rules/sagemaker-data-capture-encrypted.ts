// Compliant: a SageMaker endpoint config that captures data encrypts the capture with a KMS key (DataCaptureConfig.KmsKeyId).
import { NagRuleCompliance, alternatives, asRecord, compliance, isSet, mayBeSet, resourceRule } from './support';

/**
 * Captured requests and responses are prompts and completions: they must be written with a customer managed key.
 * Not applicable without a `DataCaptureConfig` or when `EnableCapture` is literally false; a `DataCaptureConfig`
 * that is an intrinsic other than `Fn::If` cannot be read and is reported.
 */
export const SageMakerDataCaptureEncrypted = resourceRule('SageMakerDataCaptureEncrypted', ['AWS::SageMaker::EndpointConfig'], ({ properties }) => {
  const captures = alternatives(properties.DataCaptureConfig).filter(mayBeSet)
    .filter(c => !alternatives(asRecord(c)?.EnableCapture).every(enabled => enabled === false || enabled === 'false'));
  if (captures.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
  return compliance(captures.every(c => isSet(asRecord(c)?.KmsKeyId)));
});
