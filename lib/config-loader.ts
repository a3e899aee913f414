// Where an environment's configuration comes from: its preset, then overrides from cdk.json context
// (`"llmops": { "<env>": { … } }`), then a JSON file per environment (`config/<env>.json`), then account and region
// from the process environment when the configuration names none. Every source is checked for unknown keys and
// wrong types; the merged configuration is validated as a whole. Nothing is looked up in AWS.
import * as fs from 'fs';
import * as path from 'path';
import { ENVIRONMENTS, EnvironmentName, LlmOpsConfig, LlmOpsConfigOverrides, mergeVectorStore, resolveConfig, VectorStoreSettings } from './config';
import type * as configSchema from './config-schema';
import { PropValidator } from '../constructs';

/** Where {@link loadEnvironmentConfig} reads overrides. */
export interface ConfigSources {
  /**
   * Reads a context value (`app.node.tryGetContext`): `llmops` holds overrides per environment.
   * @default - no context
   */
  readonly context?: (key: string) => unknown;
  /**
   * The directory of per-environment files `<env>.json`; a missing file means no overrides.
   * @default 'config' under the current directory
   */
  readonly configDir?: string;
  /**
   * The process environment: `CDK_DEPLOY_ACCOUNT` and `CDK_DEPLOY_REGION` pin the stacks when the configuration
   * names no account and region.
   * @default - process.env
   */
  readonly processEnv?: Record<string, string | undefined>;
  /**
   * Pin the stacks to this account and region, over the configuration (`-c account=… -c region=…`).
   * @default - the configuration's, else the process environment's, else environment-agnostic
   */
  readonly pin?: { readonly account?: string; readonly region?: string };
  /**
   * Overrides applied over every source, before `pin` (e.g. a pipeline's project name).
   * @default - none
   */
  readonly overrides?: LlmOpsConfigOverrides;
}

/**
 * The configuration of one environment from its preset and every override source, validated.
 * @throws LlmOpsValidationError naming the source and the field path of every unknown key, wrong type or bad value
 */
export function loadEnvironmentConfig(environment: string, sources: ConfigSources = {}): LlmOpsConfig {
  checkEnvironment(environment);
  const fromContext = contextOverrides(environment, sources.context);
  const fromFile = fileOverrides(environment, sources.configDir ?? path.join(process.cwd(), 'config'));
  const merged = mergeOverrides(mergeOverrides(fromContext, fromFile), sources.overrides ?? {});
  const env = sources.processEnv ?? process.env;
  const fromProcess = merged.account === undefined && merged.region === undefined && env.CDK_DEPLOY_ACCOUNT && env.CDK_DEPLOY_REGION
    ? { account: env.CDK_DEPLOY_ACCOUNT, region: env.CDK_DEPLOY_REGION }
    : {};
  const pinned = sources.pin?.account !== undefined || sources.pin?.region !== undefined ? { account: sources.pin.account, region: sources.pin.region } : {};
  return resolveConfig(environment, { ...merged, ...fromProcess, ...pinned });
}

/**
 * The environments an app builds from its `env` context: one name, a comma-separated list, or `all`.
 * @param value the context value (`-c env=prod`)
 * @param configured the environments configured for the app (context `environments`, as a list or comma-separated)
 * @returns the environments in promotion order; every configured one when `value` is absent or `all`
 * @throws LlmOpsValidationError for an unknown environment name
 */
export function selectEnvironments(value: unknown, configured?: unknown): EnvironmentName[] {
  const list = (x: unknown) => (Array.isArray(x) ? x.map(String) : String(x).split(',')).map(s => s.trim()).filter(Boolean);
  const all = configured === undefined ? [...ENVIRONMENTS] : list(configured);
  all.forEach(e => checkEnvironment(e, 'environments'));
  if (value === undefined || value === 'all') return ENVIRONMENTS.filter(e => all.includes(e));
  const chosen = list(value);
  if (chosen.length === 0) checkEnvironment(String(value), 'env');
  chosen.forEach(e => checkEnvironment(e, 'env'));
  return ENVIRONMENTS.filter(e => chosen.includes(e));
}

/** Overrides merged one level deep, like a preset and its overrides: `b` over `a`. */
export function mergeOverrides(a: LlmOpsConfigOverrides, b: LlmOpsConfigOverrides): LlmOpsConfigOverrides {
  const nested = ['network', 'endpoint', 'vectorStore', 'fineTuning', 'monitoring', 'contentGuardrail'] as const;
  const merged: Record<string, unknown> = { ...a, ...b };
  for (const key of nested) {
    const [x, y] = [a[key], b[key]];
    // null removes the section; a vector store of another kind replaces the earlier one instead of merging into it.
    if (x === undefined || x === null || y === undefined || y === null) continue;
    merged[key] = key === 'vectorStore' ? mergeVectorStore(x as VectorStoreSettings, y as Partial<VectorStoreSettings>) : { ...x, ...y };
  }
  return merged as LlmOpsConfigOverrides;
}

function checkEnvironment(environment: string, prop = 'env'): asserts environment is EnvironmentName {
  new PropValidator('LlmOpsConfig').check((ENVIRONMENTS as readonly string[]).includes(environment), 'LLMOPS_CONFIG_ENVIRONMENT', prop, environment,
    `is not an environment; allowed: ${ENVIRONMENTS.join(', ')} (or 'all')`).throwIfInvalid();
}

function contextOverrides(environment: string, context?: (key: string) => unknown): LlmOpsConfigOverrides {
  const all = context?.('llmops');
  if (all === undefined) return {};
  const source = "cdk.json context 'llmops'";
  if (all === null || typeof all !== 'object' || Array.isArray(all)) {
    new PropValidator(`LlmOpsConfig overrides from ${source}`).fail('LLMOPS_CONFIG_TYPE', 'llmops', all,
      'is not an object; allowed: { "<environment>": { …overrides } }').throwIfInvalid();
  }
  const entries = all as Record<string, unknown>;
  for (const key of Object.keys(entries)) checkEnvironment(key, 'llmops.<environment>');
  return entries[environment] === undefined ? {} : parseOverrides(entries[environment], `${source} (${environment})`);
}

function fileOverrides(environment: string, dir: string): LlmOpsConfigOverrides {
  const file = path.join(dir, `${environment}.json`);
  if (!fs.existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    new PropValidator(`LlmOpsConfig overrides from ${file}`).fail('LLMOPS_CONFIG_JSON', 'file', path.basename(file),
      `is not valid JSON: ${(e as Error).message}`).throwIfInvalid();
  }
  return parseOverrides(parsed, file);
}

/** The schema check of overrides; zod loads only when an environment has overrides to check. */
function parseOverrides(input: unknown, source: string): LlmOpsConfigOverrides {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./config-schema') as typeof configSchema).parseConfigOverrides(input, source);
}
