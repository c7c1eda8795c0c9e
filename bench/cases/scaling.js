// Scaling: per-call cost of in-memory trivial calls (10^3 … 10^6) and of default-mode file
// runs (10^2 … 10^4), so a regression in per-call cost shows as a growing µs-per-call column.
'use strict';
const { dispatchRun, filesRun, compileAcmeLayout, cRun, libhdf5, row } = require('./fixtures/children');

const MEMORY = [1e3, 1e4, 1e5, 1e6];
const FILES = [1e2, 1e3, 1e4];
const PMAP_MEM = 'ParallelMap in memory (module export)';
const PMAP_FILES = 'ParallelMap default mode';
const fmtN = (n) => `10^${Math.round(Math.log10(n))}`;

module.exports = {
  name: 'scaling',
  title: 'scaling of the per-call cost — in memory and default file mode',

  prepare(ctx) {
    compileAcmeLayout(ctx.outDir, ctx.log);
  },

  machineInfo() {
    return { libhdf5: libhdf5() };
  },

  benchmarks() {
    return [
      ...MEMORY.map((n) => ({
        name: `in memory, ${fmtN(n)} calls`,
        description: `${n} calls of x => 2*x, writeWorkerResults: false, 2 threads; baseline the bare worker_threads loop of the dispatch case.`,
        calls: n,
        baseline: { label: 'bare worker_threads loop', run: dispatchRun('bare', n) },
        subjects: [{ label: PMAP_MEM, run: dispatchRun('pmap-module', n) }],
      })),
      ...FILES.map((n) => ({
        name: `default mode, ${fmtN(n)} calls`,
        description: `${n} payload files + container of external links; baseline the C writer of the files case.`,
        calls: n,
        removeAtEnd: true,
        baseline: { label: 'C libhdf5 (acme_layout default)', run: cRun('default', n) },
        subjects: [{ label: PMAP_FILES, run: filesRun('default', n) }],
      })),
    ];
  },

  notes(results) {
    const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
    const lines = [
      '### Per-call cost by size (medians)',
      '',
      '| run | calls | baseline ms | ParallelMap ms | baseline µs/call | ParallelMap µs/call | ratio | ParallelMap peak RSS MiB (max) |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ];
    for (const r of results) {
      const b = r.rows[0];
      const x = r.rows[1];
      const rss = x.metrics['peak RSS MiB'];
      lines.push(
        `| ${r.name.split(',')[0]} | ${r.calls} | ${fmt(b.median)} | ${fmt(x.median)} | ${fmt((b.median * 1000) / r.calls)} | ${fmt((x.median * 1000) / r.calls)} | ${x.ratio.median.toFixed(2)}× | ${rss ? rss.max.toFixed(0) : '—'} |`,
      );
    }
    lines.push('');
    void row;
    return lines.join('\n');
  },
};
