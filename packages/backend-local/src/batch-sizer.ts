// Chooses how many calls go to a worker in one message. Tiny calls are grouped so messaging
// does not dominate; slow calls go one by one; near the end batches shrink so every worker
// still gets a share (load balance).

export interface BatchSizerOptions {
  /** A fixed batch size, or undefined to adapt to the measured call time. */
  fixed?: number;
  /** Work per batch to aim for when adapting. */
  targetMs?: number;
  /** Upper bound of an adaptive batch. */
  maxSize?: number;
  /** How much an adaptive batch may grow from one batch to the next. */
  maxGrowth?: number;
}

export class BatchSizer {
  private readonly fixed: number | undefined;
  readonly targetMs: number;
  private readonly maxSize: number;
  private readonly maxGrowth: number;
  /** Moving average of the time of one call, undefined until the first batch returns. */
  private perCallMs: number | undefined;
  private lastSize = 1;

  constructor(options: BatchSizerOptions = {}) {
    this.fixed = options.fixed;
    this.targetMs = options.targetMs ?? 5;
    this.maxSize = options.maxSize ?? 10_000;
    this.maxGrowth = options.maxGrowth ?? 8;
  }

  get isAdaptive(): boolean {
    return this.fixed === undefined;
  }

  /** Feeds back the wall time of `nCalls` calls that ran in one batch. */
  record(nCalls: number, workMs: number): void {
    if (nCalls <= 0) return;
    const perCall = workMs / nCalls;
    this.perCallMs = this.perCallMs === undefined ? perCall : 0.7 * this.perCallMs + 0.3 * perCall;
  }

  /** Mean time of one call so far (ms), undefined before the first batch returned. */
  get meanCallMs(): number | undefined {
    return this.perCallMs;
  }

  /** Size of the next batch given the calls still queued and the number of workers. */
  next(queued: number, nWorkers: number): number {
    if (queued <= 0) return 0;
    if (this.fixed !== undefined) return Math.min(this.fixed, queued);
    let size = 1;
    if (this.perCallMs !== undefined) {
      // 1 µs floor: a zero measurement must not mean "infinitely many calls".
      size = Math.round(this.targetMs / Math.max(this.perCallMs, 0.001));
      size = Math.max(1, Math.min(size, this.maxSize, this.lastSize * this.maxGrowth));
    }
    const fairShare = Math.max(1, Math.floor(queued / Math.max(1, nWorkers)));
    size = Math.min(size, fairShare, queued);
    this.lastSize = Math.max(this.lastSize, size);
    return size;
  }
}
