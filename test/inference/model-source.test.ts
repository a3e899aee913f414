import { CfnParameter, SecretValue, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CfnModel } from 'aws-cdk-lib/aws-sagemaker';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { GpuInferenceEndpoint, ModelSource, ServingContainer } from '../../constructs';
import { newStack, validationError } from '../util';

const WHERE = "GpuInferenceEndpoint at 'TestStack/Chat'";
const HUB_ID = 'mistralai/Mistral-7B-Instruct-v0.3';
const PACKAGE_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/llama-chat/3';

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every IAM statement of every identity policy in the template. */
function policyStatements(template: Template): Statement[] {
  const policies = {
    ...template.findResources('AWS::IAM::ManagedPolicy'),
    ...template.findResources('AWS::IAM::Policy'),
  };
  return Object.values(policies).flatMap(p => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** The actions of a statement, as an array. */
function actionsOf(statement: Statement): string[] {
  return ([] as string[]).concat(statement.Action);
}

/** The environment of the endpoint's (only) primary model, as CloudFormation will see it. */
function modelEnvironment(stack: Stack, endpoint: GpuInferenceEndpoint): Record<string, unknown> {
  const container = endpoint.cfnModels.AllTraffic.primaryContainer as CfnModel.ContainerDefinitionProperty;
  return stack.resolve(container.environment);
}

describe('ModelSource.fromBucket', () => {
  const stack = newStack();
  const key = new kms.Key(stack, 'ModelKey');
  const bucket = new s3.Bucket(stack, 'Models', { encryptionKey: key });
  new GpuInferenceEndpoint(stack, 'Chat', { model: ModelSource.fromBucket(bucket, 'models/mistral-7b/') });
  const template = Template.fromStack(stack);
  const bucketId = stack.getLogicalId(bucket.node.defaultChild as s3.CfnBucket);
  const keyId = stack.getLogicalId(key.node.defaultChild as kms.CfnKey);
  const statements = policyStatements(template);

  test('the model mounts the uncompressed prefix as its ModelDataSource', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        ModelDataSource: {
          S3DataSource: {
            S3Uri: { 'Fn::Join': ['', ['s3://', { Ref: bucketId }, '/models/mistral-7b/']] },
            S3DataType: 'S3Prefix',
            CompressionType: 'None',
          },
        },
      },
    });
  });

  test('the model runs with network isolation and loads from the SageMaker model directory', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: true,
      PrimaryContainer: { Environment: Match.objectLike({ HF_MODEL_ID: '/opt/ml/model' }) },
    });
  });

  test('the execution role may get objects under exactly the model prefix', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Action: 's3:GetObject',
          Effect: 'Allow',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/models/mistral-7b/*']] },
        }]),
      },
    });
    const getObject = statements.filter(s => actionsOf(s).includes('s3:GetObject'));
    expect(getObject).toHaveLength(1);
  });

  test('the execution role may list the bucket only under the model prefix', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Action: 's3:ListBucket',
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
          Condition: { StringLike: { 's3:prefix': ['models/mistral-7b/*'] } },
        }]),
      },
    });
  });

  test("the execution role may decrypt with the bucket's KMS key", () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Action: 'kms:Decrypt',
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [keyId, 'Arn'] },
        }]),
      },
    });
  });

  test('no statement grants an S3 wildcard action such as s3:* or s3:GetObject*', () => {
    const s3Actions = statements.flatMap(actionsOf).filter(a => a.startsWith('s3:'));
    expect(s3Actions).toContain('s3:GetObject');
    expect(s3Actions.filter(a => a.includes('*'))).toEqual([]);
  });

  test('the endpoint VPC has no NAT gateway, since nothing downloads from the internet', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });
});

describe('ModelSource.fromBucket with an unencrypted bucket', () => {
  const stack = newStack();
  const bucket = new s3.Bucket(stack, 'Models', { encryption: s3.BucketEncryption.S3_MANAGED });
  const endpoint = new GpuInferenceEndpoint(stack, 'Chat', { model: ModelSource.fromBucket(bucket, 'models/mistral-7b/') });
  const template = Template.fromStack(stack);
  const captureKeyId = stack.getLogicalId(endpoint.encryptionKey.node.defaultChild as kms.CfnKey);

  test('grants no kms:Decrypt beyond the data capture key', () => {
    const decrypt = policyStatements(template).filter(s => actionsOf(s).includes('kms:Decrypt'));
    expect(decrypt.map(s => s.Resource)).toEqual([{ 'Fn::GetAtt': [captureKeyId, 'Arn'] }]);
  });
});

describe('ModelSource.huggingFaceHub', () => {
  // The token lives in a secrets stack of the same app, created with a known value, so that the endpoint's
  // template can be searched for it.
  const stack = newStack();
  const app = stack.node.root;
  const TOKEN = 'hf_PlaintextTokenThatMustNotLeak';
  const secrets = new Stack(app, 'SecretsStack');
  const tokenSecret = new secretsmanager.Secret(secrets, 'HfToken', { secretStringValue: SecretValue.unsafePlainText(TOKEN) });
  new GpuInferenceEndpoint(stack, 'Chat', {
    model: ModelSource.huggingFaceHub(HUB_ID, { revision: 'e0bc86c23ce5aae1db576c8cca6f06f1f73af2db', tokenSecret }),
  });
  const template = Template.fromStack(stack);

  test('the model runs without network isolation, so that the container can download the weights', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: false,
      PrimaryContainer: { ModelDataSource: Match.absent() },
    });
  });

  test('the container gets HF_MODEL_ID and HF_MODEL_REVISION', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Environment: Match.objectLike({
          HF_MODEL_ID: HUB_ID,
          HF_MODEL_REVISION: 'e0bc86c23ce5aae1db576c8cca6f06f1f73af2db',
        }),
      },
    });
  });

  test('HF_TOKEN is a Secrets Manager dynamic reference, resolved at deploy time', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Environment: Match.objectLike({
          HF_TOKEN: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^\\{\\{resolve:secretsmanager:'), ':SecretString:::}}'])] },
        }),
      },
    });
  });

  test('the token value is not in the template in plaintext', () => {
    expect(JSON.stringify(template.toJSON())).not.toContain(TOKEN);
  });

  test("the endpoint's own VPC has a NAT gateway for the download", () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  test('the execution role gets no S3 read, since there is no S3 model data', () => {
    const reads = policyStatements(template).flatMap(actionsOf).filter(a => a === 's3:GetObject' || a === 's3:ListBucket');
    expect(reads).toEqual([]);
  });
});

describe('ModelSource.fromModelPackage', () => {
  const stack = newStack();
  const artifacts = new s3.Bucket(stack, 'Artifacts', { encryptionKey: new kms.Key(stack, 'ArtifactsKey') });
  new GpuInferenceEndpoint(stack, 'Chat', {
    model: ModelSource.fromModelPackage(PACKAGE_ARN, { modelData: { bucket: artifacts, prefix: 'packages/llama-chat/3/' } }),
  });
  const template = Template.fromStack(stack);
  const bucketId = stack.getLogicalId(artifacts.node.defaultChild as s3.CfnBucket);

  test('the primary container names the model package and has no image of its own', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: true,
      PrimaryContainer: {
        ModelPackageName: PACKAGE_ARN,
        Image: Match.absent(),
        Environment: Match.absent(),
        ModelDataSource: Match.absent(),
      },
    });
  });

  test('modelData grants read of exactly the artifacts prefix', () => {
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 's3:GetObject',
            Effect: 'Allow',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/packages/llama-chat/3/*']] },
          },
          {
            Action: 's3:ListBucket',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [bucketId, 'Arn'] },
            Condition: { StringLike: { 's3:prefix': ['packages/llama-chat/3/*'] } },
          },
        ]),
      },
    });
  });

  test('no serving container is bound, so no image pull is granted', () => {
    const ecr = policyStatements(template).flatMap(actionsOf).filter(a => a.startsWith('ecr:'));
    expect(ecr).toEqual([]);
  });
});

describe('Invalid model sources', () => {
  test('a model package with a container fails', () => {
    const e = validationError(() => new GpuInferenceEndpoint(newStack(), 'Chat', {
      model: ModelSource.fromModelPackage(PACKAGE_ARN),
      container: ServingContainer.tgi(),
    }));
    expect(e.codes).toEqual(['LLMOPS_PACKAGE_HAS_CONTAINER']);
    expect(e.message).toBe(`${WHERE}: container 'ServingContainer' must be left out for ModelSource.fromModelPackage: a model package brings its own container [LLMOPS_PACKAGE_HAS_CONTAINER]`);
  });

  test('an empty Hub model id fails', () => {
    const e = validationError(() => new GpuInferenceEndpoint(newStack(), 'Chat', { model: ModelSource.huggingFaceHub('  ') }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_ID_EMPTY']);
    expect(e.message).toBe(`${WHERE}: model (ModelSource.huggingFaceHub modelId) '  ' is empty; give a Hugging Face Hub id such as 'mistralai/Mistral-7B-Instruct-v0.3' [LLMOPS_MODEL_ID_EMPTY]`);
  });

  test('a Hub model id that is a URL fails', () => {
    const e = validationError(() => new GpuInferenceEndpoint(newStack(), 'Chat', {
      model: ModelSource.huggingFaceHub('https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.3'),
    }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_ID_INVALID']);
    expect(e.message).toContain(`${WHERE}: model (ModelSource.huggingFaceHub modelId) 'https://huggingface.co/mistralai/Mistral-7B-Instruct-v0.3' is not a Hugging Face Hub id; allowed: 'name' or 'owner/name' of letters, digits, '-', '_' and '.' (no '..' or '--'), at most 96 characters each [LLMOPS_MODEL_ID_INVALID]`);
  });

  test('a Hub model id with a space fails', () => {
    const e = validationError(() => new GpuInferenceEndpoint(newStack(), 'Chat', { model: ModelSource.huggingFaceHub('mistralai/Mistral 7B') }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_ID_INVALID']);
    expect(e.message).toContain(`${WHERE}: model (ModelSource.huggingFaceHub modelId) 'mistralai/Mistral 7B' is not a Hugging Face Hub id`);
  });

  test('an empty revision fails', () => {
    const e = validationError(() => new GpuInferenceEndpoint(newStack(), 'Chat', { model: ModelSource.huggingFaceHub(HUB_ID, { revision: '' }) }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_REVISION_EMPTY']);
    expect(e.message).toBe(`${WHERE}: model (ModelSource.huggingFaceHub revision) '' is empty; give a branch, tag or commit, or leave it out for the default branch [LLMOPS_MODEL_REVISION_EMPTY]`);
  });

  test('a bucket prefix without a trailing slash fails', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Models');
    const e = validationError(() => new GpuInferenceEndpoint(stack, 'Chat', { model: ModelSource.fromBucket(bucket, 'models/mistral-7b') }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_PREFIX']);
    expect(e.message).toBe(`${WHERE}: model (ModelSource.fromBucket prefix) 'models/mistral-7b' is not a key prefix of uncompressed model data; allowed: a non-empty prefix without a leading '/' or wildcards ('*', '?') that ends with '/', e.g. 'models/mistral-7b/' [LLMOPS_MODEL_PREFIX]`);
  });

  test('a bucket prefix with a leading slash fails', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Models');
    const e = validationError(() => new GpuInferenceEndpoint(stack, 'Chat', { model: ModelSource.fromBucket(bucket, '/models/mistral-7b/') }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_PREFIX']);
    expect(e.message).toContain(`${WHERE}: model (ModelSource.fromBucket prefix) '/models/mistral-7b/' is not a key prefix of uncompressed model data`);
  });

  test('a model package artifacts prefix without a trailing slash fails', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Artifacts');
    const e = validationError(() => new GpuInferenceEndpoint(stack, 'Chat', {
      model: ModelSource.fromModelPackage(PACKAGE_ARN, { modelData: { bucket, prefix: 'packages/llama-chat' } }),
    }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_PREFIX']);
    expect(e.message).toContain(`${WHERE}: model (ModelSource.fromModelPackage modelData.prefix) 'packages/llama-chat' is not a key prefix`);
  });

  test('a malformed model package ARN fails', () => {
    const arn = 'arn:aws:sagemaker:us-east-1:123456789012:model/llama-chat';
    const e = validationError(() => new GpuInferenceEndpoint(newStack(), 'Chat', { model: ModelSource.fromModelPackage(arn) }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_PACKAGE_ARN']);
    expect(e.message).toBe(`${WHERE}: model (ModelSource.fromModelPackage arn) '${arn}' is not a model package ARN; allowed: 'arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>' [LLMOPS_MODEL_PACKAGE_ARN]`);
  });

  test('network isolation with a Hub model fails', () => {
    const e = validationError(() => new GpuInferenceEndpoint(newStack(), 'Chat', {
      model: ModelSource.huggingFaceHub(HUB_ID),
      networkIsolation: true,
    }));
    expect(e.codes).toEqual(['LLMOPS_ISOLATION_BLOCKS_HUB']);
    expect(e.message).toBe(`${WHERE}: networkIsolation true cannot be true for a Hugging Face Hub model, which downloads its weights at start-up; stage the weights in S3 with ModelSource.fromBucket instead [LLMOPS_ISOLATION_BLOCKS_HUB]`);
  });

  test('network isolation with a Hub model that a shadow variant inherits is reported once', () => {
    const e = validationError(() => new GpuInferenceEndpoint(newStack(), 'Chat', {
      model: ModelSource.huggingFaceHub(HUB_ID),
      networkIsolation: true,
      shadowVariant: { variantName: 'Shadow' },
    }));
    expect(e.codes).toEqual(['LLMOPS_ISOLATION_BLOCKS_HUB']);
  });

  test("a Hub id with '..' fails", () => {
    const e = validationError(() => new GpuInferenceEndpoint(newStack(), 'Chat', { model: ModelSource.huggingFaceHub('owner/..') }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_ID_INVALID']);
  });

  test('a bucket prefix with a wildcard fails, since it would widen the read grant', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Weights');
    const e = validationError(() => new GpuInferenceEndpoint(stack, 'Chat', { model: ModelSource.fromBucket(bucket, 'models/*/') }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_PREFIX']);
    expect(e.message).toContain("model (ModelSource.fromBucket prefix) 'models/*/' is not a key prefix");
  });

  test('a bad model source is reported together with the other bad props', () => {
    const e = validationError(() => new GpuInferenceEndpoint(newStack(), 'Chat', { model: ModelSource.huggingFaceHub(''), instanceCount: 0 }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_ID_EMPTY', 'LLMOPS_INSTANCE_COUNT']);
  });

  test("a bad source of an additional variant is named by that variant's prop", () => {
    const e = validationError(() => new GpuInferenceEndpoint(newStack(), 'Chat', {
      model: ModelSource.huggingFaceHub(HUB_ID),
      additionalVariants: [{ variantName: 'B', model: ModelSource.huggingFaceHub('bad id') }],
    }));
    expect(e.codes).toEqual(['LLMOPS_MODEL_ID_INVALID']);
    expect(e.message).toContain("additionalVariants[0].model (ModelSource.huggingFaceHub modelId) 'bad id' is not a Hugging Face Hub id");
  });

  test('bind() on its own names the source and the construct path', () => {
    const stack = newStack();
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    const e = validationError(() => ModelSource.huggingFaceHub('').bind(role, { role }));
    expect(e.message).toMatch(/^ModelSource at 'TestStack\/Role': model \(ModelSource.huggingFaceHub modelId\) '' is empty/);
  });
});

describe('Model sources given as tokens', () => {
  test('a token Hub model id passes unvalidated into HF_MODEL_ID', () => {
    const stack = newStack();
    const modelId = new CfnParameter(stack, 'ModelId').valueAsString;
    expect(Token.isUnresolved(modelId)).toBe(true);
    const endpoint = new GpuInferenceEndpoint(stack, 'Chat', { model: ModelSource.huggingFaceHub(modelId) });
    expect(modelEnvironment(stack, endpoint).HF_MODEL_ID).toEqual({ Ref: 'ModelId' });
  });

  test('a token model package ARN passes unvalidated into ModelPackageName', () => {
    const stack = newStack();
    const arn = new CfnParameter(stack, 'PackageArn').valueAsString;
    const endpoint = new GpuInferenceEndpoint(stack, 'Chat', { model: ModelSource.fromModelPackage(arn) });
    const container = endpoint.cfnModels.AllTraffic.primaryContainer as CfnModel.ContainerDefinitionProperty;
    expect(stack.resolve(container.modelPackageName)).toEqual({ Ref: 'PackageArn' });
  });
});

describe('When S3 weights are encrypted with a key the bucket does not expose', () => {
  const stack = newStack();
  const key = new kms.Key(stack, 'WeightsKey', { enableKeyRotation: true });
  new GpuInferenceEndpoint(stack, 'Chat', {
    model: ModelSource.fromBucket(s3.Bucket.fromBucketName(stack, 'Weights', 'weights-bucket'), 'models/a/', { encryptionKey: key }),
  });
  const t = Template.fromStack(stack);

  test('the execution role may decrypt with that key', () => {
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WeightsKey'), 'Arn'] } })]) },
    });
  });
});

describe('When a model package brings a private image', () => {
  const stack = newStack();
  const ep = new GpuInferenceEndpoint(stack, 'Chat', {
    model: ModelSource.fromModelPackage(PACKAGE_ARN, {
      modelData: { bucket: s3.Bucket.fromBucketName(stack, 'Artifacts', 'artifacts-bucket'), prefix: 'packages/chat/3/' },
      imageRepository: ecr.Repository.fromRepositoryName(stack, 'Repo', 'chat-serving'),
    }),
  });
  const t = Template.fromStack(stack);

  test('the role may pull from exactly that repository and get an ECR token', () => {
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
          Resource: { 'Fn::Join': ['', Match.arrayWith([':repository/chat-serving'])] },
        })]),
      },
    });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'ecr:GetAuthorizationToken', Resource: '*' })]) },
    });
  });

  test('no warning is given', () => {
    Annotations.fromStack(stack).hasNoWarning(`/${ep.node.path}`, Match.stringLikeRegexp('fromModelPackage'));
  });
});

describe('When a model package is used without modelData or imageRepository', () => {
  const stack = newStack();
  new GpuInferenceEndpoint(stack, 'Chat', { model: ModelSource.fromModelPackage(PACKAGE_ARN) });

  test('synth warns that the role gets no S3 read and no ECR pull', () => {
    Annotations.fromStack(stack).hasWarning('/TestStack/Chat', Match.stringLikeRegexp('grants the execution role no S3 read and no ECR pull'));
  });
});
