import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks } from 'cdk-nag';
import { addLlmOpsStacks, ENVIRONMENTS, LlmOpsStack } from '../lib';

// The main job, as `npm run synth` runs it: the default app in every preset, with the cdk.json feature flags,
// CloudFormation schema validation on (findings are errors) and the three cdk-nag packs as a gate.
const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8'));

function gatedApp(outdir: string): App {
  const app = new App({ context: cdkJson.context, outdir, builtinCloudFormationValidation: true });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app));
  return app;
}

describe('When the default app is synthesized with CloudFormation validation and cdk-nag on', () => {
  const saved = process.env.CDK_VALIDATION;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-app-'));
  let stacks: LlmOpsStack[];
  let synthError: unknown;

  beforeAll(() => {
    process.env.CDK_VALIDATION = 'true';
    const app = gatedApp(outdir);
    stacks = addLlmOpsStacks(app);
    try {
      app.synth();
    } catch (e) {
      synthError = e;
    }
  });

  afterAll(() => {
    process.env.CDK_VALIDATION = saved;
    fs.rmSync(outdir, { recursive: true, force: true });
  });

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

  test('the compliance gate fails synth on an unencrypted, unlogged bucket', () => {
    process.env.CDK_VALIDATION = 'false';
    const app = gatedApp(fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-bad-')));
    new s3.Bucket(new Stack(app, 'Bad'), 'Naked');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1|AwsSolutions-S10/);
  });

  test('the schema validator fails synth on a property of the wrong type', () => {
    process.env.CDK_VALIDATION = 'true';
    const app = new App({ context: cdkJson.context, outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-schema-')) });
    const stack = new Stack(app, 'Schema');
    const bucket = new s3.CfnBucket(stack, 'Bucket');
    bucket.addPropertyOverride('VersioningConfiguration', 'yes');
    expect(() => app.synth()).toThrow(/VersioningConfiguration/);
  });
});
