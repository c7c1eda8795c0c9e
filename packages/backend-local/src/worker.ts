// Worker-thread entry: loads the runner module, runs batches of calls and keeps the shared
// call-state slots up to date so the main thread can time calls out and blame crashes.

import { parentPort, workerData } from 'node:worker_threads';
import { isErrorLike } from './errors';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/umd/node-adapter';
import {
  CallState,
  ValueCollector,
  sharedClockMs,
  type BatchRequest,
  type BatchResult,
  type InitRequest,
  type Runner,
  type RunnerModule,
  type SerializedError,
  type WorkerBootData,
} from './protocol';

const boot = workerData as WorkerBootData;
// By the absolute path the pool resolved: resolving a package path costs a cold thread ms.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { importModuleFile } = require(boot.moduleLoader) as typeof import('@acme-ts/core/function-loader');
const callState = new CallState(boot.callState);
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

const api = {
  async init(request: InitRequest): Promise<void> {
    const mod = await loadRunnerModule();
    const previous = runner;
    runner = undefined;
    if (previous?.close) await previous.close();
    const created = await mod.createRunner(request.setup);
    if (typeof created?.runCall !== 'function') {
      throw new TypeError(`createRunner of ${boot.runnerModule} did not return an object with runCall(taskID)`);
    }
    runner = created;
  },

  runBatch(request: BatchRequest): Promise<BatchResult> {
    // The pool may queue a second batch while one runs (an async call yields to the message
    // loop): batches run one after the other, so the call state always describes one batch.
    const result = batchTail.then(() => runBatch(request));
    batchTail = result.catch(() => undefined);
    return result;
  },
};

let batchTail: Promise<unknown> = Promise.resolve();

async function runBatch(request: BatchRequest): Promise<BatchResult> {
  if (!runner) throw new Error('runBatch before init');
  const active = runner;
  const { taskIDs, payloads, budgetMs, timeEachCall } = request;
  const n = taskIDs.length;
  let ok: Uint8Array | undefined; // created at the first failure
  const durationsMs = timeEachCall ? new Float64Array(n) : undefined;
  const values = new ValueCollector(n);
  const transfers = new Set<ArrayBuffer>();
  // Without per-call timing there is no watchdog: the call state is read only after a crash.
  const publish = timeEachCall;
  callState.beginBatch(request.batchSeq);
  const batchStart = sharedClockMs();
  // One clock reading per call: the end of a call is the start of the next.
  let now = batchStart;
  let nDone = 0;
  while (nDone < n) {
    // The first call always runs so a batch makes progress; later ones only within budget
    // (checked every 64 calls when calls are not timed one by one).
    if (!timeEachCall && nDone > 0 && (nDone & 63) === 0) now = sharedClockMs();
    if (nDone > 0 && now - batchStart > budgetMs) break;
    if (publish) callState.beginCall(nDone, now);
    else callState.markCall(nDone);
    const callStart = now;
    try {
      let value = active.runCall(taskIDs[nDone]!, payloads?.[nDone]);
      if (value !== null && typeof (value as PromiseLike<unknown>)?.then === 'function') value = await value;
      values.set(nDone, value);
      if (active.transferResults) collectTransferables(value, transfers);
    } catch (thrown) {
      ok ??= new Uint8Array(n).fill(1);
      ok[nDone] = 0;
      values.set(nDone, serializeError(thrown));
    }
    if (timeEachCall) {
      now = sharedClockMs();
      durationsMs![nDone] = now - callStart;
    }
    if (publish) callState.endCall(nDone);
    nDone++;
  }
  if (!publish) callState.markDone(nDone);
  if (!timeEachCall) now = sharedClockMs();
  const workMs = now - batchStart;
  const result: BatchResult = { nDone, durationsMs: durationsMs ?? workMs / Math.max(1, nDone), workMs };
  const taken = values.take(nDone, transfers);
  if (taken !== undefined) result.values = taken;
  if (ok) transfers.add((result.ok = ok).buffer as ArrayBuffer);
  if (durationsMs) transfers.add(durationsMs.buffer as ArrayBuffer);
  return Comlink.transfer(result, [...transfers]);
}

export type WorkerApi = typeof api;

if (parentPort) Comlink.expose(api, nodeEndpoint(parentPort as never));
