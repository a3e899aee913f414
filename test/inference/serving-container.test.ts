import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { GpuInferenceEndpoint, GpuInstanceType, ModelSource, ServingContainer } from '../../constructs';
import { newStack, validationError } from '../util';

const WHERE = "GpuInferenceEndpoint at 'TestStack/Chat'";
const ECR_PULL = ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'];
const REGION_ACCOUNT = { 'Fn::FindInMap': ['LlmOpsDlcAccounts', { Ref: 'AWS::Region' }, 'account'] };

interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}

/** Every statement of the endpoint execution role's managed policy. */
function grants(template: Template): Statement[] {
  return Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
    .flatMap(p => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** The statements that grant any of `actions`. */
function grantsOf(template: Template, actions: string[]): Statement[] {
  return grants(template).filter(s => ([] as string[]).concat(s.Action).some(a => actions.includes(a)));
}

/** An S3 model, which needs no internet, so that only the container is under test. */
function s3Model(scope: Construct): ModelSource {
  return ModelSource.fromBucket(new s3.Bucket(scope, 'Models'), 'models/llm/');
}

describe('ServingContainer.tgi() in an environment-agnostic stack', () => {
  const stack = newStack();
  new GpuInferenceEndpoint(stack, 'Chat', {
    model: s3Model(stack),
    container: ServingContainer.tgi(),
    instanceType: GpuInstanceType.G5_12XLARGE,
  });
  const template = Template.fromStack(stack);

  test('the image account comes from the LlmOpsDlcAccounts mapping by region', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Image: {
          'Fn::Join': ['', [
            REGION_ACCOUNT, '.dkr.ecr.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' },
            `/huggingface-pytorch-tgi-inference:${ServingContainer.TGI_DEFAULT_TAG}`,
          ]],
        },
      },
    });
  });

  test('the mapping lists the DLC registry account of each region', () => {
    template.hasMapping('LlmOpsDlcAccounts', {
      'us-east-1': { account: '763104351884' },
      'af-south-1': { account: '626614931356' },
      'ap-east-1': { account: '871362719292' },
    });
  });

  test('SM_NUM_GPUS is the GPU count of the instance, so that TGI shards over all four A10Gs', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { Environment: Match.objectLike({ SM_NUM_GPUS: '4' }) },
    });
  });

  test('MAX_INPUT_TOKENS and MAX_TOTAL_TOKENS default to 4096 and 8192', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { Environment: Match.objectLike({ MAX_INPUT_TOKENS: '4096', MAX_TOTAL_TOKENS: '8192' }) },
    });
  });

  test('the execution role may pull from the TGI repository only', () => {
    const pulls = grantsOf(template, ECR_PULL);
    expect(pulls).toEqual([{
      Action: ECR_PULL,
      Effect: 'Allow',
      Resource: {
        'Fn::Join': ['', [
          'arn:', { Ref: 'AWS::Partition' }, ':ecr:', { Ref: 'AWS::Region' }, ':', REGION_ACCOUNT,
          ':repository/huggingface-pytorch-tgi-inference',
        ]],
      },
    }]);
  });

  test('the execution role may get an ECR authorization token, which has no resource-level permissions', () => {
    expect(grantsOf(template, ['ecr:GetAuthorizationToken'])).toEqual([
      { Action: 'ecr:GetAuthorizationToken', Effect: 'Allow', Resource: '*' },
    ]);
  });
});

describe('ServingContainer.tgi() in a stack in us-east-1', () => {
  const stack = newStack({ env: { account: '111111111111', region: 'us-east-1' } });
  new GpuInferenceEndpoint(stack, 'Chat', {
    model: s3Model(stack),
    container: ServingContainer.tgi({
      maxInputTokens: 2048,
      maxTotalTokens: 6144,
      environment: { MESSAGES_API_ENABLED: 'false', CUDA_GRAPHS: '0' },
    }),
    instanceType: GpuInstanceType.G5_12XLARGE,
    environment: { MESSAGES_API_ENABLED: 'true', SM_NUM_GPUS: '2' },
  });
  const template = Template.fromStack(stack);

  test('the image names the literal registry account of us-east-1', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Image: {
          'Fn::Join': ['', [
            '763104351884.dkr.ecr.us-east-1.', { Ref: 'AWS::URLSuffix' },
            `/huggingface-pytorch-tgi-inference:${ServingContainer.TGI_DEFAULT_TAG}`,
          ]],
        },
      },
    });
  });

  test('no DLC account mapping is created when the region is known', () => {
    expect(template.findMappings('*')).toEqual({});
  });

  test('maxInputTokens and maxTotalTokens set MAX_INPUT_TOKENS and MAX_TOTAL_TOKENS', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { Environment: Match.objectLike({ MAX_INPUT_TOKENS: '2048', MAX_TOTAL_TOKENS: '6144' }) },
    });
  });

  test("the endpoint's environment is applied last, over the container's derived and user variables", () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Environment: {
          HF_MODEL_ID: '/opt/ml/model',
          SM_NUM_GPUS: '2',
          MAX_INPUT_TOKENS: '2048',
          MAX_TOTAL_TOKENS: '6144',
          MESSAGES_API_ENABLED: 'true',
          CUDA_GRAPHS: '0',
        },
      },
    });
  });

  test('the execution role may pull from the TGI repository of the literal account only', () => {
    expect(grantsOf(template, ECR_PULL).map(s => s.Resource)).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:us-east-1:763104351884:repository/huggingface-pytorch-tgi-inference']] },
    ]);
  });
});

describe('ServingContainer.lmi() in a stack in af-south-1', () => {
  const stack = newStack({ env: { account: '111111111111', region: 'af-south-1' } });
  new GpuInferenceEndpoint(stack, 'Chat', {
    model: s3Model(stack),
    container: ServingContainer.lmi({ maxModelLen: 16384 }),
    instanceType: GpuInstanceType.G5_12XLARGE,
    containerStartupHealthCheckTimeout: Duration.minutes(25),
  });
  const template = Template.fromStack(stack);

  test('the image is djl-inference from the af-south-1 registry account', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Image: {
          'Fn::Join': ['', [
            '626614931356.dkr.ecr.af-south-1.', { Ref: 'AWS::URLSuffix' },
            `/djl-inference:${ServingContainer.LMI_DEFAULT_TAG}`,
          ]],
        },
      },
    });
  });

  test('the container serves with the vLLM rolling batch, tensor-parallel over all four GPUs', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Environment: Match.objectLike({
          HF_MODEL_ID: '/opt/ml/model',
          OPTION_ROLLING_BATCH: 'vllm',
          OPTION_TENSOR_PARALLEL_DEGREE: '4',
        }),
      },
    });
  });

  test("OPTION_MODEL_LOADING_TIMEOUT is the endpoint's start-up health check timeout", () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { Environment: Match.objectLike({ OPTION_MODEL_LOADING_TIMEOUT: '1500' }) },
    });
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ ContainerStartupHealthCheckTimeoutInSeconds: 1500 })],
    });
  });

  test('maxModelLen sets OPTION_MAX_MODEL_LEN', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { Environment: Match.objectLike({ OPTION_MAX_MODEL_LEN: '16384' }) },
    });
  });

  test('the execution role may pull from the djl-inference repository only', () => {
    expect(grantsOf(template, ECR_PULL).map(s => s.Resource)).toEqual([
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecr:af-south-1:626614931356:repository/djl-inference']] },
    ]);
  });
});

describe('ServingContainer.fromEcrRepository', () => {
  const stack = newStack();
  const repository = new ecr.Repository(stack, 'Repo');
  new GpuInferenceEndpoint(stack, 'Chat', {
    model: s3Model(stack),
    container: ServingContainer.fromEcrRepository(repository, 'v1.2.0', { environment: { PORT: '8080' } }),
  });
  const template = Template.fromStack(stack);
  const repositoryId = stack.getLogicalId(repository.node.defaultChild as ecr.CfnRepository);

  test('the image is the repository URI for the tag, with the model and the user environment', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Image: stack.resolve(repository.repositoryUriForTag('v1.2.0')),
        Environment: { HF_MODEL_ID: '/opt/ml/model', PORT: '8080' },
      },
    });
  });

  test('the execution role may pull from that repository only', () => {
    expect(grantsOf(template, ECR_PULL).map(s => s.Resource)).toEqual([{ 'Fn::GetAtt': [repositoryId, 'Arn'] }]);
    expect(grantsOf(template, ['ecr:GetAuthorizationToken']).map(s => s.Resource)).toEqual(['*']);
  });

  test('no DLC account mapping is created for a custom image', () => {
    expect(template.findMappings('*')).toEqual({});
  });
});

describe('ServingContainer.fromImageUri', () => {
  const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-llm-server:2025-06-01';
  const stack = newStack();
  new GpuInferenceEndpoint(stack, 'Chat', { model: s3Model(stack), container: ServingContainer.fromImageUri(IMAGE) });
  const template = Template.fromStack(stack);

  test('the image is the URI as given', () => {
    template.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { Image: IMAGE, Environment: { HF_MODEL_ID: '/opt/ml/model' } },
    });
  });

  test('no ECR permission is granted', () => {
    const ecrActions = grants(template).flatMap(s => ([] as string[]).concat(s.Action)).filter(a => a.startsWith('ecr:'));
    expect(ecrActions).toEqual([]);
  });
});

describe('Two endpoints with DLC containers in one environment-agnostic stack', () => {
  const stack = newStack();
  const model = s3Model(stack);
  new GpuInferenceEndpoint(stack, 'Chat', { model, container: ServingContainer.tgi() });
  new GpuInferenceEndpoint(stack, 'Embed', { model, container: ServingContainer.lmi() });
  const template = Template.fromStack(stack);

  test('share one LlmOpsDlcAccounts mapping', () => {
    expect(Object.keys(template.findMappings('*'))).toEqual(['LlmOpsDlcAccounts']);
    template.resourceCountIs('AWS::SageMaker::Model', 2);
  });
});

describe('Invalid serving containers', () => {
  test('tgi() on an Inferentia instance fails, since it serves CUDA images', () => {
    const stack = newStack();
    const e = validationError(() => new GpuInferenceEndpoint(stack, 'Chat', {
      model: s3Model(stack),
      container: ServingContainer.tgi(),
      instanceType: GpuInstanceType.INF2_XLARGE,
    }));
    expect(e.codes).toEqual(['LLMOPS_CONTAINER_NEEDS_CUDA']);
    expect(e.message).toBe(`${WHERE}: instanceType 'ml.inf2.xlarge' is an AWS Inferentia instance, but ServingContainer.tgi() serves CUDA images; use an NVIDIA GPU instance, or a Neuron image with ServingContainer.fromImageUri [LLMOPS_CONTAINER_NEEDS_CUDA]`);
  });

  test('lmi() on an Inferentia instance fails, since it serves CUDA images', () => {
    const stack = newStack();
    const e = validationError(() => new GpuInferenceEndpoint(stack, 'Chat', {
      model: s3Model(stack),
      container: ServingContainer.lmi(),
      instanceType: GpuInstanceType.INF2_24XLARGE,
    }));
    expect(e.codes).toEqual(['LLMOPS_CONTAINER_NEEDS_CUDA']);
    expect(e.message).toContain(`${WHERE}: instanceType 'ml.inf2.24xlarge' is an AWS Inferentia instance, but ServingContainer.lmi() serves CUDA images`);
  });

  test('maxInputTokens equal to maxTotalTokens fails', () => {
    const stack = newStack();
    const e = validationError(() => new GpuInferenceEndpoint(stack, 'Chat', {
      model: s3Model(stack),
      container: ServingContainer.tgi({ maxInputTokens: 8192, maxTotalTokens: 8192 }),
    }));
    expect(e.codes).toEqual(['LLMOPS_TOKENS_ORDER']);
    expect(e.message).toBe(`${WHERE}: container (ServingContainer.tgi maxTotalTokens) 8192 must be greater than maxInputTokens (8192): it counts the prompt plus the generated tokens [LLMOPS_TOKENS_ORDER]`);
  });

  test('maxInputTokens above the default maxTotalTokens fails', () => {
    const stack = newStack();
    const e = validationError(() => new GpuInferenceEndpoint(stack, 'Chat', {
      model: s3Model(stack),
      container: ServingContainer.tgi({ maxInputTokens: 16384 }),
    }));
    expect(e.codes).toEqual(['LLMOPS_TOKENS_ORDER']);
    expect(e.message).toContain(`${WHERE}: container (ServingContainer.tgi maxTotalTokens) 8192 must be greater than maxInputTokens (16384)`);
  });

  test('maxInputTokens of 0 fails as out of range', () => {
    const stack = newStack();
    const e = validationError(() => new GpuInferenceEndpoint(stack, 'Chat', {
      model: s3Model(stack),
      container: ServingContainer.tgi({ maxInputTokens: 0 }),
    }));
    expect(e.codes).toEqual(['LLMOPS_TOKENS_RANGE']);
    expect(e.message).toBe(`${WHERE}: container (ServingContainer.tgi maxInputTokens) 0 is out of range; allowed: an integer from 1 to 10000000 [LLMOPS_TOKENS_RANGE]`);
  });

  test('an image tag with a space fails', () => {
    const stack = newStack();
    const e = validationError(() => new GpuInferenceEndpoint(stack, 'Chat', {
      model: s3Model(stack),
      container: ServingContainer.tgi({ version: '3.3.6 latest' }),
    }));
    expect(e.codes).toEqual(['LLMOPS_CONTAINER_TAG']);
    expect(e.message).toBe(`${WHERE}: container (ServingContainer.tgi version) '3.3.6 latest' is not an image tag; allowed: letters, digits, "_", "." and "-", at most 128 characters [LLMOPS_CONTAINER_TAG]`);
  });

  test('a stack in a region without a DLC registry fails, naming the supported regions', () => {
    const stack = newStack({ env: { account: '111111111111', region: 'xx-fake-1' } });
    const e = validationError(() => new GpuInferenceEndpoint(stack, 'Chat', {
      model: s3Model(stack),
      container: ServingContainer.tgi(),
    }));
    expect(e.codes).toEqual(['LLMOPS_DLC_REGION']);
    expect(e.message).toContain(`${WHERE}: stack region 'xx-fake-1' has no AWS deep learning container registry in the shipped map; use ServingContainer.fromEcrRepository or fromImageUri, or deploy to one of af-south-1, ap-east-1,`);
    expect(e.message).toMatch(/us-west-2 \[LLMOPS_DLC_REGION\]$/);
  });
});

describe('When a container of an additional variant is invalid', () => {
  test('the problem names that variant and is reported with the rest', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Weights');
    const e = validationError(() => new GpuInferenceEndpoint(stack, 'Chat', {
      model: ModelSource.fromBucket(bucket, 'models/a/'),
      instanceCount: 0,
      additionalVariants: [{ variantName: 'B', model: ModelSource.fromBucket(bucket, 'models/b/'), container: ServingContainer.tgi(), instanceType: GpuInstanceType.INF2_XLARGE }],
    }));
    expect(e.codes).toEqual(['LLMOPS_INSTANCE_COUNT', 'LLMOPS_CONTAINER_NEEDS_CUDA']);
    expect(e.message).toContain("additionalVariants[0].instanceType 'ml.inf2.xlarge' is an AWS Inferentia instance");
  });
});

describe('When an endpoint runs on a Blackwell GPU', () => {
  const stack = newStack();
  new GpuInferenceEndpoint(stack, 'Chat', {
    model: ModelSource.fromBucket(s3.Bucket.fromBucketName(stack, 'Weights', 'weights-bucket'), 'models/a/'),
    container: ServingContainer.lmi(),
    instanceType: GpuInstanceType.of('ml.g7e.2xlarge'),
  });
  const t = Template.fromStack(stack);

  test('the variant gets the Amazon Linux 2023 GPU AMI, whose driver supports CUDA 12.8', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.g7e.2xlarge', InferenceAmiVersion: 'al2023-ami-sagemaker-inference-gpu-4-1' })],
    });
  });

  test('an image built for an older CUDA fails, naming the GPU and the CUDA it needs', () => {
    const s = newStack();
    const e = validationError(() => new GpuInferenceEndpoint(s, 'Chat', {
      model: ModelSource.fromBucket(s3.Bucket.fromBucketName(s, 'Weights', 'weights-bucket'), 'models/a/'),
      container: ServingContainer.tgi(),
      instanceType: GpuInstanceType.of('ml.p6-b200.48xlarge'),
    }));
    expect(e.codes).toEqual(['LLMOPS_CONTAINER_CUDA']);
    expect(e.message).toContain("container (ServingContainer.tgi version) '2.7.0-tgi3.3.6-gpu-py311-cu124-ubuntu22.04' is built for CUDA 12.4, "
      + 'but ml.p6-b200.48xlarge (NVIDIA B200) needs CUDA 12.8 or later; pick a newer image version [LLMOPS_CONTAINER_CUDA]');
  });
});
