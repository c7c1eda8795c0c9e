/**
 * Which call is running: the user function calls `taskContext()` to learn its taskID (ACME
 * injects a `taskID` keyword; JS functions have no keyword introspection, so acme-ts offers this
 * instead, identically in worker threads, SLURM tasks, dry runs and in-process calls).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { TaskContextError } from './errors';
import { freshResultArray, type ResultArrayFactory } from './result-buffers';

export interface TaskContext {
  /** 0 … nInputs-1: this call's index. */
  readonly taskID: number;
  readonly nInputs: number;
  /** The run's output folder, when results are written. */
  readonly outputDir?: string;
  /** Aborted when this call should stop (timeout, run aborted). */
  readonly signal?: AbortSignal;
  /**
   * An ndarray `{ data, shape }` (C order, `dtype` float64 unless given; contents undefined, as
   * numpy.empty) for the call to fill and return as its result (or as result_0). In a worker
   * whose result is written by that worker (payload files above 1 MiB: the default and
   * resultShape modes), its memory is reused by a later call once written, so a call of a large
   * result allocates nothing; so it is in singleFile mode from 1 MiB on (memory shared with the
   * client's thread, given back once written: shared-result-buffers.ts); elsewhere it is a fresh
   * array that moves to the client's thread without a copy (transferred). Keep no reference to
   * it after returning it.
   */
  readonly resultArray: ResultArrayFactory;
}

const storage = new AsyncLocalStorage<TaskContext>();
/**
 * The call a worker thread is running. A worker runs one call at a time, so plain fields serve
 * it, without AsyncLocalStorage's per-call cost and promise hooks (a third of the per-call
 * overhead of trivial calls); the context object is made only when asked for. Set through
 * enterSoleCall; a runner's tight loop moves `taskID` and clears `context` itself.
 */
export const soleCall: { run: SoleRun | undefined; taskID: number; context: TaskContext | undefined } = {
  run: undefined,
  taskID: -1,
  context: undefined,
};

/** What every call of a run shares (see enterSoleCall). */
export interface SoleRun {
  nInputs: number;
  outputDir?: string;
  /** The runner's pooled resultArray (see result-buffers.ts); fresh arrays without it. */
  resultArray?: ResultArrayFactory;
  /** The prototype of its calls' contexts (holds resultArray), made on first use. */
  contextMethods?: Pick<TaskContext, 'resultArray'>;
}

/** The methods of a context without a pool (they sit on the prototype: a context's own fields are its data). */
const FRESH_CONTEXT_METHODS: Pick<TaskContext, 'resultArray'> = { resultArray: freshResultArray };

/** The prototype of `run`'s call contexts: its pooled resultArray, or fresh arrays. */
function contextMethodsOf(run: SoleRun): Pick<TaskContext, 'resultArray'> {
  return (run.contextMethods ??= run.resultArray ? { resultArray: run.resultArray } : FRESH_CONTEXT_METHODS);
}

function soleCallOrUndefined(): TaskContext | undefined {
  const { run } = soleCall;
  if (run === undefined) return undefined;
  if (soleCall.context !== undefined) return soleCall.context;
  const context = Object.create(contextMethodsOf(run)) as { -readonly [K in keyof TaskContext]: TaskContext[K] };
  context.taskID = soleCall.taskID;
  context.nInputs = run.nInputs;
  context.outputDir = run.outputDir;
  return (soleCall.context = context);
}

/** The context of the call being executed; throws outside a call. */
export function taskContext(): TaskContext {
  const context = storage.getStore() ?? soleCallOrUndefined();
  if (context === undefined) {
    throw new TaskContextError(
      'taskContext() was called outside a call of the parallel function; call it from inside the function ParallelMap runs (including code it awaits)',
    );
  }
  return context;
}

/** The context of the call being executed, or undefined outside a call. */
export function currentTaskContext(): TaskContext | undefined {
  return storage.getStore() ?? soleCallOrUndefined();
}

/**
 * Marks call `taskID` of `run` as the call this thread runs until `leaveSoleCall()`, and
 * returns a function that gives its context; for runners that never run two calls at once in
 * a thread (the call runner in worker threads and SLURM tasks).
 */
export function enterSoleCall(run: SoleRun, taskID: number): void {
  soleCall.run = run;
  soleCall.taskID = taskID;
  soleCall.context = undefined;
}

/** The context of the sole call (the object taskContext() returns during it). */
export function soleCallContext(): TaskContext {
  return soleCallOrUndefined()!;
}

export function leaveSoleCall(): void {
  soleCall.run = undefined;
  soleCall.context = undefined;
}

/**
 * Runs call `taskID` of `run` with its context in AsyncLocalStorage (passed to `fn` too): for
 * runners whose thread runs several calls at once, whose awaits interleave (the sole-call fields
 * would name whichever call started last).
 */
export function runAsConcurrentCall<T>(run: SoleRun, taskID: number, fn: (context: TaskContext) => T): T {
  const context = Object.freeze(Object.assign(Object.create(contextMethodsOf(run)) as TaskContext, { taskID, nInputs: run.nInputs, outputDir: run.outputDir }));
  return storage.run(context, fn, context);
}

/**
 * Run `fn` (and everything it awaits or schedules) as the call described by `context`
 * (resultArray: fresh arrays unless given).
 */
export function runInTaskContext<T>(context: Omit<TaskContext, 'resultArray'> & Partial<Pick<TaskContext, 'resultArray'>>, fn: () => T): T {
  return storage.run(Object.freeze(Object.assign(Object.create(FRESH_CONTEXT_METHODS) as TaskContext, context)), fn);
}
