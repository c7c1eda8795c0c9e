// What `isolation: 'process'` costs: the same in-memory run of trivial calls (x => 2*x) on 2
// worker threads (baseline) and on 2 child processes. One call measures the start-up, 10^4
// calls the cost per call (a process gets its payloads per batch and posts its call state
// around every call: there is no memory shared with it).
'use strict';
const { pmapRun, row } = require('./fixtures/children');

const isolationRun = (n, isolation) => pmapRun('double', n, { nWorkers: 2, isolation });

const SIZES = [1, 1e4];
const THREADS = "isolation 'thread' (worker threads)";
const PROCESSES = "isolation 'process' (child processes)";
const fmtN = (n) => (n === 1 ? '1 call' : `10^${Math.round(Math.log10(n))} calls`);

module.exports = {
  name: 'isolation',
  title: 'worker threads vs child processes — in-memory trivial calls on 2 workers',

  benchmarks() {
    return SIZES.map((n) => ({
      name: `${fmtN(n)} of x => 2*x`,
      description:
        `${n} call(s) of fixtures/trivial.js#double in memory on 2 workers. Time from before ParallelMap is created ` +
        '(worker start-up included) until the last result is in; one child process per run.',
      calls: n,
      baseline: { label: THREADS, run: isolationRun(n, 'thread') },
      subjects: [{ label: PROCESSES, run: isolationRun(n, 'process') }],
    }));
  },

  notes(results) {
    const [one, many] = results;
    if (!one || !many) return '';
    const perCall = (label) => ((row(many, label).median - row(one, label).median) * 1000) / (many.calls - 1);
    return [
      '### Per call and per start',
      '',
      `- start-up and one call: threads ${row(one, THREADS).median.toFixed(0)} ms, processes ${row(one, PROCESSES).median.toFixed(0)} ms (medians)`,
      `- each further call (from the two sizes' medians): threads ${perCall(THREADS).toFixed(1)} µs, processes ${perCall(PROCESSES).toFixed(1)} µs`,
    ].join('\n');
  },
};
