import { Aws, Duration, Lazy, Names, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { CfnAccessPolicy, CfnCollection, CfnSecurityPolicy, CfnVpcEndpoint } from 'aws-cdk-lib/aws-opensearchserverless';
import { Construct } from 'constructs';
import { OPENSEARCH_INDEX_NAME, OpenSearchIndexProperties } from './handlers/contracts';
import { HnswOptions, IVectorStore, VectorDistance } from './vector-store';
import { CustomResourceFunction } from '../common/custom-resource-function';
import { PropValidator } from '../common/validation';
import { LlmOpsFoundation, selectPrivateSubnets } from '../foundation/llmops-foundation';
import {
  AOSS_API_ACTIONS, AOSS_INDEX_MANAGE_PERMISSIONS, AOSS_INDEX_READ_PERMISSIONS, AOSS_INDEX_WRITE_PERMISSIONS,
} from '../permissions';

/** Props of {@link OpenSearchServerlessVectorStore}. */
export interface OpenSearchServerlessVectorStoreProps {
  /** Number of dimensions of the embeddings (1–16000), e.g. 1024 for Amazon Titan Text Embeddings v2. */
  readonly dimension: number;
  /**
   * Similarity measure of the k-NN index.
   * @default VectorDistance.COSINE
   */
  readonly distance?: VectorDistance;
  /**
   * Collection name: 3–32 lower-case letters, digits and hyphens, starting with a letter. Also names its
   * security policies and VPC endpoint.
   * @default - derived from the construct path
   */
  readonly collectionName?: string;
  /**
   * Index name (lower case; no spaces, `\ / * ? " < > | , # :`; not starting with `_`, `-` or `+`).
   * @default 'rag-chunks'
   */
  readonly indexName?: string;
  /**
   * HNSW parameters of the faiss engine.
   * @default - m 16, efConstruction 128
   */
  readonly hnsw?: HnswOptions;
  /**
   * Field names of the vector, the chunk text and its metadata.
   * @default - 'embedding', 'text', 'metadata'
   */
  readonly fields?: { readonly vector?: string; readonly text?: string; readonly metadata?: string };
  /**
   * Customer managed key of the collection's encryption policy (never the AWS-owned key).
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * VPC of the collection's VPC endpoint and of the index manager.
   * @default - a new private VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Subnets of the VPC endpoint and the index manager.
   * @default - private subnets (isolated ones if the VPC has any)
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Allow access from the internet (still signed and subject to the data access policy) instead of only through
   * the VPC endpoint. Cannot be combined with `vpc` or `vpcSubnets`: the store then creates its own VPC with a NAT
   * gateway, through which the index manager reaches the public endpoint.
   * @default false
   */
  readonly allowPublicAccess?: boolean;
  /**
   * Standby replicas in a second AZ. Turn off only for dev: it halves the minimum OCUs (cost) and the availability.
   * @default true
   */
  readonly standbyReplicas?: boolean;
  /**
   * What happens to the collection and the index when they leave the stack. With RETAIN the index is kept too.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the index manager's logs.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
}

const COLLECTION_NAME = /^[a-z][a-z0-9-]{2,31}$/;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/** The k-NN space type of each distance. */
/** Whether an OpenSearchServerlessVectorStore has standby replicas when its props leave `standbyReplicas` out. */
export const OPENSEARCH_DEFAULT_STANDBY_REPLICAS = true;

export const OPENSEARCH_SPACE_TYPE: Readonly<Record<VectorDistance, string>> = {
  [VectorDistance.COSINE]: 'cosinesimil',
  [VectorDistance.EUCLIDEAN]: 'l2',
  [VectorDistance.INNER_PRODUCT]: 'innerproduct',
};

/**
 * An Amazon OpenSearch Serverless VECTORSEARCH collection with its k-NN index, private and encrypted:
 * encryption policy with a customer key, network policy that admits only its VPC endpoint, a data access policy
 * rendered from the grants, standby replicas, and an index created at deploy time by a TypeScript Lambda that
 * signs its requests with SigV4 (no Docker, no Python).
 */
export class OpenSearchServerlessVectorStore extends Resource implements IVectorStore {
  public readonly dimension: number;
  public readonly distance: VectorDistance;
  /** The collection name. */
  public readonly collectionName: string;
  /** The index name. */
  public readonly indexName: string;
  /** The collection ARN. @attribute */
  public readonly collectionArn: string;
  /** The collection ID. @attribute */
  public readonly collectionId: string;
  /** The collection endpoint, `https://<id>.<region>.aoss.amazonaws.com`. @attribute */
  public readonly collectionEndpoint: string;
  /** The security group of the VPC endpoint; allow your clients with `store.connections.allowDefaultPortFrom()`. */
  public readonly connections: ec2.Connections;
  /** The L1 collection. */
  public readonly cfnCollection: CfnCollection;
  /** The VPC endpoint, unless public access was chosen. */
  public readonly vpcEndpoint?: CfnVpcEndpoint;
  /** The foundation this store created for itself when no VPC or key was given. */
  public readonly foundation?: LlmOpsFoundation;

  private readonly readers: iam.IPrincipal[] = [];
  private readonly writers: iam.IPrincipal[] = [];
  private readonly fields: { vector: string; text: string; metadata: string };

  constructor(scope: Construct, id: string, props: OpenSearchServerlessVectorStoreProps) {
    super(scope, id);
    this.dimension = props.dimension;
    this.distance = props.distance ?? VectorDistance.COSINE;
    this.collectionName = props.collectionName
      ?? Names.uniqueResourceName(this, { maxLength: 32, separator: '-' }).toLowerCase().replace(/[^a-z0-9-]/g, '').replace(/^[^a-z]+/, 'v');
    this.indexName = props.indexName ?? 'rag-chunks';
    this.fields = { vector: props.fields?.vector ?? 'embedding', text: props.fields?.text ?? 'text', metadata: props.fields?.metadata ?? 'metadata' };
    const m = props.hnsw?.m ?? 16;
    const efConstruction = props.hnsw?.efConstruction ?? 128;
    const publicAccess = props.allowPublicAccess ?? false;

    const v = new PropValidator('OpenSearchServerlessVectorStore', this);
    v.range('LLMOPS_VECTOR_DIMENSION', 'dimension', props.dimension, 1, 16000);
    if (!Token.isUnresolved(this.collectionName)) {
      v.check(COLLECTION_NAME.test(this.collectionName), 'LLMOPS_COLLECTION_NAME', 'collectionName', this.collectionName,
        'is not an OpenSearch Serverless collection name; allowed: 3-32 lower-case letters, digits and hyphens, starting with a letter');
    }
    if (!Token.isUnresolved(this.indexName)) {
      v.check(OPENSEARCH_INDEX_NAME.test(this.indexName), 'LLMOPS_INDEX_NAME', 'indexName', this.indexName,
        "is not an OpenSearch index name; allowed: 1-255 lower-case letters, digits, '_', '-', '+' and '.', not starting with '_', '-' or '+'");
    }
    for (const [key, value] of Object.entries(this.fields)) {
      v.check(FIELD_NAME.test(value), 'LLMOPS_FIELD_NAME', `fields.${key}`, value, 'is not a field name; allowed: a letter, then up to 63 letters, digits and _');
    }
    if (new Set(Object.values(this.fields)).size < 3) v.fail('LLMOPS_FIELD_NAME', 'fields', this.fields, 'must name three different fields');
    v.range('LLMOPS_HNSW_RANGE', 'hnsw.m', m, 2, 100);
    v.range('LLMOPS_HNSW_RANGE', 'hnsw.efConstruction', efConstruction, 2, 4096);
    if (publicAccess) {
      for (const prop of ['vpc', 'vpcSubnets'] as const) {
        v.check(props[prop] === undefined, 'LLMOPS_PUBLIC_WITH_VPC', prop, prop === 'vpc' ? props.vpc?.node.path : props.vpcSubnets,
          'cannot be combined with allowPublicAccess: true; the collection is either reachable only through a VPC endpoint or from the internet');
      }
    }
    v.throwIfInvalid();

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (!props.vpc || !props.encryptionKey) {
      // With public access the index manager reaches the public collection endpoint through a NAT gateway.
      this.foundation = new LlmOpsFoundation(this, 'Foundation', {
        encryptionKey: props.encryptionKey, vpc: props.vpc, removalPolicy, internetEgress: props.vpc ? undefined : publicAccess,
      });
    }
    const key = props.encryptionKey ?? this.foundation!.encryptionKey;
    const vpc = props.vpc ?? this.foundation!.vpc;
    const subnets = props.vpcSubnets ?? selectPrivateSubnets(vpc, publicAccess);
    const stack = Stack.of(this);

    // Policies first: a collection can only be created once an encryption policy covers its name.
    const collectionResource = `collection/${this.collectionName}`;
    const encryption = new CfnSecurityPolicy(this, 'EncryptionPolicy', {
      name: this.collectionName,
      type: 'encryption',
      description: `Customer managed key for ${this.node.path}`,
      policy: stack.toJsonString({ Rules: [{ ResourceType: 'collection', Resource: [collectionResource] }], AWSOwnedKey: false, KmsARN: key.keyArn }),
    });

    const endpointSg = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      allowAllOutbound: false,
      description: `VPC endpoint of the OpenSearch Serverless collection of ${this.node.path}: HTTPS from allowed clients only`,
    });
    this.connections = new ec2.Connections({ securityGroups: [endpointSg], defaultPort: ec2.Port.tcp(443) });
    if (!publicAccess) {
      this.vpcEndpoint = new CfnVpcEndpoint(this, 'VpcEndpoint', {
        name: this.collectionName,
        vpcId: vpc.vpcId,
        subnetIds: vpc.selectSubnets(subnets).subnetIds,
        securityGroupIds: [endpointSg.securityGroupId],
      });
    }
    const network = new CfnSecurityPolicy(this, 'NetworkPolicy', {
      name: this.collectionName,
      type: 'network',
      description: publicAccess ? `Public access (opted in) to ${this.node.path}` : `VPC endpoint access only to ${this.node.path}`,
      policy: stack.toJsonString([publicAccess
        ? { Rules: [{ ResourceType: 'collection', Resource: [collectionResource] }], AllowFromPublic: true }
        : { Rules: [{ ResourceType: 'collection', Resource: [collectionResource] }], AllowFromPublic: false, SourceVPCEs: [this.vpcEndpoint!.attrId] }]),
    });

    this.cfnCollection = new CfnCollection(this, 'Collection', {
      name: this.collectionName,
      type: 'VECTORSEARCH',
      description: `Vector store of ${this.node.path}`,
      standbyReplicas: (props.standbyReplicas ?? OPENSEARCH_DEFAULT_STANDBY_REPLICAS) ? 'ENABLED' : 'DISABLED',
    });
    this.cfnCollection.node.addDependency(encryption, network);
    // A retained collection keeps the policies and the endpoint it is reached through.
    for (const resource of [this.cfnCollection, encryption, network, this.vpcEndpoint]) resource?.applyRemovalPolicy(removalPolicy);
    this.collectionArn = this.cfnCollection.attrArn;
    this.collectionId = this.cfnCollection.attrId;
    this.collectionEndpoint = this.cfnCollection.attrCollectionEndpoint;

    // The index manager: a Lambda in the VPC that creates the k-NN index through the VPC endpoint.
    const manager = new CustomResourceFunction(this, 'IndexManager', {
      handler: 'opensearch-index',
      description: `Creates the k-NN index of ${this.node.path}`,
      vpc,
      vpcSubnets: subnets,
      encryptionKey: key,
      timeout: Duration.minutes(10),
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    if (!publicAccess) this.connections.allowDefaultPortFrom(manager.securityGroup, 'Index manager');
    iam.Grant.addToPrincipal({ grantee: manager.role, actions: AOSS_API_ACTIONS, resourceArns: [this.collectionArn] });

    // Data access policy: exactly the granted principals, rendered when the app is synthesized.
    const access = new CfnAccessPolicy(this, 'DataAccessPolicy', {
      name: this.collectionName,
      type: 'data',
      description: `Index access of ${this.node.path}: granted principals and the index manager`,
      policy: Lazy.string({ produce: () => this.renderAccessPolicy(manager.role) }),
    });

    const properties: OpenSearchIndexProperties = {
      Endpoint: this.collectionEndpoint,
      Region: Aws.REGION,
      IndexName: this.indexName,
      Dimension: String(this.dimension),
      SpaceType: OPENSEARCH_SPACE_TYPE[this.distance],
      M: String(m),
      EfConstruction: String(efConstruction),
      VectorField: this.fields.vector,
      TextField: this.fields.text,
      MetadataField: this.fields.metadata,
      RetainOnDelete: String(removalPolicy !== RemovalPolicy.DESTROY),
    };
    const index = manager.addResource('Index', this, 'Custom::LlmOpsOpenSearchIndex', { ...properties }, removalPolicy);
    access.applyRemovalPolicy(removalPolicy);
    index.node.addDependency(access, network, this.cfnCollection, endpointSg);
    if (this.vpcEndpoint) index.node.addDependency(this.vpcEndpoint);
  }

  /** Lets `grantee` query the index: `aoss:APIAccessAll` on the collection, and a reader entry in the data access policy. */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    this.checkPrincipal(grantee);
    this.readers.push(grantee.grantPrincipal);
    return iam.Grant.addToPrincipal({ grantee, actions: AOSS_API_ACTIONS, resourceArns: [this.collectionArn] });
  }

  /** Lets `grantee` write and query documents: `aoss:APIAccessAll`, and a writer entry in the data access policy. */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    this.checkPrincipal(grantee);
    this.writers.push(grantee.grantPrincipal);
    return iam.Grant.addToPrincipal({ grantee, actions: AOSS_API_ACTIONS, resourceArns: [this.collectionArn] });
  }

  public connectionEnvironment(): Record<string, string> {
    return {
      VECTOR_STORE_KIND: 'opensearch-serverless',
      VECTOR_STORE_ENDPOINT: this.collectionEndpoint,
      VECTOR_STORE_INDEX: this.indexName,
      VECTOR_STORE_VECTOR_FIELD: this.fields.vector,
      VECTOR_STORE_TEXT_FIELD: this.fields.text,
      VECTOR_STORE_METADATA_FIELD: this.fields.metadata,
      VECTOR_STORE_DIMENSION: String(this.dimension),
      VECTOR_STORE_DISTANCE: this.distance,
    };
  }

  /**
   * Any `AWS/AOSS` metric of the collection (dimensions ClientId, CollectionId, CollectionName).
   * @default - Sum over 1 minute
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/AOSS',
      metricName,
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(1),
      ...props,
      dimensionsMap: { ClientId: Stack.of(this).account, CollectionId: this.collectionId, CollectionName: this.collectionName, ...props?.dimensionsMap },
    });
  }

  /** Average search latency, in **milliseconds**. @default - Average over 1 minute */
  public metricSearchLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    // No unit filter: AOSS does not document the unit it publishes, and a mismatch would leave alarms without data.
    return this.metric('SearchRequestLatency', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  /** Failed searches per minute. @default - Sum over 1 minute */
  public metricSearchErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('SearchRequestErrors', props);
  }

  /** Failed bulk ingestion requests. @default - Sum over 1 minute */
  public metricIngestionErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('IngestionRequestErrors', props);
  }

  /** Requests answered with a 5xx error. @default - Sum over 1 minute */
  public metric5xxErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('5xx', props);
  }

  /** Searchable documents in the collection (emitted every 5 minutes). @default - Sum over 5 minutes */
  public metricSearchableDocuments(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('SearchableDocuments', { period: Duration.minutes(5), ...props });
  }

  private checkPrincipal(grantee: iam.IGrantable): void {
    new PropValidator('OpenSearchServerlessVectorStore', this).check(principalArn(grantee.grantPrincipal) !== undefined, 'LLMOPS_AOSS_PRINCIPAL',
      'grantee', grantee.grantPrincipal.toString(), 'is not an IAM role or user; a data access policy can only name IAM principals').throwIfInvalid();
  }

  private renderAccessPolicy(manager: iam.IRole): string {
    const arns = (principals: iam.IPrincipal[]) => principals.map(p => principalArn(p)!);
    const indexResource = `index/${this.collectionName}/${this.indexName}`;
    const collectionRule = { ResourceType: 'collection', Resource: [`collection/${this.collectionName}`], Permission: ['aoss:DescribeCollectionItems'] };
    const statement = (principals: string[], permissions: string[], description: string) => ({
      Description: description,
      Rules: [{ ResourceType: 'index', Resource: [indexResource], Permission: permissions }, collectionRule],
      Principal: principals,
    });
    const statements = [statement([manager.roleArn], AOSS_INDEX_MANAGE_PERMISSIONS, 'index manager')];
    if (this.writers.length) statements.push(statement(arns(this.writers), AOSS_INDEX_WRITE_PERMISSIONS, 'writers'));
    if (this.readers.length) statements.push(statement(arns(this.readers), AOSS_INDEX_READ_PERMISSIONS, 'readers'));
    return Stack.of(this).toJsonString(statements);
  }
}

/** The IAM ARN of a role or user principal, for a data access policy; undefined for other principals. */
function principalArn(principal: iam.IPrincipal): string | undefined {
  const aws = principal.policyFragment.principalJson.AWS;
  const arn = Array.isArray(aws) ? aws[0] : aws;
  return typeof arn === 'string' ? arn : undefined;
}
