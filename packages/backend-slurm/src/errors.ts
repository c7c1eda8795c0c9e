/**
 * Errors of the SLURM backend, on core's AcmeError base with this package's codes
 * (docs/errors.md); option errors are core's OptionError. Core's errors module alone is loaded.
 */
import { AcmeError, OptionError } from '@acme-ts/core/errors';

/** Codes of {@link SlurmCommandError}. */
export type SlurmCommandErrorCode =
  /** The program is not installed (or not on PATH). */
  | 'ERR_SLURM_NOT_INSTALLED'
  /** The program ran longer than its timeout and was killed. */
  | 'ERR_SLURM_TIMEOUT'
  /** The program exited with a non-zero status (or was killed by a signal). */
  | 'ERR_SLURM_COMMAND'
  /** The program succeeded but printed something this client cannot read. */
  | 'ERR_SLURM_OUTPUT';

/** A SLURM command (sbatch, squeue, …) failed; `stderr` holds what it said. */
export class SlurmCommandError extends AcmeError<SlurmCommandErrorCode> {
  /** The program and its arguments, as run (no shell was involved). */
  readonly argv: readonly string[];
  readonly exitStatus: number | null;
  readonly stderr: string;
  /**
   * The controller was busy or unreachable (timeouts, "Socket timed out", "Unable to contact
   * slurm controller"): the same command may well succeed a little later.
   */
  readonly transient: boolean;

  constructor(
    code: SlurmCommandErrorCode,
    message: string,
    details: { argv: readonly string[]; exitStatus?: number | null; stderr?: string; transient?: boolean; cause?: unknown },
  ) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause });
    this.argv = details.argv;
    this.exitStatus = details.exitStatus ?? null;
    this.stderr = details.stderr ?? '';
    this.transient = details.transient ?? false;
  }
}

/**
 * A user-facing SLURM option (partition, memory, extra sbatch options, …) is invalid: core's
 * OptionError (ERR_ACME_OPTION), `option` naming it as in the message, e.g. `options.slurm.partition`.
 */
export class SlurmOptionError extends OptionError {}

/** A short rendering of a rejected value for messages: strings quoted, long ones cut. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return 'an object';
}

/** Codes of {@link SlurmRunError}. */
export type SlurmRunErrorCode =
  /** close() was called while a run was in progress. */
  | 'ERR_SLURM_CLOSED'
  /** memPerWorker "2x" found no earlier memory to multiply. */
  | 'ERR_SLURM_MEMORY_BASE'
  /** memPerWorker "auto": the measuring call failed. */
  | 'ERR_SLURM_MEMORY_ESTIMATE'
  /** sbatch's answer named no job id: the array it may have submitted was looked up and cancelled. */
  | 'ERR_SLURM_UNTRACKED_ARRAY';

/** The SLURM backend could not carry out a run (not a failure of one call). */
export class SlurmRunError extends AcmeError<SlurmRunErrorCode> {}

/** Every code the SLURM backend's errors carry (option errors have core's ERR_ACME_OPTION). */
export type SlurmErrorCode = SlurmCommandErrorCode | SlurmRunErrorCode;
