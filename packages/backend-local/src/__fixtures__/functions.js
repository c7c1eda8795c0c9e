// Functions for LocalBackend tests (loaded by core's call runner in the workers).
'use strict';
exports.triple = (x) => 3 * x;
exports.kind = (x) => `${typeof x}:${x}`;
// Numbers mostly, and every other kind of outcome in between (core's runNumbers loop stops at each).
exports.mostlyNumbers = (x) => {
  const { taskID } = require('@acme-ts/core').taskContext();
  if (taskID !== x) throw new Error(`taskContext says ${taskID} in call ${x}`);
  if (x % 7 === 3) return `seven:${x}`;
  if (x % 11 === 5) throw new RangeError(`eleven:${x}`);
  if (x % 13 === 4) return Promise.resolve(-x);
  if (x % 17 === 2) return undefined;
  return 2 * x;
};
exports.exitAt1234 = (x) => (x === 1234 ? process.exit(3) : 2 * x);
// singleFile packing: [x, 2x] per call, except every 500th call returns more values (another structure).
exports.pairs = (x) => (x % 500 === 499 ? [x, 2 * x, 'odd one'] : Float64Array.of(x, 2 * x));
// What a thread knows about itself: whether it started from the bundle, and which call it runs
// according to the @acme-ts/core a user module requires.
exports.threadFacts = () => ({
  fromBundle: Object.keys(require.cache).some((file) => file.endsWith('worker-bundle.js')),
  taskID: require('@acme-ts/core').taskContext().taskID,
});
// Back-pressure: ≈ 3 ms of work, then a fresh 1 MiB result; counts the calls finished in `finished[0]`.
exports.megabyteAfterWork = (x, finished) => {
  const end = Date.now() + 3;
  while (Date.now() < end);
  const result = new Float64Array(1 << 17).fill(x);
  Atomics.add(finished, 0, 1);
  return result;
};
// A result in memory core lends (taskContext().resultArray); result 1 says whether the previous
// call's array (kept here against the rules, to look) was transferred away (detached) meanwhile.
let lastLent;
exports.lentArray = (x) => {
  const out = require('@acme-ts/core').taskContext().resultArray([4]);
  out.data.fill(x);
  const previousTransferred = lastLent === undefined ? -1 : lastLent.data.byteLength === 0 ? 1 : 0;
  lastLent = out;
  return [out, previousTransferred];
};
