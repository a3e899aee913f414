import { Duration, RemovalPolicy, Stack, StackProps, Stage, StageProps, Token, Validations } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { acknowledgeComplianceRule, acknowledgeReplication, AWS_ACCOUNT_ID, AWS_REGION_NAME, customerKeyProps, PropValidator, secureBucketProps } from '../constructs';
import { VERIFY_ALARM_ACTIONS, VERIFY_COMPONENT_ACTIONS, VERIFY_ENDPOINT_ACTIONS, VERIFY_STACK_ACTIONS } from '../constructs/permissions';
import { addEnvironmentStacks } from './app';
import { EnvironmentName, ENVIRONMENTS, LlmOpsConfig, LlmOpsConfigOverrides, PRESETS, PROJECT_NAME } from './config';
import { loadEnvironmentConfig } from './config-loader';
import { LlmOpsStack } from './llmops-stack';
import { LlmOpsRegistryStack } from './registry-stack';

/** Where one environment deploys: an account and a region. */
export interface LlmOpsDeploymentTarget {
  /** The 12-digit AWS account ID. */
  readonly account: string;
  /** The AWS region, e.g. `eu-west-1`. */
  readonly region: string;
}

/** Props of {@link LlmOpsStage}. */
export interface LlmOpsStageProps extends StageProps {
  /** The environment whose preset the stage builds: `dev`, `staging` or `prod`. */
  readonly environment: string;
  /**
   * Prefix of the stack names (`<projectName>-<environment>`).
   * @default - the preset's, 'LlmOps'
   */
  readonly projectName?: string;
}

/**
 * One environment of the LLMOps application as a deployable unit: the same stacks `addLlmOpsStacks` adds to an app
 * (an {@link LlmOpsStack} named `<projectName>-<environment>`, after its `-registry` stack when the environment
 * fine-tunes), with the same CloudFormation stack names, so `llmops verify` finds them wherever they were deployed from.
 * `env` pins both stacks to an account and region.
 */
export class LlmOpsStage extends Stage {
  /** The validated configuration the stacks were built from. */
  public readonly config: LlmOpsConfig;
  /** The environment's LlmOpsStack. */
  public readonly stack: LlmOpsStack;
  /** The environment's approved-model-package stack, if it fine-tunes. */
  public readonly registry?: LlmOpsRegistryStack;

  constructor(scope: Construct, id: string, props: LlmOpsStageProps) {
    super(scope, id, props);
    const overrides: { -readonly [K in keyof LlmOpsConfigOverrides]: LlmOpsConfigOverrides[K] } = {};
    // Only the given keys: an explicit `undefined` would replace the preset's value.
    if (props.projectName !== undefined) overrides.projectName = props.projectName;
    if (props.env?.account !== undefined) overrides.account = props.env.account;
    if (props.env?.region !== undefined) overrides.region = props.env.region;
    // The same sources as the default app: the preset, cdk.json context `llmops.<env>`, then config/<env>.json.
    this.config = loadEnvironmentConfig(props.environment, { context: key => this.node.tryGetContext(key), overrides, processEnv: {} });
    ({ stack: this.stack, registry: this.registry } = addEnvironmentStacks(this, this.config));
  }
}

/** Props of {@link LlmOpsPipelineStack}. */
export interface LlmOpsPipelineStackProps extends StackProps {
  /**
   * ARN of the AWS CodeConnections (formerly CodeStar Connections) connection to the repository host, e.g.
   * `arn:aws:codeconnections:eu-west-1:111122223333:connection/0123abcd-…`. Create and authorize it once in the console:
   * a connection starts PENDING and cannot be completed from CloudFormation.
   */
  readonly connectionArn: string;
  /** The repository, `owner/name` (GitLab groups: `owner/group/…/name`). */
  readonly repository: string;
  /**
   * The branch whose pushes start the pipeline.
   * @default 'main'
   */
  readonly branch?: string;
  /**
   * The environments to deploy, in promotion order; each becomes one pipeline stage.
   * @default - every preset: dev, then staging, then prod
   */
  readonly environments?: string[];
  /**
   * Prefix of the environment stack names (`<projectName>-<environment>`) and the `--project` of `llmops verify`.
   * @default - the presets', 'LlmOps'
   */
  readonly projectName?: string;
  /**
   * The account every environment deploys to (give `region` too); `targets` overrides it per environment. Pinned
   * environments need `env` on this stack.
   * @default - environment-agnostic stacks, deployed to the pipeline's own account and region
   */
  readonly account?: string;
  /**
   * The region every environment deploys to (give `account` too); `targets` overrides it per environment.
   * @default - environment-agnostic stacks, deployed to the pipeline's own account and region
   */
  readonly region?: string;
  /**
   * The account and region of single environments, e.g. `{ prod: { account: '444455556666', region: 'eu-west-1' } }`.
   * An environment in another account must be bootstrapped with `--trust <pipeline account>`; its verify step reads
   * it through that account's CDK lookup role.
   * @default - `account` and `region` for every environment
   */
  readonly targets?: { readonly [environment: string]: LlmOpsDeploymentTarget };
  /**
   * The environments that wait for a manual approval before they deploy.
   * @default ['prod'] (when prod is deployed)
   */
  readonly manualApprovalBefore?: string[];
  /**
   * Commands that install dependencies, before the synth commands (and before the verify step's build).
   * @default ['npm install']
   */
  readonly installCommands?: string[];
  /**
   * Commands that write the cloud assembly to `synthOutputDirectory`. The app they synthesize must contain this
   * pipeline stack, with the same construct path: the pipeline deploys the stage templates from that assembly.
   * @default ['npm run build', 'npx cdk synth']
   */
  readonly synthCommands?: string[];
  /**
   * The synth step's primary output, relative to the repository root: the cloud assembly directory.
   * @default 'cdk.out'
   */
  readonly synthOutputDirectory?: string;
  /**
   * Commands that prepare the checkout for `llmops verify` (which runs from the package's `bin` entry).
   * @default - `installCommands`, then `npm run build`
   */
  readonly verifyInstallCommands?: string[];
  /**
   * The CDK bootstrap qualifier of the target accounts, for the lookup role the verify step of a cross-account
   * environment assumes.
   * @default 'hnb659fds' (the CDK default)
   */
  readonly bootstrapQualifier?: string;
}

const CONNECTION_ARN = /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REPOSITORY_PART = /^[A-Za-z0-9_.-]+$/;
const ENVIRONMENT_LIST = ENVIRONMENTS.join(', ');

/**
 * A CDK Pipelines (CodePipeline) deployment of the LLMOps environments: source from a CodeConnections repository,
 * a synth step without Docker, then one stage per environment in promotion order (dev → staging → prod by default),
 * each an {@link LlmOpsStage}. A manual approval precedes prod; after each stage a CodeBuild step runs
 * `llmops verify --env <env> --project <projectName> --json`, which fails the stage unless every endpoint is InService
 * and no alarm of the stack fires, so a broken environment is never promoted.
 *
 * Secure defaults: the artifact bucket is encrypted with a customer managed KMS key with rotation; CodeBuild runs
 * unprivileged (no Docker daemon) on Node.js 20; the verify step may only describe the environment's stack and
 * endpoint, and alarms.
 */
export class LlmOpsPipelineStack extends Stack {
  /** The CDK pipeline. */
  public readonly pipeline: pipelines.CodePipeline;
  /** The source step: the repository branch through the connection. */
  public readonly source: pipelines.CodePipelineSource;
  /** One stage per environment, in promotion order. */
  public readonly stages: LlmOpsStage[];
  /** The verify step of each environment. */
  public readonly verifySteps: { readonly [environment: string]: pipelines.CodeBuildStep };
  /** The pipeline's artifact bucket: SSE-KMS with `artifactKey`, TLS-only, versioned, with server access logs. */
  public readonly artifactBucket: s3.Bucket;
  /** The customer managed key (rotated yearly) of the artifact bucket. */
  public readonly artifactKey: kms.Key;

  private readonly qualifier: string;

  constructor(scope: Construct, id: string, props: LlmOpsPipelineStackProps) {
    super(scope, id, { description: 'cdk-llmops: CDK pipeline that deploys the LLMOps environments in promotion order', ...props });
    const environments = props.environments ?? [...ENVIRONMENTS];
    const projectName = props.projectName ?? PRESETS.dev.projectName;
    const branch = props.branch ?? 'main';
    const approvals = props.manualApprovalBefore ?? (environments.includes('prod') ? ['prod'] : []);
    const installCommands = props.installCommands ?? ['npm install'];
    this.qualifier = props.bootstrapQualifier ?? 'hnb659fds';
    this.validate(props, environments, projectName, branch, approvals);
    // Access logs are delivered through a bucket policy, never an ACL, whatever the app's feature flags say.
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);

    this.artifactKey = new kms.Key(this, 'ArtifactKey', customerKeyProps(`Encrypts the pipeline artifacts of ${this.node.path}`, RemovalPolicy.RETAIN));
    const accessLogs = new s3.Bucket(this, 'AccessLogsBucket', secureBucketProps({ removalPolicy: RemovalPolicy.RETAIN, noncurrentVersionExpiration: Duration.days(90) }));
    const reason = 'this bucket is the server-access-log target of the artifact bucket';
    Validations.of(accessLogs).acknowledge({ id: 'AwsSolutions-S1', reason: `${reason}; logging its own access would loop` });
    acknowledgeComplianceRule(accessLogs, 'S3BucketLoggingEnabled', `${reason}; logging its own access would loop`);
    acknowledgeComplianceRule(accessLogs, 'S3DefaultEncryptionKMS', `${reason}; S3 server access logging supports only SSE-S3 on its target`);
    acknowledgeReplication(accessLogs);
    this.artifactBucket = new s3.Bucket(this, 'ArtifactBucket', secureBucketProps({
      encryptionKey: this.artifactKey,
      accessLogsBucket: accessLogs,
      accessLogsPrefix: 'artifacts/',
      removalPolicy: RemovalPolicy.RETAIN,
      noncurrentVersionExpiration: Duration.days(30),
    }));
    acknowledgeReplication(this.artifactBucket);

    this.source = pipelines.CodePipelineSource.connection(props.repository, branch, { connectionArn: props.connectionArn, triggerOnPush: true });
    this.pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      synth: new pipelines.ShellStep('Synth', {
        input: this.source,
        installCommands,
        commands: props.synthCommands ?? ['npm run build', 'npx cdk synth'],
        primaryOutputDirectory: props.synthOutputDirectory ?? 'cdk.out',
      }),
      // A customer key encrypts the artifacts, so stages can deploy to other accounts; crossAccountKeys gives the
      // buckets of cross-region support stacks a rotated key too.
      artifactBucket: this.artifactBucket,
      crossAccountKeys: true,
      enableKeyRotation: true,
      dockerEnabledForSynth: false,
      dockerEnabledForSelfMutation: false,
      codeBuildDefaults: {
        buildEnvironment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, privileged: false },
        // The library and aws-cdk-lib need Node.js 20; the image's default is 18.
        partialBuildSpec: codebuild.BuildSpec.fromObject({ version: '0.2', phases: { install: { 'runtime-versions': { nodejs: '20' } } } }),
      },
    });

    const verifySteps: Record<string, pipelines.CodeBuildStep> = {};
    this.stages = environments.map((environment, i) => {
      const target = props.targets?.[environment] ?? (props.account !== undefined ? { account: props.account, region: props.region! } : undefined);
      const stage = new LlmOpsStage(this, environment, { environment, projectName, env: target });
      // Where the stage really deploys: the pipeline's target, else the account and region of its configuration.
      const deployed = target ?? (stage.config.account !== undefined && stage.config.region !== undefined
        ? { account: stage.config.account, region: stage.config.region } : undefined);
      const verify = this.verifyStep(stage, deployed, props.verifyInstallCommands ?? [...installCommands, 'npm run build']);
      verifySteps[environment] = verify;
      this.pipeline.addStage(stage, {
        pre: approvals.includes(environment)
          ? [new pipelines.ManualApprovalStep(`Approve-${environment}`, {
            comment: `Deploy ${projectName} to ${environment}?${i > 0 ? ` This commit is deployed to ${environments[i - 1]} and passed llmops verify there.` : ''}`,
          })]
          : [],
        post: [verify],
      });
      return stage;
    });
    this.verifySteps = verifySteps;
  }

  /**
   * The post-deployment check of a stage. In the pipeline's account it may describe the stack, its endpoint (and
   * inference component) and its alarms; in another account it assumes that account's CDK lookup role (read-only).
   */
  private verifyStep(stage: LlmOpsStage, target: LlmOpsDeploymentTarget | undefined, installCommands: string[]): pipelines.CodeBuildStep {
    const { environment, projectName } = stage.config;
    const verify = `npx --no llmops verify --env ${environment} --project ${projectName} --json`;
    const crossAccount = target !== undefined && target.account !== this.account;
    const account = target?.account ?? this.account;
    const region = target?.region ?? this.region;
    let commands = [verify];
    let rolePolicyStatements: iam.PolicyStatement[];
    if (crossAccount) {
      const lookupRole = `arn:${this.partition}:iam::${account}:role/cdk-${this.qualifier}-lookup-role-${account}-${region}`;
      // One shell command, so the exported credentials reach the verify command; nothing echoes them.
      // A failed assume-role stops the step (rather than running verify with CodeBuild's own credentials).
      commands = [`creds=$(aws sts assume-role --role-arn ${lookupRole} --role-session-name llmops-verify-${environment} `
        + '--query "Credentials.[AccessKeyId,SecretAccessKey,SessionToken]" --output text) || exit 1; '
        + `export $(printf "AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_SESSION_TOKEN=%s" $creds) && ${verify}`];
      rolePolicyStatements = [new iam.PolicyStatement({ actions: ['sts:AssumeRole'], resources: [lookupRole] })];
    } else {
      rolePolicyStatements = this.verifyPolicy(stage.stack, account, region);
    }
    return new pipelines.CodeBuildStep('Verify', {
      input: this.source,
      installCommands,
      commands,
      env: target ? { AWS_REGION: target.region, AWS_DEFAULT_REGION: target.region } : undefined,
      rolePolicyStatements,
    });
  }

  /**
   * What `llmops verify` calls in one environment (constructs/permissions.ts lists the actions): the stack's outputs
   * and resources, its endpoint and inference component, and its alarms.
   */
  private verifyPolicy(stack: LlmOpsStack, account: string, region: string): iam.PolicyStatement[] {
    const arn = (service: string, resource: string, resourceName: string) => this.formatArn({ service, resource, resourceName, account, region });
    const sagemaker = [arn('sagemaker', 'endpoint', stack.endpoint.endpointName.toLowerCase())];
    const sagemakerActions = [...VERIFY_ENDPOINT_ACTIONS];
    if (stack.modelComponent) {
      sagemaker.push(arn('sagemaker', 'inference-component', stack.modelComponent.inferenceComponentName.toLowerCase()));
      sagemakerActions.push(...VERIFY_COMPONENT_ACTIONS);
    }
    return [
      // The stack ID (a UUID) follows the name: `/*` matches only this stack's instances.
      new iam.PolicyStatement({ actions: VERIFY_STACK_ACTIONS, resources: [arn('cloudformation', 'stack', `${stack.stackName}/*`)] }),
      new iam.PolicyStatement({ actions: sagemakerActions, resources: sagemaker }),
      // DescribeAlarms has no resource-level permissions; it reads alarm states and configuration only.
      new iam.PolicyStatement({ actions: VERIFY_ALARM_ACTIONS, resources: ['*'] }),
    ];
  }

  private validate(props: LlmOpsPipelineStackProps, environments: string[], projectName: string, branch: string, approvals: string[]): void {
    const v = new PropValidator('LlmOpsPipelineStack', this);
    if (!Token.isUnresolved(props.connectionArn)) {
      v.check(CONNECTION_ARN.test(props.connectionArn), 'LLMOPS_PIPELINE_CONNECTION_ARN', 'connectionArn', props.connectionArn,
        'is not a connection ARN; allowed: arn:<partition>:codeconnections:<region>:<account>:connection/<uuid> (or codestar-connections)');
    }
    // CDK Pipelines needs the repository at synth time, so a token is refused too.
    const parts = props.repository.split('/');
    v.check(!Token.isUnresolved(props.repository) && parts.length >= 2 && parts.length <= 23 && parts.every(p => REPOSITORY_PART.test(p)),
      'LLMOPS_PIPELINE_REPOSITORY', 'repository', props.repository,
      "is not a repository path; allowed: 'owner/name' (or 'owner/group/…/name'), each part letters, digits, '_', '.' or '-'");
    if (!Token.isUnresolved(branch)) {
      v.check(/^(?!\/|.*\/\/|.*\.\.|.*\/$|.*\.lock$)[^\s~^:?*[\\;$`&|<>'"()]+$/.test(branch), 'LLMOPS_PIPELINE_BRANCH', 'branch', branch,
        'is not a git branch name this pipeline accepts; allowed: a name without spaces, ~ ^ : ? * [ \\ .., or shell characters ; $ ` & | < > \' " ( )');
    }
    v.check(PROJECT_NAME.test(projectName), 'LLMOPS_PIPELINE_PROJECT_NAME', 'projectName', projectName,
      "is not usable in a stack name; allowed: a letter, then up to 63 letters, digits and '-'");

    if (environments.length === 0) {
      v.fail('LLMOPS_PIPELINE_ENVIRONMENTS', 'environments', environments, `is empty; allowed: one or more of ${ENVIRONMENT_LIST}, in that order`);
    }
    const known = (e: string) => (ENVIRONMENTS as readonly string[]).includes(e);
    environments.forEach((e, i) => {
      if (!known(e)) v.fail('LLMOPS_PIPELINE_ENVIRONMENT', `environments[${i}]`, e, `is not a preset; allowed: ${ENVIRONMENT_LIST}`);
      else if (environments.indexOf(e) !== i) v.fail('LLMOPS_PIPELINE_ENVIRONMENT', `environments[${i}]`, e, 'is listed twice; each environment deploys once');
    });
    const ranks = environments.filter(known).map(e => ENVIRONMENTS.indexOf(e as EnvironmentName));
    if (ranks.some((r, i) => i > 0 && r < ranks[i - 1])) {
      v.fail('LLMOPS_PIPELINE_ORDER', 'environments', environments, `is out of promotion order; allowed: a subset of ${ENVIRONMENT_LIST}, in that order`);
    }
    approvals.forEach((e, i) => v.check(environments.includes(e), 'LLMOPS_PIPELINE_APPROVAL', `manualApprovalBefore[${i}]`, e,
      `is not deployed by this pipeline; allowed: one of ${environments.join(', ')}`));

    const pinned: Array<[string, Partial<LlmOpsDeploymentTarget>]> = [];
    if (props.account !== undefined || props.region !== undefined) pinned.push(['', { account: props.account, region: props.region }]);
    for (const [environment, target] of Object.entries(props.targets ?? {})) {
      v.check(environments.includes(environment), 'LLMOPS_PIPELINE_TARGET', `targets.${environment}`, target,
        `names an environment this pipeline does not deploy; allowed: ${environments.join(', ')}`);
      pinned.push([`targets.${environment}.`, target]);
    }
    for (const [prefix, t] of pinned) {
      if (prefix === '' && (t.account === undefined) !== (t.region === undefined)) {
        v.fail('LLMOPS_PIPELINE_TARGET', 'account/region', t, 'must be given together, or both left out (environment-agnostic stacks)');
        continue;
      }
      if (t.account !== undefined && !Token.isUnresolved(t.account)) {
        v.check(AWS_ACCOUNT_ID.test(t.account), 'LLMOPS_PIPELINE_TARGET', `${prefix}account`, t.account, 'is not an AWS account ID; allowed: 12 digits');
      }
      if (t.region !== undefined && !Token.isUnresolved(t.region)) {
        v.check(AWS_REGION_NAME.test(t.region), 'LLMOPS_PIPELINE_TARGET', `${prefix}region`, t.region, "is not an AWS region; allowed: e.g. 'eu-west-1'");
      }
    }
    if (pinned.length > 0) {
      v.check(!Token.isUnresolved(this.account) && !Token.isUnresolved(this.region), 'LLMOPS_PIPELINE_ENV', 'env', props.env,
        'must give the pipeline\'s account and region when environments are pinned (account/region or targets): CodePipeline needs them for cross-account and cross-region actions');
    }

    for (const prop of ['installCommands', 'synthCommands', 'verifyInstallCommands'] as const) {
      const commands = props[prop];
      // The synth step must run something; install and verify-install lists may be empty.
      const empty = prop === 'synthCommands' && commands?.length === 0;
      v.check(commands === undefined || (!empty && commands.every(c => c.trim() !== '')), 'LLMOPS_PIPELINE_COMMANDS', prop, commands,
        empty ? 'is empty; allowed: one or more commands that write the cloud assembly' : 'has an empty command; allowed: non-empty shell commands');
    }
    const out = props.synthOutputDirectory;
    if (out !== undefined) {
      v.check(out.trim() !== '' && !out.startsWith('/') && !out.split('/').includes('..'), 'LLMOPS_PIPELINE_OUTPUT_DIRECTORY', 'synthOutputDirectory', out,
        "is not a directory inside the checkout; allowed: a relative path such as 'cdk.out'");
    }
    v.check(/^[a-z0-9]{1,10}$/.test(this.qualifier), 'LLMOPS_PIPELINE_QUALIFIER', 'bootstrapQualifier', this.qualifier,
      'is not a CDK bootstrap qualifier; allowed: 1 to 10 lowercase letters and digits');
    v.throwIfInvalid();
  }
}
