// The ResourceProperties the vector-store constructs send to their custom-resource handlers.
// CloudFormation delivers every scalar as a string, so numbers and booleans arrive as strings.

/** Properties of the `Custom::LlmOpsOpenSearchIndex` resource. */
export interface OpenSearchIndexProperties {
  /** Collection endpoint, e.g. `https://abc123.us-east-1.aoss.amazonaws.com` (tests use `http://127.0.0.1:port`). */
  readonly Endpoint: string;
  /** Region for SigV4 signing. */
  readonly Region: string;
  /** Index name (already validated by the construct; the handler re-checks it). */
  readonly IndexName: string;
  /** Vector dimension, 1–16000. */
  readonly Dimension: string;
  /** k-NN space type: `cosinesimil`, `l2` or `innerproduct`. */
  readonly SpaceType: string;
  /** HNSW `m`. */
  readonly M: string;
  /** HNSW `ef_construction`. */
  readonly EfConstruction: string;
  /** Name of the knn_vector field. */
  readonly VectorField: string;
  /** Name of the text field. */
  readonly TextField: string;
  /** Name of the metadata (object) field. */
  readonly MetadataField: string;
  /** `'true'` to leave the index in place when the resource is deleted. */
  readonly RetainOnDelete: string;
}

/** Properties of the `Custom::LlmOpsPgVectorSchema` resource. */
export interface PgVectorSchemaProperties {
  /** Aurora cluster ARN (Data API resource ARN). */
  readonly ClusterArn: string;
  /** ARN of the Secrets Manager secret the Data API signs in with. */
  readonly SecretArn: string;
  /** Database name. */
  readonly Database: string;
  /** Schema name (a validated identifier). */
  readonly Schema: string;
  /** Table name (a validated identifier). */
  readonly Table: string;
  /** Vector dimension, 1–16000. */
  readonly Dimension: string;
  /** pgvector operator class: `vector_cosine_ops`, `vector_l2_ops` or `vector_ip_ops`. */
  readonly OperatorClass: string;
  /** HNSW `m`. */
  readonly M: string;
  /** HNSW `ef_construction`. */
  readonly EfConstruction: string;
  /** `'true'` to keep the table (and its data) when the resource is deleted. */
  readonly RetainOnDelete: string;
}

/** A valid PostgreSQL identifier as this library allows it: lower case, digits and `_`, at most 63 bytes. */
export const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * A valid OpenSearch index name: lower case, not starting with `_`, `-` or `+`, none of `\ / * ? " < > | , #`,
 * spaces or `:`, not `.` or `..`, at most 255 bytes.
 */
export const OPENSEARCH_INDEX_NAME = /^(?![_\-+])(?!\.{1,2}$)[a-z0-9_\-+.]{1,255}$/;
