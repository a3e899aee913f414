#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { addLlmOpsStacksFromContext, LlmOpsChecks, LlmOpsValidationError } from '../lib';

// The default LLMOps app: one LlmOpsStack per environment, each from its preset and its overrides.
//   -c env=prod                   build one environment (or a comma-separated list, or 'all'; default: all)
//   cdk.json "llmops": { "prod": { … } } and config/<env>.json   overrides, checked for unknown keys and types
//   -c account=… -c region=…      pin every stack (or CDK_DEPLOY_ACCOUNT / CDK_DEPLOY_REGION, or the config)
const app = new App();
try {
  addLlmOpsStacksFromContext(app);
} catch (e) {
  // A configuration error is the user's to fix: print its message (every field path), not a stack trace.
  if (!LlmOpsValidationError.isLlmOpsValidationError(e)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}

// Compliance gate: any unacknowledged finding of the four standard packs or of the LLMOps pack fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new PCIDSS321Checks(app), new LlmOpsChecks(app));
app.synth();
