// A thread entry that ends right after a request: once after answering it, once without.
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
    exitWithoutAnswer() {
      setImmediate(() => process.exit(6));
      return new Promise(() => {});
    },
  },
  nodeEndpoint(parentPort),
);
