// Preloaded with `node --require`: writes the process's peak resident memory (KiB) to $BENCH_RSS_FILE at exit.
const fs = require('fs');

process.on('exit', () => {
  if (process.env.BENCH_RSS_FILE) fs.writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS));
});
