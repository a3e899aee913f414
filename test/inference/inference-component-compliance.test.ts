import * as fs from 'fs';
import * as path from 'path';
import { App, PolicyValidationPluginReport, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NagRuleCompliance, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { LeastPrivilegeRole } from '../../constructs/common/least-privilege-role';
import { LlmOpsFoundation } from '../../constructs/foundation/llmops-foundation';
import { IamGuardrails } from '../../constructs/guardrails/iam-guardrails';
import { LlmOpsChecks } from '../../constructs/guardrails/llmops-checks';
import { SageMakerEndpointConfigVolumeKey, SageMakerModelInVpc, SageMakerModelNetworkIsolation } from '../../constructs/guardrails/rules';
import { GpuInstanceType } from '../../constructs/inference/gpu-instance-type';
import { InferenceComponent } from '../../constructs/inference/inference-component';
import { InferenceComponentEndpoint } from '../../constructs/inference/inference-component-endpoint';
import { ModelSource } from '../../constructs/inference/model-source';
import { ServingContainer } from '../../constructs/inference/serving-container';
import { validatedSynth } from '../util';

// The security gate of InferenceComponentEndpoint on its own: the four standard packs and LlmOpsChecks report no
// finding over a stack with a scale-to-zero model, a fixed model, an adapter and a Neuron endpoint in a shared
// foundation, synthesized as `npm run synth` does (CloudFormation schema validation on, the packs as plugins).
const PACKS: Array<[string, () => NagPack]> = [
  ['AwsSolutions', () => new AwsSolutionsChecks()],
  ['HIPAA Security', () => new HIPAASecurityChecks()],
  ['NIST 800-53 R5', () => new NIST80053R5Checks()],
  ['PCI DSS 3.2.1', () => new PCIDSS321Checks()],
  ['LlmOpsChecks', () => new LlmOpsChecks()],
];

function violations(report: PolicyValidationPluginReport): string[] {
  return report.violations.flatMap(v => v.violatingResources.map(r => `${v.ruleName} ${r.constructPath ?? r.resourceLogicalId}`));
}

interface GateStack {
  readonly stack: Stack;
  /** An endpoint with its own foundation: a scale-to-zero LMI base with an adapter, and a fixed TGI model. */
  readonly chat: InferenceComponentEndpoint;
  /** An endpoint on ml.inf2.xlarge in a shared foundation. */
  readonly neuron: InferenceComponentEndpoint;
  readonly base: InferenceComponent;
  readonly adapter: InferenceComponent;
}

function gateStack(app: App): GateStack {
  const stack = new Stack(app, 'Gate');
  const chat = new InferenceComponentEndpoint(stack, 'Chat', { instanceType: GpuInstanceType.G5_12XLARGE, fleet: { minInstances: 0, maxInstances: 2 } });
  const artifacts = chat.foundation!.artifactsBucket;
  const base = chat.addModel('Base', {
    model: ModelSource.fromBucket(artifacts, 'models/base/'), container: ServingContainer.lmi(), acceleratorsPerCopy: 2, copies: { min: 0, max: 2 }, loraAdapters: {},
  });
  chat.addModel('Embedder', { model: ModelSource.fromBucket(artifacts, 'models/embedder/'), acceleratorsPerCopy: 1, copies: { min: 0, max: 2 } });
  const adapter = chat.addAdapter('Sql', { base, adapterSource: { bucket: artifacts, key: 'output/sql-job/output/model.tar.gz' } });

  const shared = new LlmOpsFoundation(stack, 'Shared');
  const neuron = new InferenceComponentEndpoint(stack, 'Neuron', { instanceType: GpuInstanceType.INF2_XLARGE, vpc: shared.vpc, encryptionKey: shared.encryptionKey });
  neuron.addModel('Model', {
    model: ModelSource.fromBucket(shared.artifactsBucket, 'models/neuron/'),
    container: ServingContainer.fromImageUri('123456789012.dkr.ecr.us-east-1.amazonaws.com/neuron-llm:1'),
    acceleratorsPerCopy: 1,
    copies: { min: 1, max: 1 },
  });

  const caller = new LeastPrivilegeRole(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  adapter.grantInvoke(caller);
  neuron.grantInvoke(caller);
  // Permissions boundaries on every role, as LlmOpsStack applies them.
  new IamGuardrails(stack, 'Guardrails');
  return { stack, chat, neuron, base, adapter };
}

describe('When an endpoint with a scale-to-zero model and an adapter is synthesized with schema validation and the compliance packs on', () => {
  let gate: GateStack;
  let outdir: string;
  let synthError: unknown;

  beforeAll(() => {
    ({ result: gate, outdir, error: synthError } = validatedSynth('llmops-ic-gate-', app => {
      Validations.of(app).addPlugins(...PACKS.map(([, pack]) => pack()));
      return gateStack(app);
    }));
  }, 120_000);

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('synth succeeds: no schema finding and no unacknowledged compliance finding', () => {
    expect(synthError).toBeUndefined();
    expect(fs.existsSync(path.join(outdir, 'Gate.template.json'))).toBe(true);
  });

  test('the stack holds the scale-to-zero wake-up, the adapter and both endpoints', () => {
    const template = JSON.parse(fs.readFileSync(path.join(outdir, 'Gate.template.json'), 'utf8'));
    const types = Object.values<any>(template.Resources).map(r => r.Type);
    expect(types.filter(t => t === 'AWS::SageMaker::InferenceComponent')).toHaveLength(4);
    expect(types.filter(t => t === 'AWS::SageMaker::Endpoint')).toHaveLength(2);
    expect(types).toContain('AWS::CloudWatch::Alarm');
    expect(gate.base.scalesToZero).toBe(true);
    expect(gate.adapter.base).toBe(gate.base);
  });

  test.each(PACKS)('%s reports no violation', (_name, pack) => {
    expect(violations(pack().validateScope(gate.stack))).toEqual([]);
  });

  test('the LlmOps SageMaker rules find every model in the VPC and network-isolated, and each config compliant on its volume key', () => {
    const models = [...gate.chat.inferenceComponents, ...gate.neuron.inferenceComponents].flatMap(c => c.cfnModel ?? []);
    expect(models).toHaveLength(3);
    expect(models.map(m => [SageMakerModelInVpc(m), SageMakerModelNetworkIsolation(m)]).flat().every(r => r === NagRuleCompliance.COMPLIANT)).toBe(true);
    expect([gate.chat, gate.neuron].map(e => SageMakerEndpointConfigVolumeKey(e.cfnEndpointConfig))).toEqual([NagRuleCompliance.COMPLIANT, NagRuleCompliance.COMPLIANT]);
  });
});

describe('When a wildcard grant is added to an endpoint role and no permissions boundary applies', () => {
  const stack = new Stack(new App(), 'Bad');
  const ep = new InferenceComponentEndpoint(stack, 'Chat', { fleet: { minInstances: 0, maxInstances: 1 } });
  const base = ep.addModel('Base', {
    model: ModelSource.fromBucket(ep.foundation!.artifactsBucket, 'models/base/'), container: ServingContainer.lmi(), acceleratorsPerCopy: 1, copies: { min: 0, max: 1 }, loraAdapters: {},
  });
  ep.addAdapter('Sql', { base, adapterSource: { bucket: ep.foundation!.artifactsBucket, key: 'adapters/sql/model.tar.gz' } });
  ep.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));

  test('AwsSolutions reports the wildcard: the library acknowledges only its own unscoped actions', () => {
    expect(violations(new AwsSolutionsChecks().validateScope(stack))).toContain('AwsSolutions-IAM5[Resource::*] Bad/Chat/ExecutionRole/Grants/Resource');
  });

  test('LlmOpsChecks reports the execution role without a boundary, proving the gate can fail', () => {
    expect(violations(new LlmOpsChecks().validateScope(stack))).toEqual(['LlmOps-IamRolePermissionsBoundary Bad/Chat/ExecutionRole/Resource']);
  });
});
