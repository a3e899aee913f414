import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
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

/** cdk.json's feature flags, as `npm run synth` uses them. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context;

/** What {@link validatedSynth} produced. */
export interface ValidatedSynth<T> {
  /** What `build` returned. */
  readonly result: T;
  /** The cloud assembly directory (remove it in `afterAll`). */
  readonly outdir: string;
  /** The error synth threw, if any. */
  readonly error: unknown;
}

/**
 * Builds an app with `build` and synthesizes it as `npm run synth` does: cdk.json's context and the CloudFormation
 * schema validator on (its findings are errors). For one `beforeAll`: the validator takes seconds to start.
 */
export function validatedSynth<T>(prefix: string, build: (app: App) => T): ValidatedSynth<T> {
  const saved = process.env.CDK_VALIDATION;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.env.CDK_VALIDATION = 'true';
  try {
    const app = new App({ context: CDK_JSON_CONTEXT, outdir, builtinCloudFormationValidation: true });
    const result = build(app);
    let error: unknown;
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    return { result, outdir, error };
  } finally {
    process.env.CDK_VALIDATION = saved;
  }
}
