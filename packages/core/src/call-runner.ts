// What one call does, wherever it runs (worker thread, SLURM task, dry run): load the
// function once, assemble call i's arguments (call-arguments.ts), run it in its task context, then hand the
// result to the sink of the run's mode. Both backends load this module in their workers.

import { join } from 'node:path';
import type { CallPayload, RunnerSetup } from './backend';
import { assembleArguments } from './call-arguments';
import { payloadFileName, serializedFileName, writeFileAtomically } from './run-folder';
import { loadFunction } from './function-loader';
import { enterSoleCall, leaveSoleCall, runAsConcurrentCall, soleCall, soleCallContext, type SoleRun, type TaskContext } from './task-context';
import type { JournaledDataset } from './result-journal';
import { AcmeError, ResultLayoutError } from './errors';
import { hdf5 } from './hdf5';
import type { PackedCalls } from './packed-calls';
import type { AttributeValue } from '@acme-ts/hdf5-native';
import { ResultBufferPool } from './result-buffers';
import { describeSlot, fitsSlot, slotShape } from './slot-shape';

/** What a call reports in the modes that store results (not the in-memory value itself). */
export interface StoredCall {
  /** 'hdf5': payload file or encoded datasets; 'serialized': a .v8 file (requested or fallback). */
  stored: 'hdf5' | 'serialized';
  /** The file written by the call (absent for encoded datasets, which the client writes). */
  path?: string;
  /** Dataset names of the call (result_0, result_1, …, or a returned object's keys). */
  names?: string[];
  /** The call's split inputs, as attributes of its payload file's root (input-table.ts). */
  attributes?: Record<string, AttributeValue>;
  /**
   * singleFile mode: the datasets for the client to write, or, DataInCopy, a dataset the runner
   * wrote into the container's copy itself (copy-slots.ts: a dataset reserved there, for the
   * client to link; or its call's slot of a stack).
   */
  datasets?: JournaledDataset[];
  /** Why HDF5 could not hold the value (serialized fallback). */
  fallbackReason?: string;
  /** `datasets` still have to be written to `path` (see ResultSink finishOnHost). */
  deferred?: boolean;
  /** The datasets (by index) whose data is in memory the host gives back once written (SharedResultBuffers). */
  sharedData?: number[];
}

/**
 * singleFile from a worker thread: typed arrays from this size on travel to the host as a copy
 * the worker makes and transfers (ResultBufferPool.lendCopy), not structured-cloned: the clone's
 * second copy (≈ 0.7 s of 200 × 8 MB) was the host thread's, the run's only writer.
 */
export const TRANSFERRED_COPY_MIN_BYTES = 1 << 20;

/** Results up to this size are written by the host thread when the sink finishes on the host. */
export const DEFERRED_WRITE_MAX_BYTES = 1 << 20;

/** Writes a call's payload file (atomically) and returns the call without its data. */
export function writeDeferredPayload(call: StoredCall): StoredCall {
  hdf5().writeFileAtomic(
    call.path!,
    call.datasets!.map((d) => ({ path: d.name, dtype: d.dtype, shape: d.shape, data: d.data as never })),
    call.attributes,
  );
  return { stored: call.stored, path: call.path, names: call.names };
}

/** This module's file: what a backend's workers load (see createRunner). */
export const CALL_RUNNER_PATH = __filename;

export interface CallRunner {
  /** The value (memory mode) or a StoredCall; a promise when the function is async. */
  runCall(taskID: number, payload: CallPayload): unknown;
  /**
   * Present when calls can run in one tight loop: memory mode, a one-argument function, numeric
   * payloads shared in memory (RunnerSetup.sharedPayloads). Runs calls `firstTaskID + from` …
   * `firstTaskID + to - 1`, each number result into `out[index]`, and stops early at a call that
   * throws or returns anything else (see NumberRunEnd) or when `hooks.overBudget()` says so
   * (asked every 64 calls, never before the first). A worker's first thousands of calls run in
   * V8's interpreter, where each function level a call passes through costs.
   */
  runNumbers?(firstTaskID: number, from: number, to: number, out: Float64Array, hooks: NumberRunHooks): NumberRunEnd;
  /**
   * Present when the sink asks for packed batches (ResultSink finishOnHost): the first `count`
   * values of a batch whose calls all succeeded as one PackedCalls, or undefined when they
   * cannot be packed (then they travel one by one).
   */
  packResults?(values: readonly unknown[], count: number): PackedCalls | undefined;
  /**
   * Adds to `into` the buffers of `values` (results leaving the worker) that the call got from
   * `taskContext().resultArray()`: the worker transfers them instead of copying them.
   */
  handOffLentBuffers?(values: readonly unknown[], into: Set<ArrayBuffer>): void;
}

export interface NumberRunHooks {
  /**
   * Element 0 is set to 2·index + 1 before the call at `index` (so a crash blames it): the
   * local backend's call state, written here without a function call per call.
   */
  callMarks: Int32Array;
  overBudget(): boolean;
}

/** Where runNumbers stopped: `index` is the first call whose result is not in `out`. */
export type NumberRunEnd =
  | { index: number; stop: 'done' | 'over-budget' }
  /** The call at `index` returned a value that is not a number: as runCall would return it. */
  | { index: number; stop: 'value'; value: unknown }
  | { index: number; stop: 'error'; error: unknown };

function checkSlotShape(taskID: number, got: number[], expected: (number | null)[]): void {
  if (!fitsSlot(got, expected)) {
    throw new ResultLayoutError(
      `call ${taskID} returned result_0 of shape [${got.join(', ')}], but options.resultShape expects ${describeSlot(expected)} per call`,
    );
  }
}

// What only the storing sinks need is loaded on first use: a worker thread of an in-memory run
// starts a few ms sooner without it.
const fs = () => require('node:fs') as typeof import('node:fs');
const resultEncoding = () => require('./result-encoding') as typeof import('./result-encoding');
const packedCalls = () => require('./packed-calls') as typeof import('./packed-calls');
const inputTable = () => require('./input-table') as typeof import('./input-table');
const namedResultShape = () => require('./named-result-shape') as typeof import('./named-result-shape');

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as PromiseLike<unknown>).then === 'function';
}

export async function createRunner(setup: RunnerSetup): Promise<CallRunner> {
  const fn = await loadFunction(setup.functionRef);
  const { sink, paths } = setup;
  const sharedValues = setup.sharedPayloads?.values;
  const sharedFirstTaskID = setup.sharedPayloads?.firstTaskID ?? 0;
  const expectedSlot = setup.resultShape ? slotShape(setup.resultShape) : undefined;
  const stackedKeys = setup.stackedKeys;
  let payloadDirReady = false;
  const { argumentsOf, splitValues, soleArgument } = assembleArguments(setup);
  // The split inputs each payload file records (absent in the other modes).
  const inputNames = setup.inputNames?.some((name) => typeof name === 'string') ? setup.inputNames : undefined;
  const soleRange = soleArgument?.range;
  // A sole split read from a dataset: its value comes from the taskID, through splitValues.
  const soleRows = soleArgument?.rows !== undefined;
  // The task context is also `this`; made per call only for functions that mention `this`
  // (taskContext() makes it on demand), so a trivial call allocates nothing for it.
  const usesThis = /\bthis\b/.test(Function.prototype.toString.call(fn));
  const invoke = (taskID: number, payload: CallPayload, self: TaskContext | undefined = usesThis ? soleCallContext() : undefined): unknown => {
    return soleArgument === undefined
      ? fn.apply(self, argumentsOf(taskID, payload))
      : fn.call(self, soleRange ? soleRange.start + taskID * soleRange.step : soleRows ? splitValues(taskID, payload)[0] : payload);
  };
  // Lent result buffers come back only where this worker writes the result itself (store());
  // in the other sinks the results keep them (and the worker transfers them: handOff).
  // Only a worker thread's results reach the host by transfer or shared memory (a child process's are serialized).
  const toHostThread =
    sink.kind === 'encoded' && sink.finishOnHost === true && !(require('node:worker_threads') as typeof import('node:worker_threads')).isMainThread;
  const copySlots = toHostThread && sink.kind === 'encoded' ? sink.copySlots : undefined;
  const copySlotsModule = copySlots ? (require('./copy-slots') as typeof import('./copy-slots')) : undefined;
  // Stacked datasets go into their call's slot of the stack.
  const isStackedName = (name: string): boolean =>
    stackedKeys ? stackedKeys.some((key) => key.name === name) : expectedSlot !== undefined && name === 'result_0';
  const pool = new ResultBufferPool(
    toHostThread ? new (require('./shared-result-buffers') as typeof import('./shared-result-buffers')).SharedResultBuffers() : undefined,
  );
  const run: SoleRun = { nInputs: setup.nInputs, outputDir: paths?.outputDir, resultArray: pool.resultArray };

  function serializeTo(path: string, value: unknown): void {
    let bytes: Uint8Array;
    try {
      bytes = (require('node:v8') as typeof import('node:v8')).serialize(value);
    } catch (err) {
      throw new AcmeError(
        'ERR_ACME_UNSERIALIZABLE_RESULT',
        `the return value cannot be serialized (${(err as Error).message}); return data (numbers, strings, arrays, TypedArrays, Maps, plain objects)`,
      );
    }
    writeFileAtomically(path, bytes);
  }

  function store(taskID: number, value: unknown, payload: CallPayload): StoredCall {
    if (!paths) throw new AcmeError('ERR_ACME_INTERNAL', 'internal: a storing sink needs output paths');
    if (sink.kind === 'serialized') {
      const path = join(paths.outputDir, serializedFileName(paths.funcName, taskID));
      serializeTo(path, value);
      return { stored: 'serialized', path };
    }
    const stacked = 'stacked' in sink && sink.stacked;
    const encoded = stackedKeys ? namedResultShape().encodeNamedResult(taskID, value, stackedKeys) : resultEncoding().encodeResult(value, { stacked });
    if (!encoded.ok) return serializeFallback(taskID, value, encoded.reason);
    const datasets = encoded.datasets;
    if (stacked && expectedSlot) {
      const first = datasets[0];
      if (!first) throw new ResultLayoutError(`call ${taskID} returned no value for result_0 (options.resultShape is set)`);
      checkSlotShape(taskID, first.shape, expectedSlot);
      // Stored in resultDtype so the virtual dataset reads without a type conversion
      // (libhdf5 1.10's own float → float16 conversion is wrong).
      if (setup.resultDtype) first.dtype = setup.resultDtype;
    }
    if (sink.kind === 'encoded') {
      // The same array, typed for what it may hold once a worker wrote a dataset into the copy.
      const stored: JournaledDataset[] = datasets;
      const call: StoredCall = { stored: 'hdf5', names: datasets.map((d) => d.name), datasets: stored };
      if (toHostThread) {
        for (let k = 0; k < datasets.length; k++) {
          const d = datasets[k]!;
          const { data } = d;
          if (!ArrayBuffer.isView(data) || data.byteLength < TRANSFERRED_COPY_MIN_BYTES) continue;
          // Written into the container's copy here: only where it lies goes to the host.
          const inCopy =
            copySlots && resultEncoding().hasFileLayout(d)
              ? isStackedName(d.name)
                ? copySlotsModule!.writeIntoStackSlot(copySlots, taskID, d)
                : copySlotsModule!.writeIntoCopySlot(copySlots, d)
              : undefined;
          if (inCopy) {
            pool.reclaim([data]);
            stored[k] = { ...d, data: inCopy };
            continue;
          }
          if (!Buffer.isBuffer(data)) stored[k] = { ...d, data: pool.lendCopy(data) };
          if (pool.isShared(stored[k]!.data)) (call.sharedData ??= []).push(k);
        }
      }
      return call;
    }
    const dir = paths.payloadDir ?? paths.outputDir;
    const call: StoredCall = { stored: 'hdf5', path: join(dir, payloadFileName(paths.funcName, taskID)), names: datasets.map((d) => d.name), datasets };
    const attributes = inputNames && inputTable().callInputAttributes(inputNames, splitValues(taskID, payload));
    if (attributes) call.attributes = attributes;
    if (sink.kind === 'payload-file' && sink.finishOnHost && resultEncoding().encodedByteSize(datasets) <= DEFERRED_WRITE_MAX_BYTES) {
      call.deferred = true;
      return call;
    }
    const written = writeDeferredPayload(call);
    pool.reclaim(datasets.map((d) => d.data));
    return written;
  }

  /** ACME's emergency pickling, without its file-name collisions: <f>_<i>.v8 beside the payloads. */
  function serializeFallback(taskID: number, value: unknown, reason: string): StoredCall {
    const dir = paths!.payloadDir ?? paths!.outputDir;
    const path = join(dir, serializedFileName(paths!.funcName, taskID));
    if (!payloadDirReady) {
      fs().mkdirSync(dir, { recursive: true });
      payloadDirReady = true;
    }
    serializeTo(path, value);
    return { stored: 'serialized', path, fallbackReason: reason };
  }

  const inMemory = sink.kind === 'memory';
  /** In memory, the named resultShape's object is checked per call (stacked when compute() ends), as in the file modes. */
  const kept = (taskID: number, value: unknown): unknown => {
    if (stackedKeys) namedResultShape().encodeNamedResult(taskID, value, stackedKeys);
    return value;
  };
  const finish = (taskID: number, value: unknown, payload: CallPayload): unknown =>
    inMemory ? (stackedKeys ? kept(taskID, value) : value) : store(taskID, value, payload);
  // The usual call (one argument, no `this`) calls the function directly: in a worker's first
  // thousands of calls (interpreted code) every call level counts.
  const direct = soleArgument !== undefined && soleRange === undefined && !soleRows && !usesThis;

  /** The result of the call the sole-call context describes (left when the value is final). */
  const settle = (taskID: number, value: unknown, payload: CallPayload): unknown => {
    if (!isPromiseLike(value)) {
      leaveSoleCall();
      // No function level more for the usual in-memory call (interpreted code: each one counts).
      return inMemory ? (stackedKeys ? kept(taskID, value) : value) : store(taskID, value, payload);
    }
    return Promise.resolve(value).then(
      (resolved) => {
        leaveSoleCall();
        return finish(taskID, resolved, payload);
      },
      (error: unknown) => {
        leaveSoleCall();
        throw error;
      },
    );
  };

  const runner: CallRunner = {
    // Synchronous for synchronous functions in memory mode: the worker then needs no await per call.
    runCall(taskID: number, payload: CallPayload): unknown {
      if (sharedValues !== undefined) payload = sharedValues[taskID - sharedFirstTaskID];
      enterSoleCall(run, taskID);
      let value: unknown;
      try {
        value = direct ? fn(payload) : invoke(taskID, payload);
      } catch (error) {
        leaveSoleCall();
        throw error;
      }
      return settle(taskID, value, payload);
    },
  };
  runner.handOffLentBuffers = (values, into) => pool.handOff(values, into);
  if (sink.kind === 'encoded' && sink.finishOnHost) runner.packResults = packedCalls().packStoredCalls;
  if ((setup.concurrency ?? 1) > 1) {
    // Calls of this thread overlap while they await: each keeps its own context across its awaits.
    runner.runCall = (taskID: number, payload: CallPayload): unknown => {
      if (sharedValues !== undefined) payload = sharedValues[taskID - sharedFirstTaskID];
      return runAsConcurrentCall(run, taskID, (context) => {
        const value = invoke(taskID, payload, usesThis ? context : undefined);
        return isPromiseLike(value) ? Promise.resolve(value).then((resolved) => finish(taskID, resolved, payload)) : finish(taskID, value, payload);
      });
    };
    return runner;
  }
  if (inMemory && direct && sharedValues !== undefined && !stackedKeys) {
    runner.runNumbers = (firstTaskID, from, to, out, hooks) => {
      const offset = firstTaskID - sharedFirstTaskID;
      const marks = hooks.callMarks;
      const sole = soleCall; // enterSoleCall, inlined
      let index = from;
      sole.run = run;
      try {
        for (; index < to; index++) {
          if (index > from && (index & 63) === 0 && hooks.overBudget()) {
            leaveSoleCall();
            return { index, stop: 'over-budget' };
          }
          marks[0] = 2 * index + 1;
          sole.taskID = firstTaskID + index;
          sole.context = undefined;
          const value = fn(sharedValues[offset + index]);
          if (typeof value !== 'number') return { index, stop: 'value', value: settle(firstTaskID + index, value, sharedValues[offset + index]) };
          out[index] = value;
        }
      } catch (error) {
        leaveSoleCall();
        return { index, stop: 'error', error };
      }
      leaveSoleCall();
      return { index, stop: 'done' };
    };
  }
  return runner;
}
