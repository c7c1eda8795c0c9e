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
  /**
   * Calls in a batch before any was measured. More than one saves round trips at the start of
   * a run of tiny calls; the worker's time budget still returns the unstarted calls of a slow
   * first batch (they cost a message, not a wait).
   */
  firstSize?: number;
}

/**
 * Floor of the measured call time (10 ns): a zero measurement must not mean "infinitely many
 * calls"; maxSize bounds the batch anyway.
 */
const MIN_CALL_MS = 1e-5;
/** Smallest work (ms) worth its own message when the last calls are shared out. */
const MIN_SHARE_MS = 0.5;
/** Weight of the past per batch recorded (see BatchSizer.workMs). */
const DECAY = 0.7;

export class BatchSizer {
  private readonly fixed: number | undefined;
  readonly targetMs: number;
  private readonly maxSize: number;
  private readonly maxGrowth: number;
  /**
   * Decaying sums of work and calls: the time of one call is their ratio, so a batch counts by
   * its number of calls (one cold first call must not outweigh the thousand warm ones after it).
   */
  private workMs = 0;
  private calls = 0;
  private lastSize: number;
  private readonly firstSize: number;

  constructor(options: BatchSizerOptions = {}) {
    this.fixed = options.fixed;
    this.targetMs = options.targetMs ?? 5;
    this.maxSize = options.maxSize ?? 1 << 16;
    this.maxGrowth = options.maxGrowth ?? 8;
    this.firstSize = this.lastSize = options.firstSize ?? 16;
  }

  get isAdaptive(): boolean {
    return this.fixed === undefined;
  }

  /** Feeds back the wall time of `nCalls` calls that ran in one batch. */
  record(nCalls: number, workMs: number): void {
    if (nCalls <= 0) return;
    this.workMs = DECAY * this.workMs + workMs;
    this.calls = DECAY * this.calls + nCalls;
  }

  /** Mean time of one call so far (ms), undefined before the first batch returned. */
  get meanCallMs(): number | undefined {
    return this.calls > 0 ? this.workMs / this.calls : undefined;
  }

  /** Size of the next batch given the calls still queued and the number of workers. */
  next(queued: number, nWorkers: number): number {
    if (queued <= 0) return 0;
    if (this.fixed !== undefined) return Math.min(this.fixed, queued);
    let size = this.firstSize;
    const perCallMs = this.meanCallMs;
    if (perCallMs !== undefined) {
      size = Math.round(this.targetMs / Math.max(perCallMs, MIN_CALL_MS));
      size = Math.max(1, Math.min(size, this.maxSize, this.lastSize * this.maxGrowth));
    }
    const fairShare = Math.max(1, Math.floor(queued / Math.max(1, nWorkers)));
    // Sharing out the last calls pays only while a share is more work than a message costs:
    // without this floor the tail of a run of tiny calls is dozens of messages of a few calls.
    const worthSharing = perCallMs === undefined ? 1 : Math.ceil(MIN_SHARE_MS / Math.max(perCallMs, MIN_CALL_MS));
    size = Math.min(size, Math.max(fairShare, worthSharing), queued);
    this.lastSize = Math.max(this.lastSize, size);
    return size;
  }
}
