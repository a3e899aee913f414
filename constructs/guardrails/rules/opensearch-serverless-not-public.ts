// Compliant: no rule of an OpenSearch Serverless network policy allows access from the public internet (AllowFromPublic).
import { NagRuleCompliance, asRecord, compliance, parseJsonWithTokens, resourceRule } from './support';

/**
 * An `AWS::OpenSearchServerless::SecurityPolicy` of `Type: network` must reach its collections and dashboards only
 * through VPC endpoints (`SourceVPCEs`) or AWS services (`SourceServices`): no rule may have `"AllowFromPublic": true`.
 * A rule whose `AllowFromPublic` is not a literal boolean is reported. Other policy types, and the collections
 * themselves, are not applicable; a policy whose `Type` is not a literal, or whose `Policy` cannot be read or parsed,
 * is reported.
 */
export const OpenSearchServerlessNotPublic = resourceRule('OpenSearchServerlessNotPublic', ['AWS::OpenSearchServerless::SecurityPolicy'], ({ properties }) => {
  if (typeof properties.Type === 'string' && properties.Type !== 'network') return NagRuleCompliance.NOT_APPLICABLE;
  const parsed = parseJsonWithTokens(properties.Policy);
  if (properties.Type !== 'network' || !parsed.ok) return NagRuleCompliance.NON_COMPLIANT;
  const rules = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
  return compliance(rules.every(rule => {
    const r = asRecord(rule);
    return r !== undefined && (r.AllowFromPublic === undefined || r.AllowFromPublic === false);
  }));
});
