// Where a settled call's result is stored: one recorder per storage mode (memory-recorder,
// payload-file-recorder, single-file-recorder, serialized-recorder), each fed the one batch
// shape backends report in (SettledBatch). This base keeps what every mode shares: failures,
// the count of calls done, and the listener of pmap.results().

import type { CallError, FailureReason, SettledBatch } from './backend';
import { durationOf } from './settled-batch';
import type { PackedCalls } from './packed-calls';
import type { Logger } from './logger';
import type { StatusLog } from './run-store';
import { AcmeError, type CallFailure } from './errors';

/** One settled call, as yielded by `pmap.results()`. */
export interface CallResult {
  taskID: number;
  ok: boolean;
  /** In-memory mode: the return value; file modes: the file holding the result (or the container). */
  value?: unknown;
  error?: CallFailure;
}

export abstract class ResultRecorder {
  readonly failures: CallFailure[] = [];
  /** Calls that succeeded in this run. */
  nDone = 0;
  /** pmap.results()'s listener, told of every settled call. */
  listener: ((result: CallResult) => void) | undefined;

  constructor(
    protected readonly logger: Logger,
    /** The run folder's status records (absent in memory mode). */
    protected readonly statusLog?: StatusLog,
  ) {}

  record(batch: SettledBatch): void {
    const { taskIDs, ok, values } = batch;
    if (batch.packed !== undefined) return this.recordPacked(batch, batch.packed);
    if (!ok) return this.recordSuccesses(batch);
    for (let k = 0; k < taskIDs.length; k++) {
      const taskID = taskIDs[k]!;
      if (ok[k] === 1) this.recordSuccess(taskID, values?.[k], durationOf(batch, k));
      else this.recordFailure(taskID, values![k] as CallError, batch.reason ?? 'error', { logPath: batch.logPath, durationMs: durationOf(batch, k) });
    }
  }

  /** A batch whose calls all succeeded (modes with a faster path override it). */
  protected recordSuccesses(batch: SettledBatch): void {
    const { taskIDs, values } = batch;
    for (let k = 0; k < taskIDs.length; k++) this.recordSuccess(taskIDs[k]!, values?.[k], durationOf(batch, k));
  }

  /** `result` is what the call runner returned for the call (see SettledBatch.values). */
  protected abstract recordSuccess(taskID: number, result: unknown, durationMs: number | undefined): void;

  /** Packed results come only in singleFile mode (ResultSink finishOnHost). */
  protected recordPacked(_batch: SettledBatch, _packed: PackedCalls): void {
    throw new AcmeError('ERR_ACME_INTERNAL', 'internal: packed results reached a recorder that does not write a single file');
  }

  /**
   * The attempt of the calls being recorded (options.retries: a retry round runs only calls at
   * one attempt); from 2 on, their status records and failures carry it.
   */
  set attempt(attempt: number) {
    this.currentAttempt = attempt;
    if (this.statusLog) this.statusLog.attempt = attempt;
  }

  private currentAttempt = 1;

  recordFailure(taskID: number, error: CallError, reason: FailureReason | string, extra: { logPath?: string; durationMs?: number } = {}): void {
    const attempts = this.currentAttempt > 1 ? { attempts: this.currentAttempt } : {};
    const failure: CallFailure = { taskID, ...error, reason, ...(extra.logPath ? { logPath: extra.logPath } : {}), ...attempts };
    this.failures.push(failure);
    this.recordFailedAttempt(taskID, error, reason, extra);
    this.listener?.({ taskID, ok: false, error: failure });
  }

  /** A failed attempt of a call: its status record (a call that runs again is no failure of the run). */
  recordFailedAttempt(taskID: number, error: CallError, reason: FailureReason | string, extra: { logPath?: string; durationMs?: number } = {}): void {
    this.logger.debug(`call ${taskID} failed (${reason}${this.currentAttempt > 1 ? `, attempt ${this.currentAttempt}` : ''}): ${error.name}: ${error.message}`);
    const { logPath, durationMs } = extra;
    this.statusLog?.record({
      taskID,
      state: 'failed',
      at: new Date().toISOString(),
      reason,
      error,
      ...(logPath !== undefined ? { logPath } : {}),
      ...(durationMs !== undefined ? { durationMs } : {}),
    });
  }

  /** The calls still without a result; ascending, as ExecutionJob.taskIDs must be. */
  abstract pending(): Float64Array;

  /** Calls of the run without a result. */
  abstract get nMissing(): number;

  /** Ends recording (closes and finishes files), whether or not the execution succeeded. */
  finish(): void {
    this.statusLog?.flush();
  }

  /** What compute() resolves with once every call has a result. */
  abstract results(): unknown;
}
