// npm run bench: cold-process synth of the default app (3 stacks, cdk-nag gate), with the CloudFormation
// validator on (as `npm run synth` runs it) and off (as unit tests run). Prints medians and writes
// bench/results.json. Timings vary with machine load: compare runs on the same machine.
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const RUNS = Number(process.env.BENCH_RUNS || 5);
const runner = path.join(__dirname, 'run-synth.js');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const scenarios = [
  { name: 'default app, validation on', args: ['on'] },
  { name: 'default app, validation off', args: ['off'] },
  { name: 'dev stack only, validation off', args: ['off', 'dev'] },
];

const results = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, runs: RUNS, scenarios: [] };
for (const s of scenarios) {
  execFileSync(process.execPath, [runner, ...s.args]); // warm-up (file cache)
  const samples = [];
  for (let i = 0; i < RUNS; i++) samples.push(JSON.parse(execFileSync(process.execPath, [runner, ...s.args], { encoding: 'utf8' })));
  const row = { name: s.name };
  for (const k of ['requireMs', 'constructMs', 'synthMs', 'totalMs']) {
    row[k] = Math.round(median(samples.map(x => x[k])));
  }
  row.totalMinMs = Math.round(Math.min(...samples.map(x => x.totalMs)));
  row.totalMaxMs = Math.round(Math.max(...samples.map(x => x.totalMs)));
  results.scenarios.push(row);
  console.log(`${s.name.padEnd(32)} median total ${row.totalMs} ms (require ${row.requireMs}, construct ${row.constructMs}, synth ${row.synthMs}; range ${row.totalMinMs}-${row.totalMaxMs}, n=${RUNS})`);
}
fs.writeFileSync(path.join(__dirname, 'results.json'), JSON.stringify(results, null, 2) + '\n');
