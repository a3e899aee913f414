import { Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';
import { PropValidator } from '../common/validation';
import { dlcImage } from '../inference/serving-container';
import { ECR_PULL_ACTIONS } from '../permissions';

/** A bound training image. */
export interface TrainingImageConfig {
  /** The image URI (may contain tokens). */
  readonly imageUri: string;
  /** Whether the training role pulls it from ECR (and so needs `ecr:GetAuthorizationToken`). */
  readonly pullsFromEcr: boolean;
}

/** The container image that runs the fine-tuning script. */
export abstract class TrainingImage {
  /** The default tag of the Hugging Face PyTorch training container (PyTorch 2.1, Transformers 4.36, CUDA 12.1). */
  public static readonly HUGGING_FACE_PYTORCH_DEFAULT_TAG = '2.1.0-transformers4.36.0-gpu-py310-cu121-ubuntu20.04';

  /**
   * The Hugging Face PyTorch training deep learning container (`huggingface-pytorch-training`) from the AWS
   * registry of the stack's region (a CfnMapping for region-agnostic stacks). Pin the version you validated.
   * @param options.version the image tag
   */
  public static huggingFacePytorch(options: { readonly version?: string } = {}): TrainingImage {
    return new DlcTrainingImage('huggingface-pytorch-training', options.version ?? TrainingImage.HUGGING_FACE_PYTORCH_DEFAULT_TAG);
  }

  /** Your own image in ECR; the training role may pull from exactly that repository. */
  public static fromEcrRepository(repository: ecr.IRepository, tag: string): TrainingImage {
    return new EcrTrainingImage(repository, tag);
  }

  /** Any image URI; no pull permission is granted. */
  public static fromImageUri(imageUri: string): TrainingImage {
    return new UriTrainingImage(imageUri);
  }

  /** Grants the training role the pull and returns the image. */
  public abstract bind(scope: IConstruct, role: iam.IGrantable): TrainingImageConfig;
}

class DlcTrainingImage extends TrainingImage {
  constructor(private readonly repository: string, private readonly tag: string) {
    super();
  }

  public bind(scope: IConstruct, role: iam.IGrantable): TrainingImageConfig {
    new PropValidator('TrainingImage', scope).check(Token.isUnresolved(this.tag) || /^[\w][\w.-]{0,127}$/.test(this.tag), 'LLMOPS_CONTAINER_TAG',
      'image (TrainingImage.huggingFacePytorch version)', this.tag, 'is not an image tag; allowed: letters, digits, "_", "." and "-", at most 128 characters').throwIfInvalid();
    const { imageUri, repositoryArn } = dlcImage(scope, this.repository, this.tag);
    iam.Grant.addToPrincipal({ grantee: role, actions: ECR_PULL_ACTIONS, resourceArns: [repositoryArn] });
    return { imageUri, pullsFromEcr: true };
  }
}

class EcrTrainingImage extends TrainingImage {
  constructor(private readonly repository: ecr.IRepository, private readonly tag: string) {
    super();
  }

  public bind(_scope: IConstruct, role: iam.IGrantable): TrainingImageConfig {
    iam.Grant.addToPrincipal({ grantee: role, actions: ECR_PULL_ACTIONS, resourceArns: [this.repository.repositoryArn] });
    return { imageUri: this.repository.repositoryUriForTag(this.tag), pullsFromEcr: true };
  }
}

class UriTrainingImage extends TrainingImage {
  constructor(private readonly imageUri: string) {
    super();
  }

  public bind(): TrainingImageConfig {
    return { imageUri: this.imageUri, pullsFromEcr: false };
  }
}
