#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { addLlmOpsStacksFromContext, estimateMonthlyCost, formatCostEstimate, LlmOpsChecks, LlmOpsStack, LlmOpsValidationError, writeCostEstimates } from '../lib';

// The default LLMOps app: one LlmOpsStack per environment, each from its preset and its overrides.
//   -c env=prod                   build one environment (or a comma-separated list, or 'all'; default: all)
//   cdk.json "llmops": { "prod": { … } } and config/<env>.json   overrides, checked for unknown keys and types
//   -c account=… -c region=…      pin every stack (or CDK_DEPLOY_ACCOUNT / CDK_DEPLOY_REGION, or the config)
const app = new App();
let stacks: LlmOpsStack[] = [];
try {
  stacks = addLlmOpsStacksFromContext(app);
} catch (e) {
  // A configuration error is the user's to fix: print its message (every field path), not a stack trace.
  if (!LlmOpsValidationError.isLlmOpsValidationError(e)) throw e;
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
}

// Compliance gate: any unacknowledged finding of the four standard packs or of the LLMOps pack fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new PCIDSS321Checks(app), new LlmOpsChecks(app));
const assembly = app.synth();

// Monthly cost estimate of each environment, from its configuration and its synthesized template: written to
// cost-estimate.json and cost-estimate.txt in the cloud assembly, and printed. The registry stacks (one standard SSM
// parameter, free) are left out. Printed on stderr: the CLI shows both streams of the app, and stdout is where
// `cdk ls` lists stacks and `cdk synth <stack>` prints the template.
const estimates = stacks.map(stack => estimateMonthlyCost(stack.config, assembly.getStackArtifact(stack.artifactId).template, undefined, { stackName: stack.stackName }));
const files = writeCostEstimates(app.outdir, estimates);
process.stderr.write(`${estimates.map(e => formatCostEstimate(e, { details: false })).join('\n\n')}\n\nAssumptions and what is not included: ${files.text} (machine-readable: ${files.json})\n`);
