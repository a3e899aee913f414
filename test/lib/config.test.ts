import {
  EnvironmentName, ENVIRONMENTS, LlmOpsConfig, LlmOpsConfigOverrides, LlmOpsValidationError, ModelSourceSettings, PRESETS, resolveConfig, validateConfig,
} from '../../lib';
import { validationError } from '../util';

/** The error resolveConfig throws for `overrides` over the `environment` preset. */
function configError(environment: string, overrides: LlmOpsConfigOverrides): LlmOpsValidationError {
  return validationError(() => resolveConfig(environment, overrides));
}

const RETENTIONS = '1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653';

describe('The presets', () => {
  test('there is one preset per environment, in promotion order', () => {
    expect(ENVIRONMENTS).toEqual(['dev', 'staging', 'prod']);
    expect(Object.keys(PRESETS)).toEqual(['dev', 'staging', 'prod']);
    for (const env of ENVIRONMENTS) expect(PRESETS[env].environment).toBe(env);
  });

  test.each(ENVIRONMENTS)('the %s preset passes validateConfig', env => {
    expect(() => validateConfig(PRESETS[env])).not.toThrow();
  });

  test.each(ENVIRONMENTS)('resolveConfig(%s) without overrides returns the preset unchanged', env => {
    expect(resolveConfig(env)).toEqual(PRESETS[env]);
  });

  test('dev serves on one ml.g5.2xlarge, without scaling or guarded deployments, and is destroyable', () => {
    const dev = PRESETS.dev;
    expect(dev.endpoint.instanceType).toBe('ml.g5.2xlarge');
    expect(dev.endpoint.instanceCount).toBe(1);
    expect(dev.endpoint.autoScaling).toBeUndefined();
    expect(dev.endpoint.deployment).toBeUndefined();
    expect(dev.removalPolicy).toBe('destroy');
  });

  test('staging scales 2 to 4 and deploys with a 50 % canary and a 10-minute bake, and is retained', () => {
    const staging = PRESETS.staging;
    expect(staging.endpoint.autoScaling).toMatchObject({ minCapacity: 2, maxCapacity: 4 });
    expect(staging.endpoint.deployment).toEqual({ strategy: 'canary', sizePercent: 50, waitMinutes: 10 });
    expect(staging.removalPolicy).toBe('retain');
  });

  test('prod spans two AZs (an environment-agnostic stack cannot use more), scales 2 to 8, deploys with a 25 % canary and a 15-minute bake, keeps logs a year and is retained', () => {
    const prod = PRESETS.prod;
    expect(prod.network.maxAzs).toBe(2);
    expect(prod.endpoint.autoScaling).toMatchObject({ minCapacity: 2, maxCapacity: 8 });
    expect(prod.endpoint.deployment).toEqual({ strategy: 'canary', sizePercent: 25, waitMinutes: 15 });
    expect(prod.logRetentionDays).toBe(365);
    expect(prod.removalPolicy).toBe('retain');
  });

  test('every preset keeps the weights in the artifacts bucket and needs no internet egress', () => {
    for (const env of ENVIRONMENTS) {
      expect(PRESETS[env].endpoint.model).toEqual({ kind: 'bucket', prefix: 'models/mistral-7b-instruct-v0.3/' });
      expect(PRESETS[env].network.internetEgress).toBe(false);
    }
  });
});

describe('When resolveConfig merges overrides over a preset', () => {
  test('an endpoint.instanceCount override keeps the rest of the endpoint settings', () => {
    const c = resolveConfig('staging', { endpoint: { instanceCount: 3 } });
    expect(c.endpoint).toEqual({ ...PRESETS.staging.endpoint, instanceCount: 3 });
  });

  test('a network.internetEgress override keeps network.maxAzs', () => {
    const c = resolveConfig('prod', { network: { internetEgress: true } });
    expect(c.network).toEqual({ maxAzs: 2, internetEgress: true });
  });

  test('top-level overrides replace the preset value and leave the other settings alone', () => {
    const c = resolveConfig('dev', { projectName: 'Chat', account: '111122223333', region: 'eu-west-1', logRetentionDays: 7 });
    expect(c).toEqual({ ...PRESETS.dev, projectName: 'Chat', account: '111122223333', region: 'eu-west-1', logRetentionDays: 7 });
  });

  test('the merge is one level deep: a nested object such as endpoint.autoScaling is replaced, not merged', () => {
    const c = resolveConfig('staging', { endpoint: { autoScaling: { minCapacity: 1, maxCapacity: 3 } } });
    expect(c.endpoint.autoScaling).toEqual({ minCapacity: 1, maxCapacity: 3 });
    expect(c.endpoint.deployment).toEqual(PRESETS.staging.endpoint.deployment);
  });

  test('an environment override cannot turn one preset into another', () => {
    const c = resolveConfig('dev', { environment: 'prod' } as LlmOpsConfigOverrides);
    expect(c.environment).toBe('dev');
    expect(c.removalPolicy).toBe('destroy');
  });

  test('the presets themselves are left unchanged', () => {
    const before = JSON.stringify(PRESETS);
    resolveConfig('staging', { network: { maxAzs: 1 }, endpoint: { instanceCount: 4 }, logRetentionDays: 60 });
    expect(JSON.stringify(PRESETS)).toBe(before);
  });
});

describe('When a configuration breaks a rule', () => {
  test('an unknown environment fails, listing the presets', () => {
    const e = validationError(() => resolveConfig('qa'));
    expect(e.codes).toEqual(['LLMOPS_CONFIG_ENVIRONMENT']);
    expect(e.message).toBe("LlmOpsConfig: environment 'qa' is not a preset; allowed: dev, staging, prod [LLMOPS_CONFIG_ENVIRONMENT]");
  });

  test.each(['1llmops', 'llm_ops', '', 'a'.repeat(65)])('projectName %p fails as unusable in a stack name', projectName => {
    const e = configError('dev', { projectName });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_PROJECT_NAME']);
    expect(e.message).toBe(
      `LlmOpsConfig (dev): projectName '${projectName}' is not usable in a stack name; allowed: a letter, then up to 63 letters, digits and '-' [LLMOPS_CONFIG_PROJECT_NAME]`);
  });

  test('a projectName of a letter followed by 63 letters, digits and dashes is accepted', () => {
    expect(resolveConfig('dev', { projectName: `L${'a1-'.repeat(21)}` }).projectName).toHaveLength(64);
  });

  test('an account without a region fails', () => {
    const e = configError('dev', { account: '111122223333' });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_ENV']);
    expect(e.message).toBe(
      'LlmOpsConfig (dev): account/region {"account":"111122223333"} must be given together (a fixed environment) or both left out (an environment-agnostic stack) [LLMOPS_CONFIG_ENV]');
  });

  test('a region without an account fails', () => {
    const e = configError('staging', { region: 'eu-west-1' });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_ENV']);
    expect(e.message).toContain('account/region {"region":"eu-west-1"} must be given together');
  });

  test.each([0, 7, 2.5])('network.maxAzs %p fails as out of range', maxAzs => {
    const e = configError('dev', { network: { maxAzs } });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_MAX_AZS']);
    expect(e.message).toBe(`LlmOpsConfig (dev): network.maxAzs ${maxAzs} is out of range; allowed: an integer from 1 to 6 [LLMOPS_CONFIG_MAX_AZS]`);
  });

  test('network.maxAzs 3 without account and region fails: an environment-agnostic stack has only 2 AZs', () => {
    const e = configError('prod', { network: { maxAzs: 3 } });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_MAX_AZS_AGNOSTIC']);
    expect(e.message).toBe('LlmOpsConfig (prod): network.maxAzs 3 needs account and region: an environment-agnostic stack can place subnets in only 2 AZs [LLMOPS_CONFIG_MAX_AZS_AGNOSTIC]');
    expect(resolveConfig('prod', { network: { maxAzs: 3 }, account: '111122223333', region: 'eu-west-1' }).network.maxAzs).toBe(3);
  });

  test('an empty Hugging Face Hub model id fails', () => {
    const e = configError('dev', { network: { internetEgress: true }, endpoint: { model: { kind: 'huggingFaceHub', modelId: ' ' } } });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_MODEL_ID']);
    expect(e.message).toContain("endpoint.model.modelId ' ' is empty; give a Hugging Face Hub id");
  });

  test('a sizePercent with the allAtOnce strategy fails rather than being ignored', () => {
    const e = configError('staging', { endpoint: { deployment: { strategy: 'allAtOnce', sizePercent: 10, waitMinutes: 5 } } });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_DEPLOYMENT']);
    expect(e.message).toContain("endpoint.deployment.sizePercent 10 has no meaning for the 'allAtOnce' strategy; remove it");
  });

  test('validateConfig rejects an environment that is not a preset', () => {
    const e = validationError(() => validateConfig({ ...PRESETS.dev, environment: 'qa' as EnvironmentName }));
    expect(e.codes).toEqual(['LLMOPS_CONFIG_ENVIRONMENT']);
    expect(e.message).toBe("LlmOpsConfig (qa): environment 'qa' is not a preset; allowed: dev, staging, prod [LLMOPS_CONFIG_ENVIRONMENT]");
  });

  test('a logRetentionDays that CloudWatch Logs does not accept fails, listing the accepted values', () => {
    const e = configError('dev', { logRetentionDays: 45 });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_LOG_RETENTION']);
    expect(e.message).toBe(`LlmOpsConfig (dev): logRetentionDays 45 is not a CloudWatch Logs retention; allowed: ${RETENTIONS} [LLMOPS_CONFIG_LOG_RETENTION]`);
  });

  test('a removalPolicy other than retain or destroy fails', () => {
    const e = configError('dev', { removalPolicy: 'snapshot' as LlmOpsConfig['removalPolicy'] });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_REMOVAL_POLICY']);
    expect(e.message).toBe("LlmOpsConfig (dev): removalPolicy 'snapshot' allowed: 'retain' or 'destroy' [LLMOPS_CONFIG_REMOVAL_POLICY]");
  });

  test('prod with removalPolicy destroy fails', () => {
    const e = configError('prod', { removalPolicy: 'destroy' });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_PROD_RETAIN']);
    expect(e.message).toBe(
      "LlmOpsConfig (prod): removalPolicy 'destroy' must be 'retain' in prod: keys, buckets and logs hold the audit trail (set acknowledgeProdDataLoss: true only for a prod you mean to throw away) [LLMOPS_CONFIG_PROD_RETAIN]");
  });

  test('validateConfig rejects a prod configuration with destroy when called directly', () => {
    const e = validationError(() => validateConfig({ ...PRESETS.prod, removalPolicy: 'destroy' }));
    expect(e.codes).toEqual(['LLMOPS_CONFIG_PROD_RETAIN']);
  });

  test('staging with removalPolicy destroy is accepted', () => {
    expect(resolveConfig('staging', { removalPolicy: 'destroy' }).removalPolicy).toBe('destroy');
  });

  test('a container other than tgi or lmi fails', () => {
    const e = configError('dev', { endpoint: { container: 'vllm' as 'tgi' } });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_CONTAINER']);
    expect(e.message).toBe("LlmOpsConfig (dev): endpoint.container 'vllm' allowed: 'tgi' or 'lmi' [LLMOPS_CONFIG_CONTAINER]");
  });

  test('the lmi container is accepted', () => {
    expect(resolveConfig('dev', { endpoint: { container: 'lmi' } }).endpoint.container).toBe('lmi');
  });

  test('an instanceType without a GPU fails, naming endpoint.instanceType and the value', () => {
    const e = configError('staging', { endpoint: { instanceType: 'ml.m5.large' } });
    expect(e.codes).toEqual(['LLMOPS_INSTANCE_NO_GPU']);
    expect(e.problems[0]).toMatchObject({ prop: 'endpoint.instanceType', value: "'ml.m5.large'" });
    expect(e.message).toMatch(
      /^LlmOpsConfig \(staging\): endpoint\.instanceType 'ml\.m5\.large' has no GPU or accelerator; use one of ml\.g4dn\.\*, ml\.g5\.\*.* \[LLMOPS_INSTANCE_NO_GPU\]$/);
  });

  test('an instanceType that is not a SageMaker hosting type fails, naming endpoint.instanceType and the value', () => {
    const e = configError('dev', { endpoint: { instanceType: 'ml.g5.3xlarge' } });
    expect(e.codes).toEqual(['LLMOPS_INSTANCE_UNKNOWN']);
    expect(e.message).toMatch(
      /^LlmOpsConfig \(dev\): endpoint\.instanceType 'ml\.g5\.3xlarge' is not a SageMaker hosting instance type; .* \[LLMOPS_INSTANCE_UNKNOWN\]$/);
  });

  test('another catalogued GPU instanceType is accepted', () => {
    expect(resolveConfig('dev', { endpoint: { instanceType: 'ml.g6e.xlarge' } }).endpoint.instanceType).toBe('ml.g6e.xlarge');
  });

  test('a huggingFaceHub model without network.internetEgress fails', () => {
    const e = configError('dev', { endpoint: { model: { kind: 'huggingFaceHub', modelId: 'mistralai/Mistral-7B-Instruct-v0.3' } } });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_HUB_NEEDS_EGRESS']);
    expect(e.message).toBe(
      "LlmOpsConfig (dev): network.internetEgress false must be true when endpoint.model.kind is 'huggingFaceHub': the container downloads the weights at start-up; or stage them in S3 (kind 'bucket') [LLMOPS_CONFIG_HUB_NEEDS_EGRESS]");
  });

  test('a huggingFaceHub model with network.internetEgress true is accepted', () => {
    const c = resolveConfig('dev', {
      network: { internetEgress: true },
      endpoint: { model: { kind: 'huggingFaceHub', modelId: 'mistralai/Mistral-7B-Instruct-v0.3' } },
    });
    expect(c.endpoint.model).toEqual({ kind: 'huggingFaceHub', modelId: 'mistralai/Mistral-7B-Instruct-v0.3' });
  });

  test('an unknown model kind fails', () => {
    const e = configError('dev', { endpoint: { model: { kind: 'ollama', prefix: 'x/' } as unknown as ModelSourceSettings } });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_MODEL_KIND']);
    expect(e.message).toBe("LlmOpsConfig (dev): endpoint.model.kind 'ollama' allowed: 'bucket' or 'huggingFaceHub' [LLMOPS_CONFIG_MODEL_KIND]");
  });

  test('an unknown deployment strategy fails', () => {
    const e = configError('staging', { endpoint: { deployment: { strategy: 'blueGreen' as 'canary', sizePercent: 10, waitMinutes: 5 } } });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_DEPLOYMENT']);
    expect(e.message).toBe(
      "LlmOpsConfig (staging): endpoint.deployment.strategy 'blueGreen' allowed: 'canary', 'linear' or 'allAtOnce' [LLMOPS_CONFIG_DEPLOYMENT]");
  });

  test.each(['canary', 'linear'] as const)('a %s deployment without sizePercent fails', strategy => {
    const e = configError('staging', { endpoint: { deployment: { strategy, waitMinutes: 5 } } });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_DEPLOYMENT']);
    expect(e.message).toBe(
      `LlmOpsConfig (staging): endpoint.deployment.sizePercent undefined is required for the '${strategy}' strategy [LLMOPS_CONFIG_DEPLOYMENT]`);
  });

  test('an allAtOnce deployment without sizePercent is accepted', () => {
    const c = resolveConfig('staging', { endpoint: { deployment: { strategy: 'allAtOnce', waitMinutes: 0 } } });
    expect(c.endpoint.deployment).toEqual({ strategy: 'allAtOnce', waitMinutes: 0 });
  });

  test.each([-1, 61, 2.5])('deployment waitMinutes %p fails as out of range', waitMinutes => {
    const e = configError('prod', { endpoint: { deployment: { strategy: 'canary', sizePercent: 10, waitMinutes } } });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_DEPLOYMENT']);
    expect(e.message).toBe(
      `LlmOpsConfig (prod): endpoint.deployment.waitMinutes ${waitMinutes} is out of range; allowed: an integer from 0 to 60 minutes [LLMOPS_CONFIG_DEPLOYMENT]`);
  });

  test('deployment waitMinutes 60 is accepted', () => {
    expect(resolveConfig('prod', { endpoint: { deployment: { strategy: 'linear', sizePercent: 20, waitMinutes: 60 } } }).endpoint.deployment?.waitMinutes).toBe(60);
  });
});

describe('When a configuration has several problems', () => {
  let e: LlmOpsValidationError;

  beforeAll(() => {
    e = configError('prod', {
      projectName: '9lives',
      account: '111122223333',
      logRetentionDays: 45,
      removalPolicy: 'destroy',
      endpoint: { instanceType: 'ml.m5.large', deployment: { strategy: 'canary', waitMinutes: 90 } },
    });
  });

  test('one error lists every problem, in rule order, with its code', () => {
    expect(e.codes).toEqual([
      'LLMOPS_CONFIG_PROJECT_NAME',
      'LLMOPS_CONFIG_ENV',
      'LLMOPS_CONFIG_LOG_RETENTION',
      'LLMOPS_CONFIG_PROD_RETAIN',
      'LLMOPS_INSTANCE_NO_GPU',
      'LLMOPS_CONFIG_DEPLOYMENT',
      'LLMOPS_CONFIG_DEPLOYMENT',
    ]);
    expect(e.problems.map(p => p.prop)).toEqual([
      'projectName', 'account/region', 'logRetentionDays', 'removalPolicy', 'endpoint.instanceType',
      'endpoint.deployment.sizePercent', 'endpoint.deployment.waitMinutes',
    ]);
  });

  test('the message names the environment, the number of problems and one line per problem', () => {
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('LlmOpsConfig (prod) has 7 invalid props:');
    expect(lines).toHaveLength(8);
    expect(lines[1]).toBe("  - projectName '9lives' is not usable in a stack name; allowed: a letter, then up to 63 letters, digits and '-' [LLMOPS_CONFIG_PROJECT_NAME]");
    expect(lines[4]).toBe("  - removalPolicy 'destroy' must be 'retain' in prod: keys, buckets and logs hold the audit trail (set acknowledgeProdDataLoss: true only for a prod you mean to throw away) [LLMOPS_CONFIG_PROD_RETAIN]");
    expect(lines[5]).toMatch(/^ {2}- endpoint\.instanceType 'ml\.m5\.large' has no GPU or accelerator;/);
    expect(lines[7]).toBe('  - endpoint.deployment.waitMinutes 90 is out of range; allowed: an integer from 0 to 60 minutes [LLMOPS_CONFIG_DEPLOYMENT]');
  });
});

describe('When the vector store configuration is resolved and validated', () => {
  test('dev pauses an Aurora pgvector store; staging and prod use OpenSearch Serverless, with standby replicas only in prod', () => {
    expect(PRESETS.dev.vectorStore).toEqual({ kind: 'aurora-pgvector', dimension: 1024, distance: 'cosine', minCapacity: 0, maxCapacity: 2, backupRetentionDays: 1 });
    expect(PRESETS.staging.vectorStore).toMatchObject({ kind: 'opensearch-serverless', standbyReplicas: false });
    expect(PRESETS.prod.vectorStore).toMatchObject({ kind: 'opensearch-serverless', standbyReplicas: true });
  });

  test('an override of one field keeps the rest of the preset store', () => {
    expect(resolveConfig('dev', { vectorStore: { dimension: 768 } }).vectorStore).toEqual({ ...PRESETS.dev.vectorStore, dimension: 768 });
  });

  test('an override that switches the kind replaces the preset store instead of merging foreign options', () => {
    const c = resolveConfig('dev', { vectorStore: { kind: 'opensearch-serverless', dimension: 1536, distance: 'inner-product' } });
    expect(c.vectorStore).toEqual({ kind: 'opensearch-serverless', dimension: 1536, distance: 'inner-product' });
  });

  test.each([
    [{ kind: 'pinecone' }, "vectorStore.kind 'pinecone' allowed: 'opensearch-serverless' or 'aurora-pgvector'"],
    [{ distance: 'manhattan' }, "vectorStore.distance 'manhattan' allowed: 'cosine', 'euclidean' or 'inner-product'"],
    [{ dimension: 2001 }, 'vectorStore.dimension 2001 is out of range; allowed: an integer from 1 to 2000 (a pgvector HNSW index supports at most 2000)'],
    [{ standbyReplicas: true }, "vectorStore.standbyReplicas true applies only to 'opensearch-serverless'; remove it"],
  ])('a bad vector store setting %p fails with its message', (vectorStore, message) => {
    const e = configError('dev', { vectorStore } as LlmOpsConfigOverrides);
    expect(e.codes).toEqual(['LLMOPS_CONFIG_VECTOR_STORE']);
    expect(e.message).toContain(`LlmOpsConfig (dev): ${message}`);
  });

  test('OpenSearch Serverless accepts up to 16000 dimensions but no Aurora capacity', () => {
    expect(resolveConfig('prod', { vectorStore: { dimension: 16000 } }).vectorStore?.dimension).toBe(16000);
    const e = configError('prod', { vectorStore: { minCapacity: 1 } });
    expect(e.message).toContain("vectorStore.minCapacity 1 applies only to 'aurora-pgvector'; remove it");
  });
});

describe('When the fine-tuning configuration is resolved and validated', () => {
  test('dev approves automatically; staging and prod wait for a person, and prod retrains weekly', () => {
    expect(PRESETS.dev.fineTuning).toMatchObject({ approval: 'automatic', onNewData: true, spot: true, instanceType: 'ml.g5.2xlarge' });
    expect(PRESETS.staging.fineTuning).toMatchObject({ approval: 'manual' });
    expect(PRESETS.prod.fineTuning).toMatchObject({ approval: 'manual', schedule: 'rate(7 days)' });
  });

  test('an override of one field keeps the rest of the preset pipeline', () => {
    expect(resolveConfig('dev', { fineTuning: { instanceCount: 2 } }).fineTuning).toEqual({ ...PRESETS.dev.fineTuning, instanceCount: 2 });
  });

  test.each([
    [{ instanceType: 'ml.m5.xlarge' }, 'LLMOPS_INSTANCE_NO_GPU', "fineTuning.instanceType 'ml.m5.xlarge' has no GPU or accelerator"],
    [{ maxRuntimeHours: 700 }, 'LLMOPS_CONFIG_FINE_TUNING', 'fineTuning.maxRuntimeHours 700 is out of range; allowed: an integer from 1 to 672 hours (28 days)'],
    [{ approval: 'sometimes' }, 'LLMOPS_CONFIG_FINE_TUNING', "fineTuning.approval 'sometimes' allowed: 'manual' or 'automatic'"],
    [{ schedule: 'every monday' }, 'LLMOPS_CONFIG_FINE_TUNING', "fineTuning.schedule 'every monday' is not an EventBridge schedule expression"],
    [{ evaluation: { metric: 'eval_loss', threshold: 1, comparison: 'eq' } }, 'LLMOPS_CONFIG_FINE_TUNING', "fineTuning.evaluation.comparison 'eq' allowed: 'lt', 'lte', 'gt' or 'gte'"],
  ])('a bad fine-tuning setting %p fails with its message', (fineTuning, code, message) => {
    const e = configError('dev', { fineTuning } as LlmOpsConfigOverrides);
    expect(e.codes).toEqual([code]);
    expect(e.message).toContain(`LlmOpsConfig (dev): ${message}`);
  });
});

describe('When a configuration sets the content guardrail', () => {
  test('every preset has a content guardrail with the construct defaults', () => {
    for (const environment of ENVIRONMENTS) expect(PRESETS[environment].contentGuardrail).toEqual({});
  });

  test('overrides merge over the preset guardrail', () => {
    const config = resolveConfig('prod', { contentGuardrail: { words: ['Project Falcon'], profanityFilter: false } });
    expect(config.contentGuardrail).toEqual({ words: ['Project Falcon'], profanityFilter: false });
  });

  test('a filter strength not in the allowed set fails, naming the config path', () => {
    const e = configError('dev', { contentGuardrail: { contentFilters: [{ type: 'HATE', inputStrength: 'EXTREME', outputStrength: 'HIGH' }] } });
    expect(e.codes).toEqual(['LLMOPS_GUARDRAIL_FILTER_STRENGTH']);
    expect(e.message).toBe("LlmOpsConfig (dev): contentGuardrail.contentFilters[0].inputStrength 'EXTREME' is not a filter strength; allowed: NONE, LOW, MEDIUM, HIGH [LLMOPS_GUARDRAIL_FILTER_STRENGTH]");
  });

  test('prompt-attack filtering on answers fails: Bedrock filters prompt attacks on prompts only', () => {
    const e = configError('dev', { contentGuardrail: { contentFilters: [{ type: 'PROMPT_ATTACK', inputStrength: 'HIGH', outputStrength: 'LOW' }] } });
    expect(e.codes).toEqual(['LLMOPS_GUARDRAIL_PROMPT_ATTACK_OUTPUT']);
    expect(e.message).toMatch(/^LlmOpsConfig \(dev\): contentGuardrail\.contentFilters\[0\]\.outputStrength 'LOW' /);
  });

  test('an unknown PII entity type fails, naming the config path and the value', () => {
    const e = configError('dev', { contentGuardrail: { piiEntities: [{ type: 'SHOE_SIZE', action: 'BLOCK' }] } });
    expect(e.codes).toEqual(['LLMOPS_GUARDRAIL_PII_TYPE']);
    expect(e.message).toMatch(/^LlmOpsConfig \(dev\): contentGuardrail\.piiEntities\[0\]\.type 'SHOE_SIZE' is not a PII entity type that Bedrock Guardrails detect; allowed: ADDRESS, /);
  });

  test('an empty denied topic fails, naming its name and definition', () => {
    const e = configError('staging', { contentGuardrail: { deniedTopics: [{ name: '', definition: ' ' }] } });
    expect(e.codes).toEqual(['LLMOPS_GUARDRAIL_TOPIC_NAME', 'LLMOPS_GUARDRAIL_TOPIC_DEFINITION']);
    expect(e.problems.map(p => p.prop)).toEqual(['contentGuardrail.deniedTopics[0].name', 'contentGuardrail.deniedTopics[0].definition']);
  });
});

describe('When a configuration chooses inference-component mode', () => {
  const IC = { minInstances: 0, maxInstances: 1, minCopies: 0, maxCopies: 1 };

  test('the dev preset scales to zero on inference components and captures no data; staging and prod stay classic', () => {
    expect(PRESETS.dev.endpoint.inferenceComponents).toEqual(IC);
    expect(PRESETS.dev.endpoint.dataCaptureSamplingPercentage).toBe(0);
    expect(PRESETS.staging.endpoint.inferenceComponents).toBeUndefined();
    expect(PRESETS.prod.endpoint.inferenceComponents).toBeUndefined();
  });

  test('auto scaling, a deployment policy and data capture fail in this mode instead of being ignored', () => {
    const e = configError('staging', { endpoint: { inferenceComponents: { minInstances: 1, maxInstances: 2, minCopies: 1, maxCopies: 2 } } });
    expect(e.codes).toEqual(['LLMOPS_CONFIG_IC_MODE', 'LLMOPS_CONFIG_IC_MODE', 'LLMOPS_CONFIG_IC_MODE']);
    expect(e.problems.map(p => p.prop)).toEqual(['endpoint.autoScaling', 'endpoint.deployment', 'endpoint.dataCaptureSamplingPercentage']);
    expect(e.message).toContain('endpoint.deployment {"strategy":"canary","sizePercent":50,"waitMinutes":10} does not apply in inference-component mode (endpoint.inferenceComponents): inference components update by rolling copies, not blue/green');
  });

  test('a fleet of at most 0 instances fails', () => {
    const e = configError('dev', { endpoint: { inferenceComponents: { ...IC, maxInstances: 0 }, instanceCount: 1 } });
    expect(e.codes).toEqual(['LLMOPS_FLEET_EMPTY', 'LLMOPS_FLEET_ORDER']);
    expect(e.problems.map(p => `${p.prop} ${p.value} ${p.allowed}`)).toEqual([
      'endpoint.inferenceComponents.maxInstances 0 leaves no instance for the model; allowed: at least 1 (minInstances 0 is what scales to zero)',
      "endpoint.instanceCount 1 is the fleet's initial size in inference-component mode (endpoint.inferenceComponents); allowed: 1-0",
    ]);
  });

  test('a scaling target with a fixed copy count fails rather than being ignored', () => {
    const e = configError('dev', { endpoint: { inferenceComponents: { minInstances: 1, maxInstances: 1, minCopies: 1, maxCopies: 1, targetConcurrentRequestsPerCopy: 2 } } });
    expect(e.message).toBe('LlmOpsConfig (dev): endpoint.inferenceComponents.targetConcurrentRequestsPerCopy 2 has no effect with a fixed copy count '
      + '(minCopies = maxCopies = 1); give the copies a range, or remove it [LLMOPS_SCALING_UNUSED]');
  });

  test('minCopies above maxCopies fails', () => {
    const e = configError('dev', { endpoint: { inferenceComponents: { ...IC, minCopies: 3, maxCopies: 2, minInstances: 1 } } });
    expect(e.codes).toEqual(['LLMOPS_COPY_ORDER']);
    expect(e.message).toBe('LlmOpsConfig (dev): endpoint.inferenceComponents.minCopies 3 is greater than maxCopies (2) [LLMOPS_COPY_ORDER]');
  });

  test('a fleet that may scale to zero with a copy that never does fails', () => {
    const e = configError('dev', { endpoint: { inferenceComponents: { ...IC, minCopies: 1 } } });
    expect(e.message).toBe('LlmOpsConfig (dev): endpoint.inferenceComponents.minInstances 0 needs minCopies 0: the fleet scales to zero only when no copy runs [LLMOPS_FLEET_NEVER_ZERO]');
  });

  test('an instanceCount outside the fleet fails, since it is the fleet\'s initial size', () => {
    const e = configError('dev', { endpoint: { instanceCount: 3 } });
    expect(e.message).toBe("LlmOpsConfig (dev): endpoint.instanceCount 3 is the fleet's initial size in inference-component mode (endpoint.inferenceComponents); allowed: 1-1 [LLMOPS_FLEET_ORDER]");
  });
});
