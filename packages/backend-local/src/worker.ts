// Worker-thread entry: loads the runner module, runs batches of calls and keeps the shared
// call-state slots up to date so the main thread can time calls out and blame crashes.

import { parentPort, workerData } from 'node:worker_threads';
import { isErrorLike } from './errors';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/umd/node-adapter';
import {
  CALL_STATE_SLOTS,
  CallStateSlot,
  type BatchRequest,
  type BatchResult,
  type InitRequest,
  type Runner,
  type RunnerModule,
  type SerializedError,
  type WorkerBootData,
} from './protocol';

const boot = workerData as WorkerBootData;
const callState = new BigInt64Array(boot.callState, 0, CALL_STATE_SLOTS);
let runner: Runner | undefined;
let runnerModule: Promise<RunnerModule> | undefined;

function loadRunnerModule(): Promise<RunnerModule> {
  // A real import() (kept by module node16 in CommonJS output) loads both ESM and CJS runners.
  runnerModule ??= import(pathToFileURL(boot.runnerModule).href).then((loaded) => {
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

  async runBatch(request: BatchRequest): Promise<BatchResult> {
    if (!runner) throw new Error('runBatch before init');
    const active = runner;
    const { taskIDs, payloads, budgetMs } = request;
    const n = taskIDs.length;
    const ok = new Uint8Array(n);
    const durationsMs = new Float64Array(n);
    const values: unknown[] = new Array(n);
    const transfers = new Set<ArrayBuffer>();
    Atomics.store(callState, CallStateSlot.started, 0n);
    Atomics.store(callState, CallStateSlot.batchSeq, BigInt(request.batchSeq));
    const batchStart = performance.now();
    let nDone = 0;
    while (nDone < n) {
      // The first call always runs so a batch makes progress; later ones only within budget.
      if (nDone > 0 && performance.now() - batchStart > budgetMs) break;
      Atomics.store(callState, CallStateSlot.startedAt, BigInt(Date.now()));
      Atomics.store(callState, CallStateSlot.running, 1n);
      Atomics.store(callState, CallStateSlot.started, BigInt(nDone + 1));
      const callStart = performance.now();
      try {
        let value = active.runCall(taskIDs[nDone]!, payloads?.[nDone]);
        if (value !== null && typeof (value as PromiseLike<unknown>)?.then === 'function') value = await value;
        ok[nDone] = 1;
        values[nDone] = value;
        if (active.transferResults) collectTransferables(value, transfers);
      } catch (thrown) {
        values[nDone] = serializeError(thrown);
      }
      durationsMs[nDone] = performance.now() - callStart;
      Atomics.store(callState, CallStateSlot.running, 0n);
      nDone++;
    }
    const result: BatchResult = {
      nDone,
      ok,
      durationsMs,
      values: nDone === n ? values : values.slice(0, nDone),
      workMs: performance.now() - batchStart,
    };
    transfers.add(ok.buffer).add(durationsMs.buffer);
    return Comlink.transfer(result, [...transfers]);
  },
};

export type WorkerApi = typeof api;

if (parentPort) Comlink.expose(api, nodeEndpoint(parentPort as never));
