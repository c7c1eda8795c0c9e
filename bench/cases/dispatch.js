// In-memory dispatch: trivial calls (x => 2*x) through ParallelMap with writeWorkerResults:
// false on 2 worker threads, against a hand-written worker_threads loop and piscina with the
// same thread count. Every measurement runs in its own child process (peak RSS per run).
'use strict';
const { dispatchRun, row } = require('./fixtures/children');

const SIZES = [1e4, 1e6];
const VARIANTS = [
  ['pmap-module', 'ParallelMap, module export (fixtures/trivial.js#double)'],
  ['pmap-source', 'ParallelMap, shipped source function'],
  ['piscina-call', 'piscina 5, pool.run(x) per call'],
  ['piscina-batch', 'piscina 5, pool.run(Float64Array batch)'],
];
const BARE = 'bare worker_threads loop (Float64Array batches)';
const fmtN = (n) => `10^${Math.round(Math.log10(n))}`;

module.exports = {
  name: 'dispatch',
  title: 'in-memory dispatch of trivial calls — ParallelMap vs bare worker_threads vs piscina (2 threads)',

  benchmarks() {
    return SIZES.map((n) => ({
      name: `${fmtN(n)} calls of x => 2*x`,
      description:
        `${n} calls, inputs a JS Array of ${n} numbers, every result back in the main thread as an Array. ` +
        'Time from before the pool / ParallelMap is created (2 threads started) until the last result is in; ' +
        'modules loaded before. One child process per run; peak RSS = its process.resourceUsage().maxRSS.',
      calls: n,
      baseline: { label: BARE, run: dispatchRun('bare', n) },
      subjects: VARIANTS.map(([v, label]) => ({ label, run: dispatchRun(v, n) })),
    }));
  },

  notes(results) {
    const lines = ['### Targets', ''];
    for (const r of results) {
      const base = r.rows[0];
      for (const [, label] of VARIANTS.slice(0, 2)) {
        const x = row(r, label);
        const tput = base.median / x.median;
        lines.push(`- ${r.name}, ${label}: throughput ${tput.toFixed(2)}× the bare loop (target ≥ 0.80×) — ${tput >= 0.8 ? 'met' : '**missed**'}`);
      }
    }
    const big = results.find((r) => r.calls === 1e6);
    if (big) {
      for (const [, label] of VARIANTS.slice(0, 2)) {
        const rss = row(big, label).metrics['peak RSS MiB'];
        lines.push(`- 10^6 calls, ${label}: main-process peak RSS max ${rss.max.toFixed(0)} MiB (target < 1024 MiB) — ${rss.max < 1024 ? 'met' : '**missed**'}`);
      }
    }
    lines.push('');
    return lines.join('\n');
  },
};
