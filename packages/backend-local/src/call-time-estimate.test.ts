import { CallTimeEstimate } from './call-time-estimate';

/** Batches (calls, ms) of one measured run of 10⁶ calls of x => 2*x: V8 warming up. */
const WARM_UP: [number, number][] = [
  [16, 0.64], [125, 0.24], [125, 0.19], [983, 0.61], [1622, 3.76], [5251, 1.84],
  [2676, 0.33], [6940, 0.15], [9821, 0.19], [21536, 0.36], [42203, 0.71], [65536, 1.25],
];

describe('CallTimeEstimate', () => {
  it('has no estimate before a window of 10000 calls or 5 ms closed twice', () => {
    const estimate = new CallTimeEstimate();
    expect(estimate.msPerCall(60)).toBeUndefined();
    estimate.record(9999, 4);
    expect(estimate.msPerCall(60)).toBeUndefined();
    estimate.record(1, 0.004); // closes the first window: 0.4 µs per call
    expect(estimate.msPerCall(60)).toBeUndefined();
    estimate.record(10_000, 4.4); // 0.44 µs: agrees within 1.5×
    expect(estimate.msPerCall(60)).toBeCloseTo(0.0004); // the faster window
  });

  it('waits through the warm-up of trivial calls and then estimates the optimized call', () => {
    const estimate = new CallTimeEstimate();
    const seen: (number | undefined)[] = [];
    for (const [calls, ms] of WARM_UP) {
      estimate.record(calls, ms);
      seen.push(estimate.msPerCall(60));
    }
    // Every estimate during the warm-up would have said "start another worker" (> 60 ns).
    expect(seen.slice(0, 10).every((ms) => ms === undefined)).toBe(true);
    for (const ms of seen.slice(10)) {
      expect(ms).toBeGreaterThan(1e-5);
      expect(ms).toBeLessThan(3e-5); // 10–30 ns per call
    }
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
    estimate.record(10_000, 0.56); // 56 ns
    estimate.record(20_000, 2.2); // 110 ns: the thread lost its core for a while
    expect(estimate.msPerCall(60)).toBeUndefined();
    estimate.record(40_000, 0.7); // 17.5 ns
    estimate.record(40_000, 0.68);
    expect(estimate.msPerCall(60)).toBeCloseTo(0.000017);
  });

  it('ignores empty batches', () => {
    const estimate = new CallTimeEstimate();
    estimate.record(0, 100);
    expect(estimate.msPerCall(0)).toBeUndefined();
  });
});
