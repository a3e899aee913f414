// Runtime code (bundled into a Lambda by esbuild): the `Custom::LlmOpsOpenSearchIndex` custom resource.
// Creates, updates and deletes one k-NN index in an Amazon OpenSearch Serverless collection, signing every request
// with SigV4 (service `aoss`). Every operation is idempotent, so CloudFormation's retries and rollbacks are safe.
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Client, Types } from '@opensearch-project/opensearch';
import { AwsSigv4Signer } from '@opensearch-project/opensearch/aws';
import { customResourceHandler, CustomResourceEvent, CustomResourceResult, PermanentError, withRetries } from '../../common/handlers/cfn-response';
import { OPENSEARCH_INDEX_NAME, OpenSearchIndexProperties } from './contracts';

/** The k-NN space types OpenSearch Serverless supports with the faiss engine. */
export const SPACE_TYPES = ['cosinesimil', 'l2', 'innerproduct'] as const;

/** A field name this handler accepts: not empty, no leading `_` (reserved), no `.` (object path), no whitespace. */
export const FIELD_NAME = /^(?!_)[^.\s]{1,255}$/;

/** Attempts per request while the collection answers 403 (the data access policy is still propagating). */
export const MAX_ATTEMPTS = 10;
/** First wait between attempts, in ms; `LLMOPS_RETRY_BASE_MS` overrides it (tests). */
export const DEFAULT_BASE_DELAY_MS = 2_000;
/** Longest wait between attempts, in ms; `LLMOPS_RETRY_MAX_MS` overrides it (tests). */
export const DEFAULT_MAX_DELAY_MS = 30_000;
/** Longest a single HTTP request may take, in ms (also bounded by the deadline). */
const REQUEST_TIMEOUT_MS = 30_000;

/** The resource properties, validated and typed. */
export interface IndexSpec {
  /** Collection endpoint as an origin, e.g. `https://abc.us-east-1.aoss.amazonaws.com` (no trailing slash). */
  readonly endpoint: string;
  readonly region: string;
  readonly indexName: string;
  readonly dimension: number;
  readonly spaceType: string;
  readonly m: number;
  readonly efConstruction: number;
  readonly vectorField: string;
  readonly textField: string;
  readonly metadataField: string;
  readonly retainOnDelete: boolean;
}

/** A field mapping, as the OpenSearch client types it. */
export type FieldMapping = Types.Common_Mapping.Property;

/** The body of `PUT /<index>`. */
export interface IndexBody {
  readonly settings: { readonly index: { readonly knn: true } };
  readonly mappings: { readonly properties: Record<string, FieldMapping> };
}

function requireString(raw: Record<string, unknown>, key: keyof OpenSearchIndexProperties): string {
  const value = raw[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new PermanentError(`${key} is required and must be a non-empty string (got ${JSON.stringify(value)})`);
  }
  return value;
}

function requireInt(raw: Record<string, unknown>, key: keyof OpenSearchIndexProperties, min: number, max: number): number {
  const value = raw[key];
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,6}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new PermanentError(`${key} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return Number(text);
}

/** Checks an endpoint and returns it as an origin (`https://host[:port]`). */
export function parseEndpoint(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PermanentError(`Endpoint must be a URL such as https://<id>.<region>.aoss.amazonaws.com (got ${JSON.stringify(value)})`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.search || url.hash || (url.pathname !== '/' && url.pathname !== '')) {
    throw new PermanentError(`Endpoint must be an http(s) origin with no path, query or credentials (got ${JSON.stringify(value)})`);
  }
  return url.origin;
}

/** Checks an index name against OpenSearch's rules (and this library's pattern). */
export function checkIndexName(value: string): string {
  if (!OPENSEARCH_INDEX_NAME.test(value) || Buffer.byteLength(value) > 255) {
    throw new PermanentError(
      `IndexName ${JSON.stringify(value)} is not a valid OpenSearch index name: use 1-255 lower-case letters, digits, '_', '-', '+' or '.', ` +
      `not starting with '_', '-' or '+', and not '.' or '..'`,
    );
  }
  return value;
}

/** Validates the raw ResourceProperties (all strings, as CloudFormation sends them). Throws {@link PermanentError}. */
export function parseProperties(raw: Record<string, unknown>): IndexSpec {
  const spaceType = requireString(raw, 'SpaceType');
  if (!(SPACE_TYPES as readonly string[]).includes(spaceType)) {
    throw new PermanentError(`SpaceType must be one of ${SPACE_TYPES.join(', ')} (got ${JSON.stringify(spaceType)})`);
  }
  const fields = (['VectorField', 'TextField', 'MetadataField'] as const).map(key => {
    const value = requireString(raw, key);
    if (!FIELD_NAME.test(value)) {
      throw new PermanentError(`${key} ${JSON.stringify(value)} is not a valid field name: 1-255 characters, no leading '_', no '.', no whitespace`);
    }
    return value;
  });
  if (new Set(fields).size !== fields.length) {
    throw new PermanentError(`VectorField, TextField and MetadataField must be three different names (got ${fields.join(', ')})`);
  }
  const retain = raw.RetainOnDelete;
  return {
    endpoint: parseEndpoint(requireString(raw, 'Endpoint')),
    region: requireString(raw, 'Region'),
    indexName: checkIndexName(requireString(raw, 'IndexName')),
    dimension: requireInt(raw, 'Dimension', 1, 16_000),
    spaceType,
    m: requireInt(raw, 'M', 2, 100),
    efConstruction: requireInt(raw, 'EfConstruction', 2, 4_096),
    vectorField: fields[0],
    textField: fields[1],
    metadataField: fields[2],
    retainOnDelete: retain === 'true' || retain === true,
  };
}

/** The settings and mappings of the k-NN index: HNSW on faiss, plus a text and a metadata field. */
export function indexBody(spec: IndexSpec): IndexBody {
  return {
    settings: { index: { knn: true } },
    mappings: {
      properties: {
        [spec.vectorField]: {
          type: 'knn_vector',
          dimension: spec.dimension,
          method: {
            name: 'hnsw',
            engine: 'faiss',
            space_type: spec.spaceType,
            parameters: { m: spec.m, ef_construction: spec.efConstruction },
          },
        },
        [spec.textField]: { type: 'text' },
        [spec.metadataField]: { type: 'object' },
      },
    },
  };
}

/** The physical ID of an index: where it lives and its name. */
export function physicalId(endpoint: string, indexName: string): string {
  return `${endpoint}|${indexName}`;
}

/** Reads a physical ID made by {@link physicalId}; `undefined` if it is not one. */
export function parsePhysicalId(id: string | undefined): { endpoint: string; indexName: string } | undefined {
  if (!id) return undefined;
  const bar = id.lastIndexOf('|');
  if (bar <= 0) return undefined;
  try {
    return { endpoint: parseEndpoint(id.slice(0, bar)), indexName: checkIndexName(id.slice(bar + 1)) };
  } catch {
    return undefined;
  }
}

/**
 * What an Update must do, from the old and new properties:
 * - `create`: the index moved (new name or endpoint), so create the new one and return a new physical ID;
 * - `refuse`: a k-NN setting of the existing index changed, which OpenSearch cannot do in place;
 * - `put-mapping`: only the text or metadata field names changed, so add them to the mapping;
 * - `none`: nothing on the index changed (e.g. only RetainOnDelete).
 */
export type UpdatePlan =
  | { readonly kind: 'create' }
  | { readonly kind: 'refuse'; readonly changed: string[] }
  | { readonly kind: 'put-mapping' }
  | { readonly kind: 'none' };

/** Decides what an Update does (pure; see {@link UpdatePlan}). */
export function planUpdate(oldRaw: Record<string, unknown> | undefined, next: IndexSpec): UpdatePlan {
  const old = oldRaw ?? {};
  const oldEndpoint = typeof old.Endpoint === 'string' ? safeOrigin(old.Endpoint) : undefined;
  if (old.IndexName !== next.indexName || oldEndpoint !== next.endpoint) return { kind: 'create' };
  const immutable: Array<[string, unknown, unknown]> = [
    ['Dimension', Number(old.Dimension), next.dimension],
    ['SpaceType', old.SpaceType, next.spaceType],
    ['M', Number(old.M), next.m],
    ['EfConstruction', Number(old.EfConstruction), next.efConstruction],
    ['VectorField', old.VectorField, next.vectorField],
  ];
  const changed = immutable.filter(([, before, after]) => before !== after).map(([key]) => key);
  if (changed.length > 0) return { kind: 'refuse', changed };
  if (old.TextField !== next.textField || old.MetadataField !== next.metadataField) return { kind: 'put-mapping' };
  return { kind: 'none' };
}

function safeOrigin(value: string): string | undefined {
  try {
    return parseEndpoint(value);
  } catch {
    return undefined;
  }
}

/** The HTTP status and error body of a failed request, as the OpenSearch client reports them. */
interface HttpFailure {
  readonly statusCode?: number;
  readonly type?: string;
  readonly reason?: string;
  readonly raw?: string;
}

/**
 * Reads a client error. The client throws `ResponseError` for any status >= 400; its `meta.statusCode` is the HTTP
 * status (its `statusCode` getter prefers the body's `status` field), `meta.body` is parsed JSON when the response
 * was JSON and a string otherwise.
 */
export function describeFailure(err: unknown): HttpFailure {
  const meta = (err as { meta?: { statusCode?: unknown; body?: unknown } } | undefined)?.meta;
  if (!meta || typeof meta.statusCode !== 'number') return {};
  const body = meta.body;
  if (body && typeof body === 'object') {
    const error = (body as { error?: unknown }).error;
    if (error && typeof error === 'object') {
      const e = error as { type?: unknown; reason?: unknown; root_cause?: Array<{ type?: unknown; reason?: unknown }> };
      const rootReason = Array.isArray(e.root_cause) ? e.root_cause.find(c => typeof c?.reason === 'string')?.reason : undefined;
      return {
        statusCode: meta.statusCode,
        type: typeof e.type === 'string' ? e.type : undefined,
        reason: typeof e.reason === 'string' ? e.reason : typeof rootReason === 'string' ? rootReason : undefined,
      };
    }
    if (typeof error === 'string') return { statusCode: meta.statusCode, reason: error };
    const message = (body as { message?: unknown; Message?: unknown }).message ?? (body as { Message?: unknown }).Message;
    if (typeof message === 'string') return { statusCode: meta.statusCode, reason: message };
    return { statusCode: meta.statusCode, raw: JSON.stringify(body) };
  }
  return { statusCode: meta.statusCode, raw: typeof body === 'string' && body !== '' ? body : undefined };
}

/** Statuses retried with backoff: 403 while the access policy propagates, throttling and gateway errors. */
const RETRYABLE_STATUSES = new Set([403, 429, 502, 503, 504]);

function isRetryable(err: unknown): boolean {
  const failure = describeFailure(err);
  if (failure.statusCode !== undefined) return RETRYABLE_STATUSES.has(failure.statusCode);
  // Network failures (e.g. the VPC endpoint's DNS not resolvable yet) and request timeouts.
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === 'ConnectionError' || name === 'TimeoutError';
}

/** The server's answer to a failed request (`HTTP <status>: <type>: <reason>`), or the client's error. */
export function failureDetail(err: unknown): string {
  const failure = describeFailure(err);
  if (failure.statusCode === undefined) return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  const detail = [failure.type, failure.reason].filter(Boolean).join(': ') || (failure.raw ?? 'no error body').slice(0, 1000);
  const hint = failure.statusCode === 403
    ? " (the collection's data access policy must grant this function's role access to the index; a new policy can take a few minutes to apply)"
    : '';
  return `HTTP ${failure.statusCode}: ${detail}${hint}`;
}

/** Retry delays, read when used so tests can shorten them with `LLMOPS_RETRY_BASE_MS` / `LLMOPS_RETRY_MAX_MS`. */
function retryDelays(): { baseDelayMs: number; maxDelayMs: number } {
  const read = (name: string, fallback: number) => {
    const value = Number(process.env[name]);
    return process.env[name] !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
  };
  const baseDelayMs = read('LLMOPS_RETRY_BASE_MS', DEFAULT_BASE_DELAY_MS);
  return { baseDelayMs, maxDelayMs: Math.max(baseDelayMs, read('LLMOPS_RETRY_MAX_MS', DEFAULT_MAX_DELAY_MS)) };
}

/** The operations this resource performs on an index, each retried on 403 and failing with the server's message. */
class IndexApi {
  private readonly client: Client;

  constructor(endpoint: string, region: string, private readonly deadline: number) {
    const credentials = defaultProvider();
    this.client = new Client({
      ...AwsSigv4Signer({ region, service: 'aoss', getCredentials: () => credentials() }),
      node: endpoint,
      // Retries are done here, with backoff and within the deadline; the client's own would retry at once.
      maxRetries: 0,
      // With one node, the default 'ping' strategy would send extra requests after a failure.
      resurrectStrategy: 'none',
    });
  }

  /** Creates the index; an index that already exists (e.g. a retried Create) counts as created. */
  async create(spec: IndexSpec): Promise<void> {
    await this.call(`Creating index ${JSON.stringify(spec.indexName)}`, async options => {
      try {
        await this.client.indices.create({ index: spec.indexName, body: indexBody(spec) }, options);
      } catch (err) {
        const failure = describeFailure(err);
        if (failure.statusCode === 400 && failure.type === 'resource_already_exists_exception') return;
        throw err;
      }
    });
  }

  /**
   * Adds the text and metadata fields to the mapping (adding a field that exists with the same type is a no-op).
   * Sent as `PUT /<index>/_mapping`, the form OpenSearch Serverless documents; the client's `indices.putMapping`
   * sends POST.
   */
  async putMapping(spec: IndexSpec): Promise<void> {
    const properties = indexBody(spec).mappings.properties;
    const body: Types.Common_Mapping.TypeMapping = {
      properties: { [spec.textField]: properties[spec.textField], [spec.metadataField]: properties[spec.metadataField] },
    };
    await this.call(`Adding fields ${JSON.stringify(spec.textField)} and ${JSON.stringify(spec.metadataField)} to index ${JSON.stringify(spec.indexName)}`, options =>
      this.client.http.put({ path: `/${encodeURIComponent(spec.indexName)}/_mapping`, body }, options));
  }

  /** Deletes the index; an index that does not exist counts as deleted. */
  async delete(indexName: string): Promise<void> {
    await this.call(`Deleting index ${JSON.stringify(indexName)}`, async options => {
      try {
        await this.client.indices.delete({ index: indexName }, options);
      } catch (err) {
        if (describeFailure(err).statusCode === 404) return;
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  private async call(what: string, request: (options: { requestTimeout: number }) => Promise<unknown>): Promise<void> {
    await withRetries(async () => {
      const requestTimeout = Math.max(1_000, Math.min(REQUEST_TIMEOUT_MS, this.deadline - Date.now()));
      try {
        await request({ requestTimeout });
      } catch (err) {
        // withRetries prefixes a retryable error's message with the operation and the number of attempts.
        if (isRetryable(err)) throw new RetryableError(failureDetail(err));
        throw new PermanentError(`${what} failed: ${failureDetail(err)}`);
      }
    }, {
      isRetryable: err => err instanceof RetryableError,
      maxAttempts: MAX_ATTEMPTS,
      ...retryDelays(),
      deadline: this.deadline,
      describe: what,
    });
  }
}

/** A failure worth another attempt; its message already names the operation and the server's answer. */
class RetryableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetryableError';
  }
}

async function withApi<T>(endpoint: string, region: string, deadline: number, work: (api: IndexApi) => Promise<T>): Promise<T> {
  const api = new IndexApi(endpoint, region, deadline);
  try {
    return await work(api);
  } finally {
    await api.close().catch(() => undefined);
  }
}

/** Create, Update or Delete of the index, as CloudFormation asks. */
export async function handleEvent(event: CustomResourceEvent, deadline: number): Promise<CustomResourceResult> {
  if (event.RequestType === 'Delete') return deleteIndex(event, deadline);

  const spec = parseProperties(event.ResourceProperties);
  const result: CustomResourceResult = { physicalResourceId: physicalId(spec.endpoint, spec.indexName), data: { IndexName: spec.indexName } };

  if (event.RequestType === 'Create') {
    await withApi(spec.endpoint, spec.region, deadline, api => api.create(spec));
    return result;
  }

  const plan = planUpdate(event.OldResourceProperties, spec);
  switch (plan.kind) {
    case 'create':
      // A new physical ID: CloudFormation then sends Delete for the old index.
      await withApi(spec.endpoint, spec.region, deadline, api => api.create(spec));
      return result;
    case 'refuse':
      throw new PermanentError(
        `Index ${JSON.stringify(spec.indexName)} exists and an existing k-NN index cannot change its ${plan.changed.join(', ')}; ` +
        'give the index a new name to create a new index with these settings (the old index is then deleted, or kept if retained).',
      );
    case 'put-mapping':
      await withApi(spec.endpoint, spec.region, deadline, api => api.putMapping(spec));
      return { physicalResourceId: event.PhysicalResourceId ?? result.physicalResourceId, data: result.data };
    case 'none':
      return { physicalResourceId: event.PhysicalResourceId ?? result.physicalResourceId, data: result.data };
  }
}

async function deleteIndex(event: CustomResourceEvent, deadline: number): Promise<CustomResourceResult> {
  const id = event.PhysicalResourceId ?? '';
  const props = event.ResourceProperties;
  const done: CustomResourceResult = { physicalResourceId: id };
  // A Create that failed before making anything reported this ID; there is nothing to delete.
  if (id === '' || id.startsWith('failed-')) return done;
  if (props.RetainOnDelete === 'true' || props.RetainOnDelete === true) return done;
  // The physical ID names exactly the index this resource made; the properties are the fallback.
  const target = parsePhysicalId(id) ?? {
    endpoint: parseEndpoint(requireString(props, 'Endpoint')),
    indexName: checkIndexName(requireString(props, 'IndexName')),
  };
  await withApi(target.endpoint, requireString(props, 'Region'), deadline, api => api.delete(target.indexName));
  return done;
}

/** The Lambda entry point. */
export const handler = customResourceHandler(handleEvent);
