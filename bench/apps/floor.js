// The floor: the same aws-cdk-lib, context and validation setting as the LLMOps app, and one stack with a single
// resource without properties (the CloudFormation validator rejects a stack without resources).
const { App, CfnWaitConditionHandle, Stack } = require('aws-cdk-lib');

const app = new App();
new CfnWaitConditionHandle(new Stack(app, 'Floor'), 'Handle');
app.synth();
