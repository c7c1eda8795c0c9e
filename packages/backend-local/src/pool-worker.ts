// A worker's lifecycle in the pool: where a thread is started (through its WorkerTransport,
// with its shared call state), initialized with a run's setup, sent batches, ended (a time
// limit, a stop), and where the call it died in is found. The scheduler (thread-pool.ts)
// decides when each of these happens.

import { performance } from 'node:perf_hooks';
import { FUNCTION_LOADER_PATH } from '@acme-ts/core';
import { WorkerExitedError } from './errors';
import type { ResolvedPoolOptions } from './options';
import { CallState, type BatchRequest, type BatchResult, type PartialBatchResult, type WorkerBootData } from './protocol';
import type { RunState } from './thread-pool';
import { createWorkerThreadTransport, type WorkerExitInfo, type WorkerTransport } from './transport';
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
}

export interface PoolWorkerEvents {
  /** The thread has ended, for whatever reason (called once). */
  onExit(info: WorkerExitInfo): void;
  onPartialResult(result: PartialBatchResult): void;
}

export class PoolWorker {
  readonly callState: CallState;
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
  constructor(options: Pick<ResolvedPoolOptions, 'runnerModule' | 'resourceLimits' | 'createTransport'>, events: PoolWorkerEvents) {
    const callState = new SharedArrayBuffer(CallState.BYTES);
    const bootData: WorkerBootData = { runnerModule: options.runnerModule, moduleLoader: FUNCTION_LOADER_PATH, callState };
    const createTransport = options.createTransport ?? createWorkerThreadTransport;
    this.transport = createTransport({
      entry: workerEntry(),
      workerData: bootData,
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
    this.callState = new CallState(callState);
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
      if (error instanceof WorkerExitedError && (this.callState.read()?.batchSeq ?? 0) > sentBefore) return undefined;
      throw error;
    }
    const startupMs = this.spawnedAt === undefined ? undefined : performance.now() - this.spawnedAt;
    this.spawnedAt = undefined;
    return startupMs;
  }

  runBatch(batch: InFlightBatch, request: BatchRequest, transfer: ArrayBuffer[]): Promise<BatchResult> {
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

  /** The call that was running (or had last started) when the worker died, if any. */
  blamedCall(batches: InFlightBatch[]): { batch: InFlightBatch; index: number } | undefined {
    const timedOut = this.killReason === 'timeout' ? this.timedOut : undefined;
    // The worker is gone, so the state is stable.
    const state = timedOut ? { batchSeq: timedOut.seq, started: timedOut.index + 1 } : this.callState.read();
    if (!state || state.started === 0) return undefined;
    const batch = batches.find((b) => b.seq === state.batchSeq);
    const index = state.started - 1;
    // A call it handed over had finished: the thread died between calls.
    return batch && index >= batch.nSettled ? { batch, index } : undefined;
  }
}
