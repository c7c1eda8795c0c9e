// Estimates a run's steady call time from its batches, for the decision to start another
// worker. V8 runs a function's first thousands of calls in its interpreter and baseline
// compilers: a trivial call measures 0.5–2 µs there and 15–20 ns once optimized, and the
// optimizing compiler's pauses make single batches swing both ways. Measured on 2 cores: an
// estimate from those first batches started a second worker for 10⁶ trivial calls, which made
// the run 25 % slower (the starting thread took the core the first worker and the host needed).

/**
 * A window of batches closes once it holds this many calls or this much work (ms). Trivial calls
 * ran at a steady 150–250 ns in V8's baseline code for 20–35 thousand calls before the optimized
 * 15–20 ns: windows of 10⁴ calls agreed on the baseline speed (2 runs in 10 started a second
 * worker for 10⁶ calls, 40 % slower).
 */
const WINDOW_CALLS = 100_000;
const WINDOW_MS = 5;
/**
 * Two consecutive windows agree (the code has stopped changing speed) within this factor. On
 * this noisy 2-core VM single batches of warm code took up to 2× and (rarely) 4× their usual
 * time; 2 let a warm-up window and a slowed one agree on 5× the real call time.
 */
const AGREEMENT = 1.5;

export class CallTimeEstimate {
  private windowCalls = 0;
  private windowMs = 0;
  /** ms per call of the last two closed windows, oldest first. */
  private previousMs: number | undefined;
  private latestMs: number | undefined;
  private totalMs = 0;

  /** Feeds back `calls` calls that ran in one batch, taking `workMs` in all. */
  record(calls: number, workMs: number): void {
    if (calls <= 0) return;
    this.totalMs += workMs;
    this.windowCalls += calls;
    this.windowMs += workMs;
    if (this.windowCalls < WINDOW_CALLS && this.windowMs < WINDOW_MS) return;
    this.previousMs = this.latestMs;
    this.latestMs = this.windowMs / this.windowCalls;
    this.windowCalls = this.windowMs = 0;
  }

  /**
   * The time of one call (ms) once two consecutive windows agree; undefined while the speed
   * still changes. After `patienceMs` of measured work it counts anyway, so calls of widely
   * varying length do not wait for agreement forever. The faster window counts: noise (other
   * threads, GC) and compilation only ever add time.
   */
  msPerCall(patienceMs: number): number | undefined {
    const latest = this.latestMs;
    if (latest === undefined) return undefined;
    const faster = Math.min(latest, this.previousMs ?? latest);
    const agree = this.previousMs !== undefined && Math.max(latest, this.previousMs) <= AGREEMENT * faster;
    return agree || this.totalMs >= patienceMs ? faster : undefined;
  }
}
