/**
 * Error classes of acme-ts. Every error carries a stable string `code` so callers (and the
 * worker/SLURM transport, which can only ship plain data) can tell them apart without
 * `instanceof`. Each package has one union of its codes (a misspelt code does not compile);
 * docs/errors.md says, for every code, when it is thrown and what to do.
 */

/** The codes of core's errors. */
export type CoreErrorCode =
  | 'ERR_ACME_OPTION'
  | 'ERR_ACME_ARGUMENTS'
  | 'ERR_ACME_ARGUMENT_BINDING'
  | 'ERR_ACME_FUNCTION'
  | 'ERR_ACME_RESULT'
  | 'ERR_ACME_NO_TASK_CONTEXT'
  | 'ERR_ACME_CALLS_FAILED'
  | 'ERR_ACME_STORAGE'
  | 'ERR_ACME_CONFIG'
  | 'ERR_ACME_NO_RUN'
  | 'ERR_ACME_RUN_BUSY'
  | 'ERR_ACME_BUSY'
  | 'ERR_ACME_ABORTED'
  | 'ERR_ACME_DRYRUN_DECLINED'
  | 'ERR_ACME_DASHBOARD'
  | 'ERR_ACME_JOURNAL'
  | 'ERR_ACME_UNSERIALIZABLE_RESULT'
  | 'ERR_ACME_INPUT_FILE'
  | 'ERR_ACME_INTERNAL';

/** The base of every acme-ts error above libhdf5; `Code` is the union of its package's codes. */
export class AcmeError<Code extends string = CoreErrorCode> extends Error {
  readonly code: Code;

  constructor(code: Code, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    // The class name, not "Error", so stack traces and `String(err)` say what failed.
    this.name = new.target.name;
  }
}

/** A ParallelMap option has a wrong type, a wrong value, or conflicts with another option. */
export class OptionError extends AcmeError {
  /** The option that was rejected (camelCase, as the user wrote it). */
  readonly option: string;

  constructor(option: string, message: string) {
    super('ERR_ACME_OPTION', message);
    this.option = option;
  }
}

/** The inputs cannot be distributed over calls (ACME's n_inputs / length errors). */
export class ArgumentDistributionError extends AcmeError {
  constructor(message: string) {
    super('ERR_ACME_ARGUMENTS', message);
  }
}

/**
 * Arguments and parameters do not match: a required parameter without a value, an unknown
 * keyword, one given twice, too many. `parameter` names the parameter (or keyword) at fault.
 */
export class ArgumentBindingError extends AcmeError {
  readonly parameter: string;
  constructor(parameter: string, message: string) {
    super('ERR_ACME_ARGUMENT_BINDING', message);
    this.parameter = parameter;
  }
}

/** The function cannot be shipped to workers or loaded there. */
export class FunctionReferenceError extends AcmeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ACME_FUNCTION', message, options);
  }
}

/** A value that cannot be turned into the requested result layout (e.g. a wrong stacked shape). */
export class ResultLayoutError extends AcmeError {
  constructor(message: string) {
    super('ERR_ACME_RESULT', message);
  }
}

/**
 * A file an input is read from (`datasetRows`) is missing, unreadable, or changed after the run
 * recorded it: thrown where it is opened (the client, or a worker reading a call's row).
 */
export class InputFileError extends AcmeError {
  readonly file: string;
  readonly dataset: string;
  constructor(file: string, dataset: string, message: string, options?: { cause?: unknown }) {
    super('ERR_ACME_INPUT_FILE', message, options);
    this.file = file;
    this.dataset = dataset;
  }
}

/** Thrown by `taskContext()` when called outside a call of the user function. */
export class TaskContextError extends AcmeError {
  constructor(message: string) {
    super('ERR_ACME_NO_TASK_CONTEXT', message);
  }
}

/** One failed call, as plain data (it crosses thread and process boundaries). */
export interface CallFailure {
  taskID: number;
  /** Error class name as thrown by the user function, e.g. 'TypeError'. */
  name: string;
  message: string;
  stack?: string;
  /** Why the call did not produce a result: it threw, timed out, was aborted, its worker died, … */
  reason: string;
  /** The backend's log of the call, when it keeps one (SLURM: the array task's .err file). */
  logPath?: string;
  /** How many times the call ran, when more than once (options.retries). */
  attempts?: number;
}

/** Only this many failures are spelled out in the message; all of them stay in `failures`. */
export const MAX_LISTED_FAILURES = 20;

/**
 * Some calls did not produce a result (ACME: "Parallel computation failed: F/N tasks failed or
 * stalled"). Unlike ACME, the failures themselves are listed, not a pointer to worker logs.
 */
export class ComputeError extends AcmeError {
  readonly failures: readonly CallFailure[];
  readonly nInputs: number | undefined;

  constructor(failures: readonly CallFailure[], nInputs?: number) {
    super('ERR_ACME_CALLS_FAILED', formatFailures(failures, nInputs));
    this.failures = [...failures].sort((a, b) => a.taskID - b.taskID);
    this.nInputs = nInputs;
  }
}

function formatFailures(failures: readonly CallFailure[], nInputs: number | undefined): string {
  const sorted = [...failures].sort((a, b) => a.taskID - b.taskID);
  const total = nInputs === undefined ? '' : `/${nInputs}`;
  const noun = sorted.length === 1 ? 'call' : 'calls';
  const lines = [`Parallel computation failed: ${sorted.length}${total} ${noun} failed`];
  for (const failure of sorted.slice(0, MAX_LISTED_FAILURES)) {
    // First line of the message only: a multi-line message would break the one-line-per-call list.
    const firstLine = failure.message.split('\n', 1)[0];
    const attempts = failure.attempts ? `, after ${failure.attempts} attempts` : '';
    lines.push(`  call ${failure.taskID} (${failure.reason}${attempts}): ${failure.name}: ${firstLine}`);
  }
  if (sorted.length > MAX_LISTED_FAILURES) {
    lines.push(`  … and ${sorted.length - MAX_LISTED_FAILURES} more`);
  }
  return lines.join('\n');
}

/**
 * A short, unambiguous rendering of a rejected value for "…, got X" messages: strings in double
 * quotes (so `"0"` and `0` differ), arrays and objects abbreviated, never more than ~60 characters.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 50 ? value.slice(0, 50) + '…' : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return value.name ? `function ${value.name}` : 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (value === null || typeof value !== 'object') return String(value);
  if (Array.isArray(value)) {
    const items = value.slice(0, 6).map((item) => (item !== null && typeof item === 'object' ? (Array.isArray(item) ? '[…]' : '{…}') : describeValue(item)));
    if (value.length > 6) items.push('…');
    return `[${items.join(', ')}]`;
  }
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${(value as unknown as ArrayLike<unknown>).length ?? value.byteLength})`;
  const ctor = Object.getPrototypeOf(value)?.constructor?.name as string | undefined;
  if (ctor && ctor !== 'Object') return `a ${ctor}`;
  return 'an object';
}

/** System errors of a full or refusing disk: the run's files could not be written. */
const STORAGE_ERRORS: { code: string; text: string; reason: string }[] = [
  { code: 'ENOSPC', text: 'No space left on device', reason: 'the disk is full' },
  { code: 'EDQUOT', text: 'Disk quota exceeded', reason: 'the disk quota is used up' },
  { code: 'EFBIG', text: 'File too large', reason: 'a file reached the file-size limit (ulimit -f)' },
  { code: 'EROFS', text: 'Read-only file system', reason: 'the file system is read-only' },
];

/**
 * Writing the run's results failed for a reason outside the run (disk full, file-size limit):
 * names the folder, the cause and what to do; every call stored before stays stored.
 */
export class StorageError extends AcmeError {
  constructor(outputDir: string, reason: string, cause: Error) {
    super(
      'ERR_ACME_STORAGE',
      `writing the results of the run in ${outputDir} failed: ${reason} (${cause.message.split('\n', 1)[0]}). The calls stored before are kept; free space (or raise the limit), then compute() again or \`acme-ts rerun ${outputDir}\` to run the rest`,
      { cause },
    );
  }

  /** Why `error` is a storage failure (Node's errno code, or the errno text in libhdf5's message), if it is one. */
  static reasonOf(error: unknown): string | undefined {
    if (!(error instanceof Error)) return undefined;
    const code = (error as NodeJS.ErrnoException).code;
    return STORAGE_ERRORS.find((e) => e.code === code || (code === 'ERR_HDF5' && error.message.includes(e.text)))?.reason;
  }
}
