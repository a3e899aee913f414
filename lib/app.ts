import { App } from 'aws-cdk-lib';
import { ENVIRONMENTS, resolveConfig } from './config';
import { LlmOpsStack } from './llmops-stack';

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
 * Adds one LlmOpsStack per environment to `app`, named `<projectName>-<environment>`, from the presets.
 * @returns the stacks, in promotion order
 */
export function addLlmOpsStacks(app: App, options: LlmOpsAppOptions = {}): LlmOpsStack[] {
  return (options.environments ?? [...ENVIRONMENTS]).map(environment => {
    const config = resolveConfig(environment, { account: options.account, region: options.region });
    return new LlmOpsStack(app, `${config.projectName}-${config.environment}`, { config });
  });
}
