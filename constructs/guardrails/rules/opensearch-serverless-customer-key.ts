// Compliant: an OpenSearch Serverless encryption policy uses a customer managed KMS key (AWSOwnedKey false, a KmsARN).
import { NagRuleCompliance, asRecord, compliance, isSet, parseJsonWithTokens, resourceRule } from './support';

/**
 * An `AWS::OpenSearchServerless::SecurityPolicy` of `Type: encryption` must name the key that encrypts its
 * collections: `"AWSOwnedKey": false` and a `"KmsARN"`. Other policy types are not applicable; a policy whose `Type`
 * is not a literal, or whose `Policy` cannot be read or parsed, is reported.
 */
export const OpenSearchServerlessCustomerKey = resourceRule('OpenSearchServerlessCustomerKey', ['AWS::OpenSearchServerless::SecurityPolicy'], ({ properties }) => {
  if (typeof properties.Type === 'string' && properties.Type !== 'encryption') return NagRuleCompliance.NOT_APPLICABLE;
  const parsed = parseJsonWithTokens(properties.Policy);
  const policy = parsed.ok ? asRecord(parsed.value) : undefined;
  return compliance(properties.Type === 'encryption' && policy !== undefined && policy.AWSOwnedKey === false && isSet(policy.KmsARN));
});
