#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { LlmOpsPipelineStack, PropValidator } from '../lib';

// The deployment pipeline (CDK Pipelines: source → synth → dev → staging → approval → prod, `llmops verify` after
// each): npx cdk synth --app "node dist/bin/pipeline.js" -c connectionArn=arn:aws:codeconnections:… -c repository=owner/name
// [-c branch=main]. Deploy it once with `cdk deploy`; it then updates itself from the branch.
const app = new App();
const context = (key: string) => app.node.tryGetContext(key) as string | undefined;
const connectionArn = context('connectionArn');
const repository = context('repository');
const branch = context('branch') ?? 'main';
new PropValidator('bin/pipeline.ts')
  .check(connectionArn !== undefined, 'LLMOPS_PIPELINE_CONTEXT', 'connectionArn', connectionArn, 'is required: pass -c connectionArn=<CodeConnections ARN>')
  .check(repository !== undefined, 'LLMOPS_PIPELINE_CONTEXT', 'repository', repository, 'is required: pass -c repository=<owner/name>')
  .throwIfInvalid();
new LlmOpsPipelineStack(app, 'LlmOps-pipeline', {
  connectionArn: connectionArn!,
  repository: repository!,
  branch,
  // The pipeline synthesizes this app (itself and the environments' stages), with the same context.
  synthCommands: ['npm run build', `npx cdk synth --app "node dist/bin/pipeline.js" -c ${quote(`connectionArn=${connectionArn}`)} -c ${quote(`repository=${repository}`)} -c ${quote(`branch=${branch}`)}`],
});
app.synth();

/** A shell word in single quotes (the values are validated by LlmOpsPipelineStack too). */
function quote(word: string): string {
  return `'${word.replace(/'/g, "'\\''")}'`;
}
