// npm run bench: whole-process synth timings of the LLMOps app against an empty-stack floor, with ratios to the floor
// (absolute times drift on shared machines; ratios much less), peak memory, resources and template bytes, fleets of
// 1–200 endpoints, and the cost of importing the package. Writes bench/RESULTS.md and bench/results.json.
//
// Each scenario is a fresh `node` process run the way the CDK CLI runs an app (CDK_OUTDIR and CDK_CONTEXT_JSON with
// cdk.json's context plus what the CLI adds), timed from spawn to exit: median of BENCH_RUNS (default 5) after one
// warm-up run. BENCH_VALIDATION=on|off|on,off (default on,off) picks the CloudFormation validator setting(s).
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS || 5));
const MODES = (process.env.BENCH_VALIDATION || 'on,off').split(',');
const FLEETS = [1, 10, 50, 200];
const CDK_JSON = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'));
// What `cdk synth` adds to the app's context (aws-cdk 2.x).
const CLI_CONTEXT = {
  'aws:cdk:enable-path-metadata': true,
  'aws:cdk:enable-asset-metadata': true,
  'aws:cdk:version-reporting': true,
  'aws:cdk:bundling-stacks': ['**'],
  '@aws-cdk/core:failSynthOnValidationErrors': false,
};

const scenarios = [
  { key: 'floor', name: 'empty-stack floor (1 resource)', script: 'bench/apps/floor.js' },
  { key: 'dev', name: 'default app, dev', script: 'dist/bin/llmops.js', context: { env: 'dev' } },
  { key: 'prod', name: 'default app, prod', script: 'dist/bin/llmops.js', context: { env: 'prod' } },
  ...FLEETS.map(n => ({ key: `fleet${n}`, name: `fleet of ${n} endpoint${n > 1 ? 's' : ''}`, script: 'bench/apps/fleet.js', args: [String(n)], endpoints: n })),
];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** One whole-process synth: wall time, peak RSS and what it wrote. */
function runOnce(scenario, validation) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'llmops-bench-'));
  const rssFile = path.join(outdir, '..', `${path.basename(outdir)}.rss`);
  const env = {
    ...process.env,
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify({ ...CDK_JSON.context, ...CLI_CONTEXT, ...scenario.context }),
    CDK_VALIDATION: validation === 'on' ? 'true' : 'false',
    BENCH_RSS_FILE: rssFile,
  };
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', path.join(__dirname, 'apps', 'peak-memory.js'), path.join(ROOT, scenario.script), ...(scenario.args || [])], { cwd: ROOT, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${scenario.name} (validation ${validation}) failed:\n${r.stderr || r.stdout}`);
  let resources = 0; let templates = 0; let bytes = 0; let maxBytes = 0; let maxResources = 0;
  for (const file of fs.readdirSync(outdir).filter(f => f.endsWith('.template.json'))) {
    const text = fs.readFileSync(path.join(outdir, file), 'utf8');
    const n = Object.keys(JSON.parse(text).Resources || {}).length;
    templates++; resources += n; bytes += text.length;
    maxBytes = Math.max(maxBytes, text.length); maxResources = Math.max(maxResources, n);
  }
  const rssMiB = Number(fs.readFileSync(rssFile, 'utf8')) / 1024;
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.rmSync(rssFile, { force: true });
  return { ms, rssMiB, resources, templates, bytes, maxBytes, maxResources };
}

function measure(scenario, validation) {
  runOnce(scenario, validation); // warm-up: file cache, compile cache
  const samples = Array.from({ length: RUNS }, () => runOnce(scenario, validation));
  const row = {
    key: scenario.key, name: scenario.name, validation, endpoints: scenario.endpoints,
    medianMs: Math.round(median(samples.map(s => s.ms))),
    minMs: Math.round(Math.min(...samples.map(s => s.ms))),
    maxMs: Math.round(Math.max(...samples.map(s => s.ms))),
    peakRssMiB: Math.round(Math.max(...samples.map(s => s.rssMiB))),
    resources: samples[0].resources, templates: samples[0].templates, bytes: samples[0].bytes,
    maxTemplateBytes: samples[0].maxBytes, maxTemplateResources: samples[0].maxResources,
  };
  process.stdout.write(`${`${row.name} [validation ${validation}]`.padEnd(48)} median ${String(row.medianMs).padStart(6)} ms `
    + `(${row.minMs}–${row.maxMs}), peak ${row.peakRssMiB} MiB, ${row.resources} resources in ${row.templates} templates, ${row.bytes} bytes\n`);
  return row;
}

/** Whole-process cost of `require('aws-cdk-lib')` alone and with the package: median of 2×RUNS+1. */
function importCost() {
  const time = code => {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, ['-e', code], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, out: r.stdout };
  };
  const inProcess = "const {performance:p}=require('perf_hooks');const a=p.now();require('aws-cdk-lib');const b=p.now();require('./dist/lib');const c=p.now();"
    + "console.log(JSON.stringify({cdk:b-a,lib:c-b,modules:Object.keys(require.cache).length}))";
  const n = 2 * RUNS + 1;
  time("require('aws-cdk-lib')"); time("require('aws-cdk-lib');require('./dist/lib')"); // warm-up
  const cdkOnly = median(Array.from({ length: n }, () => time("require('aws-cdk-lib')").ms));
  const withLib = median(Array.from({ length: n }, () => time("require('aws-cdk-lib');require('./dist/lib')").ms));
  const inside = Array.from({ length: n }, () => JSON.parse(time(inProcess).out));
  return {
    processCdkOnlyMs: Math.round(cdkOnly),
    processWithPackageMs: Math.round(withLib),
    requireCdkMs: Math.round(median(inside.map(x => x.cdk))),
    requirePackageMs: Math.round(median(inside.map(x => x.lib))),
    modulesLoaded: inside[0].modules,
  };
}

const started = new Date();
const rows = [];
for (const validation of MODES) for (const s of scenarios) rows.push(measure(s, validation));
const imports = importCost();
process.stdout.write(`import: aws-cdk-lib alone ${imports.processCdkOnlyMs} ms per process, with cdk-llmops ${imports.processWithPackageMs} ms `
  + `(require('cdk-llmops') itself ${imports.requirePackageMs} ms after aws-cdk-lib's ${imports.requireCdkMs} ms)\n`);

const analysis = MODES.map(validation => {
  const of = key => rows.find(r => r.key === key && r.validation === validation);
  const floor = of('floor');
  const perEndpoint = (a, b) => (of(`fleet${b}`).medianMs - of(`fleet${a}`).medianMs) / (b - a);
  return {
    validation,
    devRatio: of('dev').medianMs / floor.medianMs,
    prodRatio: of('prod').medianMs / floor.medianMs,
    perEndpointMs: { '1→200': perEndpoint(1, 200), '10→50': perEndpoint(10, 50), '50→200': perEndpoint(50, 200) },
  };
});

const machine = {
  date: started.toISOString(),
  cpu: os.cpus()[0] ? os.cpus()[0].model.trim() : 'unknown',
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()} ${os.arch()}`,
  node: process.version,
  awsCdkLib: require('aws-cdk-lib/package.json').version,
  runs: RUNS,
};
fs.writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify({ machine, rows, analysis, imports }, null, 2)}\n`);

const fmt = x => x.toFixed(2);
const lines = [
  '# Synth benchmarks',
  '',
  `Written by \`npm run bench\` on ${machine.date.slice(0, 10)} (${machine.date}). Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB,`
  + ` ${machine.os}; Node ${machine.node}; aws-cdk-lib ${machine.awsCdkLib}. Each figure is the median of ${RUNS} whole-process runs after a warm-up,`
  + ' from spawn to exit, the way `cdk synth` runs the app; the ratio is to the floor with the same validator setting.'
  + ' The default app and the fleets run the compliance gate of bin/llmops.ts (AwsSolutions, HIPAA, NIST 800-53 R5, PCI DSS 3.2.1, LlmOps).',
  '',
  '| scenario | validator | median ms | range ms | × floor | peak RSS MiB | resources | templates | bytes | largest template |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(r => {
    const floor = rows.find(x => x.key === 'floor' && x.validation === r.validation);
    return `| ${r.name} | ${r.validation} | ${r.medianMs} | ${r.minMs}–${r.maxMs} | ${fmt(r.medianMs / floor.medianMs)} | ${r.peakRssMiB} | ${r.resources} | ${r.templates} | ${r.bytes} | ${r.maxTemplateResources} resources, ${r.maxTemplateBytes} bytes |`;
  }),
  '',
  '## Against the targets',
  '',
  '| validator | dev app × floor (target ≤ 1.30) | prod app × floor | per added endpoint, 1→200 (target < 10 ms) | 10→50 | 50→200 |',
  '|---|---:|---:|---:|---:|---:|',
  ...analysis.map(a => `| ${a.validation} | ${fmt(a.devRatio)} ${a.devRatio <= 1.3 ? '(met)' : '(missed)'} | ${fmt(a.prodRatio)} | ${a.perEndpointMs['1→200'].toFixed(1)} ms ${a.perEndpointMs['1→200'] < 10 ? '(met)' : '(missed)'} | ${a.perEndpointMs['10→50'].toFixed(1)} ms | ${a.perEndpointMs['50→200'].toFixed(1)} ms |`),
  '',
  '## Import cost',
  '',
  `- A process that requires aws-cdk-lib alone: ${imports.processCdkOnlyMs} ms; one that also requires cdk-llmops: ${imports.processWithPackageMs} ms`
  + ` (+${imports.processWithPackageMs - imports.processCdkOnlyMs} ms).`,
  `- In process: \`require('aws-cdk-lib')\` ${imports.requireCdkMs} ms, then \`require('cdk-llmops')\` ${imports.requirePackageMs} ms, ${imports.modulesLoaded} modules in all.`
  + ' cdk-nag, zod and the AWS SDK clients are not loaded until used (test/lib/package-import.test.ts).',
  '',
];
fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), lines.join('\n'));
process.stdout.write('wrote bench/RESULTS.md and bench/results.json\n');
