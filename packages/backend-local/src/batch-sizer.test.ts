import { BatchSizer } from './batch-sizer';

describe('BatchSizer', () => {
  it('starts with firstSize calls (16 by default, within the fair share)', () => {
    expect(new BatchSizer().next(1000, 2)).toBe(16);
    expect(new BatchSizer().next(12, 2)).toBe(6);
  });

  it('grows from the first batch towards the target work per batch', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxGrowth: 8, firstSize: 1 });
    expect(sizer.next(1_000_000, 2)).toBe(1);
    sizer.record(1, 0.001); // 1 µs per call → 5000 wanted, growth limited to 8×
    expect(sizer.next(1_000_000, 2)).toBe(8);
    expect(sizer.next(1_000_000, 2)).toBe(64);
    expect(sizer.next(1_000_000, 2)).toBe(512);
    expect(sizer.next(1_000_000, 2)).toBe(4096);
    expect(sizer.next(1_000_000, 2)).toBe(5000);
  });

  it('weighs each batch by its calls: one slow cold call does not hold back the warm ones', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxGrowth: 1e9 });
    sizer.record(1, 0.12); // the first call: interpreted code, cold caches
    sizer.record(43, 0.14); // ≈ 3 µs per warm call
    // (0.7 · 0.12 + 0.14) ms / (0.7 + 43) calls ≈ 5.1 µs per call → ≈ 975 calls per 5 ms.
    expect(sizer.meanCallMs).toBeCloseTo(0.224 / 43.7, 6);
    expect(sizer.next(1e6, 2)).toBe(Math.round(5 / (0.224 / 43.7)));
  });

  it('follows a change of the call time within a few batches', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxGrowth: 1e9 });
    for (let i = 0; i < 5; i++) sizer.record(1000, 1); // 1 µs per call
    for (let i = 0; i < 10; i++) sizer.record(10, 50); // then 5 ms per call
    // Within ten batches a batch holds a handful of calls again (the 50 ms budget bounds it meanwhile).
    expect(sizer.meanCallMs).toBeGreaterThan(1);
    expect(sizer.next(1e6, 2)).toBeLessThanOrEqual(4);
  });

  it('keeps slow calls one per batch', () => {
    const sizer = new BatchSizer({ targetMs: 5 });
    sizer.record(1, 50);
    expect(sizer.next(100, 2)).toBe(1);
  });

  it('never takes more than the fair share of the queued calls', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxGrowth: 1e9 });
    sizer.record(100, 10); // 100 µs per call: 50 wanted per batch
    expect(sizer.next(100, 4)).toBe(25);
    const slow = new BatchSizer({ targetMs: 5 });
    slow.record(10, 10); // 1 ms per call
    expect(slow.next(3, 4)).toBe(1);
  });

  it('does not share out tiny calls below half a millisecond of work per message', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxGrowth: 1e9 });
    sizer.record(1000, 1); // 1 µs per call: 500 calls are 0.5 ms
    expect(sizer.next(1000, 4)).toBe(500);
    expect(sizer.next(300, 4)).toBe(300);
  });

  it('caps adaptive batches at maxSize', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxSize: 100, maxGrowth: 1e9 });
    sizer.record(1, 0);
    expect(sizer.next(1e6, 1)).toBe(100);
  });

  it('uses a fixed size when given', () => {
    const sizer = new BatchSizer({ fixed: 10 });
    sizer.record(1, 100);
    expect(sizer.next(25, 4)).toBe(10);
    expect(sizer.next(3, 4)).toBe(3);
    expect(sizer.isAdaptive).toBe(false);
  });
});
