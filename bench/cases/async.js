// Calls that only wait (an await of 200 ms, as for I/O, a subprocess or a local service): 64 of
// them on 2 worker threads, each running `concurrency` calls at once, against the ideal
// (the calls' waits in rounds of 2 × concurrency, nothing else: no start-up, no messages).
'use strict';
const { pmapRun, row } = require('./fixtures/children');

const N = 64;
const WAIT_MS = 200;
const N_WORKERS = 2;
const CONCURRENCY = [16, 32];
const idealMs = (concurrency) => Math.ceil(N / (N_WORKERS * concurrency)) * WAIT_MS;
const label = (c) => `ParallelMap, nWorkers ${N_WORKERS}, concurrency ${c} (ideal ${idealMs(c)} ms)`;
/** Within this of the ideal (issue 18): the first row's target. */
const TARGET = 1.3;

module.exports = {
  name: 'async',
  title: `calls that wait — ${N} × ${WAIT_MS} ms awaits on ${N_WORKERS} worker threads, options.concurrency vs the ideal`,

  benchmarks() {
    return [
      {
        name: `${N} calls of await ${WAIT_MS} ms`,
        description:
          `${N} calls of fixtures/trivial.js#wait200 in memory. Time from before ParallelMap is created (worker start-up ` +
          'included) until the last result is in; one child process per run. The baseline is the ideal of concurrency ' +
          `${CONCURRENCY[0]}: ${N} / (${N_WORKERS} × ${CONCURRENCY[0]}) rounds of ${WAIT_MS} ms = ${idealMs(CONCURRENCY[0])} ms, not measured. ` +
          'With concurrency 1 the same run takes 32 rounds (≈ 6.4 s).',
        calls: N,
        baseline: { label: `ideal, concurrency ${CONCURRENCY[0]}`, run: () => idealMs(CONCURRENCY[0]) },
        subjects: CONCURRENCY.map((c) => ({ label: label(c), run: pmapRun('wait200', N, { nWorkers: N_WORKERS, concurrency: c }) })),
      },
    ];
  },

  notes(results) {
    const [r] = results;
    const lines = ['### Targets', ''];
    for (const c of CONCURRENCY) {
      const x = row(r, label(c));
      const ratio = x.median / idealMs(c);
      const verdict = c === CONCURRENCY[0] ? ` (target ≤ ${TARGET}×) — ${ratio <= TARGET ? 'met' : '**missed**'}` : '';
      lines.push(`- concurrency ${c}: median ${x.median.toFixed(0)} ms = ${ratio.toFixed(2)}× its ideal of ${idealMs(c)} ms${verdict}`);
    }
    return lines.join('\n');
  },
};
