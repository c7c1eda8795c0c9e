/**
 * Which call is running: the user function calls `taskContext()` to learn its taskID (ACME
 * injects a `taskID` keyword; JS functions have no keyword introspection, so acme-ts offers this
 * instead, identically in worker threads, SLURM tasks, dry runs and in-process calls).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { TaskContextError } from './errors';

export interface TaskContext {
  /** 0 … nInputs-1: this call's index. */
  readonly taskID: number;
  readonly nInputs: number;
  /** The run's output folder, when results are written. */
  readonly outputDir?: string;
  /** Aborted when this call should stop (timeout, run aborted). */
  readonly signal?: AbortSignal;
}

const storage = new AsyncLocalStorage<TaskContext>();
/**
 * The call a worker thread is running. A worker runs one call at a time, so plain variables
 * serve it, without AsyncLocalStorage's per-call cost and promise hooks (a third of the
 * per-call overhead of trivial calls); the context object is made only when asked for.
 */
let soleRun: SoleRun | undefined;
let soleTaskID = -1;
let soleContext: TaskContext | undefined;

/** What every call of a run shares (see enterSoleCall). */
export interface SoleRun {
  nInputs: number;
  outputDir?: string;
}

function soleCall(): TaskContext | undefined {
  if (soleRun === undefined) return undefined;
  return (soleContext ??= { taskID: soleTaskID, nInputs: soleRun.nInputs, outputDir: soleRun.outputDir });
}

/** The context of the call being executed; throws outside a call. */
export function taskContext(): TaskContext {
  const context = storage.getStore() ?? soleCall();
  if (context === undefined) {
    throw new TaskContextError(
      'taskContext() was called outside a call of the parallel function; call it from inside the function ParallelMap runs (including code it awaits)',
    );
  }
  return context;
}

/** The context of the call being executed, or undefined outside a call. */
export function currentTaskContext(): TaskContext | undefined {
  return storage.getStore() ?? soleCall();
}

/**
 * Marks call `taskID` of `run` as the call this thread runs until `leaveSoleCall()`, and
 * returns a function that gives its context; for runners that never run two calls at once in
 * a thread (the call runner in worker threads and SLURM tasks).
 */
export function enterSoleCall(run: SoleRun, taskID: number): void {
  soleRun = run;
  soleTaskID = taskID;
  soleContext = undefined;
}

/** The context of the sole call (the object taskContext() returns during it). */
export function soleCallContext(): TaskContext {
  return soleCall()!;
}

export function leaveSoleCall(): void {
  soleRun = undefined;
  soleContext = undefined;
}

/** Run `fn` (and everything it awaits or schedules) as the call described by `context`. */
export function runInTaskContext<T>(context: TaskContext, fn: () => T): T {
  return storage.run(Object.freeze({ ...context }), fn);
}
