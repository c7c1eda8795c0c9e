// Test runner (CommonJS). `setup.behave` maps a taskID to a misbehaviour; other calls return 2*id.
'use strict';

exports.createRunner = async function createRunner(setup = {}) {
  // A SharedArrayBuffer survives structured cloning as shared memory: count createRunner calls.
  if (setup.createCounter) Atomics.add(new Int32Array(setup.createCounter), 0, 1);
  if (setup.failCreate) throw new Error('createRunner failed on purpose');
  // Like loading an ES module: the runner is ready only after a later turn of the event loop.
  if (setup.createDelayMs) await new Promise((resolve) => setTimeout(resolve, setup.createDelayMs));
  const behave = setup.behave || {};
  const tag = setup.tag;
  const plain = (taskID) => (setup.returnUndefined ? undefined : tag === undefined ? 2 * taskID : { value: 2 * taskID, tag });
  // Executions per taskID, in memory the test shares (it outlives a worker that dies).
  const runCounts = setup.runCounts ? new Int32Array(setup.runCounts) : undefined;
  return {
    runCall(taskID, payload) {
      if (runCounts) Atomics.add(runCounts, taskID, 1);
      switch (behave[taskID]) {
        case 'throw':
          throw new RangeError(`call ${taskID} failed on purpose`);
        case 'reject':
          return Promise.reject(new TypeError(`call ${taskID} rejected on purpose`));
        case 'exit':
          return process.exit(7);
        case 'oom': {
          const hoard = [];
          for (;;) hoard.push(new Array(100000).fill(taskID));
        }
        case 'loop':
          for (;;);
        case 'uncaught':
          setImmediate(() => {
            throw new SyntaxError(`uncaught in call ${taskID}`);
          });
          return new Promise(() => {});
        case 'abort':
          // A native crash (only ever in a child process: in a thread it ends the test runner).
          return process.abort();
        case 'pid':
          return process.pid;
        case 'hang':
          return new Promise(() => {});
        case 'sleep':
          return new Promise((resolve) => setTimeout(() => resolve(plain(taskID)), setup.sleepMs ?? 50));
        case 'startedAt': {
          // When the call started (ms since the epoch), after sleeping like 'sleep'.
          const startedAt = Date.now();
          return new Promise((resolve) => setTimeout(() => resolve(startedAt), setup.sleepMs ?? 50));
        }
        case 'uncloneable':
          return () => taskID;
        default:
          if (payload !== undefined) return { taskID, payload };
          return plain(taskID);
      }
    },
  };
};
