// Compliant: a SageMaker endpoint in production deploys blue/green with auto-rollback alarms.
import { NagRuleCompliance, alternatives, asRecord, compliance, isProduction, isSet, resourceRule } from './support';

/**
 * In a production environment (see `isProduction`: the `environment` tag of the resource or its stack is `prod` or
 * `production`), an endpoint update must shift traffic blue/green (`DeploymentConfig.BlueGreenUpdatePolicy`) and roll
 * back automatically on at least one alarm (`DeploymentConfig.AutoRollbackConfiguration.Alarms`). Not applicable
 * outside production.
 */
export const SageMakerProductionEndpointRollback = resourceRule('SageMakerProductionEndpointRollback', ['AWS::SageMaker::Endpoint'], ({ properties }, node) => {
  if (!isProduction(node)) return NagRuleCompliance.NOT_APPLICABLE;
  return compliance(alternatives(properties.DeploymentConfig).every(d => {
    const deployment = asRecord(d);
    return deployment !== undefined
      && isSet(deployment.BlueGreenUpdatePolicy)
      && alternatives(deployment.AutoRollbackConfiguration).every(rollback => isSet(asRecord(rollback)?.Alarms));
  }));
});
