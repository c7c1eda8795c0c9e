// Rough throughput of the pool vs a bare worker_threads loop (not a test; numbers vary).
// Usage: npx tsc -p packages/backend-local && node packages/backend-local/scripts/throughput.js
'use strict';
const { Worker } = require('node:worker_threads');
const path = require('node:path');
const { ThreadPool } = require('..');

const N = 100_000;
const N_WORKERS = 2;
const runnerModule = path.join(__dirname, '..', 'src', '__fixtures__', 'runner.js');
const ids = Array.from({ length: N }, (_, i) => i);

async function timePool(options, n = N) {
  const pool = new ThreadPool({ nWorkers: N_WORKERS, runnerModule, setup: {}, ...options });
  let summary;
  const times = [];
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    let sum = 0;
    summary = await pool.run(ids.slice(0, n), (o) => (sum += o.value));
    times.push(performance.now() - t0);
    if (sum !== n * (n - 1)) throw new Error('wrong sum');
  }
  await pool.close();
  return { ms: Math.min(...times.slice(1)), first: times[0], summary };
}

// Bare loop: one message per batch of `size` taskIDs, one batch in flight per worker.
const bareWorkerSource = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', (ids) => {
  const out = new Float64Array(ids.length);
  for (let i = 0; i < ids.length; i++) out[i] = 2 * ids[i];
  parentPort.postMessage(out, [out.buffer]);
});`;

async function timeBare(size) {
  const workers = Array.from({ length: N_WORKERS }, () => new Worker(bareWorkerSource, { eval: true }));
  const times = [];
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    let next = 0;
    let sum = 0;
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise((resolve) => {
            const send = () => {
              if (next >= N) return resolve();
              const batch = Float64Array.from(ids.slice(next, (next += size)));
              worker.postMessage(batch, [batch.buffer]);
            };
            worker.on('message', (out) => {
              for (let i = 0; i < out.length; i++) sum += out[i];
              send();
            });
            send();
          }),
      ),
    );
    times.push(performance.now() - t0);
    for (const worker of workers) worker.removeAllListeners('message');
    if (sum !== N * (N - 1)) throw new Error('wrong sum');
  }
  await Promise.all(workers.map((worker) => worker.terminate()));
  return Math.min(...times.slice(1));
}

(async () => {
  const auto = await timePool({});
  const avg = Math.round(N / auto.summary.nBatches);
  console.log(
    `pool batch=auto: ${N} calls in ${auto.ms.toFixed(1)} ms (first run incl. worker start ${auto.first.toFixed(1)} ms), ${auto.summary.nBatches} batches, avg ${avg} calls/batch`,
  );
  console.log(`bare loop batch=${avg}: ${(await timeBare(avg)).toFixed(1)} ms`);
  const fixed = await timePool({ batch: avg });
  console.log(`pool batch=${avg} (fixed): ${fixed.ms.toFixed(1)} ms`);
  const one = await timePool({ batch: 1 }, 10_000);
  console.log(`pool batch=1: 10000 calls in ${one.ms.toFixed(1)} ms (${((one.ms / 10_000) * 1000).toFixed(1)} µs/call)`);
  console.log(`bare loop batch=1: ${N} calls in ${(await timeBare(1)).toFixed(1)} ms`);
})();
