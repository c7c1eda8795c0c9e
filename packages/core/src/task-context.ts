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
 * The call a worker thread is running. A worker runs one call at a time, so a plain variable
 * serves it, without AsyncLocalStorage's per-call cost and promise hooks (a third of the
 * per-call overhead of trivial calls).
 */
let soleCall: TaskContext | undefined;

/** The context of the call being executed; throws outside a call. */
export function taskContext(): TaskContext {
  const context = storage.getStore() ?? soleCall;
  if (context === undefined) {
    throw new TaskContextError(
      'taskContext() was called outside a call of the parallel function; call it from inside the function ParallelMap runs (including code it awaits)',
    );
  }
  return context;
}

/** The context of the call being executed, or undefined outside a call. */
export function currentTaskContext(): TaskContext | undefined {
  return storage.getStore() ?? soleCall;
}

/**
 * Marks `context` as the call this thread runs until `leaveSoleCall()`; for runners that never
 * run two calls at once in a thread (the call runner in worker threads and SLURM tasks).
 */
export function enterSoleCall(context: TaskContext): void {
  soleCall = context;
}

export function leaveSoleCall(): void {
  soleCall = undefined;
}

/** Run `fn` (and everything it awaits or schedules) as the call described by `context`. */
export function runInTaskContext<T>(context: TaskContext, fn: () => T): T {
  return storage.run(Object.freeze({ ...context }), fn);
}
