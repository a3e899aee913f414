import * as fs from 'fs';
import * as path from 'path';
import { App, Fn } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { LlmOpsPipelineStack, LlmOpsPipelineStackProps, LlmOpsStage } from '../../lib/pipeline-stack';
import { ENVIRONMENTS, LlmOpsStack } from '../../lib';
import { CDK_JSON_CONTEXT, validatedSynth, validationError } from '../util';

const CONNECTION = 'arn:aws:codeconnections:eu-west-1:111122223333:connection/0123abcd-0123-4567-89ab-0123456789ab';
const REQUIRED: LlmOpsPipelineStackProps = { connectionArn: CONNECTION, repository: 'acme/llm-platform' };

interface Action {
  readonly Name: string;
  readonly RunOrder: number;
  readonly Region?: string;
  readonly RoleArn?: unknown;
  readonly ActionTypeId: { readonly Category: string; readonly Provider: string };
  readonly Configuration: Record<string, any>;
}
interface PipelineStage { readonly Name: string; readonly Actions: Action[] }

/** The stages of the one CodePipeline in the template. */
function pipelineStages(template: Template): PipelineStage[] {
  const pipelines = Object.values(template.findResources('AWS::CodePipeline::Pipeline'));
  expect(pipelines).toHaveLength(1);
  return pipelines[0].Properties.Stages;
}

function stageNamed(template: Template, name: string): PipelineStage {
  const stage = pipelineStages(template).find(s => s.Name === name);
  if (!stage) throw new Error(`no pipeline stage '${name}'`);
  return stage;
}

/** The buildspec of the CodeBuild project a CodeBuild action runs. */
function buildSpecOf(template: Template, action: Action): any {
  const projectId = action.Configuration.ProjectName.Ref as string;
  return JSON.parse(template.toJSON().Resources[projectId].Properties.Source.BuildSpec);
}

/** The statements of the default policy of the role a CodeBuild action's project runs as. */
function projectStatements(template: Template, action: Action): any[] {
  const project = template.toJSON().Resources[action.Configuration.ProjectName.Ref];
  const roleId = project.Properties.ServiceRole['Fn::GetAtt'][0] as string;
  const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }));
  return policies.flatMap(p => p.Properties.PolicyDocument.Statement);
}

const deployActions = (stage: PipelineStage) => stage.Actions.filter(a => a.ActionTypeId.Category === 'Deploy');

describe('When the default pipeline is synthesized with CloudFormation validation on', () => {
  let app: App;
  let pipeline: LlmOpsPipelineStack;
  let template: Template;
  let outdir: string;
  let synthError: unknown;

  beforeAll(() => {
    let built: { app: App; pipeline: LlmOpsPipelineStack };
    ({ result: built, outdir, error: synthError } = validatedSynth('llmops-pipeline-', a => ({ app: a, pipeline: new LlmOpsPipelineStack(a, 'LlmOpsPipeline', REQUIRED) })));
    ({ app, pipeline } = built);
    template = Template.fromJSON(JSON.parse(fs.readFileSync(path.join(outdir, pipeline.templateFile), 'utf8')));
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('it synthesizes offline with no schema finding, writing the pipeline template and one nested assembly per environment', () => {
    expect(synthError).toBeUndefined();
    expect(fs.existsSync(path.join(outdir, pipeline.templateFile))).toBe(true);
    for (const env of ENVIRONMENTS) expect(fs.existsSync(path.join(outdir, `assembly-LlmOpsPipeline-${env}`))).toBe(true);
    expect(app.synth().manifest.missing).toBeUndefined();
  });

  test('the source action pulls the main branch of the repository through the connection', () => {
    const [source] = stageNamed(template, 'Source').Actions;
    expect(source.ActionTypeId).toEqual(expect.objectContaining({ Category: 'Source', Provider: 'CodeStarSourceConnection' }));
    expect(source.Configuration).toEqual(expect.objectContaining({ ConnectionArn: CONNECTION, FullRepositoryId: 'acme/llm-platform', BranchName: 'main' }));
  });

  test('the environments deploy after synth, self-update and assets, in the order dev, staging, prod', () => {
    const names = pipelineStages(template).map(s => s.Name);
    expect(names.slice(0, 3)).toEqual(['Source', 'Build', 'UpdatePipeline']);
    expect(names.slice(-3)).toEqual(['dev', 'staging', 'prod']);
  });

  test('each environment stage deploys its registry stack, then its LlmOpsStack, under the default app\'s stack names', () => {
    for (const env of ENVIRONMENTS) {
      const deploys = deployActions(stageNamed(template, env));
      expect(deploys.map(a => [a.Configuration.StackName, a.Configuration.ActionMode])).toEqual([
        [`LlmOps-${env}-registry`, 'CHANGE_SET_REPLACE'], [`LlmOps-${env}-registry`, 'CHANGE_SET_EXECUTE'],
        [`LlmOps-${env}`, 'CHANGE_SET_REPLACE'], [`LlmOps-${env}`, 'CHANGE_SET_EXECUTE'],
      ]);
      expect(deploys.map(a => a.RunOrder)).toEqual([...deploys.map(a => a.RunOrder)].sort((a, b) => a - b));
    }
  });

  test('a manual approval runs before the prod deploy actions, and only there', () => {
    const prod = stageNamed(template, 'prod');
    const approvals = prod.Actions.filter(a => a.ActionTypeId.Category === 'Approval');
    expect(approvals).toHaveLength(1);
    expect(approvals[0].ActionTypeId.Provider).toBe('Manual');
    expect(approvals[0].Configuration.CustomData).toBe('Deploy LlmOps to prod? This commit is deployed to staging and passed llmops verify there.');
    expect(Math.min(...deployActions(prod).map(a => a.RunOrder))).toBeGreaterThan(approvals[0].RunOrder);
    for (const env of ['dev', 'staging']) {
      expect(stageNamed(template, env).Actions.filter(a => a.ActionTypeId.Category === 'Approval')).toEqual([]);
    }
  });

  test.each(ENVIRONMENTS)('after the %s deploy actions, a CodeBuild action runs `llmops verify` for that environment', env => {
    const stage = stageNamed(template, env);
    const verify = stage.Actions.filter(a => a.Name === 'Verify');
    expect(verify).toHaveLength(1);
    expect(verify[0].ActionTypeId.Provider).toBe('CodeBuild');
    expect(verify[0].RunOrder).toBeGreaterThan(Math.max(...deployActions(stage).map(a => a.RunOrder)));
    const spec = buildSpecOf(template, verify[0]);
    expect(spec.phases.install.commands).toEqual(['npm install', 'npm run build']);
    expect(spec.phases.build.commands).toEqual([`npx --no llmops verify --env ${env} --project LlmOps --json`]);
  });

  test('the verify step may describe only its environment\'s stack and endpoint (and alarms), in the pipeline\'s own account', () => {
    const verify = stageNamed(template, 'staging').Actions.find(a => a.Name === 'Verify')!;
    const statements = projectStatements(template, verify);
    const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${rest.split(':')[0]}:`, { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${rest.split(':').slice(1).join(':')}`]] });
    const endpointName = pipeline.stages[1].stack.endpoint.endpointName;
    expect(statements).toEqual(expect.arrayContaining([
      { Effect: 'Allow', Action: ['cloudformation:DescribeStacks', 'cloudformation:ListStackResources'], Resource: arn('cloudformation:stack/LlmOps-staging/*') },
      { Effect: 'Allow', Action: 'sagemaker:DescribeEndpoint', Resource: arn(`sagemaker:endpoint/${endpointName}`) },
      { Effect: 'Allow', Action: 'cloudwatch:DescribeAlarms', Resource: '*' },
    ]));
    expect(statements.flatMap(s => [s.Action].flat())).not.toContain('sts:AssumeRole');
  });

  test('the dev verify step may also describe the inference component that serves dev', () => {
    const verify = stageNamed(template, 'dev').Actions.find(a => a.Name === 'Verify')!;
    const component = pipeline.stages[0].stack.modelComponent!.inferenceComponentName;
    expect(projectStatements(template, verify)).toEqual(expect.arrayContaining([expect.objectContaining({
      Action: ['sagemaker:DescribeEndpoint', 'sagemaker:DescribeInferenceComponent'],
      Resource: [expect.anything(), { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:inference-component/${component}`]] }],
    })]));
  });

  test('the synth step installs, builds and synthesizes with the defaults, and publishes cdk.out', () => {
    const [synth] = stageNamed(template, 'Build').Actions;
    const spec = buildSpecOf(template, synth);
    expect(spec.phases.install.commands).toEqual(['npm install']);
    expect(spec.phases.build.commands).toEqual(['npm run build', 'npx cdk synth']);
    expect(spec.artifacts['base-directory']).toBe('cdk.out');
  });

  test('every CodeBuild project runs unprivileged (no Docker) on Node.js 20, encrypted with the artifact key', () => {
    const projects = Object.values(template.findResources('AWS::CodeBuild::Project'));
    expect(projects.length).toBeGreaterThanOrEqual(6);
    const keyArn = { 'Fn::GetAtt': [pipeline.getLogicalId(pipeline.artifactKey.node.defaultChild as any), 'Arn'] };
    for (const project of projects) {
      expect(project.Properties.Environment).toEqual(expect.objectContaining({ PrivilegedMode: false, Image: 'aws/codebuild/standard:7.0' }));
      expect(project.Properties.EncryptionKey).toEqual(keyArn);
      expect(JSON.parse(project.Properties.Source.BuildSpec).phases.install['runtime-versions']).toEqual({ nodejs: '20' });
    }
  });

  test('the artifact bucket is encrypted with a rotated customer key, versioned, logged and TLS-only, and the pipeline stores its artifacts there', () => {
    const keyId = pipeline.getLogicalId(pipeline.artifactKey.node.defaultChild as any);
    const bucketId = pipeline.getLogicalId(pipeline.artifactBucket.node.defaultChild as any);
    template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } }, BucketKeyEnabled: true }] },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'artifacts/' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      ArtifactStore: { Type: 'S3', Location: { Ref: bucketId }, EncryptionKey: { Type: 'KMS', Id: { 'Fn::GetAtt': [keyId, 'Arn'] } } },
    });
  });

  test('the stacks inside the stages are the LlmOpsStacks of each preset, named <project>-<environment>', () => {
    expect(pipeline.stages.map(s => s.stageName)).toEqual([...ENVIRONMENTS]);
    for (const [i, env] of ENVIRONMENTS.entries()) {
      const stage = pipeline.stages[i];
      expect(stage).toBeInstanceOf(LlmOpsStage);
      expect(stage.stack).toBeInstanceOf(LlmOpsStack);
      expect(stage.stack.config.environment).toBe(env);
      const assembly = app.synth().getNestedAssembly(`assembly-LlmOpsPipeline-${env}`);
      expect(assembly.stacks.map(s => s.stackName)).toEqual([`LlmOps-${env}-registry`, `LlmOps-${env}`]);
      const stackTemplate = Template.fromJSON(JSON.parse(fs.readFileSync(assembly.getStackByName(`LlmOps-${env}`).templateFullPath, 'utf8')));
      stackTemplate.resourceCountIs('AWS::SageMaker::Endpoint', 1);
      stackTemplate.hasOutput('EndpointName', { Value: stage.stack.endpoint.endpointName });
    }
  });
});

describe('When the pipeline deploys staging and prod of a project, pinned, with prod in another account and region', () => {
  let pipeline: LlmOpsPipelineStack;
  let template: Template;

  beforeAll(() => {
    pipeline = new LlmOpsPipelineStack(new App({ context: CDK_JSON_CONTEXT }), 'ChatPipeline', {
      ...REQUIRED,
      env: { account: '111122223333', region: 'eu-west-1' },
      projectName: 'Chat',
      branch: 'release',
      environments: ['staging', 'prod'],
      manualApprovalBefore: ['staging', 'prod'],
      account: '111122223333',
      region: 'eu-west-1',
      targets: { prod: { account: '444455556666', region: 'eu-central-1' } },
      installCommands: ['npm ci'],
      synthCommands: ['npm run build', 'npx cdk synth -c pipeline=true'],
      synthOutputDirectory: 'out/cdk',
    });
    template = Template.fromStack(pipeline);
  });

  test('the source follows the given branch', () => {
    expect(stageNamed(template, 'Source').Actions[0].Configuration.BranchName).toBe('release');
  });

  test('only the given environments deploy, in order, each after a manual approval', () => {
    expect(pipelineStages(template).map(s => s.Name).slice(-2)).toEqual(['staging', 'prod']);
    expect(pipelineStages(template).map(s => s.Name)).not.toContain('dev');
    for (const env of ['staging', 'prod']) {
      const stage = stageNamed(template, env);
      expect(stage.Actions[0]).toEqual(expect.objectContaining({ RunOrder: 1, ActionTypeId: expect.objectContaining({ Category: 'Approval' }) }));
    }
  });

  test('the stacks carry the project name and their environment\'s account and region', () => {
    expect(pipeline.stages.map(s => [s.stack.stackName, s.stack.account, s.stack.region])).toEqual([
      ['Chat-staging', '111122223333', 'eu-west-1'],
      ['Chat-prod', '444455556666', 'eu-central-1'],
    ]);
    expect(pipeline.stages.map(s => s.registry?.stackName)).toEqual(['Chat-staging-registry', 'Chat-prod-registry']);
  });

  test('prod deploys through the bootstrap roles of its own account and region', () => {
    // CDK Pipelines fills the bootstrap role placeholders with the partition of the pipeline's region.
    const role = (name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::444455556666:role/cdk-hnb659fds-${name}-444455556666-eu-central-1`]] });
    for (const action of deployActions(stageNamed(template, 'prod'))) {
      expect(action.Region).toBe('eu-central-1');
      expect(action.RoleArn).toEqual(role('deploy-role'));
    }
    expect(deployActions(stageNamed(template, 'staging')).every(a => a.Region === undefined)).toBe(true);
  });

  test('the prod verify step reads prod through its account\'s CDK lookup role, in prod\'s region', () => {
    const verify = stageNamed(template, 'prod').Actions.find(a => a.Name === 'Verify')!;
    const lookupRole = 'arn:aws:iam::444455556666:role/cdk-hnb659fds-lookup-role-444455556666-eu-central-1';
    const spec = buildSpecOf(template, verify);
    expect(spec.phases.build.commands).toHaveLength(1);
    expect(spec.phases.build.commands[0]).toMatch(new RegExp(`^creds=\\$\\(aws sts assume-role --role-arn ${lookupRole} .*\\) \\|\\| exit 1; export .* && npx --no llmops verify --env prod --project Chat --json$`));
    const statements = projectStatements(template, verify);
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: lookupRole });
    expect(statements.flatMap(s => [s.Action].flat()).filter(a => /^(cloudformation|sagemaker|cloudwatch):/.test(a))).toEqual([]);
    const project = template.toJSON().Resources[verify.Configuration.ProjectName.Ref];
    expect(project.Properties.Environment.EnvironmentVariables).toEqual(expect.arrayContaining([
      { Name: 'AWS_REGION', Type: 'PLAINTEXT', Value: 'eu-central-1' },
      { Name: 'AWS_DEFAULT_REGION', Type: 'PLAINTEXT', Value: 'eu-central-1' },
    ]));
  });

  test('the staging verify step reads staging in the pipeline account directly', () => {
    const verify = stageNamed(template, 'staging').Actions.find(a => a.Name === 'Verify')!;
    expect(buildSpecOf(template, verify).phases.build.commands).toEqual(['npx --no llmops verify --env staging --project Chat --json']);
    expect(projectStatements(template, verify)).toContainEqual({
      Effect: 'Allow', Action: ['cloudformation:DescribeStacks', 'cloudformation:ListStackResources'], Resource: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/Chat-staging/*',
    });
  });

  test('the synth step uses the given commands and output directory, and the verify step the given install commands', () => {
    const spec = buildSpecOf(template, stageNamed(template, 'Build').Actions[0]);
    expect(spec.phases.install.commands).toEqual(['npm ci']);
    expect(spec.phases.build.commands).toEqual(['npm run build', 'npx cdk synth -c pipeline=true']);
    expect(spec.artifacts['base-directory']).toBe('out/cdk');
    const verify = stageNamed(template, 'staging').Actions.find(a => a.Name === 'Verify')!;
    expect(buildSpecOf(template, verify).phases.install.commands).toEqual(['npm ci', 'npm run build']);
  });
});

describe('When the connection ARN is a token', () => {
  test('it is not validated at synth time', () => {
    const app = new App();
    expect(() => new LlmOpsPipelineStack(app, 'Pipeline', { ...REQUIRED, connectionArn: Fn.importValue('ConnectionArn'), environments: ['dev'] })).not.toThrow();
  });
});

describe('When the props are invalid', () => {
  const error = (props: Partial<LlmOpsPipelineStackProps>) => validationError(() => new LlmOpsPipelineStack(new App(), 'Pipeline', { ...REQUIRED, ...props }));
  const where = "LlmOpsPipelineStack at 'Pipeline'";

  test.each<[string, Partial<LlmOpsPipelineStackProps>, string, string]>([
    ['a malformed connection ARN', { connectionArn: 'arn:aws:codestar-connections:eu-west-1:111122223333:connection/my-connection' }, 'LLMOPS_PIPELINE_CONNECTION_ARN',
      "connectionArn 'arn:aws:codestar-connections:eu-west-1:111122223333:connection/my-connection' is not a connection ARN; allowed: arn:<partition>:codeconnections:<region>:<account>:connection/<uuid> (or codestar-connections)"],
    ['a connection ARN of another service', { connectionArn: 'arn:aws:iam::111122223333:role/connection' }, 'LLMOPS_PIPELINE_CONNECTION_ARN',
      "connectionArn 'arn:aws:iam::111122223333:role/connection' is not a connection ARN; allowed: arn:<partition>:codeconnections:<region>:<account>:connection/<uuid> (or codestar-connections)"],
    ['a repository without a slash', { repository: 'llm-platform' }, 'LLMOPS_PIPELINE_REPOSITORY',
      "repository 'llm-platform' is not a repository path; allowed: 'owner/name' (or 'owner/group/…/name'), each part letters, digits, '_', '.' or '-'"],
    ['a repository with an empty part', { repository: 'acme/' }, 'LLMOPS_PIPELINE_REPOSITORY',
      "repository 'acme/' is not a repository path; allowed: 'owner/name' (or 'owner/group/…/name'), each part letters, digits, '_', '.' or '-'"],
    ['a branch with a space', { branch: 'my branch' }, 'LLMOPS_PIPELINE_BRANCH',
      "branch 'my branch' is not a git branch name this pipeline accepts; allowed: a name without spaces, ~ ^ : ? * [ \\ .., or shell characters ; $ ` & | < > ' \" ( )"],
    ['an unknown environment name', { environments: ['dev', 'qa'] }, 'LLMOPS_PIPELINE_ENVIRONMENT',
      "environments[1] 'qa' is not a preset; allowed: dev, staging, prod"],
    ['no environment', { environments: [] }, 'LLMOPS_PIPELINE_ENVIRONMENTS',
      'environments [] is empty; allowed: one or more of dev, staging, prod, in that order'],
    ['an environment listed twice', { environments: ['dev', 'dev'] }, 'LLMOPS_PIPELINE_ENVIRONMENT',
      "environments[1] 'dev' is listed twice; each environment deploys once"],
    ['environments out of promotion order', { environments: ['prod', 'staging'] }, 'LLMOPS_PIPELINE_ORDER',
      'environments ["prod","staging"] is out of promotion order; allowed: a subset of dev, staging, prod, in that order'],
    ['an approval for an environment the pipeline does not deploy', { environments: ['dev', 'staging'], manualApprovalBefore: ['prod'] }, 'LLMOPS_PIPELINE_APPROVAL',
      "manualApprovalBefore[0] 'prod' is not deployed by this pipeline; allowed: one of dev, staging"],
    ['a project name that cannot start a stack name', { projectName: '1chat' }, 'LLMOPS_PIPELINE_PROJECT_NAME',
      "projectName '1chat' is not usable in a stack name; allowed: a letter, then up to 63 letters, digits and '-'"],
    ['an account without a region', { env: { account: '111122223333', region: 'eu-west-1' }, account: '111122223333' }, 'LLMOPS_PIPELINE_TARGET',
      'account/region {"account":"111122223333"} must be given together, or both left out (environment-agnostic stacks)'],
    ['a malformed target account', { env: { account: '111122223333', region: 'eu-west-1' }, targets: { prod: { account: '4444', region: 'eu-west-1' } } }, 'LLMOPS_PIPELINE_TARGET',
      "targets.prod.account '4444' is not an AWS account ID; allowed: 12 digits"],
    ['a malformed target region', { env: { account: '111122223333', region: 'eu-west-1' }, targets: { prod: { account: '444455556666', region: 'Frankfurt' } } }, 'LLMOPS_PIPELINE_TARGET',
      "targets.prod.region 'Frankfurt' is not an AWS region; allowed: e.g. 'eu-west-1'"],
    ['a target for an environment the pipeline does not deploy', { env: { account: '111122223333', region: 'eu-west-1' }, environments: ['dev'], targets: { prod: { account: '444455556666', region: 'eu-west-1' } } },
      'LLMOPS_PIPELINE_TARGET', 'targets.prod {"account":"444455556666","region":"eu-west-1"} names an environment this pipeline does not deploy; allowed: dev'],
    ['pinned environments in an environment-agnostic pipeline stack', { account: '111122223333', region: 'eu-west-1' }, 'LLMOPS_PIPELINE_ENV',
      "env undefined must give the pipeline's account and region when environments are pinned (account/region or targets): CodePipeline needs them for cross-account and cross-region actions"],
    ['no synth command', { synthCommands: [] }, 'LLMOPS_PIPELINE_COMMANDS',
      'synthCommands [] is empty; allowed: one or more commands that write the cloud assembly'],
    ['an empty install command', { installCommands: ['npm ci', ' '] }, 'LLMOPS_PIPELINE_COMMANDS',
      'installCommands ["npm ci"," "] has an empty command; allowed: non-empty shell commands'],
    ['a synth output outside the checkout', { synthOutputDirectory: '../cdk.out' }, 'LLMOPS_PIPELINE_OUTPUT_DIRECTORY',
      "synthOutputDirectory '../cdk.out' is not a directory inside the checkout; allowed: a relative path such as 'cdk.out'"],
    ['a malformed bootstrap qualifier', { bootstrapQualifier: 'My_Qualifier' }, 'LLMOPS_PIPELINE_QUALIFIER',
      "bootstrapQualifier 'My_Qualifier' is not a CDK bootstrap qualifier; allowed: 1 to 10 lowercase letters and digits"],
  ])('%s fails synth with a message naming the prop, the value and what is allowed', (_, props, code, message) => {
    const e = error(props);
    expect(e.codes).toEqual([code]);
    expect(e.message).toBe(`${where}: ${message} [${code}]`);
  });

  test('every problem is reported at once', () => {
    const e = error({ connectionArn: 'connection', repository: 'llm', environments: ['qa'] });
    expect(e.codes).toEqual(['LLMOPS_PIPELINE_CONNECTION_ARN', 'LLMOPS_PIPELINE_REPOSITORY', 'LLMOPS_PIPELINE_ENVIRONMENT']);
    expect(e.message).toMatch(/^LlmOpsPipelineStack at 'Pipeline' has 3 invalid props:\n {2}- connectionArn 'connection' /);
  });
});

describe("When an environment's account and region come from its configuration, not the pipeline's targets", () => {
  const app = new App({ context: { llmops: { prod: { account: '444455556666', region: 'us-east-1' } } } });
  const stack = new LlmOpsPipelineStack(app, 'Pipeline', { ...REQUIRED, env: { account: '111122223333', region: 'eu-west-1' }, environments: ['prod'] });
  const template = Template.fromStack(stack);

  test('the stage deploys there, and its verify step reads that account and region through its lookup role', () => {
    expect(stack.stages[0].stack.account).toBe('444455556666');
    expect(stack.stages[0].stack.region).toBe('us-east-1');
    const verify = stageNamed(template, 'prod').Actions.find(a => a.Name.includes('Verify'))!;
    const project = template.toJSON().Resources[verify.Configuration.ProjectName.Ref as string].Properties;
    expect(JSON.stringify(project.Source.BuildSpec)).toContain('role/cdk-hnb659fds-lookup-role-444455556666-us-east-1');
    expect(project.Environment.EnvironmentVariables).toEqual(expect.arrayContaining([{ Name: 'AWS_REGION', Type: 'PLAINTEXT', Value: 'us-east-1' }]));
  });
});
