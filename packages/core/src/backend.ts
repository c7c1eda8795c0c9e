// The one interface every execution backend implements (worker threads, SLURM, …).
// A backend only schedules and transports; what a call does (load the function, build its
// arguments, encode and store its result) is core's call runner, so a call behaves the same
// wherever it runs.

import type { FunctionReference } from './function-ref';
import type { NumericDtype } from './result-encoding';
import type { PackedCalls } from './packed-calls';

/** How each call's result leaves the call runner. */
export type ResultSink =
  /** The value itself goes back to the client (in-memory mode). */
  | { kind: 'memory' }
  /**
   * `<payloadDir>/<f>_<i>.h5`, written atomically (default and resultShape modes). With
   * `deferSmallWrites` the runner hands small results back unwritten (StoredCall.deferred) and
   * the host process writes them (writeDeferredPayload): libhdf5 serializes every call, so one
   * writing thread beats several threads queueing for its lock.
   */
  | { kind: 'payload-file'; stacked: boolean; deferSmallWrites?: boolean }
  /**
   * The runner encodes; the client writes it into the one container (singleFile mode). With
   * `packBatches` (set by a backend that reports ExecutionEvents.onStoredBatch) the runner packs
   * a batch's calls of one structure by column (CallRunner.packResults).
   */
  | { kind: 'encoded'; stacked: boolean; packBatches?: boolean }
  /** The runner writes `<f>_<i>.v8` (serialized results, ACME's write_pickle). */
  | { kind: 'serialized' };

/** Everything a call runner needs; structured-cloneable, and JSON-able apart from `arguments`. */
export interface RunnerSetup {
  functionRef: FunctionReference;
  nInputs: number;
  /** Broadcast arguments travel once per worker; split ones per call (see CallPayload). */
  broadcast: { positional: (unknown | undefined)[]; keyword: Record<string, unknown>; hasKwargs: boolean };
  /** The split arguments, in payload order; a `range` split is computed from the taskID. */
  splits: SplitArgument[];
  sink: ResultSink;
  /** Absolute paths the runner writes to (absent in memory mode). */
  paths?: { outputDir: string; payloadDir?: string; funcName: string };
  resultShape?: (number | null)[];
  resultDtype?: NumericDtype;
  /**
   * Numeric payloads in memory all threads of one host share (a SharedArrayBuffer): set by a
   * backend instead of sending each batch its payloads; the runner then reads call i's payload
   * at `values[i - firstTaskID]`. Only for a single non-range split.
   */
  sharedPayloads?: { values: Float64Array; firstTaskID: number };
}

/** Where a split argument goes, and for a `range` the arithmetic that replaces a payload. */
export interface SplitArgument {
  target: { positional: number } | { keyword: string };
  range?: { start: number; step: number };
}

/**
 * The per-call part of a call's arguments: the values of the splits without a range, in
 * RunnerSetup.splits order — `undefined` when there are none, the value itself when there is
 * one (so a batch of numeric inputs is a plain number array), else an array of them.
 * Opaque to backends: they carry it from `ExecutionJob.payloadFor` to `runCall`.
 */
export type CallPayload = unknown;

/** What a finished call reports back. `value` depends on the sink. */
export type CallOutcome =
  | { taskID: number; ok: true; value?: unknown; durationMs?: number }
  | {
      taskID: number;
      ok: false;
      error: { name: string; message: string; stack?: string };
      /** Why it failed: the function threw, or the runtime ended the call. */
      reason: FailureReason;
      durationMs?: number;
      /** Backend log file that holds the call's output (SLURM). */
      logPath?: string;
    };

export type FailureReason =
  | 'error'
  | 'timeout'
  | 'worker-exit'
  | 'out-of-memory'
  | 'aborted'
  | 'cancelled'
  | 'node-fail'
  | 'unknown';

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
  /** Exactly once per taskID. */
  onOutcome(outcome: CallOutcome): void;
  /**
   * Optional: successful calls in bulk, `values[i]` being the value of `taskIDs[i]` (absent
   * when every value is undefined). A backend may report a batch of successes here instead of
   * one onOutcome each (for tiny calls the per-call objects cost more than the calls); each
   * taskID is still reported exactly once, through one of the two. `firstTaskID` is given when
   * the taskIDs are firstTaskID, firstTaskID + 1, … (they need not be read one by one).
   */
  onSuccesses?(taskIDs: ArrayLike<number>, values: ArrayLike<unknown> | undefined, firstTaskID?: number): void;
  /**
   * Optional, singleFile mode: successful calls whose datasets the runner packed by column
   * (CallRunner.packResults), call k being `taskIDs[k]`. A backend whose runners pack (it set the
   * sink's packBatches) reports those calls here; each taskID is still reported exactly once.
   * `durationsMs` per call, or one figure for each.
   */
  onStoredBatch?(taskIDs: ArrayLike<number>, calls: PackedCalls, durationsMs: ArrayLike<number> | number): void;
  /** Optional: a call started (for progress "running" counts). */
  onStart?(taskID: number): void;
  /** Optional: a message for the run's log (console and log file), e.g. why SLURM tasks pend. */
  onLog?(level: 'debug' | 'info' | 'warning', message: string): void;
}

export interface ExecutionBackend {
  readonly name: string;
  /** Number of calls that can run at once. */
  readonly concurrency: number;
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
