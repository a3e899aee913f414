import { App } from 'aws-cdk-lib';
import { ENVIRONMENTS, resolveConfig } from './config';
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
}

/**
 * Adds one LlmOpsStack per environment to `app`, named `<projectName>-<environment>`, from the presets; an
 * environment that fine-tunes also gets `<projectName>-<environment>-registry` (an {@link LlmOpsRegistryStack}
 * with its approved-model-package parameter), which deploys first.
 * @returns the LlmOpsStacks, in promotion order
 */
export function addLlmOpsStacks(app: App, options: LlmOpsAppOptions = {}): LlmOpsStack[] {
  return (options.environments ?? [...ENVIRONMENTS]).map(environment => {
    const config = resolveConfig(environment, { account: options.account, region: options.region });
    const name = `${config.projectName}-${config.environment}`;
    const env = config.account ? { account: config.account, region: config.region } : undefined;
    let registry: LlmOpsRegistryStack | undefined;
    const parameterName = `/llmops/${config.projectName.toLowerCase()}/${config.environment}/approved-model-package`;
    if (config.fineTuning) registry = new LlmOpsRegistryStack(app, `${name}-registry`, { env, parameterName });
    // The literal name, not a reference: the stack reads the parameter through SSM, not through a stack export.
    const stack = new LlmOpsStack(app, name, { config, approvedModelPackageParameter: registry ? parameterName : undefined });
    // CloudFormation resolves the approved-model-package parameter before it deploys the stack.
    if (registry) stack.node.addDependency(registry);
    return stack;
  });
}
