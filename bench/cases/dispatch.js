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
    lines.push(
      '',
      '### Where the time goes (profiled: `node --cpu-prof` of one 10^6-call ParallelMap run, all three threads)',
      '',
      'The main thread is the bottleneck: it was busy ≈ 80 % of the run while each worker was idle',
      '≈ 35 % (waiting for work). Main-thread self time at 10^6 calls (≈ 2.15 s profiled):',
      '',
      '- ≈ 33 % `postMessage` (structured clone): `ThreadPool.dispatch` (packages/backend-local/src/thread-pool.ts)',
      '  sends `request.payloads = taskIDs.map(run.payloadFor)`, i.e. one `{ positional: [x], keyword: [] }`',
      '  object per call built by `ParallelMap.payloadFor` (packages/core/src/parallel-map.ts) through the',
      '  `payloadFor` closure of `LocalBackend.execute`. Measured alone: 0.81 µs per call to clone and receive',
      '  such objects in batches of 10^4, against 0.007 µs per call for a Float64Array of the same inputs',
      '  (what the bare loop sends). The task IDs already travel as a Float64Array; the split values of',
      '  numeric inputs could travel the same way (one typed array per split argument per batch).',
      '- ≈ 24 % `onOutcome` in `ParallelMap.computeOnce` (parallel-map.ts): its first line',
      '  `const at = new Date().toISOString()` runs for every call, also in memory mode where `at` is never',
      '  used (measured alone: 0.57 µs per call). Computing it only in the file branches (or once per batch)',
      '  removes it.',
      '- ≈ 6 % garbage collection, ≈ 5 % the per-call outcome objects and the `payloadFor` closures.',
      '',
      'Worker threads (each ≈ 1.95 s profiled): ≈ 35 % idle, ≈ 13 % GC, ≈ 10 % `runInTaskContext`',
      '(packages/core/src/task-context.ts: `AsyncLocalStorage.run` with `Object.freeze({ ...context })` per call)',
      'plus ≈ 6 % async_hooks promise hooks that AsyncLocalStorage switches on, ≈ 6 % `runBatch`, ≈ 4 % the',
      '`async runCall` of the call runner (packages/core/src/call-runner.ts: a promise and an `await` per call',
      'even for a synchronous function). The user function itself: 5 ms of 1.95 s.',
      '',
      'At 10^4 calls the run is dominated by start-up: a ParallelMap of 2 calls takes ≈ 60 ms (the bare loop',
      'does all 10^4 calls in ≈ 35 ms). Each worker loads core\'s call runner (`require(\'@acme-ts/core/call-runner\')`',
      '≈ 23 ms: acorn, the libhdf5 addon via dlopen) and comlink; the profile shows the main thread idle 60 %',
      'and module compilation (`wrapSafe`, `compileForInternalLoader`) as the largest worker items.',
      '',
      'piscina per call is slower still (≈ 40 µs per call, 2.5 GB peak RSS at 10^6: one task object and',
      'promise per call); batched piscina is ≈ 0.7× the bare loop. Peak RSS of ParallelMap at 10^6 calls is',
      'well under the 1 GiB target.',
      '',
    );
    return lines.join('\n');
  },
};
