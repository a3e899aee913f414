// Compliant: an IAM role (AWS::IAM::Role, typed or a plain CfnResource) has a permissions boundary.
import { compliance, isSet, resourceRule } from './support';

/**
 * A permissions boundary caps what a role can ever be granted, so a later grant (or a compromised deployment
 * pipeline) cannot widen it beyond the boundary. Roles are read as CloudFormation receives them, so the plain
 * `CfnResource` roles of custom resource providers and a boundary added by `PermissionsBoundary.of(scope).apply()`
 * (a property override) are seen too.
 */
export const IamRolePermissionsBoundary = resourceRule('IamRolePermissionsBoundary', ['AWS::IAM::Role'], ({ properties }) =>
  compliance(isSet(properties.PermissionsBoundary)));
