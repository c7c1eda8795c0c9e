// What the pool and its worker threads exchange. Kept free of Node and comlink imports so both
// sides (and tests) can share it.

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
}

/** Data every worker receives at creation (workerData). */
export interface WorkerBootData {
  runnerModule: string;
  /** Shared call-state slots, see CallStateSlot. */
  callState: SharedArrayBuffer;
}

/**
 * Slots of the BigInt64Array over WorkerBootData.callState. The worker writes them around every
 * call so the main thread can see which call is running and since when, without a message per
 * call (used for timeouts and to blame the right call when a worker dies).
 */
export const CallStateSlot = {
  /** Number of calls of the current batch that have started (the running one included). */
  started: 0,
  /** 1 while a call runs, 0 between calls. */
  running: 1,
  /** Date.now() at the start of the running call. */
  startedAt: 2,
  /** Batch sequence number the slots refer to. */
  batchSeq: 3,
} as const;
export const CALL_STATE_SLOTS = 4;

export interface InitRequest {
  setup: unknown;
}

export interface BatchRequest {
  batchSeq: number;
  taskIDs: Float64Array;
  /** Per-call payloads, parallel to taskIDs (absent when the run has none). */
  payloads?: unknown[];
  /** Stop starting calls once the batch has run this long; unstarted ones are handed back. */
  budgetMs: number;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

export interface BatchResult {
  /** Number of calls that ran (the first nDone taskIDs of the request); the rest were not started. */
  nDone: number;
  /** Per call: 1 = ok, 0 = failed. */
  ok: Uint8Array;
  durationsMs: Float64Array;
  /** Result values for ok calls, errors for failed ones (index-aligned with the request). */
  values: unknown[];
  /** Wall time of the calls, for batch sizing. */
  workMs: number;
}
