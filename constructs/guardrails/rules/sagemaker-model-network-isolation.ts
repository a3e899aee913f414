// Compliant: a SageMaker model whose containers load model data from S3 or a model package has network isolation on.
import { NagRuleCompliance, alternatives, asRecord, compliance, isTrue, listItems, mayBeSet, resourceRule } from './support';

/**
 * A container that loads its weights from S3 (`ModelDataUrl`, `ModelDataSource.S3DataSource`) or from a model package
 * (`ModelPackageName`) needs no network at run time, so the model must set `EnableNetworkIsolation: true`. A model
 * whose containers have only an image (e.g. it downloads from the Hugging Face Hub at start-up) is not applicable.
 * A container that cannot be read (an intrinsic other than `Fn::If`) is taken to load model data.
 */
export const SageMakerModelNetworkIsolation = resourceRule('SageMakerModelNetworkIsolation', ['AWS::SageMaker::Model'], ({ properties }) => {
  const containers = [...alternatives(properties.PrimaryContainer).filter(mayBeSet), ...listItems(properties.Containers)];
  if (!containers.some(loadsModelData)) return NagRuleCompliance.NOT_APPLICABLE;
  return compliance(isTrue(properties.EnableNetworkIsolation));
});

function loadsModelData(container: unknown): boolean {
  const c = asRecord(container);
  if (!c) return true;
  return mayBeSet(c.ModelDataUrl)
    || mayBeSet(c.ModelPackageName)
    || alternatives(c.ModelDataSource).filter(mayBeSet).some(source => {
      const s = asRecord(source);
      return s === undefined || mayBeSet(s.S3DataSource);
    });
}
