// Errors of the pool, on core's AcmeError base with this package's codes (docs/errors.md).

// The errors module alone: worker threads load this file, and core's index would cost each start.
import { AcmeError } from '@acme-ts/core/errors';
import type { SerializedError } from './protocol';

/** The codes of the local backend's errors. */
export type PoolErrorCode =
  'ERR_POOL_OPTION' | 'ERR_WORKER_EXITED' | 'ERR_WORKER_STARTUP' | 'ERR_WORKER_CRASH_LOOP' | 'ABORT_ERR' | 'ERR_POOL_CLOSED' | 'ERR_INVALID_TASK_ID';

export class PoolOptionError extends AcmeError<PoolErrorCode> {
  constructor(message: string) {
    super('ERR_POOL_OPTION', message);
  }
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

export class WorkerExitedError extends AcmeError<PoolErrorCode> {
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  constructor(info: WorkerEnd) {
    super('ERR_WORKER_EXITED', describeWorkerEnd(info), info.error ? { cause: info.error } : undefined);
    this.exitCode = info.code;
    this.signal = info.signal;
  }
}

/** A worker could not be initialized (runner module failed to load or createRunner threw). */
export class WorkerStartupError extends AcmeError<PoolErrorCode> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WORKER_STARTUP', message, options);
  }
}

/** Workers kept dying outside of any call, so the run cannot make progress. */
export class WorkerCrashLoopError extends AcmeError<PoolErrorCode> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WORKER_CRASH_LOOP', message, options);
  }
}

/** Named and coded as Node's own AbortError, so code that checks either recognizes it. */
export class AbortError extends AcmeError<PoolErrorCode> {
  constructor(message = 'the run was aborted', options?: { cause?: unknown }) {
    super('ABORT_ERR', message, options);
  }
}

export class PoolClosedError extends AcmeError<PoolErrorCode> {
  constructor() {
    super('ERR_POOL_CLOSED', 'the pool is closed');
  }
}

export class InvalidTaskIDError extends AcmeError<PoolErrorCode> {
  constructor(message: string) {
    super('ERR_INVALID_TASK_ID', message);
  }
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
