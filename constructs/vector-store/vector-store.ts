import { IResource } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';

/** How similarity between embeddings is measured. Pick the one your embedding model was trained for. */
export enum VectorDistance {
  /** Cosine similarity (OpenSearch `cosinesimil`, pgvector `vector_cosine_ops`). */
  COSINE = 'COSINE',
  /** Euclidean (L2) distance (OpenSearch `l2`, pgvector `vector_l2_ops`). */
  EUCLIDEAN = 'EUCLIDEAN',
  /** Inner (dot) product, for normalised embeddings (OpenSearch `innerproduct`, pgvector `vector_ip_ops`). */
  INNER_PRODUCT = 'INNER_PRODUCT',
}

/** HNSW index parameters. */
export interface HnswOptions {
  /**
   * Graph degree: links per node (2–100). Higher improves recall and costs memory.
   * @default 16
   */
  readonly m?: number;
  /**
   * Candidate list size while building the graph. Higher improves recall and slows indexing.
   * @default 128 (OpenSearch, 2–4096) or 64 (pgvector, 2·m–1000)
   */
  readonly efConstruction?: number;
}

/** A vector store for retrieval-augmented generation, private and encrypted, with its index ready after deploy. */
export interface IVectorStore extends IResource, ec2.IConnectable {
  /** Number of dimensions of the stored embeddings. */
  readonly dimension: number;
  /** The similarity measure of the index. */
  readonly distance: VectorDistance;

  /** Lets `grantee` query the index (and read the credentials it needs). */
  grantRead(grantee: iam.IGrantable): iam.Grant;
  /** Lets `grantee` add, update and delete documents (and query them). */
  grantWrite(grantee: iam.IGrantable): iam.Grant;

  /**
   * The environment variables an application needs to reach the store, all prefixed `VECTOR_STORE_`:
   * `VECTOR_STORE_KIND`, `VECTOR_STORE_DIMENSION`, `VECTOR_STORE_DISTANCE`, plus the endpoint and index
   * (OpenSearch) or cluster ARN, database, table and secret ARN (Aurora).
   */
  connectionEnvironment(): Record<string, string>;

  /** Any metric of the store's service, with the store's dimensions. */
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}
