// Functions for the examples. A function given as "<module>#<export>" is loaded by every
// worker from this file, so it can use imports and helpers of its own.

/** ACME's `randout` example: one scalar per call. */
function randout(x, y = 3) {
  return x > 0 ? x / y : x * y;
}

/** A correlation-like matrix per call (ACME's `matconstruct`, without numpy). */
function matconstruct(k, m = 10) {
  const out = new Float64Array(m * (m - 1));
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m - 1; j++) out[i * (m - 1) + j] = Math.cos(k + i * j);
  }
  return { data: out, shape: [m, m - 1] };
}

module.exports = { randout, matconstruct };
