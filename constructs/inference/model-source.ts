import { createHash } from 'crypto';
import { Annotations, CfnCondition, CfnParameter, Fn, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { CfnModel } from 'aws-cdk-lib/aws-sagemaker';
import { Construct, IConstruct } from 'constructs';
import { acknowledgeWildcardResource } from '../common/compliance';
import { PropValidator } from '../common/validation';
import { ECR_PULL_ACTIONS, S3_LIST_ACTIONS, S3_READ_OBJECT_ACTIONS } from '../permissions';

/** Where SageMaker mounts uncompressed model data from S3 inside the serving container. */
export const SAGEMAKER_MODEL_DIR = '/opt/ml/model';

/** Where the weights come from. */
export enum ModelSourceKind {
  /** Downloaded from the Hugging Face Hub by the container at start-up (needs internet egress). */
  HUGGING_FACE_HUB = 'HUGGING_FACE_HUB',
  /** Uncompressed model data under an S3 prefix, mounted by SageMaker. */
  S3 = 'S3',
  /** A model package from the SageMaker model registry, which brings its own container. */
  MODEL_PACKAGE = 'MODEL_PACKAGE',
  /** The package whose ARN an SSM parameter holds (the approved one), else a fallback source. */
  APPROVED_PACKAGE = 'APPROVED_PACKAGE',
}

/** Options for {@link ModelSource.huggingFaceHub}. */
export interface HuggingFaceHubOptions {
  /**
   * Git revision (branch, tag or commit) of the model repository. Pin a commit for reproducible deployments.
   * @default - the repository's default branch
   */
  readonly revision?: string;

  /**
   * A Secrets Manager secret whose string value is a Hugging Face access token, for gated models.
   *
   * The token reaches the container as `HF_TOKEN` through a CloudFormation dynamic reference, resolved at deploy
   * time: the template holds only the reference, but the resolved token is stored in the SageMaker model's
   * environment, where every principal allowed `sagemaker:DescribeModel` can read it. For gated models in
   * production, stage the weights in S3 instead ({@link ModelSource.fromBucket}).
   * @default - no token: only public models can be downloaded
   */
  readonly tokenSecret?: secretsmanager.ISecret;
}

/** Options for {@link ModelSource.fromBucket}. */
export interface BucketModelOptions {
  /**
   * The KMS key the objects are encrypted with, for buckets whose key the construct cannot see
   * (e.g. `Bucket.fromBucketName`). The execution role gets `kms:Decrypt` on it.
   * @default - the bucket's own `encryptionKey`, if any
   */
  readonly encryptionKey?: kms.IKey;
}

/** Where a model package's artifacts live. */
export interface ModelPackageData extends BucketModelOptions {
  /** The bucket holding the artifacts. */
  readonly bucket: s3.IBucket;
  /** The key prefix of the artifacts, ending with `/`. */
  readonly prefix: string;
}

/** Options for {@link ModelSource.fromModelPackage}. */
export interface ModelPackageOptions {
  /**
   * Where the package's model artifacts live: the execution role may read exactly that prefix (and decrypt with
   * its key). Needed for packages whose artifacts are in your account, e.g. fine-tuned models.
   * @default - no S3 read is granted (a synth warning says so)
   */
  readonly modelData?: ModelPackageData;

  /**
   * The ECR repository of the package's inference image, when it is a private image of yours: the execution role
   * may pull from exactly that repository. AWS deep learning containers need no grant.
   * @default - no ECR pull is granted
   */
  readonly imageRepository?: ecr.IRepository;
}

/** Options for {@link ModelSource.bind}. */
export interface ModelSourceBindOptions {
  /** The execution role that SageMaker uses to fetch the model; granted exactly the reads the source needs. */
  readonly role: iam.IGrantable;
}

/** What a bound model source contributes to the SageMaker model. */
export interface ModelSourceConfig {
  /** The kind of source. */
  readonly kind: ModelSourceKind;
  /**
   * The model id the serving container loads: a Hub id, or the local directory where SageMaker mounts S3 data.
   * Undefined for a model package, which configures its own container.
   */
  readonly modelId?: string;
  /** The git revision to load, for Hub models. */
  readonly revision?: string;
  /** The Hub token (a dynamic reference), for gated Hub models. */
  readonly hubToken?: string;
  /** The `ModelDataSource` of the container, for S3 models. */
  readonly modelDataSource?: CfnModel.ModelDataSourceProperty;
  /** The `ModelPackageName` of the container, for model packages. */
  readonly modelPackageName?: string;
  /** Whether the execution role pulls the package's image from a private ECR repository. */
  readonly pullsFromEcr?: boolean;
  /**
   * For {@link ModelSource.fromApprovedPackage}: the condition under which the model serves the package instead of
   * the fallback (whose settings are the rest of this config), and the package ARN (a parameter reference).
   */
  readonly approvedPackage?: { readonly condition: CfnCondition; readonly modelPackageName: string };
}

/** Options for {@link ModelSource.fromApprovedPackage}. */
export interface ApprovedPackageOptions {
  /** What the endpoint serves until a package is approved (the parameter holds `emptyValue`). */
  readonly fallback: ModelSource;
  /**
   * Where approved packages keep their artifacts (e.g. the pipeline's `output/` prefix), read-granted to the role.
   * @default - no S3 read for packages
   */
  readonly modelData?: ModelPackageData;
  /**
   * The parameter value that means "no approved package yet".
   * @default 'none'
   */
  readonly emptyValue?: string;
}

/**
 * Where an inference endpoint gets its model weights.
 *
 * - {@link ModelSource.fromBucket}: uncompressed weights in S3 (recommended: works with network isolation).
 * - {@link ModelSource.huggingFaceHub}: downloaded from the Hub at start-up (needs internet egress).
 * - {@link ModelSource.fromModelPackage}: a registered, approved model package.
 */
export abstract class ModelSource {
  /**
   * A model the container downloads from the Hugging Face Hub when it starts.
   *
   * The container needs internet egress, so network isolation is off for this source and the endpoint must run
   * in subnets with a route to the internet (NAT).
   *
   * @param modelId the Hub id, e.g. `mistralai/Mistral-7B-Instruct-v0.3`
   */
  public static huggingFaceHub(modelId: string, options: HuggingFaceHubOptions = {}): ModelSource {
    return new HubModelSource(modelId, options);
  }

  /**
   * Uncompressed model data (safetensors, tokenizer, config) under an S3 prefix. SageMaker mounts it at
   * `/opt/ml/model`; the container needs no internet, so network isolation is on.
   *
   * Grants the execution role `s3:GetObject` on `prefix*`, `s3:ListBucket` conditioned on that prefix, and
   * `kms:Decrypt` on the objects' key (`options.encryptionKey`, else the bucket's own key if it has one).
   *
   * @param prefix the key prefix, ending with `/`, e.g. `models/mistral-7b-instruct/`
   */
  public static fromBucket(bucket: s3.IBucket, prefix: string, options: BucketModelOptions = {}): ModelSource {
    return new BucketModelSource(bucket, prefix, options);
  }

  /**
   * A model package (version) from the SageMaker model registry, e.g. one registered by a fine-tuning pipeline.
   * The package brings its own container image and environment, so the endpoint takes no `container`.
   * SageMaker fetches the package's artifacts and image with the execution role: pass `modelData` (and
   * `imageRepository` for a private image) so that the role may read exactly those.
   *
   * @param modelPackageArn the model package ARN (a token is fine)
   */
  public static fromModelPackage(modelPackageArn: string, options: ModelPackageOptions = {}): ModelSource {
    return new PackageModelSource(modelPackageArn, options);
  }

  /**
   * The model package whose ARN the SSM parameter `parameterName` holds — the one a {@link ModelPromotion} wrote
   * when it was approved — read at every deploy through a CloudFormation parameter of type
   * `AWS::SSM::Parameter::Value<String>`; until then (the parameter holds `emptyValue`), the `fallback` source.
   * The parameter must exist before the stack is deployed (e.g. in an `LlmOpsRegistryStack`).
   */
  public static fromApprovedPackage(parameterName: string, options: ApprovedPackageOptions): ModelSource {
    return new ApprovedPackageSource(parameterName, options);
  }

  /** The kind of source. */
  public abstract readonly kind: ModelSourceKind;

  /** Whether the serving container needs internet egress to fetch the model. */
  public abstract readonly requiresInternet: boolean;

  /**
   * Records every problem with the source in `v`, naming `prop` (e.g. `model`). Unresolved tokens pass.
   */
  public abstract validate(v: PropValidator, prop: string): void;

  /**
   * Validates the source, grants the role what it needs and returns the container's model settings.
   * @param scope the construct that uses the source (named in validation errors)
   * @throws LlmOpsValidationError if the source is invalid
   */
  public bind(scope: IConstruct, options: ModelSourceBindOptions): ModelSourceConfig {
    const v = new PropValidator('ModelSource', scope);
    this.validate(v, 'model');
    v.throwIfInvalid();
    return this.bindValid(options, scope);
  }

  /** Grants and settings of a source that has been validated. */
  protected abstract bindValid(options: ModelSourceBindOptions, scope: IConstruct): ModelSourceConfig;
}

const HUB_ID = /^[A-Za-z0-9][\w.-]{0,95}(\/[\w.-]{1,96})?$/;

class HubModelSource extends ModelSource {
  public readonly kind = ModelSourceKind.HUGGING_FACE_HUB;
  public readonly requiresInternet = true;

  constructor(private readonly modelId: string, private readonly options: HuggingFaceHubOptions) {
    super();
  }

  public validate(v: PropValidator, prop: string): void {
    if (!Token.isUnresolved(this.modelId)) {
      if (this.modelId.trim() === '') {
        v.fail('LLMOPS_MODEL_ID_EMPTY', `${prop} (ModelSource.huggingFaceHub modelId)`, this.modelId,
          "is empty; give a Hugging Face Hub id such as 'mistralai/Mistral-7B-Instruct-v0.3'");
      } else {
        v.check(HUB_ID.test(this.modelId) && !/(\.\.|--)/.test(this.modelId), 'LLMOPS_MODEL_ID_INVALID', `${prop} (ModelSource.huggingFaceHub modelId)`, this.modelId,
          "is not a Hugging Face Hub id; allowed: 'name' or 'owner/name' of letters, digits, '-', '_' and '.' (no '..' or '--'), at most 96 characters each");
      }
    }
    if (this.options.revision !== undefined && !Token.isUnresolved(this.options.revision)) {
      v.check(this.options.revision.trim() !== '', 'LLMOPS_MODEL_REVISION_EMPTY', `${prop} (ModelSource.huggingFaceHub revision)`,
        this.options.revision, 'is empty; give a branch, tag or commit, or leave it out for the default branch');
    }
  }

  protected bindValid(): ModelSourceConfig {
    return {
      kind: this.kind,
      modelId: this.modelId,
      revision: this.options.revision,
      hubToken: this.options.tokenSecret?.secretValue.unsafeUnwrap(),
    };
  }
}

class BucketModelSource extends ModelSource {
  public readonly kind = ModelSourceKind.S3;
  public readonly requiresInternet = false;

  constructor(private readonly bucket: s3.IBucket, private readonly prefix: string, private readonly options: BucketModelOptions) {
    super();
  }

  public validate(v: PropValidator, prop: string): void {
    validatePrefix(v, `${prop} (ModelSource.fromBucket prefix)`, this.prefix);
  }

  protected bindValid(options: ModelSourceBindOptions): ModelSourceConfig {
    grantPrefixRead(options.role, this.bucket, this.prefix, this.options.encryptionKey);
    return {
      kind: this.kind,
      modelId: SAGEMAKER_MODEL_DIR,
      modelDataSource: {
        s3DataSource: {
          s3Uri: this.bucket.s3UrlForObject(this.prefix),
          s3DataType: 'S3Prefix',
          compressionType: 'None',
        },
      },
    };
  }
}

class PackageModelSource extends ModelSource {
  public readonly kind = ModelSourceKind.MODEL_PACKAGE;
  public readonly requiresInternet = false;

  constructor(private readonly arn: string, private readonly options: ModelPackageOptions) {
    super();
  }

  public validate(v: PropValidator, prop: string): void {
    if (!Token.isUnresolved(this.arn)) {
      v.check(/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package\/[\w-]{1,63}(\/\d+)?$/.test(this.arn),
        'LLMOPS_MODEL_PACKAGE_ARN', `${prop} (ModelSource.fromModelPackage arn)`, this.arn,
        "is not a model package ARN; allowed: 'arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>'");
    }
    if (this.options.modelData) validatePrefix(v, `${prop} (ModelSource.fromModelPackage modelData.prefix)`, this.options.modelData.prefix);
  }

  protected bindValid(options: ModelSourceBindOptions, scope?: IConstruct): ModelSourceConfig {
    const data = this.options.modelData;
    if (data) grantPrefixRead(options.role, data.bucket, data.prefix, data.encryptionKey);
    const repository = this.options.imageRepository;
    if (repository) iam.Grant.addToPrincipal({ grantee: options.role, actions: ECR_PULL_ACTIONS, resourceArns: [repository.repositoryArn] });
    if (!data && !repository && scope) {
      Annotations.of(scope).addWarningV2('cdk-llmops:ModelPackageGrants',
        'ModelSource.fromModelPackage grants the execution role no S3 read and no ECR pull: pass modelData (and imageRepository for a private image) unless the package uses public artifacts and an AWS image');
    }
    return { kind: this.kind, modelPackageName: this.arn, pullsFromEcr: repository !== undefined };
  }
}

class ApprovedPackageSource extends ModelSource {
  public readonly kind = ModelSourceKind.APPROVED_PACKAGE;

  constructor(private readonly parameterName: string, private readonly options: ApprovedPackageOptions) {
    super();
  }

  public get requiresInternet(): boolean {
    return this.options.fallback.requiresInternet;
  }

  public validate(v: PropValidator, prop: string): void {
    if (!Token.isUnresolved(this.parameterName)) {
      v.check(/^\/?[a-zA-Z0-9_.\-/]{1,1011}$/.test(this.parameterName), 'LLMOPS_PARAMETER_NAME', `${prop} (ModelSource.fromApprovedPackage parameterName)`,
        this.parameterName, "is not an SSM parameter name; allowed: letters, digits, '_', '.', '-' and '/'");
    }
    v.check(this.options.fallback.kind !== ModelSourceKind.APPROVED_PACKAGE && this.options.fallback.kind !== ModelSourceKind.MODEL_PACKAGE,
      'LLMOPS_APPROVED_FALLBACK', `${prop} (ModelSource.fromApprovedPackage fallback)`, this.options.fallback.kind,
      'must be a source served by the endpoint\'s container: ModelSource.fromBucket or ModelSource.huggingFaceHub');
    this.options.fallback.validate(v, `${prop} (fallback)`);
    if (this.options.modelData) validatePrefix(v, `${prop} (ModelSource.fromApprovedPackage modelData.prefix)`, this.options.modelData.prefix);
  }

  protected bindValid(options: ModelSourceBindOptions, scope: IConstruct): ModelSourceConfig {
    const fallback = this.options.fallback.bind(scope, options);
    const data = this.options.modelData;
    if (data) grantPrefixRead(options.role, data.bucket, data.prefix, data.encryptionKey);
    const stack = Stack.of(scope);
    const name = this.parameterName.startsWith('/') ? this.parameterName : `/${this.parameterName}`;
    // One stack parameter per SSM name (and one condition per name and empty value): the IDs hash them exactly.
    const id = `ApprovedModelPackage${shortHash(name)}`;
    const parameter = (stack.node.tryFindChild(id) as CfnParameter | undefined) ?? new CfnParameter(stack, id, {
      type: 'AWS::SSM::Parameter::Value<String>',
      default: name,
      description: `Approved model package ARN, read from SSM at every deploy ('${this.options.emptyValue ?? 'none'}' before the first approval)`,
    });
    const conditionId = `${id}Approved${shortHash(this.options.emptyValue ?? 'none')}`;
    const condition = (stack.node.tryFindChild(conditionId) as CfnCondition | undefined) ?? new CfnCondition(stack, conditionId, {
      expression: Fn.conditionNot(Fn.conditionEquals(parameter.valueAsString, this.options.emptyValue ?? 'none')),
    });
    return { ...fallback, kind: this.kind, approvedPackage: { condition, modelPackageName: parameter.valueAsString } };
  }
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8).toUpperCase();
}

function validatePrefix(v: PropValidator, prop: string, prefix: string): void {
  if (Token.isUnresolved(prefix)) return;
  v.check(prefix.length > 1 && prefix.endsWith('/') && !prefix.startsWith('/') && !/[*?]/.test(prefix), 'LLMOPS_MODEL_PREFIX', prop, prefix,
    "is not a key prefix of uncompressed model data; allowed: a non-empty prefix without a leading '/' or wildcards ('*', '?') that ends with '/', e.g. 'models/mistral-7b/'");
}

/** Grants read of exactly the objects under `prefix`: GetObject on `prefix*`, ListBucket conditioned on the prefix. */
export function grantPrefixRead(grantee: iam.IGrantable, bucket: s3.IBucket, prefix: string, encryptionKey?: kms.IKey): void {
  const objects = bucket.arnForObjects(`${prefix}*`);
  iam.Grant.addToPrincipal({ grantee, actions: S3_READ_OBJECT_ACTIONS, resourceArns: [objects] });
  if (Construct.isConstruct(grantee)) {
    acknowledgeWildcardResource(grantee, objects, `SageMaker reads every file of the uncompressed model under ${prefix}; the grant is s3:GetObject on that prefix only`);
  }
  iam.Grant.addToPrincipal({
    grantee,
    actions: S3_LIST_ACTIONS,
    resourceArns: [bucket.bucketArn],
    conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
  });
  (encryptionKey ?? bucket.encryptionKey)?.grantDecrypt(grantee);
}
