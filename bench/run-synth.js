// One cold synth of the default LLMOps app in this process; prints its phase timings as JSON.
// Usage: node bench/run-synth.js <validation:on|off> [environments]
const { performance } = require('perf_hooks');
const fs = require('fs');
const os = require('os');
const path = require('path');

const validation = process.argv[2] !== 'off';
const environments = (process.argv[3] || 'dev,staging,prod').split(',');
process.env.CDK_VALIDATION = validation ? 'true' : 'false';

const t0 = performance.now();
const cdk = require('aws-cdk-lib');
const nag = require('cdk-nag');
const { addLlmOpsStacks } = require('../dist/lib');
const t1 = performance.now();

const context = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context;
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-bench-'));
const app = new cdk.App({ context, outdir });
addLlmOpsStacks(app, { environments });
cdk.Validations.of(app).addPlugins(new nag.AwsSolutionsChecks(app), new nag.HIPAASecurityChecks(app), new nag.NIST80053R5Checks(app));
const t2 = performance.now();
app.synth();
const t3 = performance.now();
fs.rmSync(outdir, { recursive: true, force: true });

process.stdout.write(JSON.stringify({ requireMs: t1 - t0, constructMs: t2 - t1, synthMs: t3 - t2, totalMs: t3 - t0 }));
