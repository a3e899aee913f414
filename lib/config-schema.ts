// The shape of configuration overrides, as read from cdk.json context or a JSON file: a zod schema that rejects
// unknown keys (typos must not be ignored) and wrong types, and names each problem by its field path. What the
// values must satisfy beyond their types (ranges, combinations) is checked by validateConfig afterwards.
import { z } from 'zod';
import { CONFIG_CHOICES, LlmOpsConfigOverrides } from './config';
import { DEFAULT_THRESHOLDS, LlmOpsValidationError, ValidationProblem } from '../constructs';

const severity = z.object({ warning: z.number().optional(), critical: z.number().optional() }).strict();
// Every threshold the monitoring facade has a default for, in its order: a number is a plain number field (e.g.
// invocationsAnomalyStdDevs), a severity pair a { warning, critical } field.
const thresholdsOf = (defaults: Readonly<Record<string, unknown>>) => z.object(Object.fromEntries(
  Object.entries(defaults).map(([k, v]) => [k, typeof v === 'number' ? z.number().optional() : severity.optional()]),
)).strict();

const endpointThresholds = thresholdsOf(DEFAULT_THRESHOLDS.endpoint);
const vectorStoreThresholds = thresholdsOf(DEFAULT_THRESHOLDS.vectorStore);
const fineTuningThresholds = thresholdsOf(DEFAULT_THRESHOLDS.fineTuning);

const model = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('bucket'), prefix: z.string() }).strict(),
  z.object({ kind: z.literal('huggingFaceHub'), modelId: z.string(), revision: z.string().optional() }).strict(),
]);

const endpoint = z.object({
  model,
  container: z.enum(CONFIG_CHOICES.container),
  instanceType: z.string(),
  instanceCount: z.number().int(),
  modelSize: z.object({ parametersBillions: z.number(), bytesPerParameter: z.number(), kvCacheHeadroom: z.number().optional() }).strict().nullable(),
  autoScaling: z.object({ minCapacity: z.number().int(), maxCapacity: z.number().int(), targetConcurrentRequestsPerModel: z.number().optional() }).strict().nullable(),
  deployment: z.object({ strategy: z.enum(CONFIG_CHOICES.deploymentStrategy), sizePercent: z.number().optional(), waitMinutes: z.number() }).strict().nullable(),
  inferenceComponents: z.object({
    minInstances: z.number().int(), maxInstances: z.number().int(), minCopies: z.number().int(), maxCopies: z.number().int(),
    acceleratorsPerCopy: z.number().int().optional(), targetConcurrentRequestsPerCopy: z.number().optional(),
  }).strict().nullable(),
  dataCaptureSamplingPercentage: z.number(),
}).strict().partial();

const vectorStore = z.object({
  kind: z.enum(CONFIG_CHOICES.vectorStoreKind),
  dimension: z.number().int(),
  distance: z.enum(CONFIG_CHOICES.distance),
  standbyReplicas: z.boolean(),
  minCapacity: z.number(),
  maxCapacity: z.number(),
  backupRetentionDays: z.number().int(),
}).strict().partial();

const fineTuning = z.object({
  instanceType: z.string(),
  instanceCount: z.number().int(),
  spot: z.boolean(),
  maxRuntimeHours: z.number(),
  evaluation: z.object({ metric: z.string(), threshold: z.number(), comparison: z.enum(CONFIG_CHOICES.comparison) }).strict(),
  approval: z.enum(CONFIG_CHOICES.approval),
  schedule: z.string(),
  onNewData: z.boolean(),
}).strict().partial();

const contentGuardrail = z.object({
  contentFilters: z.array(z.object({ type: z.string(), inputStrength: z.string(), outputStrength: z.string() }).strict()),
  piiEntities: z.array(z.object({ type: z.string(), action: z.string() }).strict()),
  deniedTopics: z.array(z.object({ name: z.string(), definition: z.string(), examples: z.array(z.string()).optional() }).strict()),
  words: z.array(z.string()),
  profanityFilter: z.boolean(),
  blockedInputMessage: z.string(),
  blockedOutputMessage: z.string(),
}).strict().partial();

/** The overrides of one environment: every field optional, nested objects merged one level deep over the preset. */
export const CONFIG_OVERRIDES_SCHEMA = z.object({
  projectName: z.string(),
  account: z.string(),
  region: z.string(),
  network: z.object({ maxAzs: z.number().int(), internetEgress: z.boolean() }).strict().partial(),
  endpoint,
  // null removes the preset's section.
  vectorStore: vectorStore.nullable(),
  fineTuning: fineTuning.nullable(),
  monitoring: z.object({
    alarmEmails: z.array(z.string()),
    thresholds: z.object({ endpoint: endpointThresholds, vectorStore: vectorStoreThresholds, fineTuning: fineTuningThresholds }).strict().partial(),
  }).strict().partial().nullable(),
  contentGuardrail: contentGuardrail.nullable(),
  removalPolicy: z.enum(CONFIG_CHOICES.removalPolicy),
  logRetentionDays: z.number().int(),
  terminationProtection: z.boolean(),
  acknowledgeProdDataLoss: z.boolean(),
}).strict().partial();

/**
 * Checks overrides read from `source` (a file or cdk.json context) against the configuration's shape.
 * @returns the overrides, typed
 * @throws LlmOpsValidationError naming every unknown key and wrong type by its field path
 */
export function parseConfigOverrides(input: unknown, source: string): LlmOpsConfigOverrides {
  const result = CONFIG_OVERRIDES_SCHEMA.safeParse(input);
  if (result.success) return result.data as LlmOpsConfigOverrides;
  throw new LlmOpsValidationError(`LlmOpsConfig overrides from ${source}`, result.error.issues.flatMap(issue => problemsOf(issue, input)));
}

/** One zod issue as the problems it stands for: an unknown key each, or a field with the wrong type or value. */
function problemsOf(issue: z.core.$ZodIssue, input: unknown): ValidationProblem[] {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const known = Object.keys(shapeAt(path) ?? {});
    return issue.keys.map(key => ({
      code: 'LLMOPS_CONFIG_UNKNOWN_KEY',
      prop: fieldPath([...issue.path, key]),
      value: JSON.stringify(valueAt(input, [...path, key])),
      allowed: `is not a configuration key${known.length ? `; allowed here: ${known.join(', ')}` : ''}`,
    }));
  }
  const value = valueAt(input, path);
  return [{
    code: 'LLMOPS_CONFIG_TYPE',
    prop: fieldPath(issue.path) || '(root)',
    value: value === undefined ? 'undefined' : JSON.stringify(value),
    allowed: `is invalid: ${issue.message.replace(/^Invalid (input|option): /, '')}`,
  }];
}

/** A field path as the configuration names it: `contentGuardrail.deniedTopics[0].name`. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}

function valueAt(input: unknown, path: string[]): unknown {
  return path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), input);
}

/** The keys the schema knows at a path, to suggest the right spelling. */
function shapeAt(path: string[]): Record<string, unknown> | undefined {
  let schema: unknown = CONFIG_OVERRIDES_SCHEMA;
  for (const key of path) {
    const shape = objectShape(schema);
    if (!shape) return undefined;
    schema = shape[key];
  }
  return objectShape(schema);
}

function objectShape(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as { shape?: Record<string, unknown>; unwrap?: () => unknown } | undefined;
  while (s && !s.shape && typeof s.unwrap === 'function') s = s.unwrap() as typeof s;
  return s?.shape;
}
