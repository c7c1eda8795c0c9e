// Errors the command itself raises. Each has a stable `code` (for scripts and tests) and the
// process exit code it ends with, so one place turns any error into output and an exit status.
// Core's errors module alone: --help and completion load no more of core.
import { AcmeError } from '@acme-ts/core/errors';

/** Exit statuses of `acme-ts`: documented in the README's CLI section. */
export const EXIT = {
  ok: 0,
  /** Some calls failed (their results are missing), or an unexpected error. */
  failed: 1,
  /** The command line is wrong: unknown flag, bad value, missing module, conflicting flags… */
  usage: 2,
  /** Interrupted with Ctrl-C (128 + SIGINT), as shells report it. */
  interrupted: 130,
} as const;

/** The codes of the command's own errors (docs/errors.md). */
export type CliErrorCode = 'ERR_ACME_CLI_USAGE' | 'ERR_ACME_CLI_INPUT' | 'ERR_ACME_CLI_EXISTS' | 'ERR_ACME_CLI_FILE';

export class CliError extends AcmeError<CliErrorCode> {
  readonly exitCode: number;

  constructor(code: CliErrorCode, message: string, exitCode: number, options?: { cause?: unknown }) {
    super(code, message, options);
    this.exitCode = exitCode;
  }
}

/** The command line cannot be carried out as written (the message names the flag and the fix). */
export class UsageError extends CliError {
  /** The flag or argument at fault, e.g. "--result-shape" or "input 2". */
  readonly flag: string | undefined;

  constructor(message: string, flag?: string) {
    super('ERR_ACME_CLI_USAGE', message, EXIT.usage);
    this.flag = flag;
  }
}

/** An input (positional or --kwarg) that cannot be turned into a value. */
export class InputError extends CliError {
  readonly flag: string;

  constructor(flag: string, message: string, options?: { cause?: unknown }) {
    super('ERR_ACME_CLI_INPUT', `${flag}: ${message}`, EXIT.usage, options);
    this.flag = flag;
  }
}

/** `export` would overwrite a file, or read and write the same file. */
export class OutputExistsError extends CliError {
  readonly path: string;

  constructor(path: string, message: string) {
    super('ERR_ACME_CLI_EXISTS', message, EXIT.usage);
    this.path = path;
  }
}

/** An HDF5 file cannot be read or written as `inspect`/`export` need. */
export class FileFormatError extends CliError {
  readonly path: string;

  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('ERR_ACME_CLI_FILE', message, EXIT.failed, options);
    this.path = path;
  }
}
