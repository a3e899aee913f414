import { App, Stack, StackProps } from 'aws-cdk-lib';
import { LlmOpsValidationError } from '../constructs';

/** A fresh app and stack for one describe block (environment-agnostic unless `props.env` is given). */
export function newStack(props: StackProps = {}): Stack {
  return new Stack(new App(), 'TestStack', props);
}

/** Runs `fn`, expects an LlmOpsValidationError, and returns it. */
export function validationError(fn: () => unknown): LlmOpsValidationError {
  try {
    fn();
  } catch (e) {
    if (LlmOpsValidationError.isLlmOpsValidationError(e)) return e;
    throw e;
  }
  throw new Error('expected an LlmOpsValidationError, but nothing was thrown');
}
