// A thread entry with the worker's API (init, runBatch) that ends right after a request: init
// answers and then ends; runBatch ends without answering, or after handing over a result the
// way the real worker does (ahead of its answer).
'use strict';
const { parentPort } = require('node:worker_threads');
const Comlink = require('comlink');
const nodeEndpoint = require('comlink/dist/umd/node-adapter');

Comlink.expose(
  {
    // comlink posts the answer a few promise hops after this returns; the exit comes after it.
    init() {
      setImmediate(() => process.exit(5));
      return 'answered';
    },
    runBatch(request) {
      if (request.handOver) {
        parentPort.postMessage({ 'acme-ts:partial-batch-result': { batchSeq: 1, nDone: 1, from: 0, values: [42], partial: true, final: true } });
        process.exit(8);
      }
      setImmediate(() => process.exit(6));
      return new Promise(() => {});
    },
  },
  nodeEndpoint(parentPort),
);
