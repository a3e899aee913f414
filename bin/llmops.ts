#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { ENVIRONMENTS, LlmOpsStack, resolveConfig } from '../lib';

// The default LLMOps app: one LlmOpsStack per environment (dev, staging, prod), each from its preset.
// `-c environments=dev` limits the app to some environments; `-c account=… -c region=…` pins them.
const app = new App();
const wanted = String(app.node.tryGetContext('environments') ?? ENVIRONMENTS.join(',')).split(',').map(s => s.trim()).filter(Boolean);
const account = app.node.tryGetContext('account');
const region = app.node.tryGetContext('region');

for (const environment of wanted) {
  const config = resolveConfig(environment, { account, region });
  new LlmOpsStack(app, `${config.projectName}-${config.environment}`, { config });
}

// Compliance gate: any unacknowledged finding fails synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app));
app.synth();
