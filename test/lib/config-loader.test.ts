import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { addLlmOpsStacksFromContext, loadEnvironmentConfig, mergeOverrides, parseConfigOverrides, PRESETS, selectEnvironments } from '../../lib';
import { validationError } from '../util';

/** A directory with one JSON file per entry of `files` (`<env>.json`). */
function configDir(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-config-'));
  for (const [name, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, `${name}.json`), typeof body === 'string' ? body : JSON.stringify(body));
  return dir;
}

const NO_FILES = configDir({});
const NO_ENV = {};

describe('When an environment is loaded from its preset, cdk.json context and its JSON file', () => {
  const dir = configDir({ prod: { endpoint: { instanceCount: 3, autoScaling: { minCapacity: 3, maxCapacity: 10 } }, monitoring: { alarmEmails: ['oncall@example.com'] } } });
  const context = (key: string) => (key === 'llmops' ? { prod: { endpoint: { instanceCount: 4 }, logRetentionDays: 731 }, dev: { network: { maxAzs: 1 } } } : undefined);
  const config = loadEnvironmentConfig('prod', { configDir: dir, context, processEnv: NO_ENV });

  test('the file wins over the context, which wins over the preset, one level deep', () => {
    expect(config.endpoint.instanceCount).toBe(3);
    expect(config.endpoint.autoScaling).toEqual({ minCapacity: 3, maxCapacity: 10 });
    expect(config.endpoint.instanceType).toBe(PRESETS.prod.endpoint.instanceType);
    expect(config.logRetentionDays).toBe(731);
    expect(config.monitoring?.alarmEmails).toEqual(['oncall@example.com']);
  });

  test("another environment's context does not leak in", () => {
    expect(config.network.maxAzs).toBe(2);
    expect(loadEnvironmentConfig('dev', { configDir: NO_FILES, context, processEnv: NO_ENV }).network.maxAzs).toBe(1);
  });

  test('without any source the configuration is the preset', () => {
    expect(loadEnvironmentConfig('staging', { configDir: NO_FILES, processEnv: NO_ENV })).toEqual(PRESETS.staging);
  });
});

describe('When account and region come from the environment, the config or the command line', () => {
  const env = { CDK_DEPLOY_ACCOUNT: '111122223333', CDK_DEPLOY_REGION: 'eu-west-1' };

  test('the process environment pins an environment whose config names none', () => {
    expect(loadEnvironmentConfig('dev', { configDir: NO_FILES, processEnv: env })).toMatchObject({ account: '111122223333', region: 'eu-west-1' });
  });

  test('the config wins over the process environment, and the command line over both', () => {
    const dir = configDir({ dev: { account: '444455556666', region: 'us-east-1' } });
    expect(loadEnvironmentConfig('dev', { configDir: dir, processEnv: env })).toMatchObject({ account: '444455556666', region: 'us-east-1' });
    expect(loadEnvironmentConfig('dev', { configDir: dir, processEnv: env, pin: { account: '777788889999', region: 'ap-southeast-2' } }))
      .toMatchObject({ account: '777788889999', region: 'ap-southeast-2' });
  });

  test('a malformed account and region fail, naming each', () => {
    const e = validationError(() => loadEnvironmentConfig('dev', { configDir: configDir({ dev: { account: '1234', region: 'Europe' } }), processEnv: NO_ENV }));
    expect(e.codes).toEqual(['LLMOPS_CONFIG_ACCOUNT', 'LLMOPS_CONFIG_REGION']);
    expect(e.message).toContain("account '1234' is not an AWS account ID; allowed: 12 digits");
    expect(e.message).toContain("region 'Europe' is not an AWS region name; allowed: e.g. 'eu-west-1', 'us-gov-west-1'");
  });
});

describe('When overrides have unknown keys or wrong types', () => {
  test('a misspelled key fails, naming its path and the keys allowed there', () => {
    const e = validationError(() => parseConfigOverrides({ vectorStore: { dimensions: 768 } }, 'config/dev.json'));
    expect(e.codes).toEqual(['LLMOPS_CONFIG_UNKNOWN_KEY']);
    expect(e.message).toBe('LlmOpsConfig overrides from config/dev.json: vectorStore.dimensions 768 is not a configuration key; '
      + 'allowed here: kind, dimension, distance, standbyReplicas, minCapacity, maxCapacity, backupRetentionDays [LLMOPS_CONFIG_UNKNOWN_KEY]');
  });

  test('an unknown top-level key fails too', () => {
    const e = validationError(() => parseConfigOverrides({ endpont: {} }, 'context'));
    expect(e.problems.map(p => p.prop)).toEqual(['endpont']);
  });

  test('a wrong type fails, naming the path, the value and the expected type', () => {
    const e = validationError(() => parseConfigOverrides({ vectorStore: { dimension: '768' }, network: { internetEgress: 'yes' } }, 'config/dev.json'));
    expect(e.codes).toEqual(['LLMOPS_CONFIG_TYPE', 'LLMOPS_CONFIG_TYPE']);
    expect(e.problems.map(p => `${p.prop} ${p.value} ${p.allowed}`).sort()).toEqual([
      'network.internetEgress "yes" is invalid: expected boolean, received string',
      'vectorStore.dimension "768" is invalid: expected number, received string',
    ]);
  });

  test('a value outside its enum fails, listing the allowed values', () => {
    const e = validationError(() => parseConfigOverrides({ removalPolicy: 'keep' }, 'context'));
    expect(e.message).toMatch(/^LlmOpsConfig overrides from context: removalPolicy "keep" is invalid: expected one of "retain"\|"destroy" \[LLMOPS_CONFIG_TYPE\]$/);
  });

  test('a bad value of the right type fails with the field path after merging', () => {
    const e = validationError(() => loadEnvironmentConfig('dev', { configDir: configDir({ dev: { vectorStore: { dimension: 0 } } }), processEnv: NO_ENV }));
    expect(e.message).toBe('LlmOpsConfig (dev): vectorStore.dimension 0 is out of range; allowed: an integer from 1 to 2000 (a pgvector HNSW index supports at most 2000) [LLMOPS_CONFIG_VECTOR_STORE]');
  });

  test('a file that is not JSON fails, naming the file', () => {
    const dir = configDir({ dev: '{ "endpoint": ' });
    const e = validationError(() => loadEnvironmentConfig('dev', { configDir: dir, processEnv: NO_ENV }));
    expect(e.codes).toEqual(['LLMOPS_CONFIG_JSON']);
    expect(e.where).toBe(`LlmOpsConfig overrides from ${path.join(dir, 'dev.json')}`);
  });

  test('context overrides for an environment that does not exist fail', () => {
    const e = validationError(() => loadEnvironmentConfig('dev', { configDir: NO_FILES, context: () => ({ qa: {} }), processEnv: NO_ENV }));
    expect(e.message).toBe("LlmOpsConfig: llmops.<environment> 'qa' is not an environment; allowed: dev, staging, prod (or 'all') [LLMOPS_CONFIG_ENVIRONMENT]");
  });
});

describe('When prod is configured to destroy its stateful resources', () => {
  test('it fails without the acknowledgement flag', () => {
    const e = validationError(() => loadEnvironmentConfig('prod', { configDir: configDir({ prod: { removalPolicy: 'destroy' } }), processEnv: NO_ENV }));
    expect(e.message).toBe("LlmOpsConfig (prod): removalPolicy 'destroy' must be 'retain' in prod: keys, buckets and logs hold the audit trail "
      + '(set acknowledgeProdDataLoss: true only for a prod you mean to throw away) [LLMOPS_CONFIG_PROD_RETAIN]');
  });

  test('it is accepted with acknowledgeProdDataLoss: true', () => {
    const config = loadEnvironmentConfig('prod', { configDir: configDir({ prod: { removalPolicy: 'destroy', acknowledgeProdDataLoss: true } }), processEnv: NO_ENV });
    expect(config.removalPolicy).toBe('destroy');
  });
});

describe('When the app selects environments', () => {
  test('one name, a list or all, in promotion order', () => {
    expect(selectEnvironments('prod')).toEqual(['prod']);
    expect(selectEnvironments('prod,dev')).toEqual(['dev', 'prod']);
    expect(selectEnvironments('all')).toEqual(['dev', 'staging', 'prod']);
    expect(selectEnvironments(undefined)).toEqual(['dev', 'staging', 'prod']);
  });

  test('without -c env it builds the configured environments', () => {
    expect(selectEnvironments(undefined, ['dev', 'staging'])).toEqual(['dev', 'staging']);
  });

  test('an unknown environment fails, listing the allowed ones', () => {
    const e = validationError(() => selectEnvironments('qa'));
    expect(e.message).toBe("LlmOpsConfig: env 'qa' is not an environment; allowed: dev, staging, prod (or 'all') [LLMOPS_CONFIG_ENVIRONMENT]");
  });

  test('overrides merge one level deep, later over earlier', () => {
    expect(mergeOverrides({ endpoint: { instanceCount: 2 }, logRetentionDays: 30 }, { endpoint: { instanceType: 'ml.g6.xlarge' } }))
      .toEqual({ endpoint: { instanceCount: 2, instanceType: 'ml.g6.xlarge' }, logRetentionDays: 30 });
  });
});

describe('When the app is built with -c env=prod and pinned with -c account and region', () => {
  const app = new App({ context: { env: 'prod', account: '111122223333', region: 'eu-west-1' } });
  const stacks = addLlmOpsStacksFromContext(app, { configDir: NO_FILES, processEnv: NO_ENV });

  test('it builds only prod, with its registry stack, in that account and region', () => {
    expect(stacks.map(s => s.stackName)).toEqual(['LlmOps-prod']);
    expect(app.node.children.map(c => c.node.id).sort()).toEqual(['LlmOps-prod', 'LlmOps-prod-registry']);
    expect(stacks[0].account).toBe('111122223333');
    expect(stacks[0].region).toBe('eu-west-1');
  });
});

describe('When prod turns off termination protection', () => {
  test('it fails without the acknowledgement flag, and stacks of prod are protected by default', () => {
    const e = validationError(() => loadEnvironmentConfig('prod', { configDir: configDir({ prod: { terminationProtection: false } }), processEnv: NO_ENV }));
    expect(e.message).toBe('LlmOpsConfig (prod): terminationProtection false must stay true in prod '
      + '(set acknowledgeProdDataLoss: true only for a prod you mean to throw away) [LLMOPS_CONFIG_PROD_RETAIN]');
    expect(PRESETS.prod.terminationProtection).toBe(true);
    expect(PRESETS.staging.terminationProtection).toBeUndefined();
  });
});

describe('When overrides remove parts of a preset with null', () => {
  test('dev can drop its inference components and vector store, and prod its fine-tuning and deployment policy', () => {
    const dev = loadEnvironmentConfig('dev', { configDir: configDir({ dev: { endpoint: { inferenceComponents: null, dataCaptureSamplingPercentage: 100 }, vectorStore: null } }), processEnv: NO_ENV });
    expect(dev.endpoint.inferenceComponents).toBeUndefined();
    expect(dev.vectorStore).toBeUndefined();
    const prod = loadEnvironmentConfig('prod', { configDir: configDir({ prod: { fineTuning: null, endpoint: { deployment: null } } }), processEnv: NO_ENV });
    expect(prod.fineTuning).toBeUndefined();
    expect(prod.endpoint.deployment).toBeUndefined();
    expect(prod.endpoint.autoScaling).toEqual(PRESETS.prod.endpoint.autoScaling);
  });

  test('null is refused where a section is required', () => {
    const e = validationError(() => parseConfigOverrides({ network: null }, 'context'));
    expect(e.problems.map(p => p.prop)).toEqual(['network']);
  });
});

describe('When context and file give vector stores of different kinds', () => {
  test("the file's store replaces the context's rather than merging into it", () => {
    const context = () => ({ staging: { vectorStore: { kind: 'aurora-pgvector', minCapacity: 0.5 } } });
    const config = loadEnvironmentConfig('staging', { configDir: configDir({ staging: { vectorStore: { kind: 'opensearch-serverless', dimension: 768, distance: 'cosine' } } }), context, processEnv: NO_ENV });
    expect(config.vectorStore).toEqual({ kind: 'opensearch-serverless', dimension: 768, distance: 'cosine', standbyReplicas: false });
  });
});

describe('When a merged configuration has values of the right type but out of range', () => {
  test.each([
    ['a classic instanceCount of 0', { endpoint: { instanceCount: 0 } }, 'endpoint.instanceCount 0 is out of range; allowed: an integer from 1 to 1000 [LLMOPS_CONFIG_ENDPOINT]'],
    ['autoScaling min above max', { endpoint: { autoScaling: { minCapacity: 5, maxCapacity: 2 } } }, 'endpoint.autoScaling.minCapacity 5 is greater than maxCapacity (2) [LLMOPS_CONFIG_ENDPOINT]'],
    ['a capture share of 150 %', { endpoint: { dataCaptureSamplingPercentage: 150 } }, 'endpoint.dataCaptureSamplingPercentage 150 is out of range; allowed: an integer from 0 to 100 % [LLMOPS_CONFIG_ENDPOINT]'],
    ['a canary of 80 %', { endpoint: { deployment: { strategy: 'canary', sizePercent: 80, waitMinutes: 10 } } }, "endpoint.deployment.sizePercent 80 is out of range; allowed: an integer from 1 to 50 % (SageMaker's canary limits) [LLMOPS_CONFIG_DEPLOYMENT]"],
    ['no fine-tuning instances', { fineTuning: { instanceCount: 0 } }, 'fineTuning.instanceCount 0 is out of range; allowed: an integer from 1 to 100 [LLMOPS_CONFIG_FINE_TUNING]'],
  ] as const)('%s fails with its field path', (_name, overrides, message) => {
    const e = validationError(() => loadEnvironmentConfig('staging', { configDir: configDir({ staging: overrides }), processEnv: NO_ENV }));
    expect(e.message).toBe(`LlmOpsConfig (staging): ${message}`);
  });

  test('an empty -c env fails instead of building nothing', () => {
    expect(validationError(() => selectEnvironments('')).codes).toEqual(['LLMOPS_CONFIG_ENVIRONMENT']);
  });

  test('array items are named with brackets', () => {
    const e = validationError(() => parseConfigOverrides({ contentGuardrail: { deniedTopics: [{ name: 'x', definition: 'y', sample: 1 }] } }, 'context'));
    expect(e.problems.map(p => p.prop)).toEqual(['contentGuardrail.deniedTopics[0].sample']);
  });
});
