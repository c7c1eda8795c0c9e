// What the pool and its worker threads exchange. Kept free of Node and comlink imports so both
// sides (and tests) can share it.

import type { CallRunner } from '@acme-ts/core/backend';

/** A user-supplied module loaded in each worker; the pool knows nothing else about it. */
export interface RunnerModule {
  createRunner(setup: unknown): Runner | Promise<Runner>;
}

/** Executes calls by taskID inside one worker. */
export interface Runner {
  /** Resolves to the call's result (structured-cloned to the main thread); throws on failure. */
  runCall(taskID: number, payload?: unknown): unknown;
  /**
   * When true, ArrayBuffers (and whole-buffer typed arrays) returned by runCall are transferred
   * instead of copied: the runner gives up ownership of them. Off by default because a user
   * function may keep a reference to the array it returned.
   */
  readonly transferResults?: boolean;
  /** Called before the runner is replaced by one with another setup. */
  close?(): unknown;
  /** Runs a range of calls in one loop while they return numbers (see core's CallRunner). */
  runNumbers?: CallRunner['runNumbers'];
  /**
   * Packs the values of a batch whose calls all succeeded into one object whose ArrayBuffers
   * are transferred (BatchResult.packed), or returns undefined (they travel as values).
   */
  packResults?(values: readonly unknown[], count: number): unknown;
  /** Adds the buffers among `values` that are the runner's to give away, for transfer (see core's CallRunner). */
  handOffLentBuffers?: CallRunner['handOffLentBuffers'];
}

/** Data every worker receives at creation (workerData). */
export interface WorkerBootData {
  runnerModule: string;
  /** Absolute path of core's function-loader (its importModuleFile loads the runner module). */
  moduleLoader: string;
  /** See CallState: one slot of CallState.BYTES per call the worker may run at once. */
  callState: SharedArrayBuffer;
  /**
   * A worker process (which cannot share memory with the pool) writes its call state to this
   * file instead, slot by slot, and the pool reads it from there (see ChildProcessTransport).
   */
  callStateFile?: string;
  /** Batches the worker runs at once (ThreadPoolOptions.concurrency); default 1. */
  concurrency?: number;
  /**
   * See FinishedCalls: where a thread records each call of a timed batch as it finishes, so the
   * pool keeps them when it kills the thread. Absent for a worker process (no shared memory).
   */
  finishedCalls?: SharedArrayBuffer;
  /** See FinishedCalls.recordsEveryValue (default: numbers and undefined only). */
  recordsEveryValue?: boolean;
}

/**
 * Milliseconds on a clock every thread of the process shares (libuv's monotonic clock; each
 * thread's performance.timeOrigin differs). Not `performance`: its first use in a fresh worker
 * loads perf_hooks, ≈ 0.8 ms of every worker's start-up; process.hrtime() is as cheap per call.
 */
export function sharedClockMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}

/**
 * The state of one worker's calls in a SharedArrayBuffer. The worker writes it around every
 * call so the main thread can see which call of a batch is running and since when, without a
 * message per call (used for timeouts and to blame the right call when a worker dies).
 * Layout: Int32 phase (2k+1 while call k of the batch runs, 2k+2 once it is done), Int32 batch
 * sequence number, Float64 start of the running call (sharedClockMs). The Atomics store of the
 * phase publishes the plain write of the start time that precedes it. A worker that runs several
 * batches at once (ThreadPoolOptions.concurrency) has one such slot per batch it runs, at
 * BYTES × BatchRequest.slot.
 */
export class CallState {
  static readonly BYTES = 16;
  private readonly ints: Int32Array;
  private readonly startedAt: Float64Array;
  /** Where the slot starts in the buffer (bytes). */
  readonly offset: number;

  constructor(
    readonly buffer: SharedArrayBuffer,
    slot = 0,
  ) {
    this.offset = slot * CallState.BYTES;
    this.ints = new Int32Array(buffer, this.offset, 2);
    this.startedAt = new Float64Array(buffer, this.offset + 8, 1);
  }

  /** The slots of a worker that runs `concurrency` batches at once. */
  static slots(buffer: SharedArrayBuffer, concurrency: number): CallState[] {
    return Array.from({ length: concurrency }, (_, slot) => new CallState(buffer, slot));
  }

  // worker side
  beginBatch(batchSeq: number): void {
    Atomics.store(this.ints, 0, 0);
    Atomics.store(this.ints, 1, batchSeq);
  }

  beginCall(index: number, now: number): void {
    this.startedAt[0] = now;
    Atomics.store(this.ints, 0, 2 * index + 1);
  }

  endCall(index: number): void {
    Atomics.store(this.ints, 0, 2 * index + 2);
  }

  /**
   * beginCall without publishing: a plain store, for batches no watchdog reads while they run
   * (untimed tiny calls). The main thread reads it only after the worker died, when the
   * thread's end has made every write visible.
   */
  markCall(index: number): void {
    this.ints[0] = 2 * index + 1;
  }

  /** The phase alone, for loops that do markCall's store themselves (core's runNumbers). */
  get marks(): Int32Array {
    return this.ints.subarray(0, 1);
  }

  /** How many of the batch's calls have finished, by the phase (in the worker, mid-batch). */
  get finishedCalls(): number {
    return Math.floor(this.ints[0]! / 2);
  }

  /** The batch's first `count` calls are done (after markCall). */
  markDone(count: number): void {
    Atomics.store(this.ints, 0, 2 * count);
  }

  // main-thread side
  /** A consistent snapshot, or undefined if the worker moved on while it was being read. */
  read(): { batchSeq: number; started: number; running: boolean; startedAt: number } | undefined {
    const phase = Atomics.load(this.ints, 0);
    const batchSeq = Atomics.load(this.ints, 1);
    const startedAt = this.startedAt[0]!;
    if (Atomics.load(this.ints, 0) !== phase || Atomics.load(this.ints, 1) !== batchSeq) return undefined;
    return { batchSeq, started: Math.ceil(phase / 2), running: phase % 2 === 1, startedAt };
  }
}

/**
 * Collects a batch's values (payloads one way, results the other) in the form that crosses
 * threads cheapest: a Float64Array while every value is a number (transferred, no per-value
 * cloning), nothing while every value is undefined, otherwise a plain array.
 */
export class ValueCollector {
  private numbers: Float64Array | undefined;
  private mixed: unknown[] | undefined;
  private allUndefined = true;

  constructor(private readonly size: number) {}

  set(index: number, value: unknown): void {
    if (this.mixed) {
      this.mixed[index] = value;
    } else if (typeof value === 'number' && (this.numbers !== undefined || this.allUndefined)) {
      // A number after undefined values is mixed; the first number opens the typed array.
      if (this.numbers === undefined) {
        if (index > 0) return this.toMixed(index, value);
        this.numbers = new Float64Array(this.size);
      }
      this.numbers[index] = value;
      this.allUndefined = false;
    } else if (value !== undefined || this.numbers !== undefined) {
      this.toMixed(index, value);
    }
  }

  /**
   * The array numbers go into from `index` on (opened if no value is set yet), or undefined once
   * the values are mixed (set() then).
   */
  numberSlots(index: number): Float64Array | undefined {
    if (this.numbers === undefined && this.allUndefined && index === 0) this.numbers = new Float64Array(this.size);
    return this.numbers;
  }

  /** set() for a number (the common case, checked first). */
  setNumber(index: number, value: number): void {
    if (this.numbers !== undefined) this.numbers[index] = value;
    else this.set(index, value);
  }

  private toMixed(index: number, value: unknown): void {
    const mixed = new Array<unknown>(this.size);
    // Before index, every slot holds a number or every slot is undefined.
    if (this.numbers) for (let i = 0; i < index; i++) mixed[i] = this.numbers[i];
    mixed[index] = value;
    this.mixed = mixed;
    this.numbers = undefined;
    this.allUndefined = false;
  }

  /**
   * The values of calls `from` … `to` − 1, adding any buffer to transfer to `transfers`. Only
   * taking them all hands over the collector's own array (then it is not used again).
   */
  take(from: number, to: number, transfers: Set<ArrayBuffer>): Float64Array | unknown[] | undefined {
    const all = from === 0 && to === this.size;
    if (this.mixed) return all ? this.mixed : this.mixed.slice(from, to);
    if (!this.numbers || to === from) return undefined;
    const numbers = all ? this.numbers : this.numbers.slice(from, to);
    transfers.add(numbers.buffer as ArrayBuffer);
    return numbers;
  }
}

/** What a worker thread exposes (worker.ts, through comlink). */
export interface WorkerApi {
  /** Creates the runner for a setup (again, for a new setup); batches sent after it run after it. */
  init(request: InitRequest): Promise<void>;
  /**
   * Runs a batch's calls. Their results reach the pool as PartialBatchResults before the answer,
   * which then holds what is left (usually nothing but the counts and times).
   */
  runBatch(request: BatchRequest): Promise<BatchResult>;
}

export interface InitRequest {
  setup: unknown;
}

export interface BatchRequest {
  batchSeq: number;
  /**
   * The call-state slot the batch reports in (0 … concurrency − 1): the pool gives each batch
   * that runs at the same time as others in its worker a slot of its own.
   */
  slot?: number;
  /** The calls' taskIDs; absent when they are firstTaskID, firstTaskID + 1, … (count of them). */
  taskIDs?: Float64Array;
  firstTaskID: number;
  count: number;
  /** Per-call payloads, parallel to taskIDs (absent when the run has none; packed when all numbers). */
  payloads?: unknown[] | Float64Array;
  /** Stop starting calls once the batch has run this long; unstarted ones are handed back. */
  budgetMs: number;
  /**
   * Read the clock around every call. Off only for tiny calls without a time limit: then a
   * clock reading would cost more than the call, and each call is given the batch's mean time.
   */
  timeEachCall: boolean;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

/** The key of the uncaught error a worker process posts before it ends (a thread's 'error' event). */
export const EXIT_ERROR = 'acme-ts:exit-error';

/** The environment variable that gives a worker process its WorkerBootData (JSON, without callState). */
export const WORKER_BOOT_ENV = 'ACME_TS_WORKER_BOOT';

/**
 * The key of a message a worker posts outside comlink's requests: a PartialBatchResult. It goes
 * through the same port as comlink's answers, so it arrives before the answer of its batch.
 */
export const PARTIAL_RESULT = 'acme-ts:partial-batch-result';

/**
 * The calls of a batch that have finished since the last hand-over (calls `from` … `nDone` − 1),
 * handed over so that a worker that dies after them does not take their results along: at the
 * batch's end (ahead of its answer, which comlink posts a few promise hops later), before the
 * worker exits (process.exit, an uncaught exception), and in batches whose calls are timed one by
 * one, whenever a call starts ≥ 1 ms after the last hand-over. A thread killed for a timeout or
 * by a heap overflow runs no code: what it finished since then is in its FinishedCalls.
 */
export type PartialBatchResult = BatchResult & {
  partial: true;
  /** The batch has ended: this is its result (the answer that follows only acknowledges it). */
  final: boolean;
};

export interface BatchResult {
  batchSeq: number;
  /** Number of calls that ran (the first nDone taskIDs of the request); the rest were not started. */
  nDone: number;
  /**
   * The first call this result holds (calls before it came in PartialBatchResults; absent: 0):
   * `ok`, `durationsMs` and `values` are index-aligned with calls from … nDone − 1.
   */
  from?: number;
  /** Per call: 1 = ok, 0 = failed; absent when every call that ran succeeded. */
  ok?: Uint8Array;
  /** Per call, or one figure for all (untimed tiny calls are each given the batch's mean). */
  durationsMs: Float64Array | number;
  /**
   * Result values for ok calls, errors for failed ones (index-aligned with the request). When
   * every call succeeded with a number, a transferred Float64Array instead (no per-element
   * cloning); when every call returned undefined, absent.
   */
  values?: unknown[] | Float64Array;
  /** Instead of values: the runner's packing of them (Runner.packResults); every call succeeded. */
  packed?: unknown;
  /** Wall time of the calls (calls 0 … nDone − 1), for batch sizing. */
  workMs: number;
}
