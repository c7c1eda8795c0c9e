// ThreadPool, the scheduler: hands a run's calls (integer taskIDs, from its RunQueue) to worker
// threads (PoolWorker: start, init, exit) in adaptive batches, settles what comes back, times
// calls out, blames the call a worker died in, and stops runs. Transport is behind
// WorkerTransport.

import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { BatchSizer } from './batch-sizer';
import { CallTimeEstimate } from './call-time-estimate';
import { AbortError, PoolClosedError, WorkerCrashLoopError, WorkerExitedError, WorkerStartupError, describeWorkerEnd, errorInfo, isErrorLike } from './errors';
import { normalizeTaskIDs, RunQueue } from './run-queue';
import { PoolWorker, type InFlightBatch } from './pool-worker';
import { resolvePoolOptions, type ResolvedPoolOptions, type ThreadPoolOptions } from './options';
import { ValueCollector, sharedClockMs, type BatchRequest, type BatchResult, type PartialBatchResult, type SerializedError } from './protocol';
import type { WorkerExitInfo } from './transport';
import { settledCall } from '@acme-ts/core/backend';
import type { CallOutcome as CoreCallOutcome, FailureReason as CoreFailureReason, PackedCalls, SettledBatch } from '@acme-ts/core/backend';

/** Why a call the pool settles itself failed (a worker's death, an error in transit, a stop). */
export type FailureReason = Extract<CoreFailureReason, 'error' | 'timeout' | 'worker-exit' | 'out-of-memory' | 'aborted'>;

export type CallOutcome =
  (Extract<CoreCallOutcome, { ok: true }> & { durationMs: number }) | (Extract<CoreCallOutcome, { ok: false }> & { reason: FailureReason });

export interface RunOptions {
  signal?: AbortSignal;
  /**
   * Setup for this run. A setup that is not the same object as the current one re-initializes
   * each worker (createRunner again) before its next call; omitted = keep the current setup.
   */
  setup?: unknown;
  /** Per-call data sent with the call's batch (for what is not in the setup). */
  payloadFor?: (taskID: number) => unknown;
  /**
   * The caller guarantees that taskIDs is a Float64Array of distinct non-negative integers in
   * ascending order (core's ExecutionJob contract), so run() takes it as it is — no check, no
   * copy (10⁶ IDs cost a pass); the caller must not change it during the run.
   */
  taskIDsChecked?: boolean;
}

export interface RunSummary {
  nCalls: number;
  nSucceeded: number;
  nFailed: number;
  /** Messages that carried calls to workers. */
  nBatches: number;
  /** Worker threads created during this run (replacements included). */
  nWorkersStarted: number;
  durationMs: number;
}

/**
 * Workers that start at once: one core is left to the host thread. A starting thread keeps a
 * core busy for tens of ms; starting more than the other cores at once only slows the host's
 * own preparation and every thread's start (measured on 2 cores: staggered starts are faster
 * for short runs and cost a slow run one thread's start-up).
 */
const BOOT_AT_ONCE = Math.max(1, availableParallelism() - 1);
/** How long the pool waits for measured calls before it starts more workers (ms). */
const DECIDE_WITHIN_MS = 10;
/** An adaptive batch returns early after this long, which bounds what a crash makes us re-run. */
const ADAPTIVE_BATCH_BUDGET_MS = 50;
/**
 * Calls shorter than this (mean, ms) get a second batch queued in their worker while the first
 * runs, so the worker never waits for the main thread between batches. Slower calls go one
 * batch at a time: a queued slow call could wait behind its neighbour while another worker idles.
 */
const PIPELINE_MAX_CALL_MS = 1;

/** One run() of the pool: its queue, its counts, and how it ends. */
export class RunState {
  readonly queue: RunQueue;
  nSettled = 0;
  nSucceeded = 0;
  nFailed = 0;
  nBatches = 0;
  nWorkersStarted = 0;
  unattributedDeaths = 0;
  stopped = false;
  readonly startedAt = performance.now();
  /** Set DECIDE_WITHIN_MS after a worker of this run could first take calls (see worthStartingAnother). */
  waitedForEvidence = false;
  /** Whether a batch of this run came back (a measured call time is on its way). */
  anyBatchBack = false;
  /**
   * The batch whose outcomes are being handed out (off its worker, which already has its next
   * batch): calls `nSettled` up to `end` are not reported yet, for stop() to report them.
   */
  settling: { batch: InFlightBatch; end: number } | undefined;
  /** The steady call time of this run, from the batches that came back. */
  readonly callTime = new CallTimeEstimate();
  decisionTimer: NodeJS.Timeout | undefined;
  resolve!: (summary: RunSummary) => void;
  reject!: (error: unknown) => void;
  readonly done: Promise<RunSummary>;

  readonly onSettled: (batch: SettledBatch) => void;
  readonly payloadFor: RunOptions['payloadFor'];

  constructor(taskIDs: Float64Array, ascending: boolean, onSettled: (batch: SettledBatch) => void, options: RunOptions) {
    this.queue = new RunQueue(taskIDs, ascending);
    this.onSettled = onSettled;
    this.payloadFor = options.payloadFor;
    this.done = new Promise<RunSummary>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  summary(): RunSummary {
    return {
      nCalls: this.queue.nCalls,
      nSucceeded: this.nSucceeded,
      nFailed: this.nFailed,
      nBatches: this.nBatches,
      nWorkersStarted: this.nWorkersStarted,
      durationMs: performance.now() - this.startedAt,
    };
  }
}

/** Calls shorter than this (ms) are timed per batch, not per call (see BatchRequest.timeEachCall). */
const TINY_CALL_MS = 0.02;

/** The batch's payloads (see ValueCollector): usually one transferred Float64Array. */
function packPayloads(taskIDs: Float64Array, payloadFor: (taskID: number) => unknown, transfer: ArrayBuffer[]): Float64Array | unknown[] | undefined {
  const payloads = new ValueCollector(taskIDs.length);
  for (let j = 0; j < taskIDs.length; j++) payloads.set(j, payloadFor(taskIDs[j]!));
  const taken = new Set<ArrayBuffer>();
  const packed = payloads.take(0, taskIDs.length, taken);
  transfer.push(...taken);
  return packed;
}

export class ThreadPool {
  private readonly options: ResolvedPoolOptions;
  private readonly workers = new Set<PoolWorker>();
  private setup: unknown;
  private generation = 0;
  private batchSeq = 0;
  private readonly sizer: BatchSizer;
  private activeRun: RunState | undefined;
  private runTail: Promise<unknown> = Promise.resolve();
  private closed = false;
  private watchdog: NodeJS.Timeout | undefined;
  /** How long the last worker took from spawn to running calls (ms). */
  private startupMs = 30;

  constructor(options: ThreadPoolOptions) {
    this.options = resolvePoolOptions(options);
    this.setup = this.options.setup;
    this.sizer = new BatchSizer(this.options.batch === undefined ? {} : { fixed: this.options.batch });
  }

  get nWorkers(): number {
    return this.options.nWorkers;
  }

  /** Worker threads currently alive (starting, idle or busy). */
  get workerCount(): number {
    return this.workers.size;
  }

  /**
   * Runs every taskID once and reports each taskID exactly once, in batches of settled calls
   * (core's SettledBatch: a batch's values pass through as the runner returned them). Resolves
   * when all are reported; rejects (after reporting the unfinished calls as 'aborted') on abort,
   * close, a worker that cannot start, or an onSettled callback that throws. Runs on one pool
   * are executed one after another.
   */
  async run(
    taskIDs: Iterable<number> | ArrayLike<number>,
    onSettled: (batch: SettledBatch) => void,
    options: RunOptions | AbortSignal = {},
  ): Promise<RunSummary> {
    if (this.closed) throw new PoolClosedError();
    const runOptions: RunOptions = options instanceof AbortSignal ? { signal: options } : options;
    const ids = runOptions.taskIDsChecked && taskIDs instanceof Float64Array ? { ids: taskIDs, ascending: true } : normalizeTaskIDs(taskIDs);
    const previous = this.runTail;
    let release!: () => void;
    this.runTail = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      if (this.closed) throw new PoolClosedError();
      return await this.execute(ids, onSettled, runOptions);
    } finally {
      release();
    }
  }

  /**
   * Starts the worker threads now, so their start-up (tens of ms) overlaps what the caller
   * does before its first run(); each gets its setup with the run.
   */
  warmUp(): void {
    if (this.closed) return;
    while (this.workers.size < Math.min(this.options.nWorkers, this.bootAtOnce)) this.spawn(undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.activeRun) this.stop(this.activeRun, new PoolClosedError());
    await this.terminateAll();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async execute(
    { ids, ascending }: { ids: Float64Array; ascending: boolean },
    onSettled: (batch: SettledBatch) => void,
    options: RunOptions,
  ): Promise<RunSummary> {
    if ('setup' in options && options.setup !== this.setup) {
      this.setup = options.setup;
      this.generation++;
    }
    const run = new RunState(ids, ascending, onSettled, options);
    const { signal } = options;
    if (ids.length === 0 && !signal?.aborted) return run.summary();
    this.activeRun = run;
    const onAbort = () => this.stop(run, new AbortError('the run was aborted', { cause: signal?.reason }));
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    this.startWatchdog();
    try {
      this.pump(run);
      return await run.done;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.stopWatchdog();
      clearTimeout(run.decisionTimer);
      this.activeRun = undefined;
    }
  }

  // --- dispatching -------------------------------------------------------------------------

  private pump(run: RunState): void {
    if (run.stopped) return;
    this.dispatchQueued(run);
    // A new worker's first batch goes right behind its init.
    if (this.startWorkers(run) > 0) this.dispatchQueued(run);
  }

  private dispatchQueued(run: RunState): void {
    // Every ready worker gets a batch before any gets a second one.
    const depth = this.pipelineDepth();
    const { concurrency } = this.options;
    for (let slot = 1; slot <= depth; slot++) {
      for (const worker of this.workers) {
        if (run.queue.nQueued === 0) return;
        if (worker.state === 'exited' || worker.batches.length >= slot) continue;
        // A suspect of a crash runs with nothing beside it (with concurrency 1 a batch queued
        // behind it runs after it, so only then is it alone).
        if (concurrency > 1 && (worker.busyAlone || (run.queue.nextIsIsolated && worker.batches.length > 0))) continue;
        if (worker.generation !== this.generation) {
          // Re-initialized once its batches of the earlier setup are back.
          if (worker.batches.length > 0) continue;
          this.initialize(worker);
        }
        // A starting worker takes what it can run at once (it runs after the init, without a
        // round trip): one batch, or one per call it may run at once.
        if (worker.state === 'ready' || slot <= concurrency) this.dispatch(worker, run);
      }
    }
  }

  /** Starts the workers worth starting now (see worthStartingAnother); returns how many. */
  private startWorkers(run: RunState): number {
    let starting = 0;
    for (const worker of this.workers) if (worker.state === 'starting') starting++;
    let started = 0;
    while (
      run.queue.nQueued > started && // each new worker takes a batch right away
      this.workers.size < this.options.nWorkers &&
      starting < this.bootAtOnce &&
      this.worthStartingAnother(run, this.workers.size - starting)
    ) {
      this.spawn(run);
      starting++;
      started++;
    }
    return started;
  }

  private spawn(run: RunState | undefined): void {
    const worker: PoolWorker = new PoolWorker(this.options, {
      onExit: (info) => this.handleExit(worker, info),
      onPartialResult: (result) => this.handlePartialResult(worker, result),
    });
    this.workers.add(worker);
    if (run) run.nWorkersStarted++;
    // A warmed-up worker is initialized by the first pump (its generation is behind).
    if (run) this.initialize(worker);
  }

  /** Sends the current setup; batches sent after it run after it (see dispatch). */
  private initialize(worker: PoolWorker): void {
    worker.initialize(this.setup, this.generation).then(
      (startupMs) => {
        if (worker.state === 'exited') return;
        worker.state = 'ready';
        if (startupMs !== undefined) this.startupMs = startupMs;
        // The run that started this worker may be over; serve whichever run is active now.
        // (A successful start is no progress: the crash-loop count is reset only by calls.)
        if (this.activeRun) this.pump(this.activeRun);
      },
      (error: unknown) => {
        if (worker.killReason) return;
        // A worker without a runner is of no use, whether or not a run still needs it.
        worker.kill('stopped');
        const run = this.activeRun;
        if (!run) return;
        const detail = isErrorLike(error) ? `${error.name}: ${error.message}` : String(error);
        this.stop(run, new WorkerStartupError(`a worker could not start the runner: ${detail}`, { cause: error }));
      },
    );
  }

  /**
   * Whether one more worker would finish calls sooner, given `running` workers (started or
   * ready). A worker takes tens of ms to start and slows the others meanwhile (it takes a core):
   * it is started when the queued work per running worker is more than twice that, at this
   * run's steady call time (see CallTimeEstimate: the first calls run unoptimized, up to 50×
   * slower). Before any batch returns the pool waits at most DECIDE_WITHIN_MS: a run of long
   * calls loses only that.
   */
  private worthStartingAnother(run: RunState, running: number): boolean {
    if (running === 0) return true;
    if (!run.anyBatchBack) {
      if (run.waitedForEvidence) return true;
      run.decisionTimer ??= setTimeout(() => {
        run.waitedForEvidence = true;
        this.pump(run);
      }, DECIDE_WITHIN_MS).unref();
      return false;
    }
    const msPerCall = run.callTime.msPerCall(2 * this.startupMs);
    // A worker that runs several calls at once gets through its queued work that much sooner.
    return msPerCall !== undefined && (run.queue.nQueued * msPerCall) / (running * this.options.concurrency) > 2 * this.startupMs;
  }

  /**
   * Workers that may start at once: BOOT_AT_ONCE, or all with concurrency, whose calls are
   * expected to wait rather than compute (the cores are free for the starts).
   */
  private get bootAtOnce(): number {
    return this.options.concurrency > 1 ? this.options.nWorkers : BOOT_AT_ONCE;
  }

  /**
   * Batches a worker may hold at once: with concurrency, one per call it runs at once; else one,
   * and a second queued behind it for short calls (see PIPELINE_MAX_CALL_MS).
   */
  private pipelineDepth(): number {
    if (this.options.concurrency > 1) return this.options.concurrency;
    return (this.sizer.meanCallMs ?? Infinity) < PIPELINE_MAX_CALL_MS ? 2 : 1;
  }

  private dispatch(worker: PoolWorker, run: RunState): void {
    const alone = run.queue.nextIsIsolated;
    const taskIDs = run.queue.take(this.sizer.next(run.queue.nQueued, this.options.nWorkers * this.pipelineDepth()));
    const seq = ++this.batchSeq;
    const consecutive = run.queue.isConsecutive(taskIDs);
    const batch: InFlightBatch = { seq, taskIDs, nSettled: 0, consecutive, run, slot: worker.freeSlot(), alone };
    run.nBatches++;
    const request: BatchRequest = {
      batchSeq: seq,
      firstTaskID: taskIDs[0]!,
      count: taskIDs.length,
      budgetMs: this.sizer.isAdaptive ? ADAPTIVE_BATCH_BUDGET_MS : Infinity,
      // Calls that run beside others, or in a process (whose call state is posted per change),
      // are always timed: the call state must tell a running call from a finished one, to
      // blame the right call for a crash. So are calls the pool may kill (a timeout) or whose
      // heap is bounded: a timed call is recorded as it finishes (FinishedCalls), so a call
      // that is killed or overflows the heap does not take the calls before it along.
      timeEachCall:
        this.options.timeoutMs !== undefined ||
        this.options.resourceLimits !== undefined ||
        this.options.concurrency > 1 ||
        this.options.isolation === 'process' ||
        !((this.sizer.meanCallMs ?? Infinity) < TINY_CALL_MS),
    };
    const transfer: ArrayBuffer[] = [];
    if (!consecutive) {
      request.taskIDs = taskIDs.slice(); // the batch keeps its own array to attribute outcomes
      transfer.push(request.taskIDs.buffer as ArrayBuffer);
    }
    if (run.payloadFor) {
      const payloads = packPayloads(taskIDs, run.payloadFor, transfer);
      if (payloads !== undefined) request.payloads = payloads;
    }
    worker.runBatch(batch, request, transfer).then(
      (result) => this.handleBatchResult(worker, batch, result),
      (error: unknown) => this.handleBatchFailure(worker, batch, error),
    );
  }

  private handleBatchResult(worker: PoolWorker, batch: InFlightBatch, result: BatchResult): void {
    if (!worker.answered(batch)) return;
    const { run } = batch;
    if (run.stopped) return;
    run.unattributedDeaths = 0;
    this.sizer.record(result.nDone, result.workMs);
    if (result.nDone > 0) {
      run.anyBatchBack = true;
      run.callTime.record(result.nDone, result.workMs);
    }
    // The worker gets its next batch before this one's outcomes are handed out, so it computes
    // while the main thread stores them (a singleFile write, a status line) instead of waiting.
    // A callback that stops the run (abort, close, a throw) makes stop() report the outcomes
    // not handed out yet (run.settling).
    run.queue.giveBack(batch.taskIDs.slice(result.nDone).reverse());
    run.settling = { batch, end: result.nDone };
    try {
      this.pump(run);
      if (!run.stopped) this.settleBatch(run, batch, result);
    } finally {
      run.settling = undefined;
    }
  }

  /** Calls a running batch handed over (see PartialBatchResult): settled now, not re-run if the worker dies. */
  private handlePartialResult(worker: PoolWorker, result: PartialBatchResult): void {
    const batch = worker.batches.find((b) => b.seq === result.batchSeq);
    if (!batch || result.from !== batch.nSettled) return;
    if (result.final) return this.handleBatchResult(worker, batch, result);
    if (!batch.run.stopped) this.settleBatch(batch.run, batch, result);
  }

  /** Reports the batch's calls result.from … result.nDone − 1. */
  private settleBatch(run: RunState, batch: InFlightBatch, result: BatchResult): void {
    const { nDone, ok, values } = result;
    const from = result.from ?? 0;
    if (nDone <= from) return;
    if (ok) {
      // A failed call's value is its error: its Error fields only (not a worker's error code).
      for (let i = 0; i < nDone - from; i++) {
        if (ok[i] === 1) continue;
        const { name, message, stack } = (values as unknown[])[i] as SerializedError;
        (values as unknown[])[i] = stack === undefined ? { name, message } : { name, message, stack };
      }
    }
    const taskIDs = batch.taskIDs.subarray(from, nDone);
    batch.nSettled = nDone;
    this.report(run, {
      taskIDs,
      ...(batch.consecutive ? { firstTaskID: taskIDs[0] } : {}),
      ...(ok ? { ok } : {}),
      ...(values !== undefined ? { values } : {}),
      ...(result.packed !== undefined ? { packed: result.packed as PackedCalls } : {}),
      durationsMs: result.durationsMs,
    });
  }

  private handleBatchFailure(worker: PoolWorker, batch: InFlightBatch, error: unknown): void {
    // A worker that died is handled by handleExit, which knows which call was running.
    if (error instanceof WorkerExitedError || !worker.answered(batch)) return;
    const { run } = batch;
    if (run.stopped) return;
    const unsettled = batch.taskIDs.subarray(batch.nSettled);
    if (unsettled.length > 1) {
      // The batch as a whole could not travel (e.g. a result that cannot be cloned): run its
      // calls one by one so only the culprit fails.
      run.queue.isolate(unsettled);
    } else if (unsettled.length === 1) {
      this.settle(run, { taskID: unsettled[0]!, ok: false, error: errorInfo(error), reason: 'error' });
    }
    this.pump(run);
  }

  /** One call the pool itself settled (a failure of its worker, or an error in transit). */
  private settle(run: RunState, outcome: CallOutcome): void {
    this.report(run, settledCall(outcome));
  }

  private report(run: RunState, settled: SettledBatch): void {
    const { ok, taskIDs } = settled;
    let nFailed = 0;
    if (ok) for (let i = 0; i < taskIDs.length; i++) nFailed += 1 - ok[i]!;
    run.nFailed += nFailed;
    run.nSucceeded += taskIDs.length - nFailed;
    run.nSettled += taskIDs.length;
    try {
      run.onSettled(settled);
    } catch (error) {
      this.stop(run, error);
      return;
    }
    this.resolveIfComplete(run);
  }

  private resolveIfComplete(run: RunState): void {
    if (run.nSettled === run.queue.nCalls && !run.stopped) {
      run.stopped = true;
      run.resolve(run.summary());
    }
  }

  // --- failures ----------------------------------------------------------------------------

  private handleExit(worker: PoolWorker, info: WorkerExitInfo): void {
    // First the calls it finished after its last hand-over (killed for a timeout, out of
    // memory: it ran no code at its end), as if handed over: they do not run again. While the
    // batches are still the worker's, so a stop() in onSettled reports the rest as aborted.
    for (const batch of worker.batches) if (!batch.run.stopped) this.settleFinishedCalls(worker, batch);
    const wasStarting = worker.state === 'starting';
    worker.state = 'exited';
    this.workers.delete(worker);
    const batches = worker.batches;
    worker.batches = [];
    const run = batches[0]?.run ?? this.activeRun;
    if (!run || run.stopped) return;
    if (batches.length === 0) {
      // A starting worker's failure is reported by its init request; one we killed is expected.
      if (!wasStarting && !worker.killReason) this.countUnattributedDeath(run, info);
      this.pump(run);
      return;
    }
    const { blamed, suspects } = worker.blame(batches);
    const isSuspect = (batch: InFlightBatch, i: number) => suspects.some((s) => s.batch === batch && s.index === i);
    // Calls the worker handed over before it died are settled; the others run again: queued
    // batches never ran, and calls that finished after the last hand-over lost their results
    // with the worker (later batches go back first: a stack). Calls that were running beside
    // others when it crashed are suspects: each runs again alone, so only the culprit fails.
    for (let b = batches.length - 1; b >= 0; b--) {
      const batch = batches[b]!;
      const lost: number[] = [];
      for (let i = batch.nSettled; i < batch.taskIDs.length; i++) {
        if ((batch !== blamed?.batch || i !== blamed.index) && !isSuspect(batch, i)) lost.push(batch.taskIDs[i]!);
      }
      run.queue.giveBack(lost.reverse());
    }
    run.queue.isolate(suspects.map((s) => s.batch.taskIDs[s.index]!));
    if (suspects.length > 0) {
      // Each suspect runs alone next, so the run makes progress: no crash loop to count.
    } else if (blamed === undefined) {
      this.countUnattributedDeath(run, info);
    } else {
      const taskID = blamed.batch.taskIDs[blamed.index]!;
      const startedAt = worker.startOf(blamed) ?? sharedClockMs();
      run.unattributedDeaths = 0;
      if (worker.killReason === 'timeout') {
        const error = {
          name: 'TimeoutError',
          message: `call ${taskID} exceeded the timeout of ${this.options.timeoutMs} ms and its worker was terminated`,
        };
        this.settle(run, { taskID, ok: false, error, reason: 'timeout', durationMs: worker.timedOut?.ms });
      } else {
        const outOfMemory = (info.error as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
        const error = info.error ? errorInfo(info.error) : { name: 'WorkerExitError', message: `the ${describeWorkerEnd(info)} during call ${taskID}` };
        const durationMs = Math.max(0, sharedClockMs() - startedAt);
        this.settle(run, { taskID, ok: false, error, reason: outOfMemory ? 'out-of-memory' : 'worker-exit', durationMs });
      }
    }
    this.pump(run);
  }

  /** Reports the calls of `batch` that its ended worker recorded as finished (FinishedCalls). */
  private settleFinishedCalls(worker: PoolWorker, batch: InFlightBatch): void {
    const recorded = worker.finishedCallsOf(batch);
    // Records start at a hand-over; those the pool has already had are skipped.
    const skip = batch.nSettled - (recorded?.from ?? Infinity);
    if (!recorded || skip < 0) return;
    const calls = recorded.calls.slice(skip, skip + batch.taskIDs.length - batch.nSettled);
    if (calls.length === 0) return;
    const durationsMs = Float64Array.from(calls, (call) => call.durationMs);
    const result: BatchResult = {
      batchSeq: batch.seq,
      from: batch.nSettled,
      nDone: batch.nSettled + calls.length,
      durationsMs,
      workMs: durationsMs.reduce((sum, ms) => sum + ms, 0),
    };
    if (calls.some((call) => !call.ok)) result.ok = Uint8Array.from(calls, (call) => (call.ok ? 1 : 0));
    if (calls.some((call) => call.value !== undefined)) result.values = calls.map((call) => call.value);
    this.settleBatch(batch.run, batch, result);
  }

  private countUnattributedDeath(run: RunState, info: WorkerExitInfo): void {
    run.unattributedDeaths++;
    if (run.unattributedDeaths > Math.max(3, this.options.nWorkers)) {
      const cause = new WorkerExitedError(info);
      this.stop(run, new WorkerCrashLoopError(`worker threads keep exiting outside of any call (last: ${cause.message})`, { cause }));
    }
  }

  /** Ends a run: reports every unfinished call as 'aborted', terminates the workers, rejects. */
  private stop(run: RunState, error: unknown): void {
    if (run.stopped) return;
    run.stopped = true;
    const info = errorInfo(error);
    const unfinished: number[] = [];
    for (const worker of this.workers) {
      for (const batch of worker.batches) if (batch.run === run) unfinished.push(...batch.taskIDs.subarray(batch.nSettled));
      worker.batches = [];
    }
    if (run.settling) {
      const { batch, end } = run.settling;
      unfinished.push(...batch.taskIDs.subarray(batch.nSettled, end));
      run.settling = undefined;
    }
    unfinished.push(...run.queue.drainQueued());
    const terminated = this.terminateAll();
    if (unfinished.length > 0) {
      run.nFailed += unfinished.length;
      run.nSettled += unfinished.length;
      const error = { name: info.name, message: info.message };
      try {
        run.onSettled({ taskIDs: unfinished, ok: new Uint8Array(unfinished.length), values: unfinished.map(() => error), reason: 'aborted' });
      } catch {
        // The run is already failing; a callback error must not hide the first cause.
      }
    }
    // Reject only once no thread of this run is left.
    void terminated.then(() => run.reject(error));
  }

  private async terminateAll(): Promise<void> {
    const workers = [...this.workers];
    for (const worker of workers) worker.kill('stopped');
    await Promise.all(workers.map((worker) => worker.exited));
  }

  // --- timeouts ----------------------------------------------------------------------------

  private startWatchdog(): void {
    const { timeoutMs } = this.options;
    if (timeoutMs === undefined || this.watchdog) return;
    const interval = Math.max(10, Math.min(timeoutMs / 4, 250));
    this.watchdog = setInterval(() => this.checkTimeouts(timeoutMs), interval);
    this.watchdog.unref();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  private checkTimeouts(timeoutMs: number): void {
    const now = sharedClockMs();
    for (const worker of this.workers) {
      if (worker.killReason || worker.batches.length === 0) continue;
      worker.refreshCallState();
      for (const callState of worker.callStates) {
        const state = callState.read();
        if (!state || !state.running || !worker.batches.some((b) => b.seq === state.batchSeq)) continue;
        if (now - state.startedAt <= timeoutMs) continue;
        // The worker ends with it: the calls running beside it run again (see handleExit).
        worker.timedOut = { seq: state.batchSeq, index: state.started - 1, ms: now - state.startedAt };
        worker.kill('timeout');
        break;
      }
    }
  }
}
