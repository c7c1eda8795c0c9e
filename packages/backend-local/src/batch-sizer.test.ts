import { BatchSizer } from './batch-sizer';

describe('BatchSizer', () => {
  it('starts with one call, then grows towards the target work per batch', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxGrowth: 8 });
    expect(sizer.next(1_000_000, 2)).toBe(1);
    sizer.record(1, 0.001); // 1 µs per call → 5000 wanted, growth limited to 8×
    expect(sizer.next(1_000_000, 2)).toBe(8);
    expect(sizer.next(1_000_000, 2)).toBe(64);
    expect(sizer.next(1_000_000, 2)).toBe(512);
    expect(sizer.next(1_000_000, 2)).toBe(4096);
    expect(sizer.next(1_000_000, 2)).toBe(5000);
  });

  it('keeps slow calls one per batch', () => {
    const sizer = new BatchSizer({ targetMs: 5 });
    sizer.record(1, 50);
    expect(sizer.next(100, 2)).toBe(1);
  });

  it('never takes more than the fair share of the queued calls', () => {
    const sizer = new BatchSizer({ targetMs: 5, maxGrowth: 1e9 });
    sizer.record(1000, 1); // 1 µs per call
    expect(sizer.next(1000, 4)).toBe(250);
    expect(sizer.next(3, 4)).toBe(1);
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
