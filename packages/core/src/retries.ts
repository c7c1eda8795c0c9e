// options.retries: a call that failed for a reason in the retry set runs again, after a back-off,
// in a further execute round of the same backend, up to a number of times. Backend-agnostic: a
// round is one more backend.execute() with only the calls to retry (SLURM's own retries with
// more memory or time live inside backend-slurm).

import type { SettledBatch } from './backend';
import { OptionError, describeValue } from './errors';
import type { Logger } from './logger';
import type { ResultRecorder } from './result-recorder';
import { forEachOutcome, settledCall } from './settled-batch';

import { RETRY_REASONS, type RetryReason } from './retry-reasons';
export { RETRY_REASONS, type RetryReason };

/** Errors thrown by the function itself ('error') retry only when asked. */
export const DEFAULT_RETRY_ON: readonly RetryReason[] = ['worker-exit', 'timeout', 'out-of-memory', 'node-fail'];
export const DEFAULT_BACKOFF_MS = 1000;
/** The back-off doubles from round to round up to this (or up to backoffMs, if that is longer). */
export const MAX_BACKOFF_MS = 10 * 60 * 1000;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** options.retries as the user writes it. */
export type RetriesOption = number | { attempts?: number; on?: readonly RetryReason[]; backoffMs?: number };

export interface RetryPolicy {
  /** How many times a failed call runs again at most (a call runs at most attempts + 1 times). */
  attempts: number;
  on: readonly RetryReason[];
  /** Wait before the first retry round; doubled for each further round. */
  backoffMs: number;
}

const KEYS = ['attempts', 'on', 'backoffMs'];

function isAttemptCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Validates options.retries; undefined when no call is to run again. */
export function checkRetries(value: unknown): RetryPolicy | undefined {
  if (value === undefined) return undefined;
  if (isAttemptCount(value)) return value === 0 ? undefined : { attempts: value, on: DEFAULT_RETRY_ON, backoffMs: DEFAULT_BACKOFF_MS };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new OptionError(
      'retries',
      `options.retries must be a non-negative integer (how many times a failed call runs again) or { attempts, on, backoffMs }, got ${describeValue(value)}`,
    );
  }
  const raw = value as Record<string, unknown>;
  const unknown = Object.keys(raw).find((k) => !KEYS.includes(k));
  if (unknown !== undefined) {
    throw new OptionError('retries', `options.retries.${unknown} is not a retries setting; the settings are attempts, on and backoffMs`);
  }
  const attempts = raw.attempts ?? 1;
  if (!isAttemptCount(attempts)) {
    throw new OptionError(
      'retries',
      `options.retries.attempts must be a non-negative integer (how many times a failed call runs again), got ${describeValue(attempts)}`,
    );
  }
  const on = raw.on ?? DEFAULT_RETRY_ON;
  const reasons = RETRY_REASONS.map((r) => `"${r}"`).join(', ');
  if (!Array.isArray(on)) {
    throw new OptionError('retries', `options.retries.on must be an array of failure reasons (${reasons}), got ${describeValue(on)}`);
  }
  on.forEach((reason: unknown, index) => {
    if (!(RETRY_REASONS as readonly unknown[]).includes(reason)) {
      throw new OptionError('retries', `options.retries.on[${index}] must be one of ${reasons}, got ${describeValue(reason)}`);
    }
  });
  const backoffMs = raw.backoffMs ?? DEFAULT_BACKOFF_MS;
  if (!(typeof backoffMs === 'number' && backoffMs >= 0 && backoffMs <= MAX_TIMER_MS)) {
    throw new OptionError(
      'retries',
      `options.retries.backoffMs must be a number of milliseconds ≥ 0 (at most ${MAX_TIMER_MS}), got ${describeValue(backoffMs)}`,
    );
  }
  if (attempts === 0) return undefined;
  return { attempts, on: [...new Set(on as RetryReason[])], backoffMs };
}

/** The wait before `attempt` (2 for the first retry round). */
export function backoffBefore(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.backoffMs * 2 ** (attempt - 2), Math.max(policy.backoffMs, MAX_BACKOFF_MS));
}

/**
 * The retry rounds of one execute phase: sorts each settled batch into calls the recorder takes
 * now and failed calls that run again, which it records as failed attempts.
 */
export class RetryRounds {
  /** Failed in the current round, to run again. */
  private waiting: number[] = [];
  /** To run in the next round (after the back-off). */
  private queued: Float64Array = new Float64Array(0);
  /** The attempt the calls of the current round are at (1: their first run). */
  private attempt = 1;

  constructor(
    private readonly policy: RetryPolicy | undefined,
    private readonly recorder: ResultRecorder,
    private readonly logger: Logger,
  ) {}

  /** A batch the backend settled in the current round. */
  settle(batch: SettledBatch): void {
    const policy = this.policy;
    if (!policy || !batch.ok || this.attempt > policy.attempts || !policy.on.includes((batch.reason ?? 'error') as RetryReason)) {
      this.recorder.record(batch);
      return;
    }
    forEachOutcome(batch, (outcome) => {
      if (outcome.ok) return this.recorder.record(settledCall(outcome));
      const { taskID, error, reason, logPath, durationMs } = outcome;
      this.recorder.recordFailedAttempt(taskID, error, reason, { logPath, durationMs });
      this.waiting.push(taskID);
    });
  }

  /** After a round: the calls of the next one (ascending; empty when none is to run again). */
  next(): Float64Array {
    this.queued = Float64Array.from(this.waiting).sort();
    this.waiting = [];
    if (this.queued.length > 0) this.attempt++;
    return this.queued;
  }

  /** Waits the back-off before the next round; rejects at once when `signal` aborts. */
  async backoff(signal: AbortSignal): Promise<void> {
    const n = this.queued.length;
    const ms = backoffBefore(this.policy!, this.attempt);
    this.logger.warn(
      `${n} failed ${n === 1 ? 'call runs' : 'calls run'} again in ${(ms / 1000).toFixed(1)} s (attempt ${this.attempt} of at most ${this.policy!.attempts + 1})`,
    );
    signal.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** The next round starts: its calls are the backend's now; their records name their attempt. */
  started(): void {
    this.queued = new Float64Array(0);
    this.recorder.attempt = this.attempt;
  }

  /**
   * The run stopped while failed calls waited for their next attempt: they are recorded as
   * stopped ('aborted'), like calls a backend had not started, so a re-run runs them.
   */
  abandon(): void {
    for (const taskID of [...this.waiting, ...this.queued]) {
      this.recorder.recordFailure(taskID, { name: 'AbortError', message: `the run was stopped before call ${taskID} ran again` }, 'aborted');
    }
    this.waiting = [];
    this.queued = new Float64Array(0);
  }
}
