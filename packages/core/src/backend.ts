// The one interface every execution backend implements (worker threads, SLURM, …).
// A backend only schedules and transports; what a call does (load the function, build its
// arguments, encode and store its result) is core's call runner, so a call behaves the same
// wherever it runs.

import type { FunctionReference } from './function-ref';
import type { StackedKey } from './named-result-shape';
import type { NumericDtype } from './result-encoding';
import type { PackedCalls } from './packed-calls';
import type { DatasetRowsSource } from './dataset-rows';
import type { CopySlotTable } from './copy-slots';

/**
 * How each call's result leaves the call runner. Core chooses it (ParallelMap's run plan);
 * backends pass it on untouched.
 */
export type ResultSink =
  /** The value itself goes back to the client (in-memory mode). */
  | { kind: 'memory' }
  /**
   * `<payloadDir>/<f>_<i>.h5`, written atomically (default and resultShape modes). With
   * `finishOnHost` the runner hands small results back unwritten (StoredCall.deferred) and core's
   * recorder writes them on the client's host: libhdf5 serializes every call, so one writing
   * thread beats several threads queueing for its lock.
   */
  | { kind: 'payload-file'; stacked: boolean; finishOnHost?: boolean }
  /**
   * The runner encodes; the client writes it into the one container (singleFile mode). With
   * `finishOnHost` the runner packs a batch's calls of one structure by column
   * (CallRunner.packResults) for the recorder to write in one native call.
   */
  | {
      kind: 'encoded';
      stacked: boolean;
      finishOnHost?: boolean;
      /**
       * Set where the runners are threads of this process (ExecutionBackend.sharedMemory):
       * datasets reserved in the container's copy that a runner writes a large result into itself.
       */
      copySlots?: CopySlotTable;
    }
  /** The runner writes `<f>_<i>.v8` (serialized results, ACME's write_pickle). */
  | { kind: 'serialized' };

/** Everything a call runner needs; structured-cloneable, and JSON-able apart from `arguments`. */
export interface RunnerSetup {
  functionRef: FunctionReference;
  nInputs: number;
  /** Broadcast arguments travel once per worker; split ones per call (see CallPayload). */
  broadcast: { positional: (unknown | undefined)[]; keyword: Record<string, unknown>; hasKwargs: boolean };
  /** The split arguments, in payload order; a `range` or `rows` split is computed from the taskID. */
  splits: SplitArgument[];
  /**
   * Payload-file modes: each split argument's attribute name on its call's payload file (see
   * input-table.ts callInputNames); absent or undefined entries are not recorded per call.
   */
  inputNames?: (string | undefined)[];
  sink: ResultSink;
  /** Absolute paths the runner writes to (absent in memory mode). */
  paths?: { outputDir: string; payloadDir?: string; funcName: string };
  /** The array form of resultShape (a stacked result_0) and its dtype. */
  resultShape?: (number | null)[];
  resultDtype?: NumericDtype;
  /** The named form of resultShape: the returned object's stacked keys. */
  stackedKeys?: StackedKey[];
  /**
   * Numeric payloads in memory all threads of one host share (a SharedArrayBuffer): set by a
   * backend instead of sending each batch its payloads; the runner then reads call i's payload
   * at `values[i - firstTaskID]`. Only for a single non-range split.
   */
  sharedPayloads?: { values: Float64Array; firstTaskID: number };
  /**
   * Calls one runner may run at once (set by a backend that overlaps a worker's async calls;
   * default 1). Above 1 the runner keeps each call's task context in AsyncLocalStorage.
   */
  concurrency?: number;
}

/**
 * Where a split argument goes, and for a `range` the arithmetic that replaces a payload, for
 * `rows` the dataset the runner reads call i's row from (dataset-rows.ts).
 */
export interface SplitArgument {
  target: { positional: number } | { keyword: string };
  range?: { start: number; step: number };
  rows?: DatasetRowsSource;
}

/**
 * The per-call part of a call's arguments: the values of the splits without a range or rows, in
 * RunnerSetup.splits order — `undefined` when there are none, the value itself when there is
 * one (so a batch of numeric inputs is a plain number array), else an array of them.
 * Opaque to backends: they carry it from `ExecutionJob.payloadFor` to `runCall`.
 */
export type CallPayload = unknown;

/** One settled call (a backend may report calls one at a time: see settledCall). */
export type CallOutcome =
  | { taskID: number; ok: true; value?: unknown; durationMs?: number }
  | {
      taskID: number;
      ok: false;
      error: CallError;
      /** Why it failed: the function threw, or the runtime ended the call. */
      reason: FailureReason;
      durationMs?: number;
      /** Backend log file that holds the call's output (SLURM). */
      logPath?: string;
    };

/** What a failed call reports (an Error's fields, structured-cloneable). */
export interface CallError {
  name: string;
  message: string;
  stack?: string;
}

/**
 * Calls that settled together: the one shape in which a backend reports calls to core
 * (ExecutionEvents.onSettled). Per call, `values[k]` is what core's runner returned for
 * `taskIDs[k]` (CallRunner.runCall: the value in memory mode, a StoredCall otherwise), passed
 * through untouched, or for a failed call its CallError. A backend reporting one call at a time
 * builds it with `settledCall(outcome)`.
 */
export interface SettledBatch {
  taskIDs: ArrayLike<number>;
  /** Given when the taskIDs are firstTaskID, firstTaskID + 1, … (they need not be read one by one). */
  firstTaskID?: number;
  /** Per call 1 (succeeded) or 0 (failed); absent when every call succeeded. */
  ok?: ArrayLike<number>;
  /** Per call, index-aligned with taskIDs; absent when every value is undefined. */
  values?: ArrayLike<unknown>;
  /**
   * Instead of values, every call having succeeded: the runner's packing of them
   * (CallRunner.packResults), opaque to backends.
   */
  packed?: PackedCalls;
  /** Per call, or one figure for each call. */
  durationsMs?: ArrayLike<number> | number;
  /** Why the failed calls failed (default 'error'). */
  reason?: FailureReason;
  /** Backend log file that holds the failed calls' output (SLURM). */
  logPath?: string;
}

export type FailureReason = 'error' | 'timeout' | 'worker-exit' | 'out-of-memory' | 'aborted' | 'cancelled' | 'node-fail' | 'unknown';

/** A set of calls for a backend to execute. */
export interface ExecutionJob {
  setup: RunnerSetup;
  /**
   * The calls to execute (a re-run passes only the missing ones): distinct integers in
   * [0, setup.nInputs), ascending — backends may rely on this without checking.
   */
  taskIDs: ArrayLike<number>;
  /**
   * Optional: when each call's payload is one value, the values by taskID (`payloadFor(i)` is
   * `payloadSource[i]`), so a backend can read them in bulk.
   */
  payloadSource?: ArrayLike<unknown>;
  /** Split arguments of call i (read lazily so 10⁶ calls need no 10⁶-element array of payloads). */
  payloadFor(taskID: number): CallPayload;
  /** Output folder of the run (absent in memory mode without a folder). */
  outputDir?: string;
  /** Per-call time limit in ms, counted from the start of the call. */
  timeoutMs?: number;
}

export interface ExecutionEvents {
  /** Settled calls; over a run, each taskID of the job is reported exactly once. */
  onSettled(batch: SettledBatch): void;
  /** Optional: a message for the run's log (console and log file), e.g. why SLURM tasks pend. */
  onLog?(level: 'debug' | 'info' | 'warning', message: string): void;
}

export interface ExecutionBackend {
  readonly name: string;
  /** Number of calls that can run at once. */
  readonly concurrency: number;
  /**
   * Set by a backend whose calls run on the client's host and come back through onSettled
   * (worker threads of this process): core's runners then leave the last step of small results
   * to core's recorder here — writing a small payload file, packing a singleFile batch by column.
   */
  readonly finishOnHost?: boolean;
  /**
   * Set by a backend whose runners are threads of this process: a SharedArrayBuffer in the
   * RunnerSetup is the same memory in them (not copied, as to another process).
   */
  readonly sharedMemory?: boolean;
  /**
   * Optional: a job with these settings follows soon. Start what is slow to start (worker
   * threads) now, so it overlaps the caller's own preparation of the job.
   */
  prepare?(hint: { timeoutMs?: number }): void;
  /**
   * Executes the job's calls; settles after every call has an outcome. When `signal` aborts,
   * stops dispatching, ends running calls, reports them 'aborted', then rejects.
   */
  execute(job: ExecutionJob, events: ExecutionEvents, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** A module that provides a backend exports this factory (see loadBackend). */
export type BackendFactory = (options: Record<string, unknown>) => ExecutionBackend | Promise<ExecutionBackend>;
