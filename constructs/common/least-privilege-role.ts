import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * A role whose grants land in one customer managed policy attached to it, instead of an inline default policy
 * (HIPAA and NIST 800-53 forbid inline policies). Grants work as on any role: `bucket.grantRead(role)` etc.
 * No AWS managed policy is ever attached.
 */
export class LeastPrivilegeRole extends iam.Role {
  private policy?: iam.ManagedPolicy;
  private unscopedPolicy?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
  }

  /** The managed policy that holds every grant (created by the first grant). */
  public get grantsPolicy(): iam.ManagedPolicy | undefined {
    return this.policy;
  }

  /**
   * Allows actions that have no resource-level permissions (so need `Resource: "*"`), in a separate managed
   * policy whose cdk-nag wildcard finding is acknowledged with `reason`. Grants added any other way stay subject
   * to the finding.
   *
   * @param reason why the actions need `"*"` (and what conditions narrow them)
   */
  public grantUnscoped(actions: string[], reason: string, conditions?: Record<string, unknown>): void {
    if (!this.unscopedPolicy) {
      this.unscopedPolicy = new iam.ManagedPolicy(this, 'UnscopedGrants', {
        description: `Actions without resource-level permissions, of ${this.node.path}`,
      });
      this.addManagedPolicy(this.unscopedPolicy);
    }
    this.unscopedPolicy.addStatements(new iam.PolicyStatement({ actions, resources: ['*'], conditions }));
    Validations.of(this.unscopedPolicy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason });
  }

  /** The managed policy that holds the actions without resource-level permissions, if any. */
  public get unscopedGrantsPolicy(): iam.ManagedPolicy | undefined {
    return this.unscopedPolicy;
  }

  /** Adds the statement to the role's own customer managed policy. */
  public override addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!this.policy) {
      this.policy = new iam.ManagedPolicy(this, 'Grants', {
        description: `Least-privilege grants of ${this.node.path}`,
      });
      this.addManagedPolicy(this.policy);
    }
    this.policy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.policy };
  }
}
