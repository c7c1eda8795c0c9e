// Errors of the pool. Each has a stable string `code` to branch on.

import type { SerializedError } from './protocol';

export class PoolOptionError extends TypeError {
  override readonly name = 'PoolOptionError';
  readonly code = 'ERR_POOL_OPTION';
}

/** How a worker ended, as a thread or a child process tells it (see WorkerExitInfo). */
export interface WorkerEnd {
  code?: number;
  error?: Error;
  signal?: string;
  process?: boolean;
}

/** "worker thread exited with code 7", "worker process was killed by SIGABRT", … */
export function describeWorkerEnd(info: WorkerEnd): string {
  const worker = info.process ? 'worker process' : 'worker thread';
  if (info.error) return `${worker} ended by ${info.error.name}: ${info.error.message}`;
  if (info.signal) return `${worker} was killed by ${info.signal}`;
  return `${worker} exited with code ${info.code ?? 'unknown'}`;
}

export class WorkerExitedError extends Error {
  override readonly name = 'WorkerExitedError';
  readonly code = 'ERR_WORKER_EXITED';
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  constructor(info: WorkerEnd) {
    super(describeWorkerEnd(info), info.error ? { cause: info.error } : undefined);
    this.exitCode = info.code;
    this.signal = info.signal;
  }
}

/** A worker could not be initialized (runner module failed to load or createRunner threw). */
export class WorkerStartupError extends Error {
  override readonly name = 'WorkerStartupError';
  readonly code = 'ERR_WORKER_STARTUP';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Workers kept dying outside of any call, so the run cannot make progress. */
export class WorkerCrashLoopError extends Error {
  override readonly name = 'WorkerCrashLoopError';
  readonly code = 'ERR_WORKER_CRASH_LOOP';
}

export class AbortError extends Error {
  override readonly name = 'AbortError';
  readonly code = 'ABORT_ERR';
  constructor(message = 'the run was aborted', options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class PoolClosedError extends Error {
  override readonly name = 'PoolClosedError';
  readonly code = 'ERR_POOL_CLOSED';
  constructor() {
    super('the pool is closed');
  }
}

export class InvalidTaskIDError extends RangeError {
  override readonly name = 'InvalidTaskIDError';
  readonly code = 'ERR_INVALID_TASK_ID';
}

export function errorInfo(error: unknown): SerializedError {
  // Duck-typed: errors from worker threads or vm contexts are not instances of this realm's Error.
  if (isErrorLike(error)) {
    const info: SerializedError = { name: error.name, message: error.message };
    if (error.stack !== undefined) info.stack = error.stack;
    return info;
  }
  return { name: 'Error', message: String(error) };
}

export function isErrorLike(value: unknown): value is Error {
  if (value instanceof Error) return true;
  const candidate = value as { name?: unknown; message?: unknown } | null;
  return typeof candidate === 'object' && candidate !== null && typeof candidate.name === 'string' && typeof candidate.message === 'string';
}
