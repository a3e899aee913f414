import * as http from 'http';
import { AddressInfo } from 'net';
import {
  BadRequestException,
  DatabaseErrorException,
  DatabaseResumingException,
  ExecuteStatementCommand,
  ExecuteStatementCommandInput,
  ExecuteStatementCommandOutput,
  Field,
  RDSDataClient,
  StatementTimeoutException,
} from '@aws-sdk/client-rds-data';
import { mockClient } from 'aws-sdk-client-mock';
import { CustomResourceEvent } from '../../constructs/common/handlers/cfn-response';
import { PgVectorSchemaProperties } from '../../constructs/vector-store/handlers/contracts';
import { checkExistingIndex, createStatements, handler, isTransientDataApiError, parseProperties } from '../../constructs/vector-store/handlers/pgvector-schema';

const CLUSTER_ARN = 'arn:aws:rds:us-east-1:123456789012:cluster:llmops-vectors';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:llmops-vectors-admin-AbCdEf';
const PHYSICAL_ID = `${CLUSTER_ARN}/llmops/rag.chunks`;
const CONTEXT = { getRemainingTimeInMillis: () => 120_000 };

const CREATE_EXTENSION = 'CREATE EXTENSION IF NOT EXISTS vector';
const CREATE_SCHEMA = 'CREATE SCHEMA IF NOT EXISTS "rag"';
const INSPECT = 'SELECT c.rel IS NOT NULL AS table_exists, t.typname AS embedding_type, a.atttypmod AS dimension'
  + ' FROM (SELECT to_regclass(\'"rag"."chunks"\') AS rel) AS c'
  + " LEFT JOIN pg_attribute AS a ON a.attrelid = c.rel AND a.attname = 'embedding' AND NOT a.attisdropped"
  + ' LEFT JOIN pg_type AS t ON t.oid = a.atttypid';
const CREATE_TABLE = 'CREATE TABLE IF NOT EXISTS "rag"."chunks" (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),'
  + " content text NOT NULL, metadata jsonb NOT NULL DEFAULT '{}'::jsonb, embedding vector(1024) NOT NULL)";
const CREATE_INDEX = 'CREATE INDEX IF NOT EXISTS "chunks_embedding_hnsw" ON "rag"."chunks"'
  + ' USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)';
const DROP_TABLE = 'DROP TABLE IF EXISTS "rag"."chunks"';
const INSPECT_INDEX = "SELECT indexdef FROM pg_indexes WHERE schemaname = 'rag' AND indexname = 'chunks_embedding_hnsw'";
const USERS = [
  `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chunks_reader') THEN CREATE ROLE "chunks_reader" LOGIN; END IF; END $$`,
  `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'chunks_writer') THEN CREATE ROLE "chunks_writer" LOGIN; END IF; END $$`,
  'GRANT rds_iam TO "chunks_reader", "chunks_writer"',
  'GRANT USAGE ON SCHEMA "rag" TO "chunks_reader", "chunks_writer"',
  'GRANT SELECT ON "rag"."chunks" TO "chunks_reader"',
  'GRANT SELECT, INSERT, UPDATE, DELETE ON "rag"."chunks" TO "chunks_writer"',
];

const PROPERTIES: PgVectorSchemaProperties = {
  ClusterArn: CLUSTER_ARN,
  SecretArn: SECRET_ARN,
  Database: 'llmops',
  Schema: 'rag',
  Table: 'chunks',
  Dimension: '1024',
  OperatorClass: 'vector_cosine_ops',
  M: '16',
  EfConstruction: '64',
  RetainOnDelete: 'true',
};

/** The JSON body CloudFormation's pre-signed URL received. */
interface CfnResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason: string;
  readonly PhysicalResourceId: string;
  readonly RequestId: string;
  readonly Data?: Record<string, string>;
}

const rds = mockClient(RDSDataClient);
let server: http.Server;
let responseUrl: string;
let responses: CfnResponse[];

beforeAll(async () => {
  process.env.LLMOPS_RETRY_BASE_MS = '1';
  process.env.LLMOPS_RETRY_MAX_MS = '4';
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', chunk => (body += chunk));
    req.on('end', () => {
      if (req.method === 'PUT') responses.push(JSON.parse(body) as CfnResponse);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cloudformation-response?signature=abc`;
});

afterAll(async () => {
  delete process.env.LLMOPS_RETRY_BASE_MS;
  delete process.env.LLMOPS_RETRY_MAX_MS;
  await new Promise<void>(resolve => server.close(() => resolve()));
});

beforeEach(() => {
  rds.reset();
  responses = [];
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** A row of the inspect query: the table exists with a vector embedding column of `dimension`. */
function existingTable(dimension: number): Partial<ExecuteStatementCommandOutput> {
  const row: Field[] = [{ booleanValue: true }, { stringValue: 'vector' }, { longValue: dimension }];
  return { records: [row] };
}

/** The inspect query's row when the table does not exist. */
const NO_TABLE: Partial<ExecuteStatementCommandOutput> = {
  records: [[{ booleanValue: false }, { isNull: true }, { isNull: true }]],
};

/** Answers the inspect query with `inspect` and every other statement with an empty result. */
function database(inspect: Partial<ExecuteStatementCommandOutput>): void {
  rds.on(ExecuteStatementCommand).callsFake((input: ExecuteStatementCommandInput) => (input.sql?.startsWith('SELECT') ? inspect : {}));
}

/** Every ExecuteStatement input the handler sent, in order. */
function calls(): ExecuteStatementCommandInput[] {
  return rds.commandCalls(ExecuteStatementCommand).map(c => c.args[0].input);
}

/** The SQL texts the handler sent, in order. */
function sqlSent(): string[] {
  return calls().map(input => input.sql ?? '');
}

/** Runs the handler on an event and returns the one response CloudFormation received. */
async function run(
  requestType: CustomResourceEvent['RequestType'],
  properties: Record<string, unknown> = {},
  extra: Partial<CustomResourceEvent> = {},
): Promise<CfnResponse> {
  const event: CustomResourceEvent = {
    RequestType: requestType,
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Dev/1',
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'VectorsSchema',
    ResourceType: 'Custom::LlmOpsPgVectorSchema',
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: PHYSICAL_ID }),
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:schema', ...PROPERTIES, ...properties },
    ...extra,
  };
  await handler(event, CONTEXT);
  expect(responses).toHaveLength(1);
  return responses[0];
}

describe('creating the pgvector schema', () => {
  test('a first create sends extension, schema, inspect, table and index statements in order and succeeds with the physical id', async () => {
    database(NO_TABLE);

    const response = await run('Create');

    expect(response.Status).toBe('SUCCESS');
    expect(response.PhysicalResourceId).toBe(PHYSICAL_ID);
    expect(response.Data).toEqual({ Schema: 'rag', Table: 'chunks', QualifiedTable: 'rag.chunks', IndexName: 'chunks_embedding_hnsw', Dimension: '1024' });
    expect(sqlSent()).toEqual([CREATE_EXTENSION, CREATE_SCHEMA, INSPECT, INSPECT_INDEX, CREATE_TABLE, CREATE_INDEX, ...USERS]);
    expect(sqlSent()[4]).toContain('embedding vector(1024) NOT NULL');
    expect(sqlSent()[5]).toContain('USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)');
    for (const input of calls()) {
      expect(input).toEqual({ resourceArn: CLUSTER_ARN, secretArn: SECRET_ARN, database: 'llmops', sql: expect.any(String) });
    }
  });

  test('a re-run on a table that already has the same dimension succeeds with only idempotent statements', async () => {
    database(existingTable(1024));

    const response = await run('Update', {}, { OldResourceProperties: { ...PROPERTIES } });

    expect(response.Status).toBe('SUCCESS');
    expect(response.PhysicalResourceId).toBe(PHYSICAL_ID);
    const sent = sqlSent();
    expect(sent).toEqual([CREATE_EXTENSION, CREATE_SCHEMA, INSPECT, INSPECT_INDEX, CREATE_TABLE, CREATE_INDEX, ...USERS]);
    for (const sql of sent) {
      expect(sql).toMatch(/^(CREATE (EXTENSION|SCHEMA|TABLE|INDEX) IF NOT EXISTS |SELECT |DO \$\$ BEGIN IF NOT EXISTS |GRANT )/);
      expect(sql).not.toMatch(/^\s*(DROP|DELETE|TRUNCATE|ALTER)\b|\bDROP\b/i);
    }
  });

  test('an update that changes the table creates the new table under a new physical id so CloudFormation deletes the old one', async () => {
    database(NO_TABLE);

    const response = await run('Update', { Table: 'chunks_v2' }, { OldResourceProperties: { ...PROPERTIES } });

    expect(response.Status).toBe('SUCCESS');
    expect(response.PhysicalResourceId).toBe(`${CLUSTER_ARN}/llmops/rag.chunks_v2`);
    expect(sqlSent()).toContain('CREATE INDEX IF NOT EXISTS "chunks_v2_embedding_hnsw" ON "rag"."chunks_v2" USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 64)');
    expect(sqlSent().some(sql => sql.startsWith('DROP'))).toBe(false);
  });

  test('a cluster still resuming from auto-pause is retried until the statement succeeds', async () => {
    const resuming = () => new DatabaseResumingException({ message: 'The database is resuming after being auto-paused. Please wait a few seconds and try again.', $metadata: {} });
    rds.on(ExecuteStatementCommand).rejectsOnce(resuming()).rejectsOnce(resuming()).callsFake((input: ExecuteStatementCommandInput) => (input.sql?.startsWith('SELECT') ? NO_TABLE : {}));

    const response = await run('Create');

    expect(response.Status).toBe('SUCCESS');
    // Two failed attempts at CREATE EXTENSION, then one successful call per statement.
    expect(sqlSent()).toEqual([CREATE_EXTENSION, CREATE_EXTENSION, CREATE_EXTENSION, CREATE_SCHEMA, INSPECT, INSPECT_INDEX, CREATE_TABLE, CREATE_INDEX, ...USERS]);
  });

  test('a communications link failure while the cluster scales from zero is retried too', async () => {
    rds.on(ExecuteStatementCommand)
      .rejectsOnce(new BadRequestException({ message: 'Communications link failure\n\nThe last packet sent successfully to the server was 0 milliseconds ago.', $metadata: {} }))
      .rejectsOnce(new StatementTimeoutException({ message: 'Request timed out', $metadata: {} }))
      .callsFake((input: ExecuteStatementCommandInput) => (input.sql?.startsWith('SELECT') ? NO_TABLE : {}));

    const response = await run('Create');

    expect(response.Status).toBe('SUCCESS');
    expect(rds.commandCalls(ExecuteStatementCommand)).toHaveLength(8 + USERS.length);
  });

  test('a cluster that never finishes resuming fails after a bounded number of attempts with the last message', async () => {
    rds.on(ExecuteStatementCommand).rejects(new DatabaseResumingException({ message: 'The database is resuming after being auto-paused.', $metadata: {} }));

    const response = await run('Create');

    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toBe('creating extension vector still failing after 12 attempts: The database is resuming after being auto-paused.');
    expect(sqlSent()).toEqual(Array(12).fill(CREATE_EXTENSION));
  });

  test('an SQL error fails the deploy with the server message and sends no further statements', async () => {
    rds.on(ExecuteStatementCommand).callsFake((input: ExecuteStatementCommandInput) => {
      if (input.sql?.startsWith('SELECT')) return NO_TABLE;
      if (input.sql?.startsWith('CREATE TABLE')) {
        throw new BadRequestException({ message: 'ERROR: permission denied for schema rag', $metadata: {} });
      }
      return {};
    });

    const response = await run('Create');

    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toBe('creating table rag.chunks failed: ERROR: permission denied for schema rag');
    expect(response.PhysicalResourceId).toBe('failed-request-Create');
    expect(sqlSent()).toEqual([CREATE_EXTENSION, CREATE_SCHEMA, INSPECT, INSPECT_INDEX, CREATE_TABLE]);
  });

  test('a database error whose message mentions resuming is still not retried', async () => {
    rds.on(ExecuteStatementCommand).rejects(new DatabaseErrorException({ message: 'ERROR: relation "resuming" does not exist', $metadata: {} }));

    const response = await run('Create');

    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toBe('creating extension vector failed: ERROR: relation "resuming" does not exist');
    expect(rds.commandCalls(ExecuteStatementCommand)).toHaveLength(1);
  });

  test('an existing table with another dimension is refused with a clear message and nothing is created or dropped', async () => {
    database(existingTable(768));

    const response = await run('Update', {}, { OldResourceProperties: { ...PROPERTIES, Dimension: '768' } });

    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toBe('the table rag.chunks already has embeddings of dimension 768; changing to 1024 would need a new table (no data is dropped)');
    expect(response.PhysicalResourceId).toBe(PHYSICAL_ID);
    expect(sqlSent()).toEqual([CREATE_EXTENSION, CREATE_SCHEMA, INSPECT]);
    expect(sqlSent().some(sql => /CREATE TABLE|CREATE INDEX|DROP/.test(sql))).toBe(false);
  });

  test('an existing relation without an embedding column is refused instead of being indexed', async () => {
    database({ records: [[{ booleanValue: true }, { isNull: true }, { isNull: true }]] });

    const response = await run('Create');

    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toBe('rag.chunks already exists but has no embedding column; use another Table name (no data is dropped)');
    expect(sqlSent()).toEqual([CREATE_EXTENSION, CREATE_SCHEMA, INSPECT]);
  });

  test.each([
    ['cosine', 'vector_cosine_ops'],
    ['euclidean', 'vector_l2_ops'],
    ['inner product', 'vector_ip_ops'],
  ])('the %s distance builds the HNSW index with %s', async (_distance, operatorClass) => {
    database(NO_TABLE);

    const response = await run('Create', { OperatorClass: operatorClass });

    expect(response.Status).toBe('SUCCESS');
    expect(sqlSent()[5]).toBe(`CREATE INDEX IF NOT EXISTS "chunks_embedding_hnsw" ON "rag"."chunks" USING hnsw (embedding ${operatorClass}) WITH (m = 16, ef_construction = 64)`);
  });
});

describe('refusing bad properties before any Data API call', () => {
  test.each([
    ['a table with SQL in it', { Table: 'chunks; drop table x' }, 'Table "chunks; drop table x" is not a valid identifier'],
    ['a quoted schema', { Schema: 'rag"."x' }, 'Schema "rag\\".\\"x" is not a valid identifier'],
    ['an upper-case table', { Table: 'Chunks' }, 'Table "Chunks" is not a valid identifier'],
    ['a table too long for the index name', { Table: 'a'.repeat(49) }, `the index name ${'a'.repeat(49)}_embedding_hnsw would be longer than 63 characters`],
    ['an unknown operator class', { OperatorClass: 'vector_cosine_ops) WITH (x' }, 'OperatorClass must be one of vector_cosine_ops, vector_l2_ops, vector_ip_ops'],
    ['dimension 2001, above what HNSW can index', { Dimension: '2001' }, 'Dimension 2001 is above 2000, the most pgvector\'s HNSW index supports for the vector type; the index could not be built'],
    ['dimension 16001', { Dimension: '16001' }, 'Dimension must be between 1 and 16000, got 16001'],
    ['dimension 0', { Dimension: '0' }, 'Dimension must be between 1 and 16000, got 0'],
    ['a fractional dimension', { Dimension: '1024.5' }, 'Dimension must be an integer between 1 and 16000, got "1024.5"'],
    ['a dimension in exponent notation', { Dimension: '1e3' }, 'Dimension must be an integer between 1 and 16000, got "1e3"'],
    ['a dimension with SQL after it', { Dimension: '1024) NOT NULL); DROP TABLE x; --' }, 'Dimension must be an integer'],
    ['m of 1', { M: '1' }, 'M must be between 2 and 100, got 1'],
    ['m of 101', { M: '101' }, 'M must be between 2 and 100, got 101'],
    ['ef_construction below twice m', { EfConstruction: '31' }, 'EfConstruction must be at least 2 × M (32) and at most 1000, got 31'],
    ['ef_construction above 1000', { EfConstruction: '1001' }, 'EfConstruction must be between 1 and 1000, got 1001'],
    ['a missing cluster ARN', { ClusterArn: undefined }, 'ClusterArn must be a non-empty string'],
    ['a RetainOnDelete that is not a boolean', { RetainOnDelete: 'yes' }, 'RetainOnDelete must be \'true\' or \'false\''],
  ])('%s fails the create with no Data API call', async (_case, properties, reason) => {
    database(NO_TABLE);

    const response = await run('Create', properties);

    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain(reason);
    expect(rds.commandCalls(ExecuteStatementCommand)).toHaveLength(0);
  });

  test('the largest valid values are accepted', () => {
    const spec = parseProperties({ ...PROPERTIES, Table: 'a'.repeat(48), Dimension: '2000', M: '100', EfConstruction: '1000' });

    expect(createStatements(spec).create.map(s => s.sql)).toEqual([
      expect.stringContaining('embedding vector(2000) NOT NULL'),
      `CREATE INDEX IF NOT EXISTS "${'a'.repeat(48)}_embedding_hnsw" ON "rag"."${'a'.repeat(48)}" USING hnsw (embedding vector_cosine_ops) WITH (m = 100, ef_construction = 1000)`,
      ...Array.from({ length: 6 }, () => expect.stringContaining(`${'a'.repeat(48)}_`)),
    ]);
  });

  test('only resume and availability errors count as transient', () => {
    expect(isTransientDataApiError(new DatabaseResumingException({ message: 'resuming', $metadata: {} }))).toBe(true);
    expect(isTransientDataApiError(new BadRequestException({ message: 'Database is resuming, try again', $metadata: {} }))).toBe(true);
    expect(isTransientDataApiError(new BadRequestException({ message: 'ERROR: syntax error at or near "x"', $metadata: {} }))).toBe(false);
    expect(isTransientDataApiError(new BadRequestException({ message: 'ERROR: permission denied for database llmops', $metadata: {} }))).toBe(false);
    expect(isTransientDataApiError('resuming')).toBe(false);
  });
});

describe('deleting the pgvector schema', () => {
  test('a delete with RetainOnDelete true keeps the table and sends no statement', async () => {
    database(NO_TABLE);

    const response = await run('Delete', { RetainOnDelete: 'true' });

    expect(response.Status).toBe('SUCCESS');
    expect(response.PhysicalResourceId).toBe(PHYSICAL_ID);
    expect(rds.commandCalls(ExecuteStatementCommand)).toHaveLength(0);
  });

  test('a delete with RetainOnDelete false drops only the table, never the schema or the extension', async () => {
    database(NO_TABLE);

    const response = await run('Delete', { RetainOnDelete: 'false' });

    expect(response.Status).toBe('SUCCESS');
    expect(response.PhysicalResourceId).toBe(PHYSICAL_ID);
    expect(calls()).toEqual([{ resourceArn: CLUSTER_ARN, secretArn: SECRET_ARN, database: 'llmops', sql: DROP_TABLE }]);
  });

  test('a delete while the cluster resumes is retried until the table is dropped', async () => {
    rds.on(ExecuteStatementCommand).rejectsOnce(new DatabaseResumingException({ message: 'The database is resuming', $metadata: {} })).resolves({});

    const response = await run('Delete', { RetainOnDelete: 'false' });

    expect(response.Status).toBe('SUCCESS');
    expect(sqlSent()).toEqual([DROP_TABLE, DROP_TABLE]);
  });

  test('a delete of a create that failed before it had a physical id succeeds without touching the database', async () => {
    database(NO_TABLE);

    const response = await run('Delete', { RetainOnDelete: 'false', Table: 'chunks; drop table x' }, { PhysicalResourceId: 'failed-request-Create' });

    expect(response.Status).toBe('SUCCESS');
    expect(response.PhysicalResourceId).toBe('failed-request-Create');
    expect(rds.commandCalls(ExecuteStatementCommand)).toHaveLength(0);
  });

  test('a delete with an invalid table name fails instead of building SQL from it', async () => {
    database(NO_TABLE);

    const response = await run('Delete', { RetainOnDelete: 'false', Table: 'chunks"; drop schema rag; --' });

    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain('is not a valid identifier');
    expect(rds.commandCalls(ExecuteStatementCommand)).toHaveLength(0);
  });
});

describe('When the HNSW index already exists', () => {
  const spec = parseProperties({ ...PROPERTIES });

  test('with the same settings, it is kept', () => {
    expect(() => checkExistingIndex(spec, "CREATE INDEX chunks_embedding_hnsw ON rag.chunks USING hnsw (embedding vector_cosine_ops) WITH (m='16', ef_construction='64')")).not.toThrow();
  });

  test('with another operator class or other parameters, the deploy is refused instead of silently keeping the old index', () => {
    expect(() => checkExistingIndex(spec, "CREATE INDEX chunks_embedding_hnsw ON rag.chunks USING hnsw (embedding vector_l2_ops) WITH (m='32', ef_construction='64')"))
      .toThrow('the index rag.chunks_embedding_hnsw already exists with other settings (operator class vector_l2_ops → vector_cosine_ops, m 32 → 16); drop the index yourself to rebuild it, or use a new Table name (no data is dropped)');
  });

  test('an index without explicit parameters counts as pgvector defaults (m 16, ef_construction 64)', () => {
    expect(() => checkExistingIndex(spec, 'CREATE INDEX chunks_embedding_hnsw ON rag.chunks USING hnsw (embedding vector_cosine_ops)')).not.toThrow();
  });
});
