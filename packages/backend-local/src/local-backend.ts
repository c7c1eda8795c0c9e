// The embedded default backend: core's ExecutionBackend over a ThreadPool whose workers run
// core's call runner. One pool serves every run of a ParallelMap (and several ParallelMaps
// that share this backend); a new run's setup re-initializes the workers before its calls.

import { availableParallelism } from 'node:os';
import { CALL_RUNNER_PATH } from '@acme-ts/core/backend';
import type { ExecutionBackend } from '@acme-ts/core';
import type { ExecutionEvents, ExecutionJob, RunnerSetup } from '@acme-ts/core/backend';
import { ThreadPool } from './thread-pool';
import type { ThreadPoolOptions } from './options';
import { PoolOptionError } from './errors';

export interface LocalBackendOptions {
  /** Worker threads; 'auto' (default) = the cores available. */
  nWorkers?: number | 'auto';
  /** Per-worker V8 limits (e.g. { maxOldGenerationSizeMb: 2048 }): a call over them fails alone. */
  resourceLimits?: ThreadPoolOptions['resourceLimits'];
  /** Calls per message: 'auto' (default) adapts to the call time. */
  batch?: ThreadPoolOptions['batch'];
  /** Calls each worker runs at once (default 1): async calls that wait overlap (ParallelMap's options.concurrency). */
  concurrency?: number;
  /** 'thread' (default) or 'process': workers are child processes, and a native crash ends only its call (ParallelMap's options.isolation). */
  isolation?: ThreadPoolOptions['isolation'];
}

export class LocalBackend implements ExecutionBackend {
  readonly name = 'local';
  /** The worker threads (ExecutionBackend.concurrency; each may run `callsPerWorker` async calls at once). */
  readonly concurrency: number;
  readonly callsPerWorker: number;
  /** The workers are threads of this process: core's recorder may finish small results here. */
  readonly finishOnHost = true;
  /** Worker threads share memory with this thread; child processes (isolation 'process') do not. */
  readonly sharedMemory: boolean;
  private pool?: ThreadPool;
  private poolTimeoutMs?: number;

  constructor(private readonly options: LocalBackendOptions = {}) {
    const n = options.nWorkers ?? 'auto';
    if (n !== 'auto' && !(Number.isSafeInteger(n) && n > 0)) {
      throw new PoolOptionError(`options.nWorkers must be a positive integer or "auto", got ${JSON.stringify(n)}`);
    }
    this.concurrency = n === 'auto' ? availableParallelism() : n;
    const perWorker = options.concurrency ?? 1;
    if (!(Number.isSafeInteger(perWorker) && perWorker > 0)) {
      throw new PoolOptionError(`options.concurrency must be a positive integer, got ${JSON.stringify(perWorker)}`);
    }
    this.callsPerWorker = perWorker;
    this.sharedMemory = options.isolation !== 'process';
  }

  private poolFor(timeoutMs: number | undefined): ThreadPool {
    // The time limit is a pool setting: a run with another limit gets a fresh pool.
    if (this.pool && this.poolTimeoutMs !== timeoutMs) {
      void this.pool.close();
      this.pool = undefined;
    }
    this.pool ??= new ThreadPool({
      nWorkers: this.concurrency,
      runnerModule: CALL_RUNNER_PATH, // core's call runner, the module every worker thread loads
      timeoutMs,
      resourceLimits: this.options.resourceLimits,
      batch: this.options.batch,
      concurrency: this.callsPerWorker,
      isolation: this.options.isolation,
    });
    this.poolTimeoutMs = timeoutMs;
    return this.pool;
  }

  prepare(hint: { timeoutMs?: number }): void {
    this.poolFor(hint.timeoutMs).warmUp();
  }

  async execute(job: ExecutionJob, events: ExecutionEvents, signal?: AbortSignal): Promise<void> {
    const pool = this.poolFor(job.timeoutMs);
    // Shared memory does not reach child processes: they get their payloads per batch.
    const sharedPayloads = this.options.isolation === 'process' ? undefined : sharedNumericPayloads(job);
    const concurrency = this.callsPerWorker > 1 ? { concurrency: this.callsPerWorker } : undefined;
    await pool.run(job.taskIDs, (batch) => events.onSettled(batch), {
      signal,
      setup: sharedPayloads || concurrency ? { ...job.setup, ...(sharedPayloads ? { sharedPayloads } : {}), ...concurrency } : job.setup,
      ...(sharedPayloads ? {} : { payloadFor: job.payloadFor.bind(job) }),
      taskIDsChecked: true, // ExecutionJob's contract
    });
  }

  async close(): Promise<void> {
    await this.pool?.close();
    this.pool = undefined;
  }
}

/** Entries of shared payload memory at most (512 MiB); larger runs send payloads per batch. */
const SHARED_PAYLOADS_MAX = 1 << 26;
/** Shared memory spans the job's first to last taskID: at most this many entries per call. */
const SHARED_PAYLOADS_MAX_SPREAD = 4;

/**
 * The job's payloads in memory every worker shares, when each call's payload is one number
 * (one split argument of numbers, the usual map over an array): batches then carry only their
 * taskIDs, and the host packs no payloads per batch. Undefined otherwise (found at the first
 * payload that is not a number, so other runs pay for one call).
 */
function sharedNumericPayloads(job: ExecutionJob): RunnerSetup['sharedPayloads'] {
  if (job.setup.splits.filter((split) => !split.range && !split.rows).length !== 1) return undefined;
  const { taskIDs, payloadSource } = job;
  if (taskIDs.length === 0) return undefined;
  // Ascending taskIDs (ExecutionJob's contract): the memory spans the first to the last, so a
  // SLURM task's chunk of a large run shares only its own calls' payloads.
  const firstTaskID = taskIDs[0]!;
  const size = taskIDs[taskIDs.length - 1]! - firstTaskID + 1;
  if (size > SHARED_PAYLOADS_MAX || size > SHARED_PAYLOADS_MAX_SPREAD * taskIDs.length) return undefined;
  const values = new Float64Array(new SharedArrayBuffer(8 * size));
  if (isNumberArray(payloadSource) && payloadSource.length >= firstTaskID + size) {
    // One native copy (with conversion) of the argument's span.
    values.set(payloadSource.subarray(firstTaskID, firstTaskID + size));
    return { values, firstTaskID };
  }
  if (Array.isArray(payloadSource) && payloadSource.length >= firstTaskID + size) {
    // The usual JS Array of numbers: its span in one plain loop (this runs cold, while the
    // first worker starts on the other core; a call per element here cost 2–6 ms per 10⁴).
    for (let i = 0; i < size; i++) {
      const payload: unknown = payloadSource[firstTaskID + i];
      if (typeof payload !== 'number') return undefined;
      values[i] = payload;
    }
    return { values, firstTaskID };
  }
  const read = payloadSource ? (taskID: number) => payloadSource[taskID] : job.payloadFor.bind(job);
  for (let i = 0; i < taskIDs.length; i++) {
    const taskID = taskIDs[i]!;
    const payload = read(taskID);
    const index = taskID - firstTaskID;
    if (typeof payload !== 'number' || !(index >= 0 && index < size)) return undefined;
    values[index] = payload;
  }
  return { values, firstTaskID };
}

type NumberArray = Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** A typed array of numbers (not bigints): it converts to Float64Array exactly. */
function isNumberArray(values: unknown): values is NumberArray {
  return ArrayBuffer.isView(values) && !(values instanceof DataView) && !(values instanceof BigInt64Array) && !(values instanceof BigUint64Array);
}

/** The factory core looks for when `backend: "local"` (see core's backend registry). */
export function createBackend(options: Record<string, unknown> = {}): LocalBackend {
  return new LocalBackend(options as LocalBackendOptions);
}
