import { App, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { AuroraPgVectorStore, LeastPrivilegeRole, LlmOpsFoundation, OpenSearchServerlessVectorStore, VectorDistance } from '../../constructs';

// The security gate of the vector stores: every shape below must pass AwsSolutions, HIPAA and NIST 800-53 R5
// with no unacknowledged finding (synth throws on any).
describe('When vector stores of every shape are checked against AwsSolutions, HIPAA and NIST 800-53 R5', () => {
  const app = new App();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app));
  const stack = new Stack(app, 'Gate');
  const app1 = new LeastPrivilegeRole(stack, 'AppRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

  const aoss = new OpenSearchServerlessVectorStore(stack, 'Search', { dimension: 1024 });
  aoss.grantRead(app1);
  const foundation = new LlmOpsFoundation(stack, 'Shared');
  new OpenSearchServerlessVectorStore(stack, 'DevSearch', {
    dimension: 384, distance: VectorDistance.INNER_PRODUCT, standbyReplicas: false, removalPolicy: RemovalPolicy.DESTROY,
    vpc: foundation.vpc, encryptionKey: foundation.encryptionKey,
  });
  new OpenSearchServerlessVectorStore(stack, 'PublicSearch', { dimension: 256, allowPublicAccess: true });
  const pg = new AuroraPgVectorStore(stack, 'Pg', { dimension: 1024 });
  pg.grantWrite(app1);
  new AuroraPgVectorStore(stack, 'DevPg', { dimension: 768, minCapacity: 0, removalPolicy: RemovalPolicy.DESTROY, vpc: foundation.vpc, encryptionKey: foundation.encryptionKey });

  test('synth reports no unacknowledged finding', () => {
    expect(() => app.synth()).not.toThrow();
  });
});
