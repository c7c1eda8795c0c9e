// How the pool talks to one worker. The scheduler (thread-pool.ts) only sees WorkerTransport,
// so queueing, batching, retries and timeouts never depend on worker_threads or comlink. Two
// runtimes: a worker thread of this process (WorkerThreadTransport, the default) and a child
// process (ChildProcessTransport, `isolation: 'process'`: a native crash ends only the child).

import { fork, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type * as ComlinkModule from 'comlink';
import type nodeEndpointFunction from 'comlink/dist/umd/node-adapter';
import { WorkerExitedError } from './errors';
import { EXIT_ERROR, PARTIAL_RESULT, WORKER_BOOT_ENV, type PartialBatchResult, type SerializedError, type WorkerApi, type WorkerBootData } from './protocol';

export interface WorkerExitInfo {
  /** Exit code of the thread or process (1 after a thread's terminate()). */
  code?: number;
  /** The error that ended the worker (uncaught exception, ERR_WORKER_OUT_OF_MEMORY, …). */
  error?: Error;
  /** The signal that ended a worker process (SIGABRT, SIGSEGV, …). */
  signal?: string;
  /** The worker was a child process, not a thread. */
  process?: boolean;
}

export interface WorkerTransport {
  start(): void;
  /** Calls `method` in the worker; rejects with WorkerExitedError if the worker ends without answering. */
  request<M extends keyof WorkerApi>(method: M, payload: Parameters<WorkerApi[M]>[0], transfer?: ArrayBuffer[]): ReturnType<WorkerApi[M]>;
  terminate(): Promise<void>;
  /** Called once, when the worker has ended for whatever reason. */
  onExit(callback: (info: WorkerExitInfo) => void): void;
  /**
   * Optional: called with each PartialBatchResult the worker hands over, in order with the
   * answers to requests (before the answer of the batch it belongs to, and before an exit).
   */
  onPartialResult?(callback: (result: PartialBatchResult) => void): void;
  /**
   * Optional: brings the pool's copy of the worker's call state (workerData.callState) up to
   * date, for a worker that cannot share it (a process); called before the watchdog reads it.
   * The copy is current without it once onExit is called.
   */
  refreshCallState?(): void;
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

/** What a runtime's worker offers the comlink transport. */
interface SpawnedWorker {
  /** comlink's end of the worker's messages. */
  endpoint: ComlinkModule.Endpoint;
  /** Keep the process alive while work is pending (ref), or not (unref). */
  ref(): void;
  unref(): void;
  /** Ends the worker; its exit is reported through handleExit. */
  terminate(): Promise<unknown>;
}

/** A worker reached through comlink; the runtime (thread, process) is the subclass's. */
abstract class ComlinkTransport implements WorkerTransport {
  private worker: SpawnedWorker | undefined;
  private remote: ComlinkModule.Remote<WorkerApi> | undefined;
  private readonly pending = new Set<(error: Error) => void>();
  private readonly exitCallbacks: ((info: WorkerExitInfo) => void)[] = [];
  private partialResultCallback: ((result: PartialBatchResult) => void) | undefined;
  private exitInfo: WorkerExitInfo | undefined;
  /** Set by terminate(): from then on the worker stays ref'd until it has exited. */
  private terminating = false;

  constructor(protected readonly init: WorkerTransportInit) {}

  /** Starts the worker, with handleExit and handOverPartialResult wired to its events. */
  protected abstract spawn(): SpawnedWorker;

  start(): void {
    if (this.worker) return;
    const worker = this.spawn();
    this.worker = worker;
    this.remote = comlink().wrap<WorkerApi>(worker.endpoint);
    // An idle worker must not keep the process alive; request() refs it while work is pending.
    // After the listeners: adding a 'message' listener (comlink's) refs the worker's port again,
    // and a worker started ahead of a run that never came kept the process alive for good.
    worker.unref();
  }

  /** A PartialBatchResult the worker posted, handed on synchronously. */
  protected handOverPartialResult(partial: PartialBatchResult): void {
    this.partialResultCallback?.(partial);
  }

  request<M extends keyof WorkerApi>(method: M, payload: Parameters<WorkerApi[M]>[0], transfer?: ArrayBuffer[]): ReturnType<WorkerApi[M]> {
    type Answer = Awaited<ReturnType<WorkerApi[M]>>;
    if (this.exitInfo) return Promise.reject(new WorkerExitedError(this.exitInfo)) as ReturnType<WorkerApi[M]>;
    if (!this.worker || !this.remote) this.start();
    const worker = this.worker!;
    const call = this.remote![method] as unknown as (payload: unknown) => Promise<Answer>;
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
        (value) => settle(() => resolve(value)),
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

  protected handleExit(info: WorkerExitInfo): void {
    if (this.exitInfo) return;
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

/** How long a child's exit waits at most for its IPC channel to close (ms). */
const CHANNEL_CLOSE_WAIT_MS = 200;

/** worker_threads + comlink. */
export class WorkerThreadTransport extends ComlinkTransport {
  protected spawn(): SpawnedWorker {
    const worker = new Worker(this.init.entry, {
      workerData: this.init.workerData,
      ...(this.init.resourceLimits ? { resourceLimits: this.init.resourceLimits } : {}),
    });
    let lastError: Error | undefined;
    worker.on('error', (error) => {
      lastError = error;
    });
    worker.on('exit', (code) => this.handleExit(lastError ? { code, error: lastError } : { code }));
    worker.on('message', (message: { [PARTIAL_RESULT]?: PartialBatchResult } | undefined) => {
      const partial = message?.[PARTIAL_RESULT];
      if (partial !== undefined) this.handOverPartialResult(partial);
    });
    return {
      endpoint: comlink().nodeEndpoint(worker as never),
      ref: () => worker.ref(),
      unref: () => worker.unref(),
      terminate: () => worker.terminate(),
    };
  }
}

export const createWorkerThreadTransport: WorkerTransportFactory = (init) => new WorkerThreadTransport(init);

/** A folder in memory for call-state files when there is one (tmpfs), else the OS's temp folder. */
const CALL_STATE_DIR = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
let callStateFiles = 0;

/**
 * A child process (`node` running the same worker entry) + comlink over its IPC channel, with
 * v8's serialization (what structured clone carries, copied: there is no transfer between
 * processes). The child cannot share the pool's call-state memory, so it writes every change of
 * its call state to a small file (one pwrite into the page cache, which outlives its crash) and
 * this transport reads the file into the pool's copy (workerData.callState) when the watchdog
 * looks and when the child has ended: timeouts and the blame for a crash work as for a thread.
 * A native crash (abort(), a segfault in an addon) ends only the child; its exit reports the
 * signal.
 */
export class ChildProcessTransport extends ComlinkTransport {
  private callStateFd: number | undefined;
  private callStateFile: string | undefined;

  refreshCallState(): void {
    const { callState } = this.init.workerData as WorkerBootData;
    if (this.callStateFd !== undefined) readSync(this.callStateFd, new Uint8Array(callState), 0, callState.byteLength, 0);
  }

  protected override handleExit(info: WorkerExitInfo): void {
    if (this.callStateFd !== undefined) {
      this.refreshCallState();
      closeSync(this.callStateFd);
      unlinkSync(this.callStateFile!);
      this.callStateFd = undefined;
    }
    super.handleExit(info);
  }

  protected spawn(): SpawnedWorker {
    const boot = this.init.workerData as WorkerBootData;
    this.callStateFile = join(CALL_STATE_DIR, `acme-ts-call-state-${process.pid}-${++callStateFiles}`);
    this.callStateFd = openSync(this.callStateFile, 'w+');
    const { callState, ...rest } = boot;
    const bootData: Omit<WorkerBootData, 'callState'> = { ...rest, callStateFile: this.callStateFile };
    // The file starts as the (empty) call state.
    writeSync(this.callStateFd, new Uint8Array(callState));
    const maxOld = this.init.resourceLimits?.maxOldGenerationSizeMb;
    const child: ChildProcess = fork(this.init.entry, [], {
      serialization: 'advanced',
      env: { ...process.env, [WORKER_BOOT_ENV]: JSON.stringify(bootData) },
      // The host's flags (loaders for TypeScript and the like), not its debugger's.
      execArgv: [...process.execArgv.filter((arg) => !arg.startsWith('--inspect')), ...(maxOld ? [`--max-old-space-size=${maxOld}`] : [])],
    });
    let lastError: Error | undefined;
    child.on('error', (error) => {
      lastError = error;
    });
    // The exit is reported once the channel has closed too: what the child posted before it
    // ended (its call state, results handed over) is in by then. A channel some other process
    // keeps open (a grandchild that inherited it) does not hold the exit back for long.
    let exit: WorkerExitInfo | undefined;
    let disconnected = false;
    const reportExit = () => {
      if (exit === undefined) return;
      if (lastError) exit.error = lastError;
      this.handleExit(exit);
    };
    child.on('disconnect', () => {
      disconnected = true;
      reportExit();
    });
    child.on('exit', (code, signal) => {
      exit = { process: true };
      if (code !== null) exit.code = code;
      if (signal !== null) exit.signal = signal;
      if (disconnected || !child.connected) reportExit();
      else setTimeout(reportExit, CHANNEL_CLOSE_WAIT_MS).unref();
    });
    type Listener = Parameters<ComlinkModule.Endpoint['addEventListener']>[1];
    const listeners = new Set<Listener>();
    child.on('message', (message: { [PARTIAL_RESULT]?: PartialBatchResult; [EXIT_ERROR]?: SerializedError }) => {
      const partial = message?.[PARTIAL_RESULT];
      if (partial !== undefined) return this.handOverPartialResult(partial);
      const thrown = message?.[EXIT_ERROR];
      if (thrown !== undefined) return void (lastError = Object.assign(new Error(thrown.message), thrown));
      const event = { data: message } as MessageEvent;
      for (const listener of listeners) {
        if (typeof listener === 'function') listener(event);
        else listener.handleEvent(event);
      }
    });
    const channel = () => (child as ChildProcess & { channel?: { ref(): void; unref(): void } }).channel;
    return {
      endpoint: {
        // Nothing is transferred between processes: the list is ignored, the values are copied.
        postMessage: (message: unknown) => void child.send(message as never),
        addEventListener: (_type, listener) => listeners.add(listener),
        removeEventListener: (_type, listener) => listeners.delete(listener),
      },
      ref: () => {
        child.ref();
        channel()?.ref();
      },
      unref: () => {
        child.unref();
        channel()?.unref();
      },
      terminate: () => {
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        return exited;
      },
    };
  }
}

export const createChildProcessTransport: WorkerTransportFactory = (init) => new ChildProcessTransport(init);
