#!/usr/bin/env node
// `llmops verify`: the post-deploy gate for CI. Parses the command line, builds the AWS clients for the region,
// and runs lib/verify. Exit codes: 0 healthy, 1 verification failed, 2 bad usage.
import { readFileSync } from 'node:fs';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { parseVerifyArgs, runVerify, systemClock, UsageError, VERIFY_USAGE } from '../lib/verify';

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseVerifyArgs(argv, process.env, path => readFileSync(path, 'utf8'));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    process.stderr.write(`llmops: ${e.message}\nRun 'llmops verify --help' for the options.\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(VERIFY_USAGE);
    return 0;
  }
  const { options } = parsed;
  const config = { region: options.region };
  const clients = {
    cloudFormation: new CloudFormationClient(config),
    sageMaker: new SageMakerClient(config),
    cloudWatch: new CloudWatchClient(config),
    sageMakerRuntime: new SageMakerRuntimeClient(config),
  };
  return runVerify(options, clients, { out: process.stdout, progress: process.stderr, clock: systemClock() });
}

main(process.argv.slice(2)).then(
  code => { process.exitCode = code; },
  (e: unknown) => {
    // runVerify turns AWS errors into report failures; this is a bug or an unusable environment.
    process.stderr.write(`llmops verify: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    process.exitCode = 1;
  },
);
