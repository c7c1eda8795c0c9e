// ThreadPool: schedules calls (integer taskIDs) on worker threads in adaptive batches, with
// per-call timeouts, crash attribution and abort. Transport is behind WorkerTransport.

import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BatchSizer } from './batch-sizer';
import {
  AbortError,
  InvalidTaskIDError,
  PoolClosedError,
  WorkerCrashLoopError,
  WorkerExitedError,
  WorkerStartupError,
  errorInfo,
  isErrorLike,
} from './errors';
import { resolvePoolOptions, type ResolvedPoolOptions, type ThreadPoolOptions } from './options';
import {
  CallState,
  sharedClockMs,
  type BatchRequest,
  type BatchResult,
  type SerializedError,
  type WorkerBootData,
} from './protocol';
import { createWorkerThreadTransport, type WorkerExitInfo, type WorkerTransport } from './transport';
import type { CallOutcome as CoreCallOutcome, FailureReason as CoreFailureReason } from '@acme-ts/core';

/** The pool reports core's outcomes, with the reasons a thread can give. */
export type FailureReason = Extract<CoreFailureReason, 'error' | 'timeout' | 'worker-exit' | 'out-of-memory' | 'aborted'>;

export type CallOutcome =
  | (Extract<CoreCallOutcome, { ok: true }> & { durationMs: number })
  | (Extract<CoreCallOutcome, { ok: false }> & { reason: FailureReason });

export interface RunOptions {
  signal?: AbortSignal;
  /**
   * Setup for this run. A setup that is not the same object as the current one re-initializes
   * each worker (createRunner again) before its next call; omitted = keep the current setup.
   */
  setup?: unknown;
  /** Per-call data sent with the call's batch (for what is not in the setup). */
  payloadFor?: (taskID: number) => unknown;
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

const WORKER_ENTRY = join(__dirname, 'worker.js');
/** An adaptive batch returns early after this long, which bounds what a crash makes us re-run. */
const ADAPTIVE_BATCH_BUDGET_MS = 50;

type KillReason = 'timeout' | 'stopped';

interface PoolWorker {
  transport: WorkerTransport;
  callState: CallState;
  state: 'starting' | 'idle' | 'busy' | 'exited';
  /** Setup generation the worker's runner was created with (-1: none yet). */
  generation: number;
  batch: InFlightBatch | undefined;
  killReason: KillReason | undefined;
  /** Index in the batch of the call the watchdog found over time. */
  timedOutIndex: number;
  timedOutMs: number;
  exited: Promise<void>;
}

interface InFlightBatch {
  seq: number;
  taskIDs: number[];
  run: RunState;
}

class RunState {
  private readonly queue: number[];
  private head = 0;
  /** Calls handed back (unstarted or lost in a crash); they go before the queue. */
  private readonly requeued: number[] = [];
  /** Calls to run alone, to find which one broke a whole batch. */
  private readonly isolated: number[] = [];
  nSettled = 0;
  nSucceeded = 0;
  nFailed = 0;
  nBatches = 0;
  nWorkersStarted = 0;
  unattributedDeaths = 0;
  stopped = false;
  readonly startedAt = performance.now();
  resolve!: (summary: RunSummary) => void;
  reject!: (error: unknown) => void;
  readonly done: Promise<RunSummary>;

  constructor(
    taskIDs: number[],
    readonly onOutcome: (outcome: CallOutcome) => void,
    readonly payloadFor: ((taskID: number) => unknown) | undefined,
  ) {
    this.queue = taskIDs;
    this.done = new Promise<RunSummary>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  get nCalls(): number {
    return this.queue.length;
  }

  get nQueued(): number {
    return this.queue.length - this.head + this.requeued.length + this.isolated.length;
  }

  take(size: number): number[] {
    if (this.isolated.length > 0) return [this.isolated.pop()!];
    const batch: number[] = [];
    while (batch.length < size && this.requeued.length > 0) batch.push(this.requeued.pop()!);
    const fromQueue = Math.min(size - batch.length, this.queue.length - this.head);
    for (let i = 0; i < fromQueue; i++) batch.push(this.queue[this.head++]!);
    return batch;
  }

  giveBack(taskIDs: Iterable<number>): void {
    for (const id of taskIDs) this.requeued.push(id);
  }

  isolate(taskIDs: Iterable<number>): void {
    for (const id of taskIDs) this.isolated.push(id);
  }

  drainQueued(): number[] {
    const rest = [...this.isolated, ...this.requeued, ...this.queue.slice(this.head)];
    this.isolated.length = 0;
    this.requeued.length = 0;
    this.head = this.queue.length;
    return rest;
  }

  summary(): RunSummary {
    return {
      nCalls: this.nCalls,
      nSucceeded: this.nSucceeded,
      nFailed: this.nFailed,
      nBatches: this.nBatches,
      nWorkersStarted: this.nWorkersStarted,
      durationMs: performance.now() - this.startedAt,
    };
  }
}

function normalizeTaskIDs(taskIDs: Iterable<number>): number[] {
  const ids = Array.isArray(taskIDs) ? taskIDs.slice() : Array.from(taskIDs);
  let max = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    // One cheap test for the usual small integers; the exact check only when it fails.
    if (!((id | 0) === id && id >= 0) && !(Number.isSafeInteger(id) && id >= 0)) {
      throw new InvalidTaskIDError(`taskIDs must be non-negative integers, got ${String(id)}`);
    }
    if (id > max) max = id;
  }
  // Dense IDs (the usual 0..n-1) are checked with a bitmap; a Set is slower for 10⁵+ IDs.
  const seen: { has(id: number): boolean; add(id: number): unknown } =
    max <= 16 * ids.length + 1_000_000 ? bitmapSet(max + 1) : new Set<number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (seen.has(id)) throw new InvalidTaskIDError(`taskIDs must be unique, got ${id} twice`);
    seen.add(id);
  }
  return ids;
}

/** Calls shorter than this (ms) are timed per batch, not per call (see BatchRequest.timeEachCall). */
const TINY_CALL_MS = 0.02;

/**
 * The batch's payloads: undefined when no call has one; one transferred Float64Array when all
 * are numbers (the common case: cloning an array costs more per call than tiny calls); else
 * the array as is.
 */
function packPayloads(taskIDs: number[], payloadFor: (taskID: number) => unknown): Float64Array | unknown[] | undefined {
  const payloads = new Array<unknown>(taskIDs.length);
  let anyDefined = false;
  let allNumbers = true;
  for (let j = 0; j < taskIDs.length; j++) {
    const p = payloadFor(taskIDs[j]!);
    payloads[j] = p;
    if (p !== undefined) anyDefined = true;
    if (typeof p !== 'number') allNumbers = false;
  }
  if (!anyDefined) return undefined;
  return allNumbers ? Float64Array.from(payloads as number[]) : payloads;
}

function bitmapSet(size: number) {
  const bits = new Uint8Array(size);
  return {
    has: (id: number) => bits[id] === 1,
    add: (id: number) => (bits[id] = 1),
  };
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
   * Runs every taskID once and reports exactly one outcome per taskID. Resolves when all have
   * an outcome; rejects (after reporting the unfinished calls as 'aborted') on abort, close,
   * a worker that cannot start, or an onOutcome callback that throws. Runs on one pool are
   * executed one after another.
   */
  async run(
    taskIDs: Iterable<number>,
    onOutcome: (outcome: CallOutcome) => void,
    options: RunOptions | AbortSignal = {},
  ): Promise<RunSummary> {
    if (this.closed) throw new PoolClosedError();
    const runOptions: RunOptions = options instanceof AbortSignal ? { signal: options } : options;
    const ids = normalizeTaskIDs(taskIDs);
    const previous = this.runTail;
    let release!: () => void;
    this.runTail = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      if (this.closed) throw new PoolClosedError();
      return await this.execute(ids, onOutcome, runOptions);
    } finally {
      release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.activeRun) this.stop(this.activeRun, new PoolClosedError());
    await this.terminateAll();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async execute(ids: number[], onOutcome: (o: CallOutcome) => void, options: RunOptions): Promise<RunSummary> {
    if ('setup' in options && options.setup !== this.setup) {
      this.setup = options.setup;
      this.generation++;
    }
    const run = new RunState(ids, onOutcome, options.payloadFor);
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
      this.activeRun = undefined;
    }
  }

  // --- dispatching -------------------------------------------------------------------------

  private pump(run: RunState): void {
    if (run.stopped) return;
    for (const worker of this.workers) {
      if (run.nQueued === 0) break;
      if (worker.state !== 'idle') continue;
      if (worker.generation !== this.generation) this.initialize(worker);
      else this.dispatch(worker, run);
    }
    let starting = 0;
    for (const worker of this.workers) if (worker.state === 'starting') starting++;
    while (run.nQueued > starting && this.workers.size < this.options.nWorkers) {
      this.spawn(run);
      starting++;
    }
  }

  private spawn(run: RunState): void {
    const callState = new SharedArrayBuffer(CallState.BYTES);
    const bootData: WorkerBootData = { runnerModule: this.options.runnerModule, callState };
    const createTransport = this.options.createTransport ?? createWorkerThreadTransport;
    const transport = createTransport({
      entry: WORKER_ENTRY,
      workerData: bootData,
      ...(this.options.resourceLimits ? { resourceLimits: this.options.resourceLimits } : {}),
    });
    let markExited!: () => void;
    const worker: PoolWorker = {
      transport,
      callState: new CallState(callState),
      state: 'starting',
      generation: -1,
      batch: undefined,
      killReason: undefined,
      timedOutIndex: -1,
      timedOutMs: 0,
      exited: new Promise<void>((resolve) => (markExited = resolve)),
    };
    this.workers.add(worker);
    run.nWorkersStarted++;
    transport.onExit((info) => {
      this.handleExit(worker, info);
      markExited();
    });
    transport.start();
    this.initialize(worker);
  }

  private initialize(worker: PoolWorker): void {
    worker.state = 'starting';
    const generation = this.generation;
    worker.transport.request<void>('init', { setup: this.setup }).then(
      () => {
        if (worker.state === 'exited') return;
        worker.generation = generation;
        worker.state = 'idle';
        // The run that started this worker may be over; serve whichever run is active now.
        // (A successful start is no progress: the crash-loop count is reset only by calls.)
        if (this.activeRun) this.pump(this.activeRun);
      },
      (error: unknown) => {
        if (worker.killReason) return;
        // A worker without a runner is of no use, whether or not a run still needs it.
        worker.killReason = 'stopped';
        void worker.transport.terminate();
        const run = this.activeRun;
        if (!run) return;
        const detail = isErrorLike(error) ? `${error.name}: ${error.message}` : String(error);
        this.stop(run, new WorkerStartupError(`a worker could not start the runner: ${detail}`, { cause: error }));
      },
    );
  }

  private dispatch(worker: PoolWorker, run: RunState): void {
    const taskIDs = run.take(this.sizer.next(run.nQueued, this.options.nWorkers));
    const seq = ++this.batchSeq;
    const batch: InFlightBatch = { seq, taskIDs, run };
    worker.state = 'busy';
    worker.batch = batch;
    run.nBatches++;
    const request: BatchRequest = {
      batchSeq: seq,
      taskIDs: Float64Array.from(taskIDs),
      budgetMs: this.sizer.isAdaptive ? ADAPTIVE_BATCH_BUDGET_MS : Infinity,
      timeEachCall: this.options.timeoutMs !== undefined || !((this.sizer.meanCallMs ?? Infinity) < TINY_CALL_MS),
    };
    const transfer = [request.taskIDs.buffer as ArrayBuffer];
    if (run.payloadFor) {
      const payloads = packPayloads(taskIDs, run.payloadFor);
      if (payloads !== undefined) request.payloads = payloads;
      if (payloads instanceof Float64Array) transfer.push(payloads.buffer as ArrayBuffer);
    }
    worker.transport.request<BatchResult>('runBatch', request, transfer).then(
      (result) => this.handleBatchResult(worker, batch, result),
      (error: unknown) => this.handleBatchFailure(worker, batch, error),
    );
  }

  private handleBatchResult(worker: PoolWorker, batch: InFlightBatch, result: BatchResult): void {
    if (worker.batch !== batch) return;
    worker.batch = undefined;
    if (worker.state === 'busy') worker.state = 'idle';
    const { run } = batch;
    if (run.stopped) return;
    run.unattributedDeaths = 0;
    this.sizer.record(result.nDone, result.workMs);
    for (let i = 0; i < result.nDone; i++) {
      const taskID = batch.taskIDs[i]!;
      const durationMs = result.durationsMs[i]!;
      if (result.ok[i] === 1) {
        this.settle(run, { taskID, ok: true, value: result.values?.[i], durationMs });
      } else {
        const { name, message, stack } = (result.values as unknown[])[i] as SerializedError;
        const error = stack === undefined ? { name, message } : { name, message, stack };
        this.settle(run, { taskID, ok: false, error, reason: 'error', durationMs });
      }
      if (run.stopped) return;
    }
    run.giveBack(batch.taskIDs.slice(result.nDone).reverse());
    this.pump(run);
  }

  private handleBatchFailure(worker: PoolWorker, batch: InFlightBatch, error: unknown): void {
    // A worker that died is handled by handleExit, which knows which call was running.
    if (error instanceof WorkerExitedError || worker.batch !== batch) return;
    worker.batch = undefined;
    if (worker.state === 'busy') worker.state = 'idle';
    const { run } = batch;
    if (run.stopped) return;
    if (batch.taskIDs.length > 1) {
      // The batch as a whole could not travel (e.g. a result that cannot be cloned): run its
      // calls one by one so only the culprit fails.
      run.isolate(batch.taskIDs);
    } else {
      this.settle(run, { taskID: batch.taskIDs[0]!, ok: false, error: errorInfo(error), reason: 'error' });
    }
    this.pump(run);
  }

  private settle(run: RunState, outcome: CallOutcome): void {
    if (outcome.ok) run.nSucceeded++;
    else run.nFailed++;
    run.nSettled++;
    try {
      run.onOutcome(outcome);
    } catch (error) {
      this.stop(run, error);
      return;
    }
    if (run.nSettled === run.nCalls && !run.stopped) {
      run.stopped = true;
      run.resolve(run.summary());
    }
  }

  // --- failures ----------------------------------------------------------------------------

  private handleExit(worker: PoolWorker, info: WorkerExitInfo): void {
    const wasStarting = worker.state === 'starting';
    worker.state = 'exited';
    this.workers.delete(worker);
    const batch = worker.batch;
    worker.batch = undefined;
    const run = batch?.run ?? this.activeRun;
    if (!run || run.stopped) return;
    if (!batch) {
      // A starting worker's failure is reported by its init request; one we killed is expected.
      if (!wasStarting && !worker.killReason) this.countUnattributedDeath(run, info);
      this.pump(run);
      return;
    }
    const blamed = this.blamedIndex(worker, batch);
    if (blamed === undefined) {
      run.giveBack([...batch.taskIDs].reverse());
      this.countUnattributedDeath(run, info);
    } else {
      const taskID = batch.taskIDs[blamed]!;
      const startedAt = worker.callState.read()?.startedAt ?? sharedClockMs();
      const others = batch.taskIDs.filter((_, i) => i !== blamed);
      // Calls that finished before the death lost their results with the worker: run them again.
      run.giveBack(others.reverse());
      run.unattributedDeaths = 0;
      if (worker.killReason === 'timeout') {
        const error = {
          name: 'TimeoutError',
          message: `call ${taskID} exceeded the timeout of ${this.options.timeoutMs} ms and its worker was terminated`,
        };
        this.settle(run, { taskID, ok: false, error, reason: 'timeout', durationMs: worker.timedOutMs });
      } else {
        const outOfMemory = (info.error as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY';
        const error = info.error
          ? errorInfo(info.error)
          : { name: 'WorkerExitError', message: `the worker thread exited with code ${info.code} during call ${taskID}` };
        const durationMs = Math.max(0, sharedClockMs() - startedAt);
        this.settle(run, { taskID, ok: false, error, reason: outOfMemory ? 'out-of-memory' : 'worker-exit', durationMs });
      }
    }
    this.pump(run);
  }

  /** Index in the batch of the call that was running (or had last started) when the worker died. */
  private blamedIndex(worker: PoolWorker, batch: InFlightBatch): number | undefined {
    if (worker.killReason === 'timeout') return worker.timedOutIndex;
    // The worker is gone, so the state is stable.
    const state = worker.callState.read();
    if (!state || state.batchSeq !== batch.seq || state.started === 0) return undefined;
    return state.started - 1;
  }

  private countUnattributedDeath(run: RunState, info: WorkerExitInfo): void {
    run.unattributedDeaths++;
    if (run.unattributedDeaths > Math.max(3, this.options.nWorkers)) {
      const cause = new WorkerExitedError(info);
      this.stop(
        run,
        new WorkerCrashLoopError(`worker threads keep exiting outside of any call (last: ${cause.message})`, { cause }),
      );
    }
  }

  /** Ends a run: reports every unfinished call as 'aborted', terminates the workers, rejects. */
  private stop(run: RunState, error: unknown): void {
    if (run.stopped) return;
    run.stopped = true;
    const info = errorInfo(error);
    const unfinished: number[] = [];
    for (const worker of this.workers) {
      if (worker.batch?.run === run) unfinished.push(...worker.batch.taskIDs);
      worker.batch = undefined;
    }
    unfinished.push(...run.drainQueued());
    const terminated = this.terminateAll();
    for (const taskID of unfinished) {
      run.nFailed++;
      run.nSettled++;
      try {
        run.onOutcome({ taskID, ok: false, error: { name: info.name, message: info.message }, reason: 'aborted' });
      } catch {
        // The run is already failing; a callback error must not hide the first cause.
      }
    }
    // Reject only once no thread of this run is left.
    void terminated.then(() => run.reject(error));
  }

  private async terminateAll(): Promise<void> {
    const workers = [...this.workers];
    for (const worker of workers) {
      worker.killReason ??= 'stopped';
      void worker.transport.terminate();
    }
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
      if (worker.state !== 'busy' || worker.killReason || !worker.batch) continue;
      const state = worker.callState.read();
      if (!state || !state.running || state.batchSeq !== worker.batch.seq) continue;
      if (now - state.startedAt <= timeoutMs) continue;
      worker.killReason = 'timeout';
      worker.timedOutIndex = state.started - 1;
      worker.timedOutMs = now - state.startedAt;
      void worker.transport.terminate();
    }
  }
}
