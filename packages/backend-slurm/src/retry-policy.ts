/**
 * `options.slurm.retries`: calls whose SLURM task ran out of memory (or hit its time limit) are
 * submitted again with more memory (more time), up to a cap, a number of times. What is
 * retried is only what SLURM ended — a task's `--mem` or `--time` — never a call that threw,
 * nor one past the per-call `timeout`.
 */
import { SlurmOptionError, describeValue } from './errors';
import type { SlurmRetrySettings } from '@acme-ts/core';
import { parseMemorySize, parseTimeLimit, validatePositiveInteger } from './sbatch-options';

/** What a user writes in `options.slurm.retries` (core's SlurmRetrySettings). */
export type SlurmRetryOptions = SlurmRetrySettings;

/** One kind of retry, validated: factor, cap (MB or minutes) and retries per call. */
export interface RetryRule {
  factor: number;
  cap: number;
  attempts: number;
}

export interface RetryPolicy {
  outOfMemory?: RetryRule;
  timeLimit?: RetryRule;
}

export type RetryKind = keyof RetryPolicy;

const DEFAULT_FACTOR = 2;
const DEFAULT_ATTEMPTS = 3;

/** How each kind names its settings and reads its cap. */
const KINDS: Record<RetryKind, { factor: string; cap: string; parseCap: (value: unknown, option: string) => number }> = {
  outOfMemory: { factor: 'memoryFactor', cap: 'maxMemory', parseCap: (value, option) => parseMemorySize(value, option) },
  timeLimit: { factor: 'timeFactor', cap: 'maxTime', parseCap: (value, option) => parseTimeLimit(value, option) },
};

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function refuseUnknownKeys(value: Record<string, unknown>, known: readonly string[], option: string): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key))
      throw new SlurmOptionError(`${option}.${key}`, `${option}.${key} must be one of ${known.join(', ')}, got ${describeValue(value[key])}`);
  }
}

/** Validates `options.slurm.retries`; every message reads `options.slurm.retries.X must be …, got …`. */
export function parseRetries(value: unknown, option = 'options.slurm.retries'): RetryPolicy {
  if (!isPlainObject(value)) {
    throw new SlurmOptionError(
      option,
      `${option} must be an object such as { outOfMemory: { memoryFactor: 2, maxMemory: "64GB" } }, got ${describeValue(value)}`,
    );
  }
  refuseUnknownKeys(value, Object.keys(KINDS), option);
  const policy: RetryPolicy = {};
  for (const kind of Object.keys(KINDS) as RetryKind[]) {
    const raw = value[kind];
    if (raw === undefined) continue;
    const names = KINDS[kind];
    const at = `${option}.${kind}`;
    if (!isPlainObject(raw)) {
      throw new SlurmOptionError(at, `${at} must be an object such as { ${names.factor}: 2, ${names.cap}: … }, got ${describeValue(raw)}`);
    }
    refuseUnknownKeys(raw, [names.factor, names.cap, 'attempts'], at);
    const factor = raw[names.factor] ?? DEFAULT_FACTOR;
    if (typeof factor !== 'number' || !Number.isFinite(factor) || factor <= 1) {
      throw new SlurmOptionError(`${at}.${names.factor}`, `${at}.${names.factor} must be a number greater than 1, got ${describeValue(factor)}`);
    }
    policy[kind] = {
      factor,
      cap: names.parseCap(raw[names.cap], `${at}.${names.cap}`),
      attempts: raw.attempts === undefined ? DEFAULT_ATTEMPTS : validatePositiveInteger(raw.attempts, `${at}.attempts`),
    };
  }
  return policy;
}

/**
 * The next amount (MB or minutes) for a call that ran with `current` and was retried `done`
 * times already, or why it gets none: the cap was reached, or the retries are used up.
 */
export function nextAmount(rule: RetryRule, current: number, done: number): { amount: number } | { refused: 'cap' | 'attempts' } {
  if (current >= rule.cap) return { refused: 'cap' };
  if (done >= rule.attempts) return { refused: 'attempts' };
  return { amount: Math.min(rule.cap, Math.ceil(current * rule.factor)) };
}

/** The setting a refusal names, e.g. `options.slurm.retries.outOfMemory.maxMemory`. */
export function retrySetting(kind: RetryKind, refused: 'cap' | 'attempts'): string {
  return `options.slurm.retries.${kind}.${refused === 'cap' ? KINDS[kind].cap : 'attempts'}`;
}
