import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { DeploymentStrategy, GpuInferenceEndpoint, GpuInstanceType, LlmOpsFoundation, ModelSource, ServingContainer } from '../../constructs';

// The security gate of the endpoint on its own: each shape below must pass the three cdk-nag packs with no
// unacknowledged finding (synth throws on any). The default app's gate is in test/app.test.ts.
function gatedStack(): { app: App; stack: Stack } {
  const app = new App();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app));
  return { app, stack: new Stack(app, 'Gate') };
}

describe('When endpoints of every shape are checked against AwsSolutions, HIPAA and NIST 800-53 R5', () => {
  const { app, stack } = gatedStack();
  const weightsKey = new kms.Key(stack, 'WeightsKey', { enableKeyRotation: true });
  const weights = s3.Bucket.fromBucketName(stack, 'Weights', 'weights-bucket');

  // Standalone: its own foundation, S3 weights, TGI, canary with a rollback alarm on its own metric.
  const standalone = new GpuInferenceEndpoint(stack, 'Standalone', {
    model: ModelSource.fromBucket(weights, 'models/a/', { encryptionKey: weightsKey }),
    instanceCount: 2,
    autoScaling: { minCapacity: 2, maxCapacity: 4 },
    deployment: { strategy: DeploymentStrategy.canary(50, Duration.minutes(5)) },
  });
  const errors = standalone.metricInvocation5xxErrors().createAlarm(stack, 'Errors', { threshold: 0.05, evaluationPeriods: 3 });
  errors.addAlarmAction(new actions.SnsAction(new sns.Topic(stack, 'Alarms', { masterKey: weightsKey, enforceSSL: true })));
  standalone.addRollbackAlarm(errors);

  // A Hub model with a gated-model token, in a foundation with egress.
  const egress = new LlmOpsFoundation(stack, 'EgressFoundation', { internetEgress: true });
  new GpuInferenceEndpoint(stack, 'Hub', {
    model: ModelSource.huggingFaceHub('mistralai/Mistral-7B-Instruct-v0.3', { tokenSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'Token', 'hf-token') }),
    container: ServingContainer.lmi(),
    vpc: egress.vpc,
    encryptionKey: egress.encryptionKey,
    dataCapture: { bucket: egress.dataCaptureBucket },
  });

  // Your own image on Inferentia, and a registry model package next to it.
  const shared = new LlmOpsFoundation(stack, 'SharedFoundation');
  new GpuInferenceEndpoint(stack, 'Neuron', {
    model: ModelSource.fromBucket(shared.artifactsBucket, 'models/b/'),
    container: ServingContainer.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'neuron-llm'), 'v1'),
    instanceType: GpuInstanceType.INF2_XLARGE,
    vpc: shared.vpc,
    encryptionKey: shared.encryptionKey,
    dataCapture: { bucket: shared.dataCaptureBucket },
  });
  new GpuInferenceEndpoint(stack, 'Package', {
    model: ModelSource.fromModelPackage('arn:aws:sagemaker:us-east-1:111122223333:model-package/chat/3', {
      modelData: { bucket: shared.artifactsBucket, prefix: 'packages/chat/3/' },
      imageRepository: ecr.Repository.fromRepositoryName(stack, 'PackageRepo', 'chat-serving'),
    }),
    vpc: shared.vpc,
    encryptionKey: shared.encryptionKey,
    dataCapture: { bucket: shared.dataCaptureBucket },
  });

  test('synth reports no unacknowledged finding', () => {
    expect(() => app.synth()).not.toThrow();
  });
});

describe('When a grant with a wildcard resource is added to an endpoint role outside the library', () => {
  test('the gate still reports it: the library acknowledges only its own unscoped actions', () => {
    const { app, stack } = gatedStack();
    const ep = new GpuInferenceEndpoint(stack, 'Chat', { model: ModelSource.fromBucket(s3.Bucket.fromBucketName(stack, 'W', 'weights'), 'models/a/') });
    ep.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Resource::\*\]/);
  });
});
