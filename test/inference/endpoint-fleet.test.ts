import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import {
  EndpointFleet, FleetEndpointOptions, GpuInstanceType, IamGuardrails, LlmOpsChecks, MAX_FLEET_ENDPOINTS, ModelSource, ServingContainer,
} from '../../constructs';
import { CDK_JSON_CONTEXT, validationError } from '../util';

type Json = Record<string, any>;

function endpointOptions(fleet: EndpointFleet, id: string): FleetEndpointOptions {
  return {
    model: ModelSource.fromBucket(fleet.foundation.artifactsBucket, `models/${id}/`),
    container: ServingContainer.tgi(),
    instanceType: GpuInstanceType.G5_2XLARGE,
    autoScaling: { minCapacity: 1, maxCapacity: 4 },
  };
}

/** Synthesizes a stack with a fleet of `ids` and returns every template of the assembly, by file name. */
function synthFleet(ids: string[], outdir: string): Record<string, Json> {
  const app = new App({ context: CDK_JSON_CONTEXT, outdir });
  const stack = new Stack(app, 'Fleet');
  const fleet = new EndpointFleet(stack, 'Chat', { fleetName: 'chat' });
  for (const id of ids) fleet.addEndpoint(id, endpointOptions(fleet, id));
  app.synth();
  const templates: Record<string, Json> = {};
  for (const file of fs.readdirSync(outdir).filter(f => f.endsWith('.template.json'))) {
    templates[file] = JSON.parse(fs.readFileSync(path.join(outdir, file), 'utf8'));
  }
  return templates;
}

describe('an endpoint fleet', () => {
  const app = new App({ context: CDK_JSON_CONTEXT });
  const stack = new Stack(app, 'Fleet');
  const fleet = new EndpointFleet(stack, 'Chat', { fleetName: 'chat' });
  const members = ['alpha', 'beta', 'gamma'].map(id => fleet.addEndpoint(id, endpointOptions(fleet, id)));
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  fleet.grantInvoke(reader);
  const parent = Template.fromStack(stack);
  const nested = members.map(m => Template.fromStack(m.stack));

  test('puts each endpoint in its own nested stack of the parent', () => {
    parent.resourceCountIs('AWS::CloudFormation::Stack', 3);
    parent.resourceCountIs('AWS::SageMaker::Endpoint', 0);
    for (const t of nested) t.resourceCountIs('AWS::SageMaker::Endpoint', 1);
  });

  test('names each endpoint <fleetName>-<id>', () => {
    nested[1].hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'chat-beta' });
    expect(fleet.endpoints.map(m => m.endpoint.endpointName)).toEqual(['chat-alpha', 'chat-beta', 'chat-gamma']);
  });

  test('gives each endpoint its auto scaling, alarms named after the fleet, and a composite health alarm', () => {
    const t = nested[0];
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 1);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 4 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'chat-alpha-ModelLatencyP99-Critical' });
    t.hasResourceProperties('AWS::CloudWatch::CompositeAlarm', { AlarmName: 'chat-alpha-ServiceHealth-Critical' });
    expect(Object.keys(t.findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThanOrEqual(10);
  });

  test('sends every alarm to the fleet topic and builds no dashboard per endpoint', () => {
    const t = nested[2];
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: Match.stringLikeRegexp('^referencetoFleetChatAlarmsTopic') }] });
  });

  test('puts a permissions boundary on each nested stack\'s roles', () => {
    for (const t of nested) {
      t.resourceCountIs('AWS::IAM::ManagedPolicy', 3);
      t.hasResourceProperties('AWS::IAM::Role', { PermissionsBoundary: { Ref: Match.stringLikeRegexp('^GuardrailsBoundary') } });
    }
  });

  test('has one fleet dashboard that finds every endpoint by name prefix', () => {
    parent.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const body = JSON.stringify(parent.findResources('AWS::CloudWatch::Dashboard'));
    expect(body).toContain('SEARCH(\'{AWS/SageMaker,EndpointName,VariantName} MetricName=\\\\\\"Invocations\\\\\\" EndpointName=\\\\\\"chat\\\\\\"\'');
    expect(body).not.toContain('chat-alpha');
  });

  test('grants invoke on every endpoint of the fleet by name prefix', () => {
    parent.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [{
          Action: ['sagemaker:InvokeEndpoint', 'sagemaker:InvokeEndpointWithResponseStream'],
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':endpoint/chat-*']] },
        }],
      },
    });
  });
});

describe('adding an endpoint to a fleet', () => {
  const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-fleet-')));
  const before = synthFleet(['alpha', 'beta', 'gamma'], dirs[0]);
  // The new endpoint is added in the middle of the code, not at the end.
  const after = synthFleet(['alpha', 'added', 'beta', 'gamma'], dirs[1]);
  afterAll(() => dirs.forEach(d => fs.rmSync(d, { recursive: true, force: true })));

  test('keeps every existing resource of the parent stack at the same logical ID with the same properties', () => {
    const old = before['Fleet.template.json'].Resources;
    const now = after['Fleet.template.json'].Resources;
    for (const [logicalId, resource] of Object.entries(old)) expect({ logicalId, resource: now[logicalId] }).toEqual({ logicalId, resource });
  });

  test('adds exactly one nested stack to the parent', () => {
    const old = Object.keys(before['Fleet.template.json'].Resources);
    const added = Object.keys(after['Fleet.template.json'].Resources).filter(id => !old.includes(id));
    expect(added).toEqual([expect.stringMatching(/^ChataddedNestedStack/)]);
    expect(after['Fleet.template.json'].Resources[added[0]].Type).toBe('AWS::CloudFormation::Stack');
  });

  test('leaves the existing endpoints\' nested templates unchanged', () => {
    const nestedFiles = Object.keys(before).filter(f => f.endsWith('.nested.template.json'));
    expect(nestedFiles).toHaveLength(3);
    for (const file of nestedFiles) expect({ file, template: after[file] }).toEqual({ file, template: before[file] });
  });
});

describe('a fleet under the compliance packs and IamGuardrails', () => {
  const app = new App({ context: CDK_JSON_CONTEXT, outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-fleet-nag-')) });
  const stack = new Stack(app, 'Fleet');
  const fleet = new EndpointFleet(stack, 'Chat', { fleetName: 'chat' });
  new IamGuardrails(stack, 'Guardrails');
  for (const id of ['alpha', 'beta']) fleet.addEndpoint(id, endpointOptions(fleet, id));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new PCIDSS321Checks(app), new LlmOpsChecks(app));
  afterAll(() => fs.rmSync(app.outdir, { recursive: true, force: true }));

  test('synthesizes with no unacknowledged finding', () => {
    expect(() => app.synth()).not.toThrow();
  });
});

describe('a fleet of 200 endpoints with monitoring', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-fleet-200-'));
  const ids = Array.from({ length: 200 }, (_, i) => `m${i}`);
  const templates = synthFleet(ids, outdir);
  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));
  const sizes = Object.entries(templates).map(([file, t]) => ({
    file,
    resources: Object.keys(t.Resources ?? {}).length,
    parameters: Object.keys(t.Parameters ?? {}).length,
    outputs: Object.keys(t.Outputs ?? {}).length,
    bytes: Buffer.byteLength(JSON.stringify(t)),
  }));

  test('synthesizes one parent and 200 nested templates', () => {
    expect(sizes).toHaveLength(201);
    expect(sizes.find(s => s.file === 'Fleet.template.json')!.resources).toBeGreaterThan(200);
  });

  test('keeps every template under CloudFormation\'s limits: 500 resources, 200 parameters and outputs, 1 MB', () => {
    const over = sizes.filter(s => s.resources > 500 || s.parameters > 200 || s.outputs > 200 || s.bytes > 1_000_000);
    expect(over).toEqual([]);
  });
});

describe('fleet validation', () => {
  const stack = new Stack(new App(), 'Fleet');
  const fleet = new EndpointFleet(stack, 'Chat', { fleetName: 'chat' });
  fleet.addEndpoint('alpha', endpointOptions(fleet, 'alpha'));

  test('rejects a fleet name that is not lower-case letters, digits and hyphens', () => {
    const e = validationError(() => new EndpointFleet(stack, 'Bad', { fleetName: 'Chat_Fleet' }));
    expect(e.message).toBe("EndpointFleet at 'Fleet/Bad': fleetName 'Chat_Fleet' is not a valid fleet name; use lower-case letters, digits and single hyphens, starting and ending with a letter or digit, at most 50 characters [LLMOPS_FLEET_NAME]");
  });

  test('rejects an endpoint id with characters an endpoint name cannot hold', () => {
    const e = validationError(() => fleet.addEndpoint('my_model', endpointOptions(fleet, 'x')));
    expect(e.message).toBe("EndpointFleet at 'Fleet/Chat': addEndpoint id 'my_model' is not a valid endpoint id; use letters, digits and single hyphens, starting and ending with a letter or digit [LLMOPS_FLEET_ENDPOINT_ID]");
  });

  test('rejects an id already in the fleet, ignoring case', () => {
    const e = validationError(() => fleet.addEndpoint('Alpha', endpointOptions(fleet, 'x')));
    expect(e.message).toContain("addEndpoint id 'Alpha' is already an endpoint of this fleet (ids are compared ignoring case, as endpoint names are)");
    expect(e.codes).toEqual(['LLMOPS_FLEET_ENDPOINT_ID']);
  });

  test('rejects an id that differs from another only in hyphens, which alarm names leave out', () => {
    const e = validationError(() => fleet.addEndpoint('al-pha', endpointOptions(fleet, 'x')));
    expect(e.message).toBe("EndpointFleet at 'Fleet/Chat': addEndpoint id 'al-pha' gives the same alarm names as endpoint 'alpha' (alarm names leave out hyphens); choose an id that differs in more than hyphens [LLMOPS_FLEET_ENDPOINT_ID]");
  });

  test('rejects an id that makes the endpoint name longer than 63 characters', () => {
    const id = 'a'.repeat(60);
    const e = validationError(() => fleet.addEndpoint(id, endpointOptions(fleet, 'x')));
    expect(e.message).toContain(`makes the endpoint name 'chat-${id}' 65 characters long; SageMaker allows 63`);
  });

  test(`rejects endpoint ${MAX_FLEET_ENDPOINTS + 1}, naming the fix`, () => {
    const big = new EndpointFleet(new Stack(new App(), 'Big'), 'Big', { fleetName: 'big', guardrails: false });
    for (let i = 0; i < MAX_FLEET_ENDPOINTS; i++) big.addEndpoint(`m${i}`, { ...endpointOptions(big, 'm'), monitoring: false });
    const e = validationError(() => big.addEndpoint('one-more', endpointOptions(big, 'm')));
    expect(e.message).toBe(`EndpointFleet at 'Big/Big': addEndpoint id 'one-more' would be endpoint ${MAX_FLEET_ENDPOINTS + 1}; one fleet holds at most ${MAX_FLEET_ENDPOINTS} (one nested-stack resource each, under CloudFormation's 500 resources per stack): put further endpoints in a second EndpointFleet in a sibling stack [LLMOPS_FLEET_TOO_LARGE]`);
  });
});
