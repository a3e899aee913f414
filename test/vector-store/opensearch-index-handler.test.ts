// Runs the real `Custom::LlmOpsOpenSearchIndex` handler (OpenSearch client, SigV4 signer, CloudFormation response
// upload) against a real HTTP server on 127.0.0.1 that plays both the index API and CloudFormation's ResponseURL.
import { createHash } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import { CustomResourceEvent, RESPONSE_SAFETY_MS } from '../../constructs/common/handlers/cfn-response';
import { OpenSearchIndexProperties } from '../../constructs/vector-store/handlers/contracts';
import { handler, indexBody, MAX_ATTEMPTS, parseProperties } from '../../constructs/vector-store/handlers/opensearch-index';

/** One request the server received. */
interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** What the index API answers: an HTTP status and a JSON body. */
interface Answer {
  readonly status: number;
  readonly body?: unknown;
}

/** The document the handler PUTs to the ResponseURL. */
interface CfnResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason: string;
  readonly PhysicalResourceId: string;
  readonly RequestId: string;
  readonly Data?: Record<string, string>;
}

const CFN_PATH = '/cloudformation-response/';
const INDEX = 'llmops-docs';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

let server: http.Server;
let base: string;
/** Requests to the index API, in order. */
let indexRequests: Received[];
/** Response documents uploaded to the ResponseURL. */
let cfnResponses: Received[];
/** How the index API answers its n-th request (1-based) in the current test. */
let answer: (request: Received, n: number) => Answer;

const savedEnv: Record<string, string | undefined> = {};
const TEST_ENV: Record<string, string | undefined> = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  AWS_SESSION_TOKEN: undefined,
  AWS_REGION: 'us-east-1',
  // With a profile set, the default credential chain skips the environment variables.
  AWS_PROFILE: undefined,
  LLMOPS_RETRY_BASE_MS: '5',
  LLMOPS_RETRY_MAX_MS: '20',
};

function setEnv(values: Record<string, string | undefined>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

beforeAll(async () => {
  for (const key of Object.keys(TEST_ENV)) savedEnv[key] = process.env[key];
  setEnv(TEST_ENV);
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      const received: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      if (received.url.startsWith(CFN_PATH)) {
        cfnResponses.push(received);
        res.writeHead(200).end();
        return;
      }
      indexRequests.push(received);
      const { status, body } = answer(received, indexRequests.length);
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body ?? {}));
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  setEnv(savedEnv);
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close(err => (err ? reject(err) : resolve())));
});

beforeEach(() => {
  indexRequests = [];
  cfnResponses = [];
  answer = () => ({ status: 200, body: { acknowledged: true } });
  // The handler logs every failure; the tests read the failure from the CloudFormation response instead.
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});

function props(overrides: Partial<OpenSearchIndexProperties> = {}): OpenSearchIndexProperties {
  return {
    Endpoint: base,
    Region: 'us-east-1',
    IndexName: INDEX,
    Dimension: '1024',
    SpaceType: 'cosinesimil',
    M: '16',
    EfConstruction: '512',
    VectorField: 'embedding',
    TextField: 'text',
    MetadataField: 'metadata',
    RetainOnDelete: 'false',
    ...overrides,
  };
}

let requestCounter = 0;

/** Invokes the handler once and returns the single response document it uploaded. */
async function invoke(
  requestType: CustomResourceEvent['RequestType'],
  resourceProperties: OpenSearchIndexProperties,
  options: { physicalResourceId?: string; oldResourceProperties?: OpenSearchIndexProperties; remainingMs?: number } = {},
): Promise<CfnResponse> {
  const requestId = `request-${++requestCounter}`;
  const event: CustomResourceEvent = {
    RequestType: requestType,
    ResponseURL: `${base}${CFN_PATH}${requestId}?X-Amz-Signature=abc`,
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/TestStack/guid',
    RequestId: requestId,
    LogicalResourceId: 'VectorIndex',
    ResourceType: 'Custom::LlmOpsOpenSearchIndex',
    PhysicalResourceId: options.physicalResourceId,
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:handler', ...resourceProperties },
    OldResourceProperties: options.oldResourceProperties ? { ...options.oldResourceProperties } : undefined,
  };
  const remaining = options.remainingMs ?? 120_000;
  await handler(event, { getRemainingTimeInMillis: () => remaining });
  expect(cfnResponses).toHaveLength(1);
  expect(cfnResponses[0].method).toBe('PUT');
  const response = JSON.parse(cfnResponses[0].body) as CfnResponse;
  expect(response.RequestId).toBe(requestId);
  return response;
}

const ID = () => `${base}|${INDEX}`;

/** The exact body the index is created with, from the default properties. */
const EXPECTED_BODY = {
  settings: { index: { knn: true } },
  mappings: {
    properties: {
      embedding: {
        type: 'knn_vector',
        dimension: 1024,
        method: { name: 'hnsw', engine: 'faiss', space_type: 'cosinesimil', parameters: { m: 16, ef_construction: 512 } },
      },
      text: { type: 'text' },
      metadata: { type: 'object' },
    },
  },
};

const FORBIDDEN: Answer = { status: 403, body: { status: 403, 'request-id': 'abc', error: { reason: '403 Forbidden', type: 'Forbidden' } } };

function expectSigned(request: Received): void {
  expect(request.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/aoss\/aws4_request, SignedHeaders=\S+, Signature=[0-9a-f]{64}$/);
  expect(request.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
  expect(request.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(request.body).digest('hex'));
}

describe('Create', () => {
  test('creates the index with the exact k-NN mapping and reports SUCCESS with the physical id', async () => {
    const response = await invoke('Create', props());

    expect(indexRequests).toHaveLength(1);
    expect(indexRequests[0].method).toBe('PUT');
    expect(indexRequests[0].url).toBe(`/${INDEX}`);
    expect(JSON.parse(indexRequests[0].body)).toStrictEqual(EXPECTED_BODY);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ID(), Data: { IndexName: INDEX } });
  });

  test('signs the request with SigV4 for the aoss service, including the payload hash', async () => {
    await invoke('Create', props());

    expect(indexRequests).toHaveLength(1);
    expectSigned(indexRequests[0]);
    expect(indexRequests[0].headers['x-amz-content-sha256']).not.toBe(EMPTY_SHA256);
    expect(indexRequests[0].headers.authorization).toMatch(/SignedHeaders=[^,]*x-amz-content-sha256/);
  });

  test('an index that already exists counts as created, so a retried create succeeds', async () => {
    answer = () => ({
      status: 400,
      body: { error: { root_cause: [{ type: 'resource_already_exists_exception', reason: `index [${INDEX}/x] already exists` }], type: 'resource_already_exists_exception', reason: `index [${INDEX}/x] already exists` }, status: 400 },
    });

    const response = await invoke('Create', props());

    expect(indexRequests).toHaveLength(1);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ID() });
  });

  test('403 twice then 200 succeeds after three requests, as while a new data access policy propagates', async () => {
    answer = (_, n) => (n <= 2 ? FORBIDDEN : { status: 200, body: { acknowledged: true } });

    const response = await invoke('Create', props());

    expect(indexRequests).toHaveLength(3);
    expect(indexRequests.every(r => r.method === 'PUT' && r.url === `/${INDEX}`)).toBe(true);
    indexRequests.forEach(expectSigned);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ID() });
  });

  test('403 forever fails after a bounded number of attempts with a message saying it kept failing', async () => {
    answer = () => FORBIDDEN;

    const response = await invoke('Create', props());

    expect(indexRequests).toHaveLength(MAX_ATTEMPTS);
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain(`still failing after ${MAX_ATTEMPTS} attempts`);
    expect(response.Reason).toContain('HTTP 403: Forbidden: 403 Forbidden');
    expect(response.Reason).toContain('data access policy');
    expect(response.PhysicalResourceId).toMatch(/^failed-/);
  });

  test('403 retries stop before the Lambda deadline', async () => {
    answer = () => FORBIDDEN;
    setEnv({ LLMOPS_RETRY_BASE_MS: '100', LLMOPS_RETRY_MAX_MS: '100' });
    try {
      // 300 ms of working time before the handler must answer.
      const response = await invoke('Create', props(), { remainingMs: RESPONSE_SAFETY_MS + 300 });

      expect(response.Status).toBe('FAILED');
      expect(response.Reason).toMatch(/still failing after \d+ attempts|timed out/);
      expect(indexRequests.length).toBeGreaterThanOrEqual(1);
      expect(indexRequests.length).toBeLessThan(MAX_ATTEMPTS);
    } finally {
      setEnv({ LLMOPS_RETRY_BASE_MS: TEST_ENV.LLMOPS_RETRY_BASE_MS, LLMOPS_RETRY_MAX_MS: TEST_ENV.LLMOPS_RETRY_MAX_MS });
    }
  });

  test('a throttled request (429) is retried like a 403', async () => {
    answer = (_, n) => (n === 1 ? { status: 429, body: { error: { type: 'too_many_requests', reason: 'slow down' } } } : { status: 200, body: { acknowledged: true } });

    const response = await invoke('Create', props());

    expect(indexRequests).toHaveLength(2);
    expect(response.Status).toBe('SUCCESS');
  });

  test('a 500 fails at once with the server error type and reason', async () => {
    answer = () => ({ status: 500, body: { error: { root_cause: [], type: 'internal_server_error', reason: 'shard allocation exploded' }, status: 500 } });

    const response = await invoke('Create', props());

    expect(indexRequests).toHaveLength(1);
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain(`Creating index "${INDEX}" failed: HTTP 500: internal_server_error: shard allocation exploded`);
  });

  test('a 400 mapper_parsing_exception fails at once with the server reason', async () => {
    const reason = 'Failed to parse mapping [_doc]: Dimension value cannot be greater than 16000 for vector: embedding';
    answer = () => ({
      status: 400,
      body: { error: { root_cause: [{ type: 'mapper_parsing_exception', reason }], type: 'mapper_parsing_exception', reason }, status: 400 },
    });

    const response = await invoke('Create', props());

    expect(indexRequests).toHaveLength(1);
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain(`HTTP 400: mapper_parsing_exception: ${reason}`);
  });

  test('an invalid index name fails before any request is sent', async () => {
    const response = await invoke('Create', props({ IndexName: 'Docs_Upper' }));

    expect(indexRequests).toHaveLength(0);
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain('IndexName "Docs_Upper" is not a valid OpenSearch index name');
  });

  test.each([
    ['a dimension above 16000', { Dimension: '16001' }, 'Dimension must be an integer from 1 to 16000'],
    ['a fractional dimension', { Dimension: '12.5' }, 'Dimension must be an integer from 1 to 16000'],
    ['an m below 2', { M: '1' }, 'M must be an integer from 2 to 100'],
    ['an ef_construction above 4096', { EfConstruction: '5000' }, 'EfConstruction must be an integer from 2 to 4096'],
    ['an unknown space type', { SpaceType: 'dotproduct' }, 'SpaceType must be one of cosinesimil, l2, innerproduct'],
    ['a text field named like the vector field', { TextField: 'embedding' }, 'must be three different names'],
  ])('%s fails before any request is sent', async (_, overrides, message) => {
    const response = await invoke('Create', props(overrides));

    expect(indexRequests).toHaveLength(0);
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain(message);
  });
});

describe('Delete', () => {
  test('sends a signed DELETE for the index and reports SUCCESS', async () => {
    const response = await invoke('Delete', props(), { physicalResourceId: ID() });

    expect(indexRequests).toHaveLength(1);
    expect(indexRequests[0].method).toBe('DELETE');
    expect(indexRequests[0].url).toBe(`/${INDEX}`);
    expectSigned(indexRequests[0]);
    expect(indexRequests[0].headers['x-amz-content-sha256']).toBe(EMPTY_SHA256);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ID() });
  });

  test('deleting an index that does not exist (404) succeeds', async () => {
    answer = () => ({
      status: 404,
      body: { error: { root_cause: [{ type: 'index_not_found_exception', reason: 'no such index [llmops-docs]' }], type: 'index_not_found_exception', reason: 'no such index [llmops-docs]' }, status: 404 },
    });

    const response = await invoke('Delete', props(), { physicalResourceId: ID() });

    expect(indexRequests).toHaveLength(1);
    expect(indexRequests[0].method).toBe('DELETE');
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ID() });
  });

  test('RetainOnDelete "true" leaves the index alone and sends no request', async () => {
    const response = await invoke('Delete', props({ RetainOnDelete: 'true' }), { physicalResourceId: ID() });

    expect(indexRequests).toHaveLength(0);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ID() });
  });

  test('deleting after a failed create (physical id failed-...) sends no request and succeeds', async () => {
    const response = await invoke('Delete', props(), { physicalResourceId: 'failed-request-0' });

    expect(indexRequests).toHaveLength(0);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'failed-request-0' });
  });

  test('deletes the index named by the physical id, which is the one this resource made', async () => {
    const response = await invoke('Delete', props(), { physicalResourceId: `${base}|llmops-old` });

    expect(indexRequests.map(r => `${r.method} ${r.url}`)).toStrictEqual(['DELETE /llmops-old']);
    expect(response.Status).toBe('SUCCESS');
  });

  test('a 500 on delete fails with the server reason', async () => {
    answer = () => ({ status: 500, body: { error: { type: 'internal_server_error', reason: 'try later' }, status: 500 } });

    const response = await invoke('Delete', props(), { physicalResourceId: ID() });

    expect(indexRequests).toHaveLength(1);
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain(`Deleting index "${INDEX}" failed: HTTP 500: internal_server_error: try later`);
  });
});

describe('Update', () => {
  test('a changed dimension with the same index name fails with a clear message and sends no request', async () => {
    const response = await invoke('Update', props({ Dimension: '1536' }), { physicalResourceId: ID(), oldResourceProperties: props() });

    expect(indexRequests).toHaveLength(0);
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain('an existing k-NN index cannot change its Dimension');
    expect(response.Reason).toContain('give the index a new name');
    expect(response.PhysicalResourceId).toBe(ID());
  });

  test('every k-NN setting that changed is named in the refusal', async () => {
    const response = await invoke('Update', props({ SpaceType: 'l2', M: '32', EfConstruction: '256', VectorField: 'vector' }), {
      physicalResourceId: ID(), oldResourceProperties: props(),
    });

    expect(indexRequests).toHaveLength(0);
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toContain('cannot change its SpaceType, M, EfConstruction, VectorField');
  });

  test('a new index name creates the new index and returns a new physical id', async () => {
    const response = await invoke('Update', props({ IndexName: 'llmops-docs-v2', Dimension: '1536' }), { physicalResourceId: ID(), oldResourceProperties: props() });

    expect(indexRequests).toHaveLength(1);
    expect(indexRequests[0].method).toBe('PUT');
    expect(indexRequests[0].url).toBe('/llmops-docs-v2');
    const created = JSON.parse(indexRequests[0].body) as typeof EXPECTED_BODY;
    expect(created.mappings.properties.embedding.dimension).toBe(1536);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${base}|llmops-docs-v2`, Data: { IndexName: 'llmops-docs-v2' } });
  });

  test('new text and metadata field names are added with PUT _mapping and keep the physical id', async () => {
    const response = await invoke('Update', props({ TextField: 'content', MetadataField: 'attributes' }), { physicalResourceId: ID(), oldResourceProperties: props() });

    expect(indexRequests).toHaveLength(1);
    expect(indexRequests[0].method).toBe('PUT');
    expect(indexRequests[0].url).toBe(`/${INDEX}/_mapping`);
    expect(JSON.parse(indexRequests[0].body)).toStrictEqual({ properties: { content: { type: 'text' }, attributes: { type: 'object' } } });
    expectSigned(indexRequests[0]);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ID() });
  });

  test('a change that does not touch the index (RetainOnDelete) sends no request and keeps the physical id', async () => {
    const response = await invoke('Update', props({ RetainOnDelete: 'true' }), { physicalResourceId: ID(), oldResourceProperties: props() });

    expect(indexRequests).toHaveLength(0);
    expect(response).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: ID(), Data: { IndexName: INDEX } });
  });
});

describe('indexBody and parseProperties', () => {
  test('the body uses the parsed numbers, not strings', () => {
    const body = indexBody(parseProperties({ ...props(), Dimension: '8', M: '4', EfConstruction: '100', SpaceType: 'innerproduct' }));

    expect(body.mappings.properties.embedding).toStrictEqual({
      type: 'knn_vector',
      dimension: 8,
      method: { name: 'hnsw', engine: 'faiss', space_type: 'innerproduct', parameters: { m: 4, ef_construction: 100 } },
    });
  });

  test('an endpoint with a path is refused', () => {
    expect(() => parseProperties({ ...props(), Endpoint: 'https://abc.us-east-1.aoss.amazonaws.com/some/path' })).toThrow(/Endpoint must be an http\(s\) origin/);
  });
});
