import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/**
 * A role whose grants land in one customer managed policy attached to it, instead of an inline default policy
 * (HIPAA and NIST 800-53 forbid inline policies). Grants work as on any role: `bucket.grantRead(role)` etc.
 * No AWS managed policy is ever attached.
 */
export class LeastPrivilegeRole extends iam.Role {
  private policy?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, props);
  }

  /** The managed policy that holds every grant (created by the first grant). */
  public get grantsPolicy(): iam.ManagedPolicy | undefined {
    return this.policy;
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
