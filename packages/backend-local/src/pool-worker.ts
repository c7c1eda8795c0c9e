// A worker's lifecycle in the pool: where a thread is started (through its WorkerTransport,
// with its shared call state), initialized with a run's setup, sent batches, ended (a time
// limit, a stop), and where the call it died in is found. The scheduler (thread-pool.ts)
// decides when each of these happens.

import { performance } from 'node:perf_hooks';
import { FUNCTION_LOADER_PATH } from '@acme-ts/core/backend';
import { WorkerExitedError } from './errors';
import type { ResolvedPoolOptions } from './options';
import { FinishedCalls, type FinishedCallsOfBatch } from './finished-calls';
import { CallState, type BatchRequest, type BatchResult, type PartialBatchResult, type WorkerBootData } from './protocol';
import type { RunState } from './thread-pool';
import { createChildProcessTransport, createWorkerThreadTransport, type WorkerExitInfo, type WorkerTransport } from './transport';
import { workerEntry } from './worker-entry';

export type KillReason = 'timeout' | 'stopped';

/** A batch sent to a worker and not answered yet. */
export interface InFlightBatch {
  seq: number;
  taskIDs: Float64Array;
  /** Calls of the batch already reported (handed over early, or its answer is being handed out). */
  nSettled: number;
  /** The taskIDs are taskIDs[0], taskIDs[0] + 1, … */
  consecutive: boolean;
  run: RunState;
  /** The worker's call-state slot the batch reports in (see BatchRequest.slot). */
  slot: number;
  /** Calls suspected of a crash, run with nothing else beside them in their worker (see RunQueue.isolate). */
  alone: boolean;
}

/** A call of an in-flight batch: the batch and the call's index in it. */
export interface BatchCall {
  batch: InFlightBatch;
  index: number;
}

/**
 * Who is to blame for a worker's death: the call to fail, or — when several calls ran at once and
 * none can be told from the others — the suspects, to run again one at a time.
 */
export interface Blame {
  blamed?: BatchCall;
  suspects: BatchCall[];
}

export interface PoolWorkerEvents {
  /** The thread has ended, for whatever reason (called once). */
  onExit(info: WorkerExitInfo): void;
  onPartialResult(result: PartialBatchResult): void;
}

export class PoolWorker {
  /** One call-state slot per batch the worker may run at once. */
  readonly callStates: CallState[];
  /** See FinishedCalls (threads only): read once the worker has ended. */
  private readonly finishedCalls: FinishedCalls[] | undefined;
  /** Batches the worker runs at once (ThreadPoolOptions.concurrency). */
  readonly concurrency: number;
  state: 'starting' | 'ready' | 'exited' = 'starting';
  /** Setup generation last sent to the worker (-1: none yet); 'ready' once its init is done. */
  generation = -1;
  /** Batches sent and not yet answered, oldest (the one running) first. */
  batches: InFlightBatch[] = [];
  killReason: KillReason | undefined;
  /** The call the watchdog found over time: its batch and index in it. */
  timedOut: { seq: number; index: number; ms: number } | undefined;
  /** Resolves once the thread has ended and onExit ran. */
  readonly exited: Promise<void>;
  /** performance.now() at spawn, until the worker's first init came back (see startupMs). */
  private spawnedAt: number | undefined = performance.now();
  /** The sequence number of the last batch sent. */
  private lastBatchSeq = 0;
  private readonly transport: WorkerTransport;

  /** Starts the thread. */
  constructor(
    options: Pick<ResolvedPoolOptions, 'runnerModule' | 'resourceLimits' | 'timeoutMs' | 'createTransport' | 'concurrency' | 'isolation'>,
    events: PoolWorkerEvents,
  ) {
    this.concurrency = options.concurrency;
    const callState = new SharedArrayBuffer(CallState.BYTES * this.concurrency);
    const bootData: WorkerBootData = { runnerModule: options.runnerModule, moduleLoader: FUNCTION_LOADER_PATH, callState };
    if (this.concurrency > 1) bootData.concurrency = this.concurrency;
    if (options.isolation !== 'process') {
      // Copying other values costs 2–25 µs a call (see FinishedCalls.recordsEveryValue): only
      // where the pool kills (a timeout) or the user bounded the heap; numbers are always
      // recorded (two stores).
      const recordsEveryValue = options.timeoutMs !== undefined || options.resourceLimits !== undefined;
      bootData.finishedCalls = FinishedCalls.buffer(this.concurrency, recordsEveryValue);
      if (recordsEveryValue) bootData.recordsEveryValue = true;
      this.finishedCalls = FinishedCalls.slots(bootData.finishedCalls, this.concurrency);
    }
    const createTransport = options.createTransport ?? (options.isolation === 'process' ? createChildProcessTransport : createWorkerThreadTransport);
    this.transport = createTransport({
      entry: workerEntry(),
      workerData: bootData,
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
    this.callStates = CallState.slots(callState, this.concurrency);
    let markExited!: () => void;
    this.exited = new Promise<void>((resolve) => (markExited = resolve));
    this.transport.onExit((info) => {
      events.onExit(info);
      markExited();
    });
    this.transport.onPartialResult?.((result) => events.onPartialResult(result));
    this.transport.start();
  }

  /**
   * Sends a setup (createRunner in the thread); batches sent after it run after it. Resolves
   * with the thread's start-up time (spawn to runner ready, ms) at its first init.
   */
  async initialize(setup: unknown, generation: number): Promise<number | undefined> {
    this.state = 'starting';
    this.generation = generation;
    const sentBefore = this.lastBatchSeq;
    try {
      await this.transport.request('init', { setup });
    } catch (error) {
      // The thread ended before the init's answer was posted, but a batch sent after the init
      // had begun, so the init had succeeded: the exit is that batch's (see handleExit).
      if (error instanceof WorkerExitedError && this.callStates.some((state) => (state.read()?.batchSeq ?? 0) > sentBefore)) return undefined;
      throw error;
    }
    const startupMs = this.spawnedAt === undefined ? undefined : performance.now() - this.spawnedAt;
    this.spawnedAt = undefined;
    return startupMs;
  }

  /** Brings the call state up to date where the worker cannot share it (see WorkerTransport.refreshCallState). */
  refreshCallState(): void {
    this.transport.refreshCallState?.();
  }

  /**
   * A call-state slot no batch in flight uses (0 with concurrency 1: a batch queued behind the
   * running one shares it, as it runs after it).
   */
  freeSlot(): number {
    for (let slot = 0; slot < this.concurrency; slot++) if (!this.batches.some((b) => b.slot === slot)) return slot;
    return 0;
  }

  /** Whether the worker runs a call alone (a suspect of a crash): it takes nothing beside it. */
  get busyAlone(): boolean {
    return this.batches.some((b) => b.alone);
  }

  runBatch(batch: InFlightBatch, request: BatchRequest, transfer: ArrayBuffer[]): Promise<BatchResult> {
    if (batch.slot !== 0) request.slot = batch.slot;
    this.batches.push(batch);
    this.lastBatchSeq = batch.seq;
    return this.transport.request('runBatch', request, transfer);
  }

  /** Takes an answered batch off the worker; false if it was no longer in flight here. */
  answered(batch: InFlightBatch): boolean {
    const index = this.batches.indexOf(batch);
    if (index < 0) return false;
    this.batches.splice(index, 1);
    return true;
  }

  /** Ends the thread (its exit is reported through onExit); the first reason given counts. */
  kill(reason: KillReason): void {
    this.killReason ??= reason;
    void this.transport.terminate();
  }

  /**
   * The call that was running (or had last started) when the worker died, if any: the call the
   * watchdog timed out, or the one call that was running. When several calls were running (or
   * none was, but several had started) they are the suspects, also after a timeout: a call that
   * never settles and one that waits behind a call blocking the thread look the same.
   */
  blame(batches: InFlightBatch[]): Blame {
    const { started, running } = this.callsInFlight(batches);
    if (this.killReason === 'timeout' && this.timedOut) {
      if (running.length > 1) return { suspects: running };
      const { seq, index } = this.timedOut;
      const batch = batches.find((b) => b.seq === seq);
      return { blamed: batch && index >= batch.nSettled ? { batch, index } : undefined, suspects: [] };
    }
    if (started.length <= 1) return { blamed: started[0], suspects: [] };
    if (running.length === 1) return { blamed: running[0], suspects: [] };
    return { suspects: running.length > 0 ? running : started };
  }

  /** The last call each slot started and did not hand over, and those of them still running. */
  private callsInFlight(batches: InFlightBatch[]): { started: BatchCall[]; running: BatchCall[] } {
    const started: BatchCall[] = [];
    const running: BatchCall[] = [];
    for (const callState of this.callStates) {
      // The worker is gone, so the state is stable.
      const state = callState.read();
      if (!state || state.started === 0) continue;
      const batch = batches.find((b) => b.seq === state.batchSeq);
      const index = state.started - 1;
      // A call it handed over had finished: the thread died between calls.
      if (!batch || index < batch.nSettled) continue;
      started.push({ batch, index });
      if (state.running) running.push({ batch, index });
    }
    return { started, running };
  }

  /**
   * The calls of `batch` the worker had finished and not handed over when it ended (see
   * FinishedCalls); only once it has ended.
   */
  finishedCallsOf(batch: InFlightBatch): FinishedCallsOfBatch | undefined {
    const recorded = this.finishedCalls?.[batch.slot]?.read();
    return recorded?.batchSeq === batch.seq ? recorded : undefined;
  }

  /** When the call `blamed` started (sharedClockMs), if the worker recorded it. */
  startOf(blamed: BatchCall): number | undefined {
    return this.callStates[blamed.batch.slot]?.read()?.startedAt;
  }
}
