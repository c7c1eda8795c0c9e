// How the pool talks to one worker: the worker's declared API (protocol.ts WorkerApi, exposed
// by worker.ts) wrapped with comlink, and the results the worker hands over ahead of its
// answers. The scheduler (thread-pool.ts) only sees WorkerTransport, so queueing, batching,
// retries and timeouts never depend on worker_threads or comlink.

import { Worker, type ResourceLimits } from 'node:worker_threads';
import type * as ComlinkModule from 'comlink';
import type nodeEndpointFunction from 'comlink/dist/umd/node-adapter';
import { WorkerExitedError } from './errors';
import { PARTIAL_RESULT, type PartialBatchResult, type WorkerApi } from './protocol';

export interface WorkerExitInfo {
  /** Exit code of the thread (1 after terminate()). */
  code?: number;
  /** The error that ended the thread (uncaught exception, ERR_WORKER_OUT_OF_MEMORY, …). */
  error?: Error;
}

export interface WorkerTransport {
  start(): void;
  /**
   * Calls `method` of the worker's API (WorkerApi, exposed by worker.ts); rejects with
   * WorkerExitedError if the worker ends before the answer has settled.
   */
  request<M extends keyof WorkerApi>(method: M, payload: Parameters<WorkerApi[M]>[0], transfer?: ArrayBuffer[]): ReturnType<WorkerApi[M]>;
  terminate(): Promise<void>;
  /** Called once, when the worker has ended for whatever reason. */
  onExit(callback: (info: WorkerExitInfo) => void): void;
  /**
   * Optional: called with each PartialBatchResult the worker hands over, in order with the
   * answers to requests (before the answer of the batch it belongs to, and before an exit).
   */
  onPartialResult?(callback: (result: PartialBatchResult) => void): void;
}

export interface WorkerTransportInit {
  /** Absolute path of the built thread entry (dist/worker.js). */
  entry: string;
  workerData: unknown;
  resourceLimits?: ResourceLimits;
}

export type WorkerTransportFactory = (init: WorkerTransportInit) => WorkerTransport;

interface Comlink {
  wrap: typeof ComlinkModule.wrap;
  transfer: typeof ComlinkModule.transfer;
  nodeEndpoint: typeof nodeEndpointFunction;
}
let comlinkModule: Comlink | undefined;

/**
 * comlink, loaded right after the first thread was created rather than before: the thread's own
 * start-up (tens of ms) then covers it.
 */
function comlink(): Comlink {
  /* eslint-disable @typescript-eslint/no-require-imports */
  comlinkModule ??= {
    ...(require('comlink') as typeof ComlinkModule),
    nodeEndpoint: require('comlink/dist/umd/node-adapter') as typeof nodeEndpointFunction, // a CommonJS function export
  };
  /* eslint-enable @typescript-eslint/no-require-imports */
  return comlinkModule;
}

/** worker_threads + comlink. */
export class WorkerThreadTransport implements WorkerTransport {
  private worker: Worker | undefined;
  private remote: ComlinkModule.Remote<WorkerApi> | undefined;
  private readonly pending = new Set<(error: Error) => void>();
  private readonly exitCallbacks: ((info: WorkerExitInfo) => void)[] = [];
  private partialResultCallback: ((result: PartialBatchResult) => void) | undefined;
  private exitInfo: WorkerExitInfo | undefined;
  private lastError: Error | undefined;
  /** Set by terminate(): from then on the worker stays ref'd until it has exited. */
  private terminating = false;

  constructor(private readonly init: WorkerTransportInit) {}

  start(): void {
    if (this.worker) return;
    const worker = new Worker(this.init.entry, {
      workerData: this.init.workerData,
      ...(this.init.resourceLimits ? { resourceLimits: this.init.resourceLimits } : {}),
    });
    this.worker = worker;
    worker.on('error', (error) => {
      this.lastError = error;
    });
    worker.on('exit', (code) => this.handleExit(code));
    worker.on('message', (message: { [PARTIAL_RESULT]?: PartialBatchResult } | undefined) => {
      const partial = message?.[PARTIAL_RESULT];
      if (partial !== undefined) this.partialResultCallback?.(partial);
    });
    const { wrap, nodeEndpoint } = comlink();
    this.remote = wrap<WorkerApi>(nodeEndpoint(worker as never));
    // An idle worker must not keep the process alive; request() refs it while work is pending.
    // After the listeners: adding a 'message' listener (comlink's) refs the worker's port again,
    // and a worker started ahead of a run that never came kept the process alive for good.
    worker.unref();
  }

  request<M extends keyof WorkerApi>(method: M, payload: Parameters<WorkerApi[M]>[0], transfer?: ArrayBuffer[]): ReturnType<WorkerApi[M]> {
    type Answer = Awaited<ReturnType<WorkerApi[M]>>;
    if (this.exitInfo) return Promise.reject(new WorkerExitedError(this.exitInfo)) as ReturnType<WorkerApi[M]>;
    if (!this.worker || !this.remote) this.start();
    const worker = this.worker!;
    const call = this.remote![method] as (payload: unknown) => Promise<unknown>;
    return new Promise<Answer>((resolve, reject) => {
      const fail = (error: Error) => settle(() => reject(error));
      const settle = (action: () => void) => {
        if (!this.pending.delete(fail)) return;
        if (this.pending.size === 0 && !this.exitInfo && !this.terminating) worker.unref();
        action();
      };
      this.pending.add(fail);
      worker.ref();
      const message = transfer && transfer.length > 0 ? comlink().transfer(payload, transfer) : payload;
      call(message).then(
        (value) => settle(() => resolve(value as Answer)),
        (error: unknown) => settle(() => reject(error)),
      );
    }) as ReturnType<WorkerApi[M]>;
  }

  async terminate(): Promise<void> {
    if (!this.worker || this.exitInfo) return;
    // Ref'd until it has exited: an unref'd worker lets the event loop end while the caller
    // still awaits the termination (seen: `await close()` and the process exits silently).
    this.terminating = true;
    this.worker.ref();
    await this.worker.terminate();
  }

  onPartialResult(callback: (result: PartialBatchResult) => void): void {
    this.partialResultCallback = callback;
  }

  onExit(callback: (info: WorkerExitInfo) => void): void {
    if (this.exitInfo) callback(this.exitInfo);
    else this.exitCallbacks.push(callback);
  }

  private handleExit(code: number): void {
    const info: WorkerExitInfo = { code };
    if (this.lastError) info.error = this.lastError;
    this.exitInfo = info; // from now on requests fail at once
    // Node hands over what the worker posted before it ended just before its 'exit': its
    // partial results (delivered synchronously above) are in; answers that comlink has not
    // settled yet are lost with the requests failed here. A batch's results travel ahead of its
    // answer, and the pool tells an init that succeeded by the batch that began after it.
    for (const callback of this.exitCallbacks.splice(0)) callback(info);
    const error = new WorkerExitedError(info);
    for (const fail of [...this.pending]) fail(error);
  }
}

export const createWorkerThreadTransport: WorkerTransportFactory = (init) => new WorkerThreadTransport(init);
