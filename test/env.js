// aws-cdk-lib runs a built-in CloudFormation schema validator (a 9 MB WASM module) on every
// synth: ~3-4 s for the first synth in each test file. Unit tests skip it; the default-app test
// (test/app.test.ts) turns it back on explicitly, and `npm run synth` always runs it.
if (process.env.CDK_VALIDATION === undefined) process.env.CDK_VALIDATION = 'false';
// AWS SDK v3 prints a Node < 22 deprecation warning on first client use.
if (process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED === undefined) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
