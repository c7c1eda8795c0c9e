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
        'modules loaded before (core and its local backend: ≈ 3–4.5 ms once per process, as `worker_threads` for the bare loop). ' +
        'One child process per run; peak RSS = its process.resourceUsage().maxRSS.',
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
        lines.push(
          `- 10^6 calls, ${label}: main-process peak RSS max ${rss.max.toFixed(0)} MiB (target < 1024 MiB) — ${rss.max < 1024 ? 'met' : '**missed**'}`,
        );
      }
    }
    lines.push(
      '',
      '### Where the time goes (timelines of single runs, `node --cpu-prof` of all three threads)',
      '',
      'History: 0.035× at 10^6 calls when this case was first measured (2.9 µs per call), 0.3× at the end',
      'of the first session. Since then, each measured with interleaved runs against the bare loop:',
      '',
      '- The pool keeps a second batch queued in each worker while calls are under 1 ms, so a worker no',
      '  longer idles while the main thread handles its last result (workers were ≈ 35 % idle).',
      '- Batches of calls reach ParallelMap whole (`onSettled(batch)`, a SettledBatch), without an outcome',
      '  object per call; results and payloads cross threads as one Float64Array while they are numbers.',
      '- Numeric split arguments are shared with the workers once (a SharedArrayBuffer; a typed-array',
      '  argument is one native copy), and a batch of consecutive calls travels as (first, count): the',
      '  main thread no longer touches payloads or taskIDs per batch.',
      '- The worker makes no object per call: the task context is built only when asked for',
      '  (`taskContext()`, or `this` for functions that mention it), a one-argument function is called',
      '  without an argument array (worker scavenges per 10^6 calls: hundreds → about a dozen).',
      '- Batches up to 65536 calls (the measured call time had a 1 µs floor that capped them at 5000:',
      '  200+ messages per 10^6 calls, now ≈ 45), weighted by calls, with no tiny shares at the end.',
      "- Workers start while ParallelMap prepares the run, and load less (core's loader by absolute path,",
      '  no fs/promises, v8 or result encoding in memory mode).',
      "- The worker's loop for untimed (tiny) calls keeps its state in locals and calls a one-argument",
      '  function directly (worker time per call, one worker, 10^6 calls: 35–47 ns → 18–22 ns).',
      '- Workers start at most cores − 1 at a time (the host thread prepares the run on the other core),',
      '  and a further worker starts only when the queued work per running worker exceeds twice a',
      "  worker's measured start-up, at the run's *steady* call time: batches are pooled into windows of",
      '  10^4 calls or 5 ms, and two consecutive windows must agree within 1.5× (the faster counts; after',
      '  2 start-ups of measured work the faster of the last two counts anyway). V8 runs a trivial call',
      '  at 0.5–2 µs in its first thousands of calls and at 15–20 ns once optimized, and its compiler',
      '  pauses make single batches swing: an estimate from the first batches started a second worker',
      '  for 10^6 trivial calls, which then took the core the first worker and the host needed (25 %',
      '  slower). Tiny calls on 2 cores therefore run on one worker, even 10^6 of them.',
      '- The values array of an in-memory run is filled, not holey: the first result that is not a',
      '  small integer converted a holey array of 10^6 small integers at once (8 ms between two batches).',
      "- Calls with a shared numeric argument run in one loop inside core's runner",
      '  (`CallRunner.runNumbers`): no function level per call for the call state, the task context or',
      "  the value collector. In V8's interpreter each level costs; 10^4 calls: ≈ 3 ms less.",
      "- A starting worker's first batch is sent right behind its init (the worker runs its requests in",
      "  turn): no round trip between the init's answer and the first calls.",
      '- A shipped function whose words are all parameters, globals and property names is not parsed',
      '  with acorn (its first parse in a process costs 3–5 ms); acorn and libhdf5 load only when needed',
      "  (`require('@acme-ts/core')`: 28 ms → 16 ms).",
      '- A JS Array argument of numbers is copied into shared memory by one plain loop over its span',
      '  (2–6 ms per 10^4 with a call per element: this runs cold, while the worker starts).',
      '',
      "What is left at 10^6: the host's passes over the calls before the first batch (the values",
      "array, the pending calls, the shared payloads), beside the first worker's start; the first",
      "thousands of calls in V8's interpreter; `close()` waiting for V8 to finish compiling the",
      "worker's hot code (≈ 5 ms; measured with `--no-concurrent-recompilation`).",
      '',
      "At 10^4 start-up dominates, and this VM's noise is as large as the gap. Timeline of one run",
      '(worker-side marks): the worker thread is created ≈ 2 ms after `new ParallelMap` (≈ 1 ms',
      'constructor; since 2026-11-25 the backend package, ≈ 3–4.5 ms to load, is loaded before the clock',
      "like core: a cost of the process, not of a run; the threads' own modules load inside it on both sides), Node's bootstrap of the",
      "thread takes ≈ 28–33 ms (the bare loop's ≈ 25 ms: the host's own preparation, ≈ 9 ms of CPU",
      "meanwhile, slows it: a host busy for 10 ms delays a bare worker's first reply by 3–5 ms), then",
      "≈ 4 ms loading comlink, the protocol and core's loader, ≈ 1.5 ms for the init (core's runner",
      "and the function's module), and the 10^4 calls take 4–9 ms, mostly interpreted, on one worker",
      '(the bare loop runs its two halves on two threads).',
      '',
      'piscina per call is slower still (≈ 40 µs per call, 2.5 GB peak RSS at 10^6: one task object and',
      'promise per call).',
    );
    return lines.join('\n');
  },
};
