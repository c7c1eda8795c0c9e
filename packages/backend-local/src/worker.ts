// Worker-thread entry: loads the runner module, runs batches of calls and keeps the shared
// call-state slots up to date so the main thread can time calls out and blame crashes.

import { parentPort, receiveMessageOnPort, workerData, type MessagePort, type TransferListItem } from 'node:worker_threads';
import { isErrorLike } from './errors';
import { FinishedCalls } from './finished-calls';
import * as Comlink from 'comlink';
import {
  CallState,
  EXIT_ERROR,
  PARTIAL_RESULT,
  WORKER_BOOT_ENV,
  ValueCollector,
  sharedClockMs,
  type BatchRequest,
  type BatchResult,
  type InitRequest,
  type PartialBatchResult,
  type Runner,
  type RunnerModule,
  type SerializedError,
  type WorkerApi,
  type WorkerBootData,
} from './protocol';

/**
 * A call state that writes every change to the pool's call-state file: a worker process cannot
 * share memory with the pool (ChildProcessTransport reads the file). One pwrite per change, into
 * the page cache: it survives the process's crash.
 */
class FileCallState extends CallState {
  private readonly bytes: Uint8Array;

  constructor(
    buffer: SharedArrayBuffer,
    slot: number,
    private readonly fd: number,
  ) {
    super(buffer, slot);
    this.bytes = new Uint8Array(buffer, this.offset, CallState.BYTES);
  }

  private post(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    (require('node:fs') as typeof import('node:fs')).writeSync(this.fd, this.bytes, 0, CallState.BYTES, this.offset);
  }

  override beginBatch(batchSeq: number): void {
    super.beginBatch(batchSeq);
    this.post();
  }

  override beginCall(index: number, now: number): void {
    super.beginCall(index, now);
    this.post();
  }

  override endCall(index: number): void {
    super.endCall(index);
    this.post();
  }

  override markCall(index: number): void {
    super.markCall(index);
    this.post();
  }

  override markDone(count: number): void {
    super.markDone(count);
    this.post();
  }
}

/** In a child process (isolation: 'process'), not a thread: boot data from the environment. */
const inProcess = !parentPort && typeof process.send === 'function' && process.env[WORKER_BOOT_ENV] !== undefined;
const boot: WorkerBootData = inProcess
  ? { ...(JSON.parse(process.env[WORKER_BOOT_ENV]!) as Omit<WorkerBootData, 'callState'>), callState: new SharedArrayBuffer(0) }
  : (workerData as WorkerBootData);
/** Messages to the pool outside comlink's answers (PartialBatchResult, …). */
const postToPool = (message: unknown, transfer: ArrayBuffer[] = []): void => {
  if (inProcess) process.send!(message);
  else parentPort!.postMessage(message, transfer);
};
// By the absolute path the pool resolved: resolving a package path costs a cold thread ms.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { importModuleFile } = require(boot.moduleLoader) as typeof import('@acme-ts/core/function-loader');
const concurrency = boot.concurrency ?? 1;
const callStates = inProcess ? fileCallStates() : CallState.slots(boot.callState, concurrency);
const finishedCallSlots = !inProcess && boot.finishedCalls ? FinishedCalls.slots(boot.finishedCalls, concurrency, boot.recordsEveryValue === true) : undefined;

function fileCallStates(): CallState[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fd = (require('node:fs') as typeof import('node:fs')).openSync(boot.callStateFile!, 'r+');
  const buffer = new SharedArrayBuffer(CallState.BYTES * concurrency);
  return Array.from({ length: concurrency }, (_, slot) => new FileCallState(buffer, slot, fd));
}
let runner: Runner | undefined;
let runnerModule: Promise<RunnerModule> | undefined;

function loadRunnerModule(): Promise<RunnerModule> {
  // require for CommonJS runners (faster start), import() for ES modules.
  runnerModule ??= importModuleFile(boot.runnerModule).then((loaded) => {
    const mod = (typeof loaded.createRunner === 'function' ? loaded : loaded.default) as RunnerModule | undefined;
    if (typeof mod?.createRunner !== 'function') {
      throw new TypeError(`runner module ${boot.runnerModule} does not export createRunner(setup)`);
    }
    return mod;
  });
  return runnerModule;
}

export function serializeError(thrown: unknown): SerializedError {
  if (isErrorLike(thrown)) {
    const out: SerializedError = { name: thrown.name, message: thrown.message };
    if (thrown.stack !== undefined) out.stack = thrown.stack;
    const code = (thrown as { code?: unknown }).code;
    if (typeof code === 'string') out.code = code;
    return out;
  }
  return { name: 'Error', message: `non-error thrown: ${String(thrown)}` };
}

function collectTransferables(value: unknown, into: Set<ArrayBuffer>): void {
  // Only buffers the value owns entirely; a view into a larger (e.g. pooled) buffer is copied.
  if (value instanceof ArrayBuffer) into.add(value);
  else if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer && !Buffer.isBuffer(value)) {
    if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) into.add(value.buffer);
  }
}

/** The whole-buffer typed arrays a packed result holds (up to three levels into its objects). */
function collectBuffers(value: unknown, into: Set<ArrayBuffer>, depth = 0): void {
  collectTransferables(value, into);
  if (depth > 2 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
  for (const v of Object.values(value as Record<string, unknown>)) collectBuffers(v, into, depth + 1);
}

async function init(request: InitRequest): Promise<void> {
  const mod = await loadRunnerModule();
  const previous = runner;
  runner = undefined;
  if (previous?.close) await previous.close();
  const created = await mod.createRunner(request.setup);
  if (typeof created?.runCall !== 'function') {
    throw new TypeError(`createRunner of ${boot.runnerModule} did not return an object with runCall(taskID)`);
  }
  runner = created;
}

/** Requests waiting for their turn, in the order they came. */
const waiting: { exclusive: boolean; start(): void }[] = [];
let nRunning = 0;
let exclusiveRunning = false;

/**
 * Runs `request` in its turn: requests start in the order they came; an exclusive one (an init)
 * alone, batches up to `concurrency` at a time (each in its own call-state slot).
 */
function inTurn<T>(exclusive: boolean, request: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    waiting.push({
      exclusive,
      start() {
        nRunning++;
        exclusiveRunning = exclusive;
        request()
          .then(resolve, reject)
          .finally(() => {
            nRunning--;
            exclusiveRunning = false;
            startWaiting();
          });
      },
    });
    startWaiting();
  });
}

function startWaiting(): void {
  while (waiting.length > 0 && !exclusiveRunning && nRunning < (waiting[0]!.exclusive ? 1 : concurrency)) waiting.shift()!.start();
}

// The worker's API, exposed through comlink. Requests start in the order they came: the pool
// sends a worker's first batch right behind its init (no round trip), and may queue a second
// batch while one runs (an async call yields to the message loop). With concurrency 1 they run
// one after the other, so the call state always describes one batch; with more, up to that many
// batches run at once (their async calls overlap), each in the call-state slot the pool gave it,
// and an init waits for them. A batch that began had its init succeed (runBatch refuses to run
// without a runner): the pool relies on that when the thread ends before the init's answer could
// be posted.
const api: WorkerApi = {
  init(request: InitRequest): Promise<void> {
    return inTurn(true, () => init(request));
  },

  runBatch(request: BatchRequest): Promise<BatchResult> {
    return inTurn(false, () => runBatch(request));
  },
};

/**
 * One batch's calls. The loop over synchronous calls is a small synchronous method: an async
 * function with an await in its loop compiles slowly, and a worker cannot end while V8 still
 * compiles its hot code (measured: close() after 10⁴ calls 15–20 ms, 4–6 ms without).
 */
class BatchRun {
  private readonly n: number;
  private readonly timeEachCall: boolean;
  private ok: Uint8Array | undefined; // created at the first failure
  private readonly durationsMs: Float64Array | undefined;
  private readonly values: ValueCollector;
  private readonly transfers = new Set<ArrayBuffer>();
  private readonly batchStart: number;
  private readonly callState: CallState;
  /** Timed batches of a thread: each finished call is recorded here until it is handed over. */
  private readonly finished: FinishedCalls | undefined;
  /** A hand-over failed (a value that cannot travel): the batch's answer fails as a whole. */
  private handOverFailed = false;
  /** One clock reading per call: the end of a call is the start of the next. */
  private now: number;
  private callStart = 0;
  nDone = 0;
  /** Calls before this one were handed over in PartialBatchResults. */
  private handedOver = 0;
  private handedOverAt: number;

  constructor(
    private readonly runner: Runner,
    private readonly request: BatchRequest,
  ) {
    this.n = request.count;
    this.timeEachCall = request.timeEachCall;
    this.durationsMs = this.timeEachCall ? new Float64Array(this.n) : undefined;
    this.values = new ValueCollector(this.n);
    this.callState = callStates[request.slot ?? 0]!;
    this.callState.beginBatch(request.batchSeq);
    this.finished = this.timeEachCall ? finishedCallSlots?.[request.slot ?? 0] : undefined;
    this.finished?.begin(request.batchSeq, 0);
    this.batchStart = this.now = this.handedOverAt = sharedClockMs();
  }

  /**
   * Runs calls until the batch is over (undefined) or a call returns a promise (returned, for
   * the caller to await and hand to settle or fail).
   */
  runSynchronously(): PromiseLike<unknown> | undefined {
    if (!this.timeEachCall && !this.runner.transferResults) return this.runUntimed();
    const { taskIDs, firstTaskID, payloads, budgetMs } = this.request;
    while (this.nDone < this.n) {
      const index = this.nDone;
      // The first call always runs so a batch makes progress; later ones only within budget
      // (checked every 64 calls when calls are not timed one by one).
      if (!this.timeEachCall && index > 0 && (index & 63) === 0) this.now = sharedClockMs();
      if (index > 0 && this.now - this.batchStart > budgetMs) return undefined;
      if (this.timeEachCall && index > this.handedOver && this.now - this.handedOverAt >= HAND_OVER_EVERY_MS) this.handOver();
      // Without per-call timing there is no watchdog: the call state is read only after a crash.
      if (this.timeEachCall) this.callState.beginCall(index, this.now);
      else this.callState.markCall(index);
      this.callStart = this.now;
      let value: unknown;
      try {
        value = this.runner.runCall(taskIDs === undefined ? firstTaskID + index : taskIDs[index]!, payloads?.[index]);
      } catch (thrown) {
        this.fail(thrown);
        continue;
      }
      if (value !== null && typeof (value as PromiseLike<unknown>)?.then === 'function') return value as PromiseLike<unknown>;
      this.settle(value);
    }
    return undefined;
  }

  /**
   * runSynchronously for tiny calls (no per-call clock, no watchdog, nothing to transfer): the
   * same steps with the loop's state in locals, as this loop runs millions of times.
   */
  private runUntimed(): PromiseLike<unknown> | undefined {
    const { runNumbers } = this.runner;
    if (runNumbers && this.request.taskIDs === undefined) {
      const pending = this.runNumberRange(runNumbers);
      if (pending !== false) return pending;
    }
    const { taskIDs, firstTaskID, payloads, budgetMs } = this.request;
    const { runner, n, batchStart, values, callState } = this;
    let index = this.nDone;
    try {
      while (index < n) {
        // The budget is checked every 64 calls (the first always runs: a batch makes progress).
        if (index > 0 && (index & 63) === 0 && sharedClockMs() - batchStart > budgetMs) break;
        callState.markCall(index);
        let value: unknown;
        try {
          value = runner.runCall(taskIDs === undefined ? firstTaskID + index : taskIDs[index]!, payloads?.[index]);
        } catch (thrown) {
          this.nDone = index;
          this.fail(thrown);
          index = this.nDone;
          continue;
        }
        if (typeof value === 'number') values.setNumber(index, value);
        else if (value !== null && typeof (value as PromiseLike<unknown>)?.then === 'function') return value as PromiseLike<unknown>;
        else values.set(index, value);
        index++;
      }
    } finally {
      this.nDone = index;
    }
    return undefined;
  }

  /**
   * runUntimed through the runner's own loop while the values are numbers; false once they are
   * not (the general loop takes over).
   */
  private runNumberRange(runNumbers: NonNullable<Runner['runNumbers']>): PromiseLike<unknown> | undefined | false {
    const { firstTaskID, budgetMs } = this.request;
    const hooks = { callMarks: this.callState.marks, overBudget: () => sharedClockMs() - this.batchStart > budgetMs };
    while (this.nDone < this.n) {
      const out = this.values.numberSlots(this.nDone);
      if (!out) return false;
      const end = runNumbers(firstTaskID, this.nDone, this.n, out, hooks);
      this.nDone = end.index;
      if (end.stop === 'error') this.fail(end.error);
      else if (end.stop !== 'value') return undefined;
      else if (end.value !== null && typeof (end.value as PromiseLike<unknown>)?.then === 'function') return end.value as PromiseLike<unknown>;
      else this.settle(end.value);
    }
    return undefined;
  }

  settle(value: unknown): void {
    this.values.set(this.nDone, value);
    if (this.runner.transferResults) collectTransferables(value, this.transfers);
    this.endCall(true, value);
  }

  fail(thrown: unknown): void {
    this.ok ??= new Uint8Array(this.n).fill(1);
    this.ok[this.nDone] = 0;
    const error = serializeError(thrown);
    this.values.set(this.nDone, error);
    this.endCall(false, error);
  }

  private endCall(ok: boolean, value: unknown): void {
    if (!this.timeEachCall) {
      this.nDone++;
      return;
    }
    this.now = sharedClockMs();
    const durationMs = (this.durationsMs![this.nDone] = this.now - this.callStart);
    // Recorded before the call state says it finished: a call counted as finished is recorded.
    const recorded = this.finished === undefined || this.finished.add(this.nDone, ok, value, durationMs);
    this.callState.endCall(this.nDone);
    this.nDone++;
    // Too big for the shared record (or not serializable): handed over in a message at once.
    // (A value other than a number that a pool without kills does not record: left to the
    // hand-over every 1 ms.)
    if (!recorded && !this.handOverFailed && (this.finished!.recordsEveryValue || typeof value === 'number' || value === undefined)) this.handOver();
  }

  /** The calls finished since the last hand-over, for the pool to settle now (see PartialBatchResult). */
  handOver(final = false): void {
    // The loops over tiny calls keep their index in a local: the call state says how far they got.
    this.nDone = Math.max(this.nDone, this.callState.finishedCalls);
    if (this.nDone === this.handedOver && !final) return;
    // Untimed calls are each given the mean time so far.
    if (!this.timeEachCall) this.now = sharedClockMs();
    const transfers = new Set<ArrayBuffer>();
    const partial: PartialBatchResult = { ...this.resultOf(this.handedOver, this.nDone, transfers), partial: true, final };
    try {
      postToPool({ [PARTIAL_RESULT]: partial }, [...transfers]);
    } catch {
      // A value that cannot travel: the batch's answer fails as a whole, and the pool finds the
      // culprit by running the calls one by one.
      this.handOverFailed = true;
      return;
    }
    this.handedOver = this.nDone;
    this.handedOverAt = this.now;
    this.finished?.begin(this.request.batchSeq, this.nDone);
  }

  /** The batch's answer: what was not handed over (usually nothing: then only its counts). */
  result(): BatchResult {
    const { nDone } = this;
    if (!this.timeEachCall) {
      this.callState.markDone(nDone);
      this.now = sharedClockMs();
    }
    if (this.handedOver === nDone) {
      // Its arrays went with the hand-over (transferred): an acknowledgement.
      const workMs = this.now - this.batchStart;
      return { batchSeq: this.request.batchSeq, nDone, from: nDone, durationsMs: workMs / Math.max(1, nDone), workMs };
    }
    const transfers = new Set<ArrayBuffer>(this.transfers);
    return Comlink.transfer(this.resultOf(this.handedOver, nDone, transfers), [...transfers]);
  }

  /** Calls from … to − 1. */
  private resultOf(from: number, to: number, transfers: Set<ArrayBuffer>): BatchResult {
    const { ok, durationsMs } = this;
    const workMs = this.now - this.batchStart;
    const whole = from === 0 && to === this.n;
    const result: BatchResult = {
      batchSeq: this.request.batchSeq,
      nDone: to,
      from,
      durationsMs: durationsMs ? (whole ? durationsMs : durationsMs.slice(from, to)) : workMs / Math.max(1, to),
      workMs,
    };
    const taken = this.values.take(from, to, transfers);
    const packed = !ok && Array.isArray(taken) ? this.runner.packResults?.(taken, to - from) : undefined;
    if (packed !== undefined) {
      result.packed = packed;
      collectBuffers(packed, transfers);
    } else if (taken !== undefined) {
      result.values = taken;
      // Result arrays the runner lent (taskContext().resultArray()) travel without a copy.
      if (Array.isArray(taken)) this.runner.handOffLentBuffers?.(taken, transfers);
    }
    if (ok) transfers.add((result.ok = whole ? ok : ok.slice(from, to)).buffer as ArrayBuffer);
    if (typeof result.durationsMs !== 'number') transfers.add(result.durationsMs.buffer as ArrayBuffer);
    return result;
  }
}

/** The batches running in this thread (their finished calls are handed over before an exit). */
const running = new Set<BatchRun>();

async function runBatch(request: BatchRequest): Promise<BatchResult> {
  if (!runner) throw new Error('runBatch before init');
  const batch = new BatchRun(runner, request);
  running.add(batch);
  for (let pending = batch.runSynchronously(); pending !== undefined; pending = batch.runSynchronously()) {
    try {
      batch.settle(await pending);
    } catch (thrown) {
      batch.fail(thrown);
    }
  }
  running.delete(batch);
  // The results go ahead of the answer, on the port's own message (see PartialBatchResult): the
  // pool has them even if the thread ends before comlink has posted the answer.
  batch.handOver(true);
  return batch.result();
}

/**
 * comlink's end of `port`, which can also hand comlink the messages already waiting: the pool's
 * init and first batch wait in the port while the thread starts, and node delivers a thread's
 * first message ≈ 1 ms after its script has ended (taken at once, they cost 30 µs).
 */
function portEndpoint(port: MessagePort): Comlink.Endpoint & { deliverWaiting(): void } {
  type Listener = Parameters<Comlink.Endpoint['addEventListener']>[1];
  const listeners = new Set<Listener>();
  const deliver = (data: unknown): void => {
    const event = { data } as Parameters<Extract<Listener, (...args: never[]) => unknown>>[0];
    for (const listener of listeners) {
      if (typeof listener === 'function') listener(event);
      else listener.handleEvent(event);
    }
  };
  port.on('message', deliver);
  return {
    postMessage: (message: unknown, transfer?: unknown[]) => port.postMessage(message, transfer as TransferListItem[] | undefined),
    addEventListener: (_type, listener) => listeners.add(listener),
    removeEventListener: (_type, listener) => listeners.delete(listener),
    deliverWaiting() {
      for (let waiting = receiveMessageOnPort(port); waiting !== undefined; waiting = receiveMessageOnPort(port)) deliver(waiting.message);
    },
  };
}

/** See PartialBatchResult; 1 ms of calls per message costs the worker ≈ 1 % at most. */
const HAND_OVER_EVERY_MS = 1;

// A thread that ends while a batch runs first hands over the calls it finished: a call's
// process.exit, or an exception nothing caught (a heap overflow or a termination runs no code:
// what it finished is in FinishedCalls).
if (parentPort || inProcess) {
  const handOverBeforeEnd = () => {
    for (const batch of running) {
      try {
        batch.handOver();
      } catch {
        // The thread ends anyway; its unfinished calls run again.
      }
    }
  };
  const exit = process.exit.bind(process);
  process.exit = ((code?: number | string | null) => {
    handOverBeforeEnd();
    return exit(code as number | undefined);
  }) as typeof process.exit;
  process.on('uncaughtExceptionMonitor', handOverBeforeEnd);
}

if (parentPort) {
  const endpoint = portEndpoint(parentPort);
  Comlink.expose(api, endpoint);
  endpoint.deliverWaiting();
} else if (inProcess) {
  // A process reports the error that ends it itself (a thread's comes with its 'error' event).
  process.on('uncaughtExceptionMonitor', (error) => postToPool({ [EXIT_ERROR]: serializeError(error) }));
  // The pool's process is gone (killed, crashed): nobody waits for this one's results.
  process.on('disconnect', () => process.exit(0));
  Comlink.expose(api, processEndpoint());
}

/** comlink's end of this process's IPC channel (v8-serialized: nothing is transferred). */
function processEndpoint(): Comlink.Endpoint {
  type Listener = Parameters<Comlink.Endpoint['addEventListener']>[1];
  const listeners = new Map<Listener, (data: unknown) => void>();
  return {
    postMessage: (message: unknown) => void process.send!(message),
    addEventListener(_type, listener) {
      const deliver = (data: unknown) => {
        const event = { data } as MessageEvent;
        if (typeof listener === 'function') listener(event);
        else listener.handleEvent(event);
      };
      listeners.set(listener, deliver);
      process.on('message', deliver);
    },
    removeEventListener(_type, listener) {
      const deliver = listeners.get(listener);
      if (deliver) process.off('message', deliver);
      listeners.delete(listener);
    },
  };
}
