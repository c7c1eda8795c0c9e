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
}

function soleCallOrUndefined(): TaskContext | undefined {
  const { run } = soleCall;
  if (run === undefined) return undefined;
  return (soleCall.context ??= { taskID: soleCall.taskID, nInputs: run.nInputs, outputDir: run.outputDir });
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
  const context: TaskContext = Object.freeze({ taskID, nInputs: run.nInputs, outputDir: run.outputDir });
  return storage.run(context, fn, context);
}

/** Run `fn` (and everything it awaits or schedules) as the call described by `context`. */
export function runInTaskContext<T>(context: TaskContext, fn: () => T): T {
  return storage.run(Object.freeze({ ...context }), fn);
}
