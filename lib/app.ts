import { App } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ENVIRONMENTS, LlmOpsConfig, resolveConfig } from './config';
import { ConfigSources, loadEnvironmentConfig, selectEnvironments } from './config-loader';
import { LlmOpsStack } from './llmops-stack';
import { LlmOpsRegistryStack } from './registry-stack';

/** Which environments the app builds, and where. */
export interface LlmOpsAppOptions {
  /**
   * The environments to build, each from its preset.
   * @default - every preset: dev, staging, prod
   */
  readonly environments?: string[];
  /**
   * AWS account for every stack (give `region` too).
   * @default - environment-agnostic stacks
   */
  readonly account?: string;
  /**
   * AWS region for every stack (give `account` too).
   * @default - environment-agnostic stacks
   */
  readonly region?: string;
  /**
   * The configuration of each environment, instead of its preset (with `account` and `region` applied).
   * @default - each environment's preset
   */
  readonly configs?: LlmOpsConfig[];
}

/**
 * Adds one LlmOpsStack per environment to `app`, named `<projectName>-<environment>`, from the presets; an
 * environment that fine-tunes also gets `<projectName>-<environment>-registry` (an {@link LlmOpsRegistryStack}
 * with its approved-model-package parameter), which deploys first.
 * @returns the LlmOpsStacks, in promotion order
 */
export function addLlmOpsStacks(app: App, options: LlmOpsAppOptions = {}): LlmOpsStack[] {
  const configs = options.configs
    ?? (options.environments ?? [...ENVIRONMENTS]).map(environment => resolveConfig(environment, { account: options.account, region: options.region }));
  return configs.map(config => addEnvironmentStacks(app, config).stack);
}

/** The stacks of one environment: its LlmOpsStack, and the registry stack it depends on when it fine-tunes. */
export interface EnvironmentStacks {
  /** The environment's LlmOpsStack. */
  readonly stack: LlmOpsStack;
  /** The registry stack, when the environment fine-tunes. */
  readonly registry?: LlmOpsRegistryStack;
}

/**
 * Adds one environment's stacks to `scope` (an App or a pipeline Stage): `<projectName>-<environment>` and, when it
 * fine-tunes, `<projectName>-<environment>-registry` (with the approved-model-package parameter), which deploys first.
 * Stack names are set explicitly, so they are the same in an App and in a Stage.
 */
export function addEnvironmentStacks(scope: Construct, config: LlmOpsConfig): EnvironmentStacks {
  const name = `${config.projectName}-${config.environment}`;
  const env = config.account ? { account: config.account, region: config.region } : undefined;
  let registry: LlmOpsRegistryStack | undefined;
  const parameterName = `/llmops/${config.projectName.toLowerCase()}/${config.environment}/approved-model-package`;
  if (config.fineTuning) registry = new LlmOpsRegistryStack(scope, `${name}-registry`, { env, parameterName, stackName: `${name}-registry` });
  // The literal name, not a reference: the stack reads the parameter through SSM, not through a stack export.
  const stack = new LlmOpsStack(scope, name, { config, stackName: name, approvedModelPackageParameter: registry ? parameterName : undefined });
  // CloudFormation resolves the approved-model-package parameter before it deploys the stack.
  if (registry) stack.node.addDependency(registry);
  return { stack, registry };
}

/**
 * Builds the default LLMOps app from its context and configuration files: the environments chosen with `-c env=<name>`
 * (one, a comma-separated list, or `all`; default: every environment configured in context `environments` — a list —
 * else all presets), each from its preset with the overrides of cdk.json context `llmops.<env>` and of `config/<env>.json`.
 * `-c account=… -c region=…` pin every stack.
 * @returns the LlmOpsStacks, in promotion order
 * @throws LlmOpsValidationError naming the source and the field path of every bad override
 */
export function addLlmOpsStacksFromContext(app: App, sources: Omit<ConfigSources, 'context' | 'pin'> = {}): LlmOpsStack[] {
  const context = (key: string) => app.node.tryGetContext(key);
  const environments = selectEnvironments(context('env'), context('environments'));
  const account = context('account') as string | undefined;
  const region = context('region') as string | undefined;
  const pin = account !== undefined || region !== undefined ? { account, region } : undefined;
  return addLlmOpsStacks(app, { configs: environments.map(environment => loadEnvironmentConfig(environment, { ...sources, context, pin })) });
}
