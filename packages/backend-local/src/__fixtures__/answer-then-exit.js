// A thread entry that ends right after a request: after answering it, without answering, or
// after handing over a partial result (the pool's results travel that way, ahead of answers).
'use strict';
const { parentPort } = require('node:worker_threads');
const Comlink = require('comlink');
const nodeEndpoint = require('comlink/dist/umd/node-adapter');

Comlink.expose(
  {
    // comlink posts the answer a few promise hops after this returns; the exit comes after it.
    answerThenExit() {
      setImmediate(() => process.exit(5));
      return 'answered';
    },
    handOverThenExit() {
      parentPort.postMessage({ 'acme-ts:partial-batch-result': { batchSeq: 1, nDone: 1, from: 0, values: [42], partial: true, final: true } });
      process.exit(8);
    },
    exitWithoutAnswer() {
      setImmediate(() => process.exit(6));
      return new Promise(() => {});
    },
  },
  nodeEndpoint(parentPort),
);
