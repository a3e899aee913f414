// A fleet of N inference endpoints (argv[2]), each with auto scaling and the full set of alarms, in one stack under
// the same compliance gate as the default app (bin/llmops.ts).
const { App, Stack, Validations } = require('aws-cdk-lib');
const { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } = require('cdk-nag');
const { EndpointFleet, GpuInstanceType, IamGuardrails, LlmOpsChecks, ModelSource, ServingContainer } = require('../../dist/lib');

const count = Number(process.argv[2]);
const app = new App();
const stack = new Stack(app, 'Fleet');
const fleet = new EndpointFleet(stack, 'Chat', { fleetName: 'chat' });
new IamGuardrails(stack, 'Guardrails');
for (let i = 0; i < count; i++) {
  fleet.addEndpoint(`m${i}`, {
    model: ModelSource.fromBucket(fleet.foundation.artifactsBucket, `models/m${i}/`),
    container: ServingContainer.tgi(),
    instanceType: GpuInstanceType.G5_2XLARGE,
    autoScaling: { minCapacity: 1, maxCapacity: 4 },
  });
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app), new NIST80053R5Checks(app), new PCIDSS321Checks(app), new LlmOpsChecks(app));
app.synth();
