// Compliant: a SageMaker endpoint config has a volume KMS key (KmsKeyId), unless every instance type has local NVMe storage.
import { NagRuleCompliance, asRecord, compliance, hasLocalNvme, isSet, listItems, mayBeSet, resourceRule } from './support';

/**
 * `KmsKeyId` encrypts the ML storage volumes of the endpoint's instances. SageMaker rejects it when an instance type
 * has local NVMe instance storage (encrypted by the instance's hardware module; see the `localNvme` flag of
 * GPU_CATALOGUE), so a config whose every instance-backed variant (production and shadow, `InstanceType` and each of
 * `InstancePools`) runs on such a type complies without one. Instance types the catalogue does not list (CPU types,
 * uncatalogued accelerators) and instance types given as tokens need the key. Serverless variants have no volume and
 * are left out; a config with only serverless variants is not applicable. A variant list that cannot be read needs
 * the key.
 */
export const SageMakerEndpointConfigVolumeKey = resourceRule('SageMakerEndpointConfigVolumeKey', ['AWS::SageMaker::EndpointConfig'], ({ properties }) => {
  const variants = [...listItems(properties.ProductionVariants), ...listItems(properties.ShadowProductionVariants)];
  const instanceVariants = variants.filter(v => !isSet(asRecord(v)?.ServerlessConfig));
  if (instanceVariants.length === 0) return NagRuleCompliance.NOT_APPLICABLE;
  if (isSet(properties.KmsKeyId)) return NagRuleCompliance.COMPLIANT;
  return compliance(instanceVariants.every(v => {
    const types = instanceTypes(v);
    return types.length > 0 && types.every(hasLocalNvme);
  }));
});

/** A variant's instance types: `InstanceType` and those of its `InstancePools`; none when the variant cannot be read. */
function instanceTypes(variant: unknown): unknown[] {
  const v = asRecord(variant);
  if (!v) return [];
  return [...(mayBeSet(v.InstanceType) ? [v.InstanceType] : []), ...listItems(v.InstancePools).map(pool => asRecord(pool)?.InstanceType)];
}
