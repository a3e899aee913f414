#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { addLlmOpsStacks, LlmOpsChecks } from '../lib';

// The default LLMOps app: one LlmOpsStack per environment (dev, staging, prod), each from its preset.
//   -c environments=dev           build only some environments
//   -c account=… -c region=…      pin every stack to an account and region
const app = new App();
const environments = app.node.tryGetContext('environments') as string | undefined;
addLlmOpsStacks(app, {
  environments: environments?.split(',').map(s => s.trim()).filter(Boolean),
  account: app.node.tryGetContext('account'),
  region: app.node.tryGetContext('region'),
});

// Compliance gate: any unacknowledged finding of the four standard packs or of the LLMOps pack fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new PCIDSS321Checks(app), new LlmOpsChecks(app));
app.synth();
