import { Token } from 'aws-cdk-lib';
import {
  AWS_ACCOUNT_ID, AWS_REGION_NAME, ContentGuardrailProps, contentGuardrailPolicyProblems, EMAIL_ADDRESS, GpuInstanceType, LlmOpsValidationError, MonitoringThresholds,
  PropValidator,
} from '../constructs';

/** The environments an LLMOps app deploys to, in promotion order. */
export type EnvironmentName = 'dev' | 'staging' | 'prod';

/** All environment names, in promotion order. */
export const ENVIRONMENTS: readonly EnvironmentName[] = ['dev', 'staging', 'prod'];

/** A project name usable in a stack name: a letter, then up to 63 letters, digits and '-'. */
export const PROJECT_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;

/**
 * The values of each enumerated setting: one list for `validateConfig` and for the schema of configuration files
 * (each checked against its field's type).
 */
export const CONFIG_CHOICES = {
  container: ['tgi', 'lmi'] as const satisfies readonly EndpointSettings['container'][],
  deploymentStrategy: ['canary', 'linear', 'allAtOnce'] as const satisfies readonly NonNullable<EndpointSettings['deployment']>['strategy'][],
  vectorStoreKind: ['opensearch-serverless', 'aurora-pgvector'] as const satisfies readonly VectorStoreSettings['kind'][],
  distance: ['cosine', 'euclidean', 'inner-product'] as const satisfies readonly VectorStoreSettings['distance'][],
  comparison: ['lt', 'lte', 'gt', 'gte'] as const satisfies readonly FineTuningSettings['evaluation']['comparison'][],
  approval: ['manual', 'automatic'] as const satisfies readonly FineTuningSettings['approval'][],
  removalPolicy: ['retain', 'destroy'] as const satisfies readonly LlmOpsConfig['removalPolicy'][],
};

/** Whether `value` is one of `choices`. */
function isOneOf(choices: readonly string[], value: unknown): boolean {
  return typeof value === 'string' && choices.includes(value);
}

/** `allowed: 'a', 'b' or 'c'`. */
function allowedChoices(choices: readonly string[]): string {
  const quoted = choices.map(c => `'${c}'`);
  return `allowed: ${quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}` : quoted[0]}`;
}

/** Where the served model's weights come from. */
export type ModelSourceSettings =
  /** Uncompressed weights under a prefix of the stack's artifacts bucket (network isolation on). */
  | { readonly kind: 'bucket'; readonly prefix: string }
  /** Downloaded from the Hugging Face Hub at start-up (needs `network.internetEgress`). */
  | { readonly kind: 'huggingFaceHub'; readonly modelId: string; readonly revision?: string };

/** The inference endpoint of the stack. */
export interface EndpointSettings {
  /** Where the weights come from. */
  readonly model: ModelSourceSettings;
  /** The serving container. */
  readonly container: 'tgi' | 'lmi';
  /** A SageMaker GPU instance type name, e.g. `ml.g5.2xlarge`. */
  readonly instanceType: string;
  /** Initial number of instances. */
  readonly instanceCount: number;
  /**
   * Serve the model as an inference component on an instance fleet that SageMaker scales, down to zero instances
   * when `minInstances` and `minCopies` are 0 (requests fail while it wakes: several minutes for an LLM). Leave out
   * for a classic endpoint (blue/green deployments, data capture). Not combinable with `autoScaling` or `deployment`.
   */
  readonly inferenceComponents?: InferenceComponentSettings;
  /** Size of the model, for the synth-time fit check. */
  readonly modelSize?: { readonly parametersBillions: number; readonly bytesPerParameter: number; readonly kvCacheHeadroom?: number };
  /** Auto scaling on concurrent requests per model. Omit for a fixed instance count. */
  readonly autoScaling?: { readonly minCapacity: number; readonly maxCapacity: number; readonly targetConcurrentRequestsPerModel?: number };
  /** Blue/green deployment guardrails with rollback alarms. Omit for SageMaker's default (all at once, no alarms). */
  readonly deployment?: { readonly strategy: 'canary' | 'linear' | 'allAtOnce'; readonly sizePercent?: number; readonly waitMinutes: number };
  /** Share of requests whose prompt and completion are captured, 0–100. */
  readonly dataCaptureSamplingPercentage: number;
}

/** The inference-component mode of the endpoint. */
export interface InferenceComponentSettings {
  /** Fewest instances; 0 releases every GPU when no copy runs. */
  readonly minInstances: number;
  /** Most instances. */
  readonly maxInstances: number;
  /** Fewest copies of the model; 0 scales it to zero when idle. */
  readonly minCopies: number;
  /** Most copies of the model. */
  readonly maxCopies: number;
  /** Accelerators per copy. @default - every accelerator of the instance type */
  readonly acceleratorsPerCopy?: number;
  /** Concurrent requests per copy that copy-count scaling tracks. @default 4 */
  readonly targetConcurrentRequestsPerCopy?: number;
}

/** The vector store of the stack, for retrieval-augmented generation. */
export interface VectorStoreSettings {
  /** Amazon OpenSearch Serverless (VECTORSEARCH collection) or Aurora PostgreSQL Serverless v2 with pgvector. */
  readonly kind: 'opensearch-serverless' | 'aurora-pgvector';
  /** Dimension of the embeddings (OpenSearch 1–16000; pgvector HNSW 1–2000). */
  readonly dimension: number;
  /** Similarity measure the embedding model was trained for. */
  readonly distance: 'cosine' | 'euclidean' | 'inner-product';
  /** OpenSearch only: standby replicas in a second AZ (off halves the minimum OCUs). */
  readonly standbyReplicas?: boolean;
  /** Aurora only: fewest ACUs (0 lets the cluster pause when idle). */
  readonly minCapacity?: number;
  /** Aurora only: most ACUs. */
  readonly maxCapacity?: number;
  /** Aurora only: days of automated backups (1–35). @default 7 */
  readonly backupRetentionDays?: number;
}

/** The fine-tuning pipeline of the stack, which promotes approved models to its endpoint. */
export interface FineTuningSettings {
  /** A SageMaker GPU training instance type, e.g. `ml.g5.2xlarge`. */
  readonly instanceType: string;
  /** Number of training instances. */
  readonly instanceCount: number;
  /** Managed spot training (with checkpoints). */
  readonly spot: boolean;
  /** Longest training run, in hours. */
  readonly maxRuntimeHours: number;
  /** The evaluation gate. */
  readonly evaluation: { readonly metric: string; readonly threshold: number; readonly comparison: 'lt' | 'lte' | 'gt' | 'gte' };
  /** `automatic` registers packages as Approved, which promotes them at once (dev); `manual` waits for a person. */
  readonly approval: 'manual' | 'automatic';
  /** Retrain on this EventBridge schedule expression, e.g. `rate(7 days)`. */
  readonly schedule?: string;
  /** Retrain when new objects arrive under `train/` of the datasets bucket. */
  readonly onNewData: boolean;
}

/** Alarms, dashboard and notifications of the stack. */
export interface MonitoringSettings {
  /** Email addresses subscribed to the alarm topic. */
  readonly alarmEmails?: string[];
  /** Warning and critical thresholds (see the README table for the defaults). */
  readonly thresholds?: MonitoringThresholds;
}

/**
 * The content guardrail (an Amazon Bedrock guardrail) that the application applies to prompts and answers with the
 * ApplyGuardrail API. Every field is optional: what is left out takes the `ContentGuardrail` default (all six
 * content filters at HIGH, prompt attacks on prompts only; credentials and ID numbers blocked, contact details
 * anonymized; the profanity list; no denied topics or words). A list replaces its default; `[]` turns it off.
 */
export interface ContentGuardrailSettings {
  /** Content filters: `type` HATE, INSULTS, SEXUAL, VIOLENCE, MISCONDUCT or PROMPT_ATTACK; strengths NONE, LOW, MEDIUM or HIGH. */
  readonly contentFilters?: ReadonlyArray<{ readonly type: string; readonly inputStrength: string; readonly outputStrength: string }>;
  /** PII entities (a Bedrock `PiiEntityType`, e.g. `EMAIL`) and what to do with them: `BLOCK` or `ANONYMIZE`. */
  readonly piiEntities?: ReadonlyArray<{ readonly type: string; readonly action: string }>;
  /** Topics the assistant must not discuss. */
  readonly deniedTopics?: ReadonlyArray<{ readonly name: string; readonly definition: string; readonly examples?: readonly string[] }>;
  /** Words and phrases to block. */
  readonly words?: readonly string[];
  /** Block the AWS managed profanity list. */
  readonly profanityFilter?: boolean;
  /** Message returned in place of a blocked prompt. */
  readonly blockedInputMessage?: string;
  /** Message returned in place of a blocked answer. */
  readonly blockedOutputMessage?: string;
}

/** The typed configuration of one LLMOps environment. */
export interface LlmOpsConfig {
  /** The environment this configuration is for. */
  readonly environment: EnvironmentName;
  /** Prefix of the stack name (`<projectName>-<environment>`) and value of the `project` tag. */
  readonly projectName: string;
  /** AWS account and region; leave both out for an environment-agnostic stack. */
  readonly account?: string;
  /** AWS region; see `account`. */
  readonly region?: string;
  /** The network of the stack's VPC. */
  readonly network: { readonly maxAzs: number; readonly internetEgress: boolean };
  /** The inference endpoint. */
  readonly endpoint: EndpointSettings;
  /** The vector store; leave out for a stack without one. */
  readonly vectorStore?: VectorStoreSettings;
  /** The fine-tuning pipeline; leave out for a stack without one. */
  readonly fineTuning?: FineTuningSettings;
  /** Alarms, dashboard and notifications. @default - the default thresholds, no email subscriptions */
  readonly monitoring?: MonitoringSettings;
  /** The content guardrail for prompts and answers; leave out for a stack without one. */
  readonly contentGuardrail?: ContentGuardrailSettings;
  /** Keep (`retain`) or delete (`destroy`) keys, buckets and logs when they leave the stack. */
  readonly removalPolicy: 'retain' | 'destroy';
  /** Retention of log groups, in days (a value CloudWatch Logs accepts). */
  readonly logRetentionDays: number;
  /**
   * CloudFormation termination protection of the environment's stack: `cdk destroy` and stack deletion fail until it
   * is turned off.
   * @default false (prod preset: true)
   */
  readonly terminationProtection?: boolean;
  /**
   * Allow `removalPolicy: 'destroy'` in prod: deleting the stack then deletes keys, buckets, logs and data. Only for a
   * prod environment you mean to throw away.
   * @default false - prod must retain its stateful resources
   */
  readonly acknowledgeProdDataLoss?: boolean;
}

/**
 * A partial configuration, merged over a preset (objects one level deep). `null` removes an optional section of the
 * preset: `vectorStore`, `fineTuning`, `monitoring`, `contentGuardrail`, or `endpoint.autoScaling`, `deployment`,
 * `inferenceComponents`, `modelSize`.
 */
export type LlmOpsConfigOverrides = {
  readonly [K in Exclude<keyof LlmOpsConfig, 'environment'>]?: NonNullable<LlmOpsConfig[K]> extends object
    ? (undefined extends LlmOpsConfig[K] ? Partial<NonNullable<LlmOpsConfig[K]>> | null : Partial<NonNullable<LlmOpsConfig[K]>>)
    : LlmOpsConfig[K];
} & { readonly endpoint?: EndpointOverrides };

/** Endpoint overrides: `null` removes an optional part of the preset's endpoint. */
export type EndpointOverrides = {
  readonly [K in keyof EndpointSettings]?: undefined extends EndpointSettings[K] ? EndpointSettings[K] | null : EndpointSettings[K];
};

/** What every preset serves: Mistral 7B Instruct v0.3 (bf16) from the artifacts bucket, with TGI on ml.g5.2xlarge. */
const SERVED_MODEL = {
  model: { kind: 'bucket', prefix: 'models/mistral-7b-instruct-v0.3/' },
  container: 'tgi',
  instanceType: 'ml.g5.2xlarge',
  modelSize: { parametersBillions: 7.25, bytesPerParameter: 2 },
} as const;

/** Fine-tuning on one spot ml.g5.2xlarge, gated on the evaluation loss. */
const FINE_TUNING = {
  instanceType: 'ml.g5.2xlarge', instanceCount: 1, spot: true, maxRuntimeHours: 24,
  evaluation: { metric: 'eval_loss', threshold: 1.5, comparison: 'lt' },
} as const;

/** What every preset shares besides its environment. */
const COMMON = { projectName: 'LlmOps', network: { maxAzs: 2, internetEgress: false }, contentGuardrail: {} } as const;

/**
 * The presets. dev: Mistral 7B Instruct (bf16) with TGI as an inference component on 0-1 ml.g5.2xlarge that scales to
 * zero when idle (no data capture), an Aurora pgvector store that pauses when idle, destroyable.
 * staging: two instances, auto scaling to 4, canary deployments with rollback alarms, an OpenSearch Serverless
 * store without standby replicas, retained.
 * prod: like staging, scaling 2–8, a smaller canary and a longer bake, 20 % capture, standby replicas,
 * one-year logs, stack termination protection.
 * Every preset uses 2 AZs: an environment-agnostic stack cannot use more. Pin `account` and `region` and set
 * `network.maxAzs` to 3 for a production VPC over three AZs.
 */
export const PRESETS: Readonly<Record<EnvironmentName, LlmOpsConfig>> = {
  dev: {
    ...COMMON,
    environment: 'dev',
    // An inference component on a fleet of 0-1 instances: no GPU bill while nobody uses dev (no data capture here).
    endpoint: {
      ...SERVED_MODEL,
      instanceCount: 1,
      inferenceComponents: { minInstances: 0, maxInstances: 1, minCopies: 0, maxCopies: 1 },
      dataCaptureSamplingPercentage: 0,
    },
    // Aurora that pauses when idle: the cheapest vector store to leave running in dev.
    vectorStore: { kind: 'aurora-pgvector', dimension: 1024, distance: 'cosine', minCapacity: 0, maxCapacity: 2, backupRetentionDays: 1 },
    fineTuning: { ...FINE_TUNING, approval: 'automatic', onNewData: true },
    removalPolicy: 'destroy',
    logRetentionDays: 30,
  },
  staging: {
    ...COMMON,
    environment: 'staging',
    endpoint: {
      ...SERVED_MODEL,
      instanceCount: 2,
      autoScaling: { minCapacity: 2, maxCapacity: 4, targetConcurrentRequestsPerModel: 5 },
      deployment: { strategy: 'canary', sizePercent: 50, waitMinutes: 10 },
      dataCaptureSamplingPercentage: 100,
    },
    vectorStore: { kind: 'opensearch-serverless', dimension: 1024, distance: 'cosine', standbyReplicas: false },
    fineTuning: { ...FINE_TUNING, approval: 'manual', onNewData: true },
    removalPolicy: 'retain',
    logRetentionDays: 90,
  },
  prod: {
    ...COMMON,
    environment: 'prod',
    endpoint: {
      ...SERVED_MODEL,
      instanceCount: 2,
      autoScaling: { minCapacity: 2, maxCapacity: 8, targetConcurrentRequestsPerModel: 5 },
      deployment: { strategy: 'canary', sizePercent: 25, waitMinutes: 15 },
      dataCaptureSamplingPercentage: 20,
    },
    vectorStore: { kind: 'opensearch-serverless', dimension: 1024, distance: 'cosine', standbyReplicas: true },
    fineTuning: { ...FINE_TUNING, approval: 'manual', onNewData: false, schedule: 'rate(7 days)' },
    removalPolicy: 'retain',
    logRetentionDays: 365,
    terminationProtection: true,
  },
};

/** Retention periods CloudWatch Logs accepts, in days. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

/**
 * The configuration of an environment: its preset with `overrides` merged over it (one level deep), validated.
 * @throws LlmOpsValidationError naming every bad config path, its value and what is allowed
 */
export function resolveConfig(environment: string, overrides: LlmOpsConfigOverrides = {}): LlmOpsConfig {
  if (!(ENVIRONMENTS as readonly string[]).includes(environment)) {
    new PropValidator('LlmOpsConfig').fail('LLMOPS_CONFIG_ENVIRONMENT', 'environment', environment,
      `is not a preset; allowed: ${ENVIRONMENTS.join(', ')}`).throwIfInvalid();
  }
  const preset = PRESETS[environment as EnvironmentName];
  const section = <T extends object>(base: T | undefined, over: Partial<T> | null | undefined): T | undefined =>
    over === null ? undefined : over ? { ...base, ...over } as T : base;
  const merged: LlmOpsConfig = withoutUndefined({
    ...preset,
    ...overrides,
    environment: preset.environment,
    network: { ...preset.network, ...overrides.network },
    endpoint: withoutNulls({ ...preset.endpoint, ...overrides.endpoint }) as EndpointSettings,
    vectorStore: overrides.vectorStore === null ? undefined : mergeVectorStore(preset.vectorStore, overrides.vectorStore),
    fineTuning: section(preset.fineTuning, overrides.fineTuning),
    monitoring: section(preset.monitoring, overrides.monitoring),
    contentGuardrail: section(preset.contentGuardrail, overrides.contentGuardrail),
  });
  validateConfig(merged);
  return merged;
}

/**
 * Validates a configuration.
 * @throws LlmOpsValidationError naming every bad config path, its value and what is allowed
 */
export function validateConfig(c: LlmOpsConfig): void {
  const v = new PropValidator(`LlmOpsConfig (${c.environment})`);
  v.check((ENVIRONMENTS as readonly string[]).includes(c.environment), 'LLMOPS_CONFIG_ENVIRONMENT', 'environment', c.environment,
    `is not a preset; allowed: ${ENVIRONMENTS.join(', ')}`);
  v.check(PROJECT_NAME.test(c.projectName), 'LLMOPS_CONFIG_PROJECT_NAME', 'projectName', c.projectName,
    "is not usable in a stack name; allowed: a letter, then up to 63 letters, digits and '-'");
  v.check((c.account === undefined) === (c.region === undefined), 'LLMOPS_CONFIG_ENV', 'account/region', { account: c.account, region: c.region },
    'must be given together (a fixed environment) or both left out (an environment-agnostic stack)');
  if (v.range('LLMOPS_CONFIG_MAX_AZS', 'network.maxAzs', c.network.maxAzs, 1, 6) && c.network.maxAzs > 2) {
    v.check(c.account !== undefined && c.region !== undefined, 'LLMOPS_CONFIG_MAX_AZS_AGNOSTIC', 'network.maxAzs', c.network.maxAzs,
      'needs account and region: an environment-agnostic stack can place subnets in only 2 AZs');
  }
  v.check(LOG_RETENTION_DAYS.includes(c.logRetentionDays), 'LLMOPS_CONFIG_LOG_RETENTION', 'logRetentionDays', c.logRetentionDays,
    `is not a CloudWatch Logs retention; allowed: ${LOG_RETENTION_DAYS.join(', ')}`);
  v.check(isOneOf(CONFIG_CHOICES.removalPolicy, c.removalPolicy), 'LLMOPS_CONFIG_REMOVAL_POLICY', 'removalPolicy', c.removalPolicy, allowedChoices(CONFIG_CHOICES.removalPolicy));
  v.check(c.environment !== 'prod' || c.terminationProtection === true || c.acknowledgeProdDataLoss === true, 'LLMOPS_CONFIG_PROD_RETAIN', 'terminationProtection',
    c.terminationProtection ?? false, 'must stay true in prod (set acknowledgeProdDataLoss: true only for a prod you mean to throw away)');
  v.check(c.environment !== 'prod' || c.removalPolicy === 'retain' || c.acknowledgeProdDataLoss === true, 'LLMOPS_CONFIG_PROD_RETAIN', 'removalPolicy', c.removalPolicy,
    "must be 'retain' in prod: keys, buckets and logs hold the audit trail (set acknowledgeProdDataLoss: true only for a prod you mean to throw away)");
  if (c.account !== undefined) {
    v.check(AWS_ACCOUNT_ID.test(c.account), 'LLMOPS_CONFIG_ACCOUNT', 'account', c.account, 'is not an AWS account ID; allowed: 12 digits');
  }
  if (c.region !== undefined) {
    v.check(AWS_REGION_NAME.test(c.region), 'LLMOPS_CONFIG_REGION', 'region', c.region, "is not an AWS region name; allowed: e.g. 'eu-west-1', 'us-gov-west-1'");
  }

  const e = c.endpoint;
  v.check(isOneOf(CONFIG_CHOICES.container, e.container), 'LLMOPS_CONFIG_CONTAINER', 'endpoint.container', e.container, allowedChoices(CONFIG_CHOICES.container));
  if (!Token.isUnresolved(e.instanceType)) {
    try {
      GpuInstanceType.of(e.instanceType);
    } catch (err) {
      if (!LlmOpsValidationError.isLlmOpsValidationError(err)) throw err;
      for (const p of err.problems) v.fail(p.code, `endpoint.${p.prop}`, e.instanceType, p.allowed);
    }
  }
  if (e.model.kind === 'huggingFaceHub') {
    v.check(e.model.modelId.trim() !== '', 'LLMOPS_CONFIG_MODEL_ID', 'endpoint.model.modelId', e.model.modelId,
      "is empty; give a Hugging Face Hub id such as 'mistralai/Mistral-7B-Instruct-v0.3'");
    v.check(c.network.internetEgress, 'LLMOPS_CONFIG_HUB_NEEDS_EGRESS', 'network.internetEgress', c.network.internetEgress,
      "must be true when endpoint.model.kind is 'huggingFaceHub': the container downloads the weights at start-up; or stage them in S3 (kind 'bucket')");
  } else if (e.model.kind !== 'bucket') {
    v.fail('LLMOPS_CONFIG_MODEL_KIND', 'endpoint.model.kind', (e.model as { kind: unknown }).kind, "allowed: 'bucket' or 'huggingFaceHub'");
  }
  if (c.vectorStore) validateVectorStore(v, c.vectorStore);
  if (c.fineTuning) validateFineTuning(v, c.fineTuning);
  if (c.contentGuardrail) v.include(contentGuardrailPolicyProblems(contentGuardrailProps(c.contentGuardrail)), 'contentGuardrail.');
  if (e.inferenceComponents) {
    validateInferenceComponents(v, e);
  } else {
    v.range('LLMOPS_CONFIG_ENDPOINT', 'endpoint.instanceCount', e.instanceCount, 1, 1000);
    v.range('LLMOPS_CONFIG_ENDPOINT', 'endpoint.dataCaptureSamplingPercentage', e.dataCaptureSamplingPercentage, 0, 100, '%');
  }
  if (e.autoScaling) {
    const a = e.autoScaling;
    const minOk = v.range('LLMOPS_CONFIG_ENDPOINT', 'endpoint.autoScaling.minCapacity', a.minCapacity, 1, 1000);
    const maxOk = v.range('LLMOPS_CONFIG_ENDPOINT', 'endpoint.autoScaling.maxCapacity', a.maxCapacity, 1, 1000);
    if (minOk && maxOk) {
      v.check(a.minCapacity <= a.maxCapacity, 'LLMOPS_CONFIG_ENDPOINT', 'endpoint.autoScaling.minCapacity', a.minCapacity, `is greater than maxCapacity (${a.maxCapacity})`);
    }
  }
  for (const [i, email] of (c.monitoring?.alarmEmails ?? []).entries()) {
    v.check(EMAIL_ADDRESS.test(email), 'LLMOPS_CONFIG_MONITORING', `monitoring.alarmEmails[${i}]`, email, 'is not an email address');
  }
  const d = e.deployment;
  if (d) {
    v.check(isOneOf(CONFIG_CHOICES.deploymentStrategy, d.strategy), 'LLMOPS_CONFIG_DEPLOYMENT', 'endpoint.deployment.strategy', d.strategy,
      allowedChoices(CONFIG_CHOICES.deploymentStrategy));
    v.check(d.strategy === 'allAtOnce' || d.sizePercent !== undefined, 'LLMOPS_CONFIG_DEPLOYMENT', 'endpoint.deployment.sizePercent', d.sizePercent,
      `is required for the '${d.strategy}' strategy`);
    v.check(d.strategy !== 'allAtOnce' || d.sizePercent === undefined, 'LLMOPS_CONFIG_DEPLOYMENT', 'endpoint.deployment.sizePercent', d.sizePercent,
      "has no meaning for the 'allAtOnce' strategy; remove it");
    v.range('LLMOPS_CONFIG_DEPLOYMENT', 'endpoint.deployment.waitMinutes', d.waitMinutes, 0, 60, 'minutes');
    if (d.sizePercent !== undefined && d.strategy !== 'allAtOnce') {
      v.range('LLMOPS_CONFIG_DEPLOYMENT', 'endpoint.deployment.sizePercent', d.sizePercent, d.strategy === 'canary' ? 1 : 10, 50, `% (SageMaker's ${d.strategy} limits)`);
    }
  }
  v.throwIfInvalid();
}

/**
 * The `ContentGuardrail` props of the settings. The settings hold plain strings (they come from JSON as often as
 * from code); `contentGuardrailPolicyProblems` checks each against the enums.
 */
export function contentGuardrailProps(s: ContentGuardrailSettings): ContentGuardrailProps {
  return s as ContentGuardrailProps;
}

function validateInferenceComponents(v: PropValidator, e: EndpointSettings): void {
  const ic = e.inferenceComponents!;
  const mode = 'in inference-component mode (endpoint.inferenceComponents)';
  v.check(e.autoScaling === undefined, 'LLMOPS_CONFIG_IC_MODE', 'endpoint.autoScaling', e.autoScaling,
    `does not apply ${mode}: SageMaker scales the fleet; set minCopies/maxCopies instead, or remove inferenceComponents`);
  v.check(e.deployment === undefined, 'LLMOPS_CONFIG_IC_MODE', 'endpoint.deployment', e.deployment,
    `does not apply ${mode}: inference components update by rolling copies, not blue/green; remove it, or remove inferenceComponents`);
  v.check(e.dataCaptureSamplingPercentage === 0, 'LLMOPS_CONFIG_IC_MODE', 'endpoint.dataCaptureSamplingPercentage', e.dataCaptureSamplingPercentage,
    `must be 0 ${mode}: this library captures data on classic endpoints only`);
  v.range('LLMOPS_CONFIG_IC_MODE', 'endpoint.inferenceComponents.minInstances', ic.minInstances, 0, 1000);
  if (ic.maxInstances === 0) {
    v.fail('LLMOPS_FLEET_EMPTY', 'endpoint.inferenceComponents.maxInstances', 0, 'leaves no instance for the model; allowed: at least 1 (minInstances 0 is what scales to zero)');
  } else {
    v.range('LLMOPS_CONFIG_IC_MODE', 'endpoint.inferenceComponents.maxInstances', ic.maxInstances, 1, 1000);
  }
  v.range('LLMOPS_CONFIG_IC_MODE', 'endpoint.inferenceComponents.minCopies', ic.minCopies, 0, 1000);
  v.range('LLMOPS_CONFIG_IC_MODE', 'endpoint.inferenceComponents.maxCopies', ic.maxCopies, 1, 1000);
  v.check(ic.minInstances <= ic.maxInstances, 'LLMOPS_FLEET_ORDER', 'endpoint.inferenceComponents.minInstances', ic.minInstances,
    `is greater than maxInstances (${ic.maxInstances})`);
  if (ic.targetConcurrentRequestsPerCopy !== undefined) {
    v.check(ic.minCopies !== ic.maxCopies || ic.minCopies === 0, 'LLMOPS_SCALING_UNUSED', 'endpoint.inferenceComponents.targetConcurrentRequestsPerCopy',
      ic.targetConcurrentRequestsPerCopy, `has no effect with a fixed copy count (minCopies = maxCopies = ${ic.maxCopies}); give the copies a range, or remove it`);
    v.range('LLMOPS_SCALING_TARGET', 'endpoint.inferenceComponents.targetConcurrentRequestsPerCopy', ic.targetConcurrentRequestsPerCopy, 0.1, 100_000, '', true);
  }
  if (ic.acceleratorsPerCopy !== undefined) v.range('LLMOPS_COMPONENT_ACCELERATORS', 'endpoint.inferenceComponents.acceleratorsPerCopy', ic.acceleratorsPerCopy, 1, 64);
  v.check(ic.minCopies <= ic.maxCopies, 'LLMOPS_COPY_ORDER', 'endpoint.inferenceComponents.minCopies', ic.minCopies, `is greater than maxCopies (${ic.maxCopies})`);
  v.check(ic.minInstances > 0 || ic.minCopies === 0, 'LLMOPS_FLEET_NEVER_ZERO', 'endpoint.inferenceComponents.minInstances', 0,
    'needs minCopies 0: the fleet scales to zero only when no copy runs');
  v.check(e.instanceCount >= Math.max(ic.minInstances, 1) && e.instanceCount <= ic.maxInstances, 'LLMOPS_FLEET_ORDER', 'endpoint.instanceCount', e.instanceCount,
    `is the fleet's initial size ${mode}; allowed: ${Math.max(ic.minInstances, 1)}-${ic.maxInstances}`);
}

/** `o` without the keys whose value is `null` (an override that removes a part of the preset). */
function withoutNulls<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null)) as T;
}

/** `o` without the keys whose value is `undefined` (a removed section). */
function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Overrides merge over the preset's store, unless they switch its kind: then they replace it. */
/**
 * A vector store merged over another: `override` over `preset`, except that a store of another kind replaces the
 * preset's instead of merging into it; `null` or nothing keeps the preset.
 */
export function mergeVectorStore(preset?: VectorStoreSettings, override?: Partial<VectorStoreSettings> | null): VectorStoreSettings | undefined {
  if (!override) return preset;
  if (!preset || (override.kind !== undefined && override.kind !== preset.kind)) return override as VectorStoreSettings;
  return { ...preset, ...override };
}

function validateVectorStore(v: PropValidator, s: VectorStoreSettings): void {
  if (!isOneOf(CONFIG_CHOICES.vectorStoreKind, s.kind)) {
    v.fail('LLMOPS_CONFIG_VECTOR_STORE', 'vectorStore.kind', s.kind, allowedChoices(CONFIG_CHOICES.vectorStoreKind));
    return;
  }
  v.check(isOneOf(CONFIG_CHOICES.distance, s.distance), 'LLMOPS_CONFIG_VECTOR_STORE', 'vectorStore.distance', s.distance,
    allowedChoices(CONFIG_CHOICES.distance));
  const aurora = s.kind === 'aurora-pgvector';
  v.check(s.dimension !== undefined, 'LLMOPS_CONFIG_VECTOR_STORE', 'vectorStore.dimension', s.dimension, 'is required: the dimension of your embedding model');
  v.range('LLMOPS_CONFIG_VECTOR_STORE', 'vectorStore.dimension', s.dimension, 1, aurora ? 2000 : 16000,
    aurora ? '(a pgvector HNSW index supports at most 2000)' : '');
  const foreign: Array<keyof VectorStoreSettings> = aurora ? ['standbyReplicas'] : ['minCapacity', 'maxCapacity', 'backupRetentionDays'];
  if (aurora) {
    v.range('LLMOPS_CONFIG_VECTOR_STORE', 'vectorStore.backupRetentionDays', s.backupRetentionDays, 1, 35, 'days');
    const minOk = v.range('LLMOPS_CONFIG_VECTOR_STORE', 'vectorStore.minCapacity', s.minCapacity, 0, 256, 'ACU', true);
    const maxOk = v.range('LLMOPS_CONFIG_VECTOR_STORE', 'vectorStore.maxCapacity', s.maxCapacity, 1, 256, 'ACU', true);
    if (minOk && maxOk) v.check(s.minCapacity! <= s.maxCapacity!, 'LLMOPS_CONFIG_VECTOR_STORE', 'vectorStore.minCapacity', s.minCapacity, `is greater than maxCapacity (${s.maxCapacity})`);
  }
  for (const key of foreign) {
    v.check(s[key] === undefined, 'LLMOPS_CONFIG_VECTOR_STORE', `vectorStore.${key}`, s[key], `applies only to ${aurora ? "'opensearch-serverless'" : "'aurora-pgvector'"}; remove it`);
  }
}

function validateFineTuning(v: PropValidator, f: FineTuningSettings): void {
  try {
    GpuInstanceType.ofTraining(f.instanceType);
  } catch (err) {
    if (!LlmOpsValidationError.isLlmOpsValidationError(err)) throw err;
    for (const p of err.problems) v.fail(p.code, `fineTuning.${p.prop}`, f.instanceType, p.allowed);
  }
  v.range('LLMOPS_CONFIG_FINE_TUNING', 'fineTuning.maxRuntimeHours', f.maxRuntimeHours, 1, 672, 'hours (28 days)');
  v.range('LLMOPS_CONFIG_FINE_TUNING', 'fineTuning.instanceCount', f.instanceCount, 1, 100);
  v.check(isOneOf(CONFIG_CHOICES.comparison, f.evaluation?.comparison), 'LLMOPS_CONFIG_FINE_TUNING', 'fineTuning.evaluation.comparison',
    f.evaluation?.comparison, allowedChoices(CONFIG_CHOICES.comparison));
  v.check(isOneOf(CONFIG_CHOICES.approval, f.approval), 'LLMOPS_CONFIG_FINE_TUNING', 'fineTuning.approval', f.approval, allowedChoices(CONFIG_CHOICES.approval));
  if (f.schedule !== undefined) {
    v.check(/^(rate|cron)\(.+\)$/.test(f.schedule), 'LLMOPS_CONFIG_FINE_TUNING', 'fineTuning.schedule', f.schedule,
      "is not an EventBridge schedule expression; allowed: 'rate(7 days)' or 'cron(0 3 ? * SUN *)'");
  }
}
