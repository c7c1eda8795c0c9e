// Functions for LocalBackend tests (loaded by core's call runner in the workers).
'use strict';
exports.triple = (x) => 3 * x;
exports.kind = (x) => `${typeof x}:${x}`;
