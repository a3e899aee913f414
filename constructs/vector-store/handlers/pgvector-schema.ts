// Runtime code (bundled into a Lambda by esbuild): the `Custom::LlmOpsPgVectorSchema` resource.
// Creates the pgvector extension, the schema, the chunks table and its HNSW index in Aurora PostgreSQL through the
// RDS Data API, idempotently. A change of dimension on an existing table is refused (never drops data); delete drops
// the table unless the removal policy retains it, and never drops the schema or the extension.
import { ExecuteStatementCommand, ExecuteStatementCommandOutput, Field, RDSDataClient } from '@aws-sdk/client-rds-data';
import { CustomResourceEvent, CustomResourceResult, PermanentError, customResourceHandler, withRetries } from '../../common/handlers/cfn-response';
import { PG_IDENTIFIER, PgVectorSchemaProperties } from './contracts';

/** The pgvector operator classes an HNSW index on a `vector` column can use. */
export const OPERATOR_CLASSES = ['vector_cosine_ops', 'vector_l2_ops', 'vector_ip_ops'] as const;
export type OperatorClass = (typeof OPERATOR_CLASSES)[number];

/** Largest dimension a `vector` column accepts. */
export const MAX_VECTOR_DIMENSION = 16_000;
/** Largest dimension pgvector's HNSW index supports for the `vector` type. */
export const MAX_HNSW_DIMENSION = 2_000;

/** Where the table lives: all a Delete needs. Identifiers are validated. */
export interface PgVectorTarget {
  readonly clusterArn: string;
  readonly secretArn: string;
  readonly database: string;
  readonly schema: string;
  readonly table: string;
  /** True unless RetainOnDelete is exactly `'false'`. */
  readonly retainOnDelete: boolean;
}

/** The validated, typed properties of a Create or Update. */
export interface PgVectorSchemaSpec extends PgVectorTarget {
  /** `<table>_embedding_hnsw`, validated. */
  readonly indexName: string;
  readonly dimension: number;
  readonly operatorClass: OperatorClass;
  readonly m: number;
  readonly efConstruction: number;
}

/** One SQL statement and what it is for (used in error messages: "<purpose> failed: ..."). */
export interface Statement {
  readonly purpose: string;
  readonly sql: string;
}

/** The statements of a Create/Update, split around the read of the existing table. */
export interface CreateStatements {
  /** Extension and schema; run first. */
  readonly prepare: readonly Statement[];
  /** Reads the existing table's embedding column: one row (table_exists, embedding_type, dimension). */
  readonly inspect: Statement;
  /** Reads the definition of an existing HNSW index: one row (indexdef), or none. */
  readonly inspectIndex: Statement;
  /** Table and index; run only when the existing table (if any) matches. */
  readonly create: readonly Statement[];
}

/** Retry timing for the errors that come while the cluster resumes; tests shorten it with the environment. */
export interface RetryDelays {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxAttempts: number;
}

/**
 * 5 s doubling to 30 s, 12 attempts (about 5 minutes: longer than an auto-paused Serverless v2 cluster takes to
 * resume). `LLMOPS_RETRY_BASE_MS` / `LLMOPS_RETRY_MAX_MS` override the waits (tests).
 */
export function retryDelays(): RetryDelays {
  return {
    baseDelayMs: positiveIntFromEnv('LLMOPS_RETRY_BASE_MS') ?? 5_000,
    maxDelayMs: positiveIntFromEnv('LLMOPS_RETRY_MAX_MS') ?? 30_000,
    maxAttempts: 12,
  };
}

function positiveIntFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  const value = Number(raw);
  return value > 0 ? value : undefined;
}

/** A property that must be a non-empty string. */
function requireString(props: Record<string, unknown>, key: keyof PgVectorSchemaProperties): string {
  const value = props[key];
  if (typeof value !== 'string' || value.length === 0) {
    throw new PermanentError(`${key} must be a non-empty string, got ${JSON.stringify(value) ?? 'undefined'}`);
  }
  return value;
}

/** A property that must be an identifier matching {@link PG_IDENTIFIER}. */
function requireIdentifier(props: Record<string, unknown>, key: 'Schema' | 'Table'): string {
  const value = requireString(props, key);
  if (!PG_IDENTIFIER.test(value)) {
    throw new PermanentError(`${key} ${JSON.stringify(value)} is not a valid identifier: use lower-case letters, digits and _, starting with a letter or _, at most 63 characters`);
  }
  return value;
}

/** A property that must be a decimal integer (no sign tricks, exponents, fractions or spaces) within [min, max]. */
function requireInteger(props: Record<string, unknown>, key: keyof PgVectorSchemaProperties, min: number, max: number): number {
  const raw = requireString(props, key);
  if (!/^(0|-?[1-9][0-9]{0,8})$/.test(raw)) {
    throw new PermanentError(`${key} must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  }
  const value = Number(raw);
  if (value < min || value > max) {
    throw new PermanentError(`${key} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** Validates what a Delete needs; lenient on everything else so an old resource can always be deleted. */
export function parseTarget(props: Record<string, unknown>): PgVectorTarget {
  const clusterArn = requireString(props, 'ClusterArn');
  if (!/^arn:[^:]+:rds:[^:]+:[^:]+:cluster:[^:]+$/.test(clusterArn)) {
    throw new PermanentError(`ClusterArn must be an Aurora cluster ARN, got ${JSON.stringify(clusterArn)}`);
  }
  const secretArn = requireString(props, 'SecretArn');
  if (!/^arn:[^:]+:secretsmanager:[^:]+:[^:]+:secret:.+$/.test(secretArn)) {
    throw new PermanentError(`SecretArn must be a Secrets Manager secret ARN, got ${JSON.stringify(secretArn)}`);
  }
  const database = requireString(props, 'Database');
  if (database.length > 63) {
    throw new PermanentError(`Database must be at most 63 characters, got ${database.length}`);
  }
  return {
    clusterArn,
    secretArn,
    database,
    schema: requireIdentifier(props, 'Schema'),
    table: requireIdentifier(props, 'Table'),
    // Anything but an explicit 'false' keeps the data.
    retainOnDelete: props.RetainOnDelete !== 'false',
  };
}

/** Validates every property of a Create or Update; throws a {@link PermanentError} that names the bad one. */
export function parseProperties(props: Record<string, unknown>): PgVectorSchemaSpec {
  const target = parseTarget(props);
  const retain = requireString(props, 'RetainOnDelete');
  if (retain !== 'true' && retain !== 'false') {
    throw new PermanentError(`RetainOnDelete must be 'true' or 'false', got ${JSON.stringify(retain)}`);
  }
  const indexName = `${target.table}_embedding_hnsw`;
  if (!PG_IDENTIFIER.test(indexName)) {
    throw new PermanentError(`the index name ${indexName} would be longer than 63 characters; use a Table name of at most ${63 - '_embedding_hnsw'.length} characters`);
  }
  const dimension = requireInteger(props, 'Dimension', 1, MAX_VECTOR_DIMENSION);
  if (dimension > MAX_HNSW_DIMENSION) {
    throw new PermanentError(`Dimension ${dimension} is above ${MAX_HNSW_DIMENSION}, the most pgvector's HNSW index supports for the vector type; the index could not be built (use an embedding model with at most ${MAX_HNSW_DIMENSION} dimensions)`);
  }
  const operatorClass = requireString(props, 'OperatorClass');
  if (!(OPERATOR_CLASSES as readonly string[]).includes(operatorClass)) {
    throw new PermanentError(`OperatorClass must be one of ${OPERATOR_CLASSES.join(', ')}, got ${JSON.stringify(operatorClass)}`);
  }
  const m = requireInteger(props, 'M', 2, 100);
  const efConstruction = requireInteger(props, 'EfConstruction', 1, 1000);
  if (efConstruction < 2 * m) {
    throw new PermanentError(`EfConstruction must be at least 2 × M (${2 * m}) and at most 1000, got ${efConstruction}`);
  }
  return { ...target, retainOnDelete: retain === 'true', indexName, dimension, operatorClass: operatorClass as OperatorClass, m, efConstruction };
}

/** A validated identifier, double-quoted. Refuses anything {@link PG_IDENTIFIER} does not match. */
export function quoteIdentifier(name: string): string {
  if (!PG_IDENTIFIER.test(name)) throw new PermanentError(`refusing to quote an unvalidated identifier ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/** `"schema"."table"`. */
export function qualifiedTable(target: Pick<PgVectorTarget, 'schema' | 'table'>): string {
  return `${quoteIdentifier(target.schema)}.${quoteIdentifier(target.table)}`;
}

/** The physical ID: one per cluster, database, schema and table, so changing any of them replaces the resource. */
export function physicalIdOf(target: PgVectorTarget): string {
  return `${target.clusterArn}/${target.database}/${target.schema}.${target.table}`;
}

/** The Create/Update statements, built only from validated identifiers and numbers. */
export function createStatements(spec: PgVectorSchemaSpec): CreateStatements {
  const name = `${spec.schema}.${spec.table}`;
  const table = qualifiedTable(spec);
  // The quoted name contains only [a-z0-9_"."], so it is safe inside a string literal.
  const regclass = `to_regclass('${table}')`;
  return {
    prepare: [
      { purpose: 'creating extension vector', sql: 'CREATE EXTENSION IF NOT EXISTS vector' },
      { purpose: `creating schema ${spec.schema}`, sql: `CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(spec.schema)}` },
    ],
    inspect: {
      purpose: `reading the embedding column of ${name}`,
      sql: 'SELECT c.rel IS NOT NULL AS table_exists, t.typname AS embedding_type, a.atttypmod AS dimension'
        + ` FROM (SELECT ${regclass} AS rel) AS c`
        + " LEFT JOIN pg_attribute AS a ON a.attrelid = c.rel AND a.attname = 'embedding' AND NOT a.attisdropped"
        + ' LEFT JOIN pg_type AS t ON t.oid = a.atttypid',
    },
    inspectIndex: {
      purpose: `reading the index ${spec.indexName}`,
      // Validated identifiers only ([a-z0-9_]), so they are safe inside the string literals.
      sql: `SELECT indexdef FROM pg_indexes WHERE schemaname = '${spec.schema}' AND indexname = '${spec.indexName}'`,
    },
    create: [
      {
        purpose: `creating table ${name}`,
        sql: `CREATE TABLE IF NOT EXISTS ${table} (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), content text NOT NULL, metadata jsonb NOT NULL DEFAULT '{}'::jsonb, embedding vector(${spec.dimension}) NOT NULL)`,
      },
      {
        purpose: `creating index ${spec.indexName} on ${name}`,
        sql: `CREATE INDEX IF NOT EXISTS ${quoteIdentifier(spec.indexName)} ON ${table} USING hnsw (embedding ${spec.operatorClass}) WITH (m = ${spec.m}, ef_construction = ${spec.efConstruction})`,
      },
      ...databaseUserStatements(spec, table),
    ],
  };
}

/**
 * The read-only and read-write database users that applications sign in as with IAM authentication
 * (`<table>_reader`, `<table>_writer`; granted `rds_iam`, so they have no password).
 */
function databaseUserStatements(spec: PgVectorSchemaSpec, table: string): Statement[] {
  const reader = `${spec.table}_reader`;
  const writer = `${spec.table}_writer`;
  const createUser = (user: string): Statement => ({
    purpose: `creating database user ${user}`,
    // The names are validated identifiers ([a-z0-9_]), so they are safe inside the string literal too.
    sql: `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${user}') THEN CREATE ROLE ${quoteIdentifier(user)} LOGIN; END IF; END $$`,
  });
  const both = `${quoteIdentifier(reader)}, ${quoteIdentifier(writer)}`;
  return [
    createUser(reader),
    createUser(writer),
    { purpose: `granting IAM sign-in to ${reader} and ${writer}`, sql: `GRANT rds_iam TO ${both}` },
    { purpose: `granting use of schema ${spec.schema}`, sql: `GRANT USAGE ON SCHEMA ${quoteIdentifier(spec.schema)} TO ${both}` },
    { purpose: `granting read of ${spec.schema}.${spec.table} to ${reader}`, sql: `GRANT SELECT ON ${table} TO ${quoteIdentifier(reader)}` },
    { purpose: `granting read and write of ${spec.schema}.${spec.table} to ${writer}`, sql: `GRANT SELECT, INSERT, UPDATE, DELETE ON ${table} TO ${quoteIdentifier(writer)}` },
  ];
}

/** The Delete statement. */
export function dropStatement(target: PgVectorTarget): Statement {
  return { purpose: `dropping table ${target.schema}.${target.table}`, sql: `DROP TABLE IF EXISTS ${qualifiedTable(target)}` };
}

/** What the inspect statement found. */
export type ExistingTable =
  | { readonly exists: false }
  | { readonly exists: true; readonly embeddingType?: string; readonly dimension?: number };

/** Reads the inspect statement's single row; no row at all counts as no table. */
export function parseExistingTable(records: Field[][] | undefined): ExistingTable {
  const row = records?.[0];
  if (!row || row[0]?.booleanValue !== true) return { exists: false };
  const embeddingType = row[1]?.stringValue;
  const dimension = row[2]?.longValue;
  return { exists: true, embeddingType, dimension: dimension === undefined ? undefined : Number(dimension) };
}

/** Refuses an existing table whose embedding column is missing, not a vector, or of another dimension. */
export function checkExistingTable(spec: PgVectorSchemaSpec, existing: ExistingTable): void {
  if (!existing.exists) return;
  const name = `${spec.schema}.${spec.table}`;
  if (existing.embeddingType === undefined) {
    throw new PermanentError(`${name} already exists but has no embedding column; use another Table name (no data is dropped)`);
  }
  if (existing.embeddingType !== 'vector') {
    throw new PermanentError(`${name} already exists but its embedding column is of type ${existing.embeddingType}, not vector; use another Table name (no data is dropped)`);
  }
  if (existing.dimension === undefined || existing.dimension < 1) {
    throw new PermanentError(`${name} already exists but its embedding column has no fixed dimension; use another Table name (no data is dropped)`);
  }
  if (existing.dimension !== spec.dimension) {
    throw new PermanentError(`the table ${name} already has embeddings of dimension ${existing.dimension}; changing to ${spec.dimension} would need a new table (no data is dropped)`);
  }
}

/**
 * Refuses an existing HNSW index whose operator class, m or ef_construction differ from the requested ones:
 * `CREATE INDEX IF NOT EXISTS` would otherwise keep the old index silently.
 */
export function checkExistingIndex(spec: PgVectorSchemaSpec, indexdef: string | undefined): void {
  if (!indexdef) return;
  const opclass = /USING hnsw \(embedding (\w+)\)/.exec(indexdef)?.[1];
  const m = /\bm\s*=\s*'?(\d+)'?/.exec(indexdef)?.[1];
  const ef = /\bef_construction\s*=\s*'?(\d+)'?/.exec(indexdef)?.[1];
  const found = { operatorClass: opclass, m: m === undefined ? 16 : Number(m), efConstruction: ef === undefined ? 64 : Number(ef) };
  const changed = [
    found.operatorClass !== spec.operatorClass ? `operator class ${found.operatorClass} → ${spec.operatorClass}` : undefined,
    found.m !== spec.m ? `m ${found.m} → ${spec.m}` : undefined,
    found.efConstruction !== spec.efConstruction ? `ef_construction ${found.efConstruction} → ${spec.efConstruction}` : undefined,
  ].filter((x): x is string => x !== undefined);
  if (changed.length > 0) {
    throw new PermanentError(`the index ${spec.schema}.${spec.indexName} already exists with other settings (${changed.join(', ')}); `
      + 'drop the index yourself to rebuild it, or use a new Table name (no data is dropped)');
  }
}

/**
 * True for the errors the Data API returns while an auto-paused (or scaled-to-zero) cluster resumes, or while the
 * writer is briefly unreachable. SQL errors (`ERROR: ...`) are never retried.
 */
export function isTransientDataApiError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const name = err.name;
  if (['DatabaseResumingException', 'DatabaseUnavailableException', 'StatementTimeoutException', 'ServiceUnavailableError'].includes(name)) {
    return true;
  }
  if (name === 'DatabaseErrorException' || /^\s*ERROR:/.test(err.message)) return false;
  return /resuming|communications link failure/i.test(err.message);
}

let client: RDSDataClient | undefined;

/** The Data API client, created on first use (tests replace it with aws-sdk-client-mock). */
function rdsData(): RDSDataClient {
  client ??= new RDSDataClient({});
  return client;
}

/** Runs one statement, retrying transient errors until `deadline`; any other error fails as "<purpose> failed: ...". */
async function execute(target: PgVectorTarget, statement: Statement, deadline: number): Promise<ExecuteStatementCommandOutput> {
  const command = new ExecuteStatementCommand({
    resourceArn: target.clusterArn,
    secretArn: target.secretArn,
    database: target.database,
    sql: statement.sql,
  });
  let attempts = 0;
  try {
    const output = await withRetries(
      () => {
        attempts++;
        if (attempts > 1) console.log(JSON.stringify({ retrying: statement.purpose, attempt: attempts }));
        return rdsData().send(command);
      },
      { ...retryDelays(), isRetryable: isTransientDataApiError, deadline, describe: statement.purpose },
    );
    return output;
  } catch (err) {
    if (err instanceof PermanentError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new PermanentError(`${statement.purpose} failed: ${message}`);
  }
}

/** Create and Update: idempotent; a retried create after a partial failure succeeds. */
async function createOrUpdate(event: CustomResourceEvent, deadline: number): Promise<CustomResourceResult> {
  const spec = parseProperties(event.ResourceProperties);
  const statements = createStatements(spec);
  for (const statement of statements.prepare) await execute(spec, statement, deadline);
  const inspected = await execute(spec, statements.inspect, deadline);
  checkExistingTable(spec, parseExistingTable(inspected.records));
  const index = await execute(spec, statements.inspectIndex, deadline);
  checkExistingIndex(spec, index.records?.[0]?.[0]?.stringValue);
  for (const statement of statements.create) await execute(spec, statement, deadline);
  return {
    physicalResourceId: physicalIdOf(spec),
    data: {
      Schema: spec.schema,
      Table: spec.table,
      QualifiedTable: `${spec.schema}.${spec.table}`,
      IndexName: spec.indexName,
      Dimension: String(spec.dimension),
    },
  };
}

/** Delete: drops the table unless retained; never the schema or the extension. */
async function remove(event: CustomResourceEvent, deadline: number): Promise<CustomResourceResult> {
  const physicalResourceId = event.PhysicalResourceId ?? `failed-${event.RequestId}`;
  // A Create that failed before it had a physical ID: nothing was made that this resource owns.
  if (physicalResourceId.startsWith('failed-')) return { physicalResourceId };
  const target = parseTarget(event.ResourceProperties);
  if (target.retainOnDelete) {
    console.log(JSON.stringify({ retained: `${target.schema}.${target.table}` }));
    return { physicalResourceId };
  }
  await execute(target, dropStatement(target), deadline);
  return { physicalResourceId };
}

/** The Lambda entry point. */
export const handler = customResourceHandler((event, deadline) => (event.RequestType === 'Delete' ? remove(event, deadline) : createOrUpdate(event, deadline)));
