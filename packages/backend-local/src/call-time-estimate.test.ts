import { CallTimeEstimate } from './call-time-estimate';

/** Batches (calls, ms) of measured runs of 10⁶ calls of x => 2*x: V8 warming up. */
const WARM_UP: [number, number][] = [
  [16, 0.64],
  [125, 0.24],
  [125, 0.19],
  [983, 0.61],
  [1622, 3.76],
  [5251, 1.84],
  [2676, 0.33],
  [6940, 0.15],
  [9821, 0.19],
  [21536, 0.36],
  [42203, 0.71],
  [65536, 1.25],
  [65536, 1.25],
  [65536, 1.3],
  [65536, 1.2],
  [65536, 1.25],
];
/** A run whose baseline code (before the optimizing compiler) ran at a steady 0.2 µs per call. */
const BASELINE_PHASE: [number, number][] = [
  [16, 0.5],
  [128, 0.22],
  [160, 0.25],
  [1211, 0.59],
  [1981, 0.24],
  [6678, 0.94],
  [15253, 3.36],
];

describe('CallTimeEstimate', () => {
  it('has no estimate before a window of 100000 calls or 5 ms closed twice', () => {
    const estimate = new CallTimeEstimate();
    expect(estimate.msPerCall(60)).toBeUndefined();
    estimate.record(99_999, 4);
    expect(estimate.msPerCall(60)).toBeUndefined();
    estimate.record(1, 0.00004); // closes the first window: 40 ns per call
    expect(estimate.msPerCall(60)).toBeUndefined();
    estimate.record(100_000, 4.4); // 44 ns: agrees within 1.5×
    expect(estimate.msPerCall(60)).toBeCloseTo(0.00004); // the faster window
  });

  it('waits through the warm-up of trivial calls and then estimates the optimized call', () => {
    const estimate = new CallTimeEstimate();
    const seen: (number | undefined)[] = [];
    for (const [calls, ms] of WARM_UP) {
      estimate.record(calls, ms);
      seen.push(estimate.msPerCall(60));
    }
    // Every estimate during the warm-up would have said "start another worker" (> 60 ns).
    expect(seen.slice(0, -1).every((ms) => ms === undefined)).toBe(true);
    expect(seen.at(-1)).toBeGreaterThan(1e-5);
    expect(seen.at(-1)).toBeLessThan(3e-5); // 10–30 ns per call
  });

  it('does not take a steady phase of baseline code for the steady call time', () => {
    const estimate = new CallTimeEstimate();
    for (const [calls, ms] of BASELINE_PHASE) estimate.record(calls, ms);
    expect(estimate.msPerCall(60)).toBeUndefined();
  });

  it('closes windows by time for slow calls, one call per batch', () => {
    const estimate = new CallTimeEstimate();
    estimate.record(1, 4);
    estimate.record(1, 4); // 8 ms: first window
    expect(estimate.msPerCall(60)).toBeUndefined();
    estimate.record(1, 4);
    estimate.record(1, 4);
    expect(estimate.msPerCall(60)).toBe(4);
  });

  it('takes the faster window after patienceMs of work when windows keep disagreeing', () => {
    const estimate = new CallTimeEstimate();
    estimate.record(1, 5);
    estimate.record(1, 50);
    expect(estimate.msPerCall(60)).toBeUndefined(); // 55 ms measured
    estimate.record(1, 6);
    expect(estimate.msPerCall(60)).toBe(6); // 61 ms: windows of 50 and 6 ms, the faster counts
  });

  it('does not take a warm-up window and a slowed one that agree within 2× for agreement', () => {
    const estimate = new CallTimeEstimate();
    estimate.record(100_000, 5.6); // 56 ns
    estimate.record(200_000, 22); // 110 ns: the thread lost its core for a while
    expect(estimate.msPerCall(200)).toBeUndefined();
    estimate.record(400_000, 7); // 17.5 ns
    estimate.record(400_000, 6.8);
    expect(estimate.msPerCall(200)).toBeCloseTo(0.000017);
  });

  it('ignores empty batches', () => {
    const estimate = new CallTimeEstimate();
    estimate.record(0, 100);
    expect(estimate.msPerCall(0)).toBeUndefined();
  });
});
