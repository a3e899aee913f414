import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CfnModel } from 'aws-cdk-lib/aws-sagemaker';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { addLlmOpsStacks, ENVIRONMENTS, LlmOpsChecks, LlmOpsStack } from '../lib';
import { CDK_JSON_CONTEXT, validatedSynth } from './util';

// The main job, as `npm run synth` runs it: the default app in every preset, with the cdk.json feature flags,
// CloudFormation validation on (findings are errors) and the four compliance packs plus LlmOpsChecks as a gate.
function addCompliancePacks(app: App): App {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new PCIDSS321Checks(app), new LlmOpsChecks(app));
  return app;
}

function gatedApp(outdir: string): App {
  return addCompliancePacks(new App({ context: CDK_JSON_CONTEXT, outdir, builtinCloudFormationValidation: true }));
}

describe('When the default app is synthesized with CloudFormation validation and cdk-nag on', () => {
  let stacks: LlmOpsStack[];
  let synthError: unknown;
  let outdir: string;

  beforeAll(() => {
    ({ result: stacks, error: synthError, outdir } = validatedSynth('llmops-app-', app => addLlmOpsStacks(addCompliancePacks(app))));
  });

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('it builds one stack per preset', () => {
    expect(stacks.map(s => s.stackName)).toEqual(ENVIRONMENTS.map(e => `LlmOps-${e}`));
  });

  test('every preset synthesizes with no schema finding and no unacknowledged compliance finding', () => {
    expect(synthError).toBeUndefined();
    for (const env of ENVIRONMENTS) expect(fs.existsSync(path.join(outdir, `LlmOps-${env}.template.json`))).toBe(true);
  });

  test('the validation report lists no violation', () => {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const violations = (report.pluginReports ?? []).flatMap((r: any) => r.violations ?? []);
    expect(violations).toEqual([]);
  });
});

describe('When a stack breaks the rules', () => {
  const saved = process.env.CDK_VALIDATION;
  afterAll(() => { process.env.CDK_VALIDATION = saved; });

  test('the compliance gate fails synth on a known-bad stack, naming findings of the standard packs and of LlmOpsChecks', () => {
    process.env.CDK_VALIDATION = 'false';
    const app = gatedApp(fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-bad-')));
    knownBadStack(app);
    expect(() => app.synth()).toThrow(/AwsSolutions-S10[\s\S]*LlmOps-SageMakerModelInVpc|LlmOps-SageMakerModelInVpc[\s\S]*AwsSolutions-S10/);
  });

  test('the schema validator fails synth on a property of the wrong type', () => {
    process.env.CDK_VALIDATION = 'true';
    const app = new App({ context: CDK_JSON_CONTEXT, outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-schema-')) });
    const stack = new Stack(app, 'Schema');
    const bucket = new s3.CfnBucket(stack, 'Bucket');
    bucket.addPropertyOverride('VersioningConfiguration', 'yes');
    expect(() => app.synth()).toThrow(/VersioningConfiguration/);
  });
});

/** A public bucket, a wildcard policy and a SageMaker model outside a VPC: what every pack must report. */
function knownBadStack(app: App): Stack {
  const stack = new Stack(app, 'KnownBad');
  new s3.Bucket(stack, 'Public', {
    publicReadAccess: true,
    blockPublicAccess: new s3.BlockPublicAccess({ blockPublicAcls: true, ignorePublicAcls: true, blockPublicPolicy: false, restrictPublicBuckets: false }),
  });
  const role = new iam.Role(stack, 'Admin', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['*'], resources: ['*'] }));
  new CfnModel(stack, 'Model', {
    executionRoleArn: role.roleArn,
    primaryContainer: { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/llm:1', modelDataUrl: 's3://models/llm.tar.gz' },
  });
  return stack;
}

describe('When a known-bad stack is checked by each pack', () => {
  // The same aws-cdk-lib copy as the library: a second copy would make every pack silently find nothing.
  const app = new App();
  knownBadStack(app);
  const found = (pack: { validateScope(scope: App): { violations: Array<{ ruleName: string }> } }) => pack.validateScope(app).violations.map(v => v.ruleName);

  test('AwsSolutions reports the public bucket, its missing TLS policy and the wildcard policy', () => {
    expect(found(new AwsSolutionsChecks())).toEqual(expect.arrayContaining(['AwsSolutions-S2', 'AwsSolutions-S10', 'AwsSolutions-IAM5[Action::*]', 'AwsSolutions-IAM5[Resource::*]']));
  });

  test.each([
    ['HIPAA.Security', () => new HIPAASecurityChecks()],
    ['NIST.800.53.R5', () => new NIST80053R5Checks()],
    ['PCI.DSS.321', () => new PCIDSS321Checks()],
  ])('%s reports public read, the admin-access statement and the inline policy', (prefix, pack) => {
    expect(found(pack())).toEqual(expect.arrayContaining([
      `${prefix}-S3BucketPublicReadProhibited`, `${prefix}-IAMPolicyNoStatementsWithAdminAccess`, `${prefix}-IAMNoInlinePolicy`,
    ]));
  });

  test('LlmOpsChecks reports the model outside a VPC and without network isolation, and the role without a boundary', () => {
    expect(found(new LlmOpsChecks()).sort()).toEqual(['LlmOps-IamRolePermissionsBoundary', 'LlmOps-SageMakerModelInVpc', 'LlmOps-SageMakerModelNetworkIsolation']);
  });
});
