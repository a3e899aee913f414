// Compliant: in production, a stateful resource (data, keys, logs, secrets, registries) is retained or snapshotted on deletion.
import { NagRuleCompliance, alternatives, compliance, isProduction, mayBeSet, resourceRule } from './support';

/** The resource types whose deletion loses data, keys or history. */
export const STATEFUL_RESOURCE_TYPES: readonly string[] = [
  'AWS::S3::Bucket',
  'AWS::KMS::Key',
  'AWS::Logs::LogGroup',
  'AWS::RDS::DBCluster',
  'AWS::RDS::DBInstance',
  'AWS::OpenSearchServerless::Collection',
  'AWS::SecretsManager::Secret',
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::SageMaker::ModelPackageGroup',
];

/** Deletion policies that keep the data. RetainExceptOnCreate deletes only a resource whose own creation rolled back. */
const KEEPS_DATA = ['Retain', 'Snapshot', 'RetainExceptOnCreate'];

/**
 * In a production environment (see `isProduction`), a stateful resource must have `DeletionPolicy` `Retain`,
 * `Snapshot` or `RetainExceptOnCreate` (in CDK: `removalPolicy: RemovalPolicy.RETAIN` or `SNAPSHOT`). Without a
 * DeletionPolicy CloudFormation deletes the resource, except an RDS cluster or stand-alone instance, which it
 * snapshots. An RDS instance in a cluster (`DBClusterIdentifier`) holds no data of its own and is not applicable.
 * Not applicable outside production.
 */
export const ProductionStatefulRetained = resourceRule('ProductionStatefulRetained', STATEFUL_RESOURCE_TYPES, ({ type, properties, deletionPolicy }, node) => {
  if (!isProduction(node)) return NagRuleCompliance.NOT_APPLICABLE;
  if (type === 'AWS::RDS::DBInstance' && mayBeSet(properties.DBClusterIdentifier)) return NagRuleCompliance.NOT_APPLICABLE;
  const byDefault = type.startsWith('AWS::RDS::') ? 'Snapshot' : 'Delete';
  return compliance(alternatives(deletionPolicy ?? byDefault).every(policy => typeof policy === 'string' && KEEPS_DATA.includes(policy)));
});
