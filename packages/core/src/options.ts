/**
 * ParallelMap options: ACME's keyword options in camelCase, validated in ACME's order
 * (reference §1.1, §1.4) with one message form:
 *   `options.nWorkers must be a positive integer or "auto", got 0`
 *
 * Differences from ACME, on purpose:
 * - Options and the function's keyword arguments are separate (`options.kwargs`), so an unknown
 *   option name is an error with a did-you-mean suggestion instead of silently becoming a kwarg.
 * - `nInputs` accepts 0 and 1 and says so (ACME accepts them but its message claims ">= 2").
 * - `resultDtype` is checked whenever it is given (ACME only checks it together with result_shape).
 * - `write_pickle` is `serializeResults` (v8 serialization instead of pickle).
 * - `setup_timeout`, `partition`, `mem_per_worker`, `setup_interactive`, `stop_client` belong to
 *   the SLURM backend (`options.slurm`), which validates them.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { OptionError, describeValue } from './errors';
import type { SlurmSettings } from './slurm-settings';
import type { UserLogger } from './logger';

/** What options.onProgress receives: this compute()'s calls, settled and in all. */
export interface RunProgress {
  done: number;
  failed: number;
  total: number;
}
import { checkCreatableFolder, checkWritableFile } from './writable-path';
import type { NumericDtype } from './result-encoding';
import { checkNamedResultDtype, checkNamedResultShape, checkShapeEntries, type ResolvedResultDtype, type ResultShape } from './named-result-shape';
import { checkRetries, type RetriesOption, type RetryPolicy } from './retries';
import { resolveDashboardSetting, type DashboardSetting, type ResolvedDashboardSetting } from './dashboard/dashboard-setting';

export type ResultMode = 'hdf5' | 'serialized' | 'memory';

export interface ParallelMapOptions {
  /** Number of calls: 'auto' (default) infers it from the arguments' lengths. */
  nInputs?: 'auto' | number;
  /** true (default): each call's result is written to disk; false: results are returned. */
  writeWorkerResults?: boolean;
  /** Output folder; default: an `ACME_YYYYMMDD-hhmmss-ffffff` folder. Only used when writing. */
  outputDir?: string;
  /**
   * Stack result_0 of every call into one array; exactly one `null` marks the stacking dimension.
   * Or, named: `{ spectrum: [null, 1024], mean: [null] }` stacks those keys of every call's
   * returned object, one dataset per key (the object's other keys stay per call).
   */
  resultShape?: readonly (number | null)[] | Readonly<Record<string, readonly (number | null)[]>>;
  /**
   * dtype of the stacked array (numpy names accepted); default 'float64'. With the named
   * resultShape: one dtype for every key, or an object of dtypes by key (others float64).
   */
  resultDtype?: ResultDtypeName | Readonly<Record<string, ResultDtypeName>>;
  /** Write all results into the one container instead of one payload file per call. */
  singleFile?: boolean;
  /** ACME's write_pickle: each call's raw return value is v8-serialized to `<f>_<i>.v8`. */
  serializeResults?: boolean;
  /** Number of workers; 'auto' (default) lets the backend decide. */
  nWorkers?: 'auto' | number;
  /** Per-call time limit in milliseconds. */
  timeout?: number;
  /**
   * Calls each worker runs at once (default 1). More lets a worker's async calls overlap while
   * they wait (I/O, a subprocess, a fetch); synchronous code still runs one call at a time.
   */
  concurrency?: number;
  /**
   * What a worker is: 'thread' (default) or 'process' — a child process per worker, so a native
   * crash (a segfault or abort() in an addon) or corrupted global state ends only its call.
   */
  isolation?: 'thread' | 'process';
  /** undefined: info; true: debug; false: warnings only. */
  verbose?: boolean;
  /** undefined: a log file in the output folder when writing; true/false; or a file path. */
  logfile?: boolean | string;
  /** Run one call in-process first to test the arguments (ACME's dryrun). */
  dryrun?: boolean;
  /**
   * ACME's compute(debug=True): every call runs in this process, one after another (no workers),
   * and the first exception a call throws propagates from compute() as it was thrown.
   */
  debug?: boolean;
  /**
   * Run a failed call again: how many times (a number), or `{ attempts, on, backoffMs }` — `on`
   * the failure reasons that retry (default: worker-exit, timeout, out-of-memory, node-fail; an
   * error the function throws retries only with 'error'), `backoffMs` the wait before the first
   * retry round (default 1000, doubled for each further round).
   */
  retries?: RetriesOption;
  /**
   * With an automatic output folder: remove earlier `ACME_*` run folders in the same place that
   * are older than this many days (0: all of them). Undefined: keep them, warn above 20.
   */
  cleanupThresholdDays?: number;
  /** Aborts the whole run. */
  signal?: AbortSignal;
  /** Keyword arguments for the function, bound by parameter name (argument-binding.ts). */
  kwargs?: Record<string, unknown>;
  /** Where calls run; default: the local backend (worker threads). */
  backend?: 'local' | 'slurm';
  /** Settings of the SLURM backend, validated by it. */
  slurm?: SlurmSettings;
  /** Name used for the generated files instead of the function's own name. */
  name?: string;
  /**
   * Continue a run in an existing outputDir although its function changed (its source, or its
   * module file): the stored calls keep their results, the missing ones run with the new code.
   */
  allowChangedFunction?: boolean;
  /**
   * Where the run's messages go instead of stderr: anything with info/warn/error (and debug),
   * e.g. `console` or a pino logger. The log file still gets them.
   */
  logger?: UserLogger;
  /** Called as calls settle (after each batch): counts of this compute()'s calls. */
  onProgress?: (progress: RunProgress) => void;
  /** Serve the run's live dashboard on 127.0.0.1 while compute() runs (see README). */
  dashboard?: boolean | DashboardSetting;
}

export interface ResolvedOptions {
  nInputs: 'auto' | number;
  writeWorkerResults: boolean;
  /** Absolute; undefined when not writing or when an automatic folder is to be made. */
  outputDir: string | undefined;
  /** The array form (a stacked result_0) or the named form (stacked keys). */
  resultShape: ResultShape | undefined;
  /** Index of the `null` in the array form of resultShape. */
  stackingDim: number | undefined;
  /** One dtype (array form, or no resultShape), or one per key of the named resultShape. */
  resultDtype: ResolvedResultDtype;
  singleFile: boolean;
  serializeResults: boolean;
  nWorkers: 'auto' | number;
  timeout: number | undefined;
  concurrency: number;
  isolation: 'thread' | 'process';
  verbose: boolean | undefined;
  /** A string is an absolute path. */
  logfile: boolean | string | undefined;
  dryrun: boolean;
  debug: boolean;
  retries: RetryPolicy | undefined;
  cleanupThresholdDays: number | undefined;
  signal: AbortSignal | undefined;
  kwargs: Record<string, unknown> | undefined;
  backend: 'local' | 'slurm' | undefined;
  slurm: SlurmSettings | undefined;
  name: string | undefined;
  allowChangedFunction: boolean;
  logger: UserLogger | undefined;
  onProgress: ((progress: RunProgress) => void) | undefined;
  dashboard: ResolvedDashboardSetting | undefined;
  /** Where results go: HDF5 files, serialized files, or back to the caller. */
  mode: ResultMode;
  /** ACME's option warnings (ignored combinations); the caller logs them. */
  warnings: string[];
}

export const OPTION_NAMES: readonly (keyof ParallelMapOptions)[] = [
  'nInputs',
  'writeWorkerResults',
  'outputDir',
  'resultShape',
  'resultDtype',
  'singleFile',
  'serializeResults',
  'nWorkers',
  'timeout',
  'concurrency',
  'isolation',
  'verbose',
  'logfile',
  'dryrun',
  'debug',
  'retries',
  'cleanupThresholdDays',
  'signal',
  'kwargs',
  'backend',
  'slurm',
  'name',
  'allowChangedFunction',
  'logger',
  'onProgress',
  'dashboard',
];

/** ACME option names whose camelCase form is not the acme-ts name. */
const RENAMED_ACME_OPTIONS: Record<string, keyof ParallelMapOptions> = {
  write_pickle: 'serializeResults',
  cleanup_threshold_days: 'cleanupThresholdDays',
  writePickle: 'serializeResults',
};

/**
 * ACME (and dask-jobqueue) options that have another place in acme-ts, or none: what an ACME
 * user writes first gets the exact place, or the reason there is no such option. Keys are
 * matched in snake_case and camelCase.
 */
const ACME_OPTION_PLACES: Record<string, string> = {
  setup_timeout: 'did you mean options.slurm.setupTimeout? (seconds to wait for the first SLURM task)',
  cores_per_worker: 'did you mean options.slurm.cpusPerWorker?',
  job_extra: 'did you mean options.slurm.sbatchOptions? (extra sbatch options, e.g. ["--account=proj"])',
  job_extra_directives: 'did you mean options.slurm.sbatchOptions? (extra sbatch options, e.g. ["--account=proj"])',
  n_jobs: 'did you mean options.nWorkers? (SLURM array tasks running at once; options.slurm.callsPerTask sets the calls per task)',
  workers_per_job: 'acme-ts has no such option: each SLURM array task runs options.slurm.cpusPerWorker worker threads',
  time_limit: 'did you mean options.slurm.timeLimit? (the --time of each SLURM array task; options.timeout limits each call)',
  walltime: 'did you mean options.slurm.timeLimit? (the --time of each SLURM array task; options.timeout limits each call)',
  setup_interactive: 'acme-ts has no such option: it never waits for an answer, except options.dryrun on a terminal',
  stop_client: 'acme-ts has no such option: it starts its workers itself and ends them with pmap.close() (or `await using`)',
  start_client: 'acme-ts has no such option: it starts its workers itself and ends them with pmap.close() (or `await using`)',
  client: 'acme-ts has no such option: pass a shared backend object as options.backend (e.g. new LocalBackend({ nWorkers: 4 }))',
  n_workers_startup:
    'acme-ts has no such option: the local backend starts workers as the queued work needs them; SLURM tasks start as the cluster schedules them',
  interactive_wait: 'acme-ts has no such option: it never waits for an answer, except options.dryrun on a terminal',
  // acme-ts's own SLURM settings, written at the top level.
  ...Object.fromEntries(
    (['partition', 'memPerWorker', 'cpusPerWorker', 'timeLimit', 'setupTimeout', 'sbatchOptions', 'jobName', 'callsPerTask', 'pollInterval'] as const).map(
      (name) => [name, `did you mean options.slurm.${name}? (SLURM settings go in options.slurm)`],
    ),
  ),
};

/** What to tell a user who wrote an ACME option that lives elsewhere in acme-ts (or nowhere). */
export function acmeOptionPlace(name: string): string | undefined {
  const own = (key: string) => (Object.prototype.hasOwnProperty.call(ACME_OPTION_PLACES, key) ? ACME_OPTION_PLACES[key] : undefined);
  const snake = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return own(name) ?? own(snake) ?? own(snakeToCamel(name));
}

/**
 * Calls in one run at most: the client keeps a few bytes per call (which calls are pending,
 * done or failed; in memory, the values), so 2^30 calls already need gigabytes.
 */
export const MAX_CALLS = 2 ** 30;

/** A run of `n` calls fits: an error naming where the count came from, before anything runs. */
export function checkCallCount(n: number, source: string): void {
  if (n <= MAX_CALLS) return;
  throw new OptionError(
    'nInputs',
    `${source} asks for ${n} calls; one run holds at most ${MAX_CALLS} (2^30): split the inputs into several runs (each with its own outputDir)`,
  );
}

/** Longest time Node's timers can wait; larger values fire immediately. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** Calls one worker may run at once (a call-state slot each; far more than async waits need). */
export const MAX_CONCURRENCY = 1024;

const DTYPE_ALIASES = {
  float64: 'float64',
  float: 'float64',
  double: 'float64',
  f8: 'float64',
  float32: 'float32',
  single: 'float32',
  f4: 'float32',
  float16: 'float16',
  half: 'float16',
  f2: 'float16',
  complex128: 'complex128',
  complex: 'complex128',
  cdouble: 'complex128',
  c16: 'complex128',
  complex64: 'complex64',
  csingle: 'complex64',
  c8: 'complex64',
  int8: 'int8',
  i1: 'int8',
  int16: 'int16',
  i2: 'int16',
  int32: 'int32',
  i4: 'int32',
  int64: 'int64',
  i8: 'int64',
  int: 'int64',
  uint8: 'uint8',
  u1: 'uint8',
  uint16: 'uint16',
  u2: 'uint16',
  uint32: 'uint32',
  u4: 'uint32',
  uint64: 'uint64',
  u8: 'uint64',
  bool: 'bool',
} as const satisfies Record<string, NumericDtype>;

/** The dtype names options.resultDtype takes: HDF5's and numpy's (`'float'`, `'double'`, `'f4'`, …). */
export type ResultDtypeName = keyof typeof DTYPE_ALIASES;

/** Normalize a numpy-style dtype name to the HDF5 dtype name, or undefined if unknown. */
export function normalizeDtype(name: string): NumericDtype | undefined {
  return Object.prototype.hasOwnProperty.call(DTYPE_ALIASES, name) ? DTYPE_ALIASES[name as ResultDtypeName] : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkBoolean(raw: Record<string, unknown>, option: keyof ParallelMapOptions, fallback: boolean): boolean {
  const value = raw[option];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new OptionError(option, `options.${option} must be true or false, got ${describeValue(value)}`);
  }
  return value;
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

function snakeToCamel(name: string): string {
  return name.replace(/_+([a-z0-9])/gi, (_, letter: string) => letter.toUpperCase());
}

/** The name in `candidates` closest to `unknownName` (case, snake_case and typos), if any is close. */
export function suggestName(unknownName: string, candidates: readonly string[]): string | undefined {
  const camel = snakeToCamel(unknownName);
  const lower = camel.toLowerCase();
  const caseInsensitive = candidates.find((name) => name.toLowerCase() === lower);
  if (caseInsensitive) return caseInsensitive;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of candidates) {
    const distance = levenshtein(lower, name.toLowerCase());
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  // Allow roughly one typo per three characters, at least two.
  return bestDistance <= Math.max(2, Math.floor(unknownName.length / 3)) ? best : undefined;
}

/** The option the user probably meant, or undefined when nothing is close. */
export function suggestOption(unknownName: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(RENAMED_ACME_OPTIONS, unknownName)) return RENAMED_ACME_OPTIONS[unknownName];
  return suggestName(unknownName, OPTION_NAMES);
}

function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}

/**
 * Check every option, apply defaults and ACME's "ignored" rules, and return the resolved values
 * with ACME's warnings. Throws `OptionError` at the first problem, in ACME's order (§1.4).
 */
export function validateOptions(raw: unknown): ResolvedOptions {
  if (raw === undefined) raw = {};
  if (!isPlainObject(raw)) {
    throw new OptionError('options', `options must be a plain object of ParallelMap options, got ${describeValue(raw)}`);
  }
  for (const key of Object.keys(raw)) {
    if ((OPTION_NAMES as readonly string[]).includes(key)) continue;
    const suggestion = suggestOption(key);
    const hint = acmeOptionPlace(key) ?? (suggestion ? `did you mean options.${suggestion}?` : `known options are ${OPTION_NAMES.join(', ')}`);
    throw new OptionError(key, `options.${key} is not a ParallelMap option; ${hint} (keyword arguments for the function belong in options.kwargs)`);
  }
  const warnings: string[] = [];

  // ACME checks verbosity first (prepare_log), then n_inputs (prepare_input).
  const verbose = raw.verbose;
  if (verbose !== undefined && typeof verbose !== 'boolean') {
    throw new OptionError('verbose', `options.verbose must be true, false or undefined, got ${describeValue(verbose)}`);
  }

  const nInputs = raw.nInputs ?? 'auto';
  if (nInputs !== 'auto' && !isNonNegativeInteger(nInputs)) {
    throw new OptionError('nInputs', `options.nInputs must be "auto" or a non-negative integer, got ${describeValue(nInputs)}`);
  }
  if (nInputs !== 'auto') checkCallCount(nInputs, 'options.nInputs');

  const dryrun = checkBoolean(raw, 'dryrun', false);
  const debug = checkBoolean(raw, 'debug', false);

  const writeWorkerResults = checkBoolean(raw, 'writeWorkerResults', true);
  let singleFile = checkBoolean(raw, 'singleFile', false);
  let serializeResults = checkBoolean(raw, 'serializeResults', false);
  if (!writeWorkerResults) {
    if (singleFile) {
      warnings.push('options.singleFile has no effect when options.writeWorkerResults is false; ignoring it');
      singleFile = false;
    }
    if (serializeResults) {
      warnings.push('options.serializeResults has no effect when options.writeWorkerResults is false; ignoring it');
      serializeResults = false;
    }
  }
  if (singleFile && serializeResults) {
    throw new OptionError(
      'singleFile',
      'options.singleFile and options.serializeResults cannot be combined: serialized results are one file per call; set one of them to false',
    );
  }

  let outputDir: string | undefined;
  const rawOutputDir = raw.outputDir;
  if (rawOutputDir !== undefined && (typeof rawOutputDir !== 'string' || rawOutputDir === '')) {
    throw new OptionError('outputDir', `options.outputDir must be a non-empty string or undefined, got ${describeValue(rawOutputDir)}`);
  }
  if (rawOutputDir !== undefined) {
    if (writeWorkerResults) {
      outputDir = path.resolve(expandHome(rawOutputDir));
      checkCreatableFolder('outputDir', outputDir);
    } else {
      warnings.push('options.outputDir has no effect when options.writeWorkerResults is false; ignoring it');
    }
  }

  // ACME validates nothing here; a typo would silently delete (or keep) folders.
  const cleanupThresholdDays = raw.cleanupThresholdDays;
  if (cleanupThresholdDays !== undefined && !(typeof cleanupThresholdDays === 'number' && Number.isFinite(cleanupThresholdDays) && cleanupThresholdDays >= 0)) {
    throw new OptionError(
      'cleanupThresholdDays',
      `options.cleanupThresholdDays must be a number of days ≥ 0 (0 removes every earlier ACME_* folder) or undefined, got ${describeValue(cleanupThresholdDays)}`,
    );
  }

  const rawLogfile = raw.logfile;
  if (rawLogfile !== undefined && typeof rawLogfile !== 'boolean' && (typeof rawLogfile !== 'string' || rawLogfile === '')) {
    throw new OptionError('logfile', `options.logfile must be true, false, undefined or a file path, got ${describeValue(rawLogfile)}`);
  }
  const logfile: boolean | string | undefined = typeof rawLogfile === 'string' ? path.resolve(expandHome(rawLogfile)) : rawLogfile;
  if (typeof logfile === 'string') checkWritableFile('logfile', logfile, 'run.log');

  const { resultShape, stackingDim } = checkResultShape(raw.resultShape, writeWorkerResults);
  let resolvedShape = resultShape;
  let resolvedStackingDim = stackingDim;
  if (resultShape !== undefined && serializeResults) {
    warnings.push("options.resultShape is ignored when options.serializeResults is true (each call's return value is serialized as is)");
    resolvedShape = undefined;
    resolvedStackingDim = undefined;
  }

  let resultDtype: ResolvedResultDtype = 'float64';
  const rawDtype = raw.resultDtype;
  if (resultShape !== undefined && !Array.isArray(resultShape)) {
    resultDtype = checkNamedResultDtype(rawDtype, resultShape, normalizeDtype, DTYPE_NAMES);
  } else if (rawDtype !== undefined) {
    const normalized = typeof rawDtype === 'string' ? normalizeDtype(rawDtype) : undefined;
    if (normalized === undefined) {
      const hint = isPlainObject(rawDtype) ? '; an object of dtypes by key goes with a named options.resultShape like { spectrum: [null, 1024] }' : '';
      throw new OptionError('resultDtype', `options.resultDtype must be a numeric dtype name (${DTYPE_NAMES}), got ${describeValue(rawDtype)}${hint}`);
    }
    resultDtype = normalized;
  }
  // Checked, then dropped with the named resultShape it belongs to (serializeResults).
  if (resolvedShape === undefined && typeof resultDtype !== 'string') resultDtype = 'float64';

  const nWorkers = raw.nWorkers ?? 'auto';
  if (nWorkers !== 'auto' && !(isNonNegativeInteger(nWorkers) && nWorkers >= 1)) {
    throw new OptionError('nWorkers', `options.nWorkers must be a positive integer or "auto", got ${describeValue(nWorkers)}`);
  }

  const timeout = raw.timeout;
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0 && timeout <= MAX_TIMEOUT_MS)) {
    throw new OptionError(
      'timeout',
      `options.timeout must be a positive number of milliseconds (at most ${MAX_TIMEOUT_MS}) or undefined, got ${describeValue(timeout)}`,
    );
  }

  const retries = checkRetries(raw.retries);

  const concurrency = raw.concurrency ?? 1;
  if (!(isNonNegativeInteger(concurrency) && concurrency >= 1 && concurrency <= MAX_CONCURRENCY)) {
    throw new OptionError(
      'concurrency',
      `options.concurrency must be a positive integer (calls each worker runs at once, at most ${MAX_CONCURRENCY}), got ${describeValue(concurrency)}`,
    );
  }

  const isolation = raw.isolation ?? 'thread';
  if (isolation !== 'thread' && isolation !== 'process') {
    throw new OptionError('isolation', `options.isolation must be "thread" (worker threads) or "process" (child processes), got ${describeValue(isolation)}`);
  }

  const signal = raw.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new OptionError('signal', `options.signal must be an AbortSignal or undefined, got ${describeValue(signal)}`);
  }

  const kwargs = raw.kwargs;
  if (kwargs !== undefined && !isPlainObject(kwargs)) {
    throw new OptionError('kwargs', `options.kwargs must be a plain object of keyword arguments for the function, got ${describeValue(kwargs)}`);
  }

  const backend = raw.backend;
  if (backend !== undefined && backend !== 'local' && backend !== 'slurm') {
    throw new OptionError('backend', `options.backend must be "local", "slurm" or undefined, got ${describeValue(backend)}`);
  }

  const slurm = raw.slurm;
  if (slurm !== undefined && (slurm === null || typeof slurm !== 'object' || Array.isArray(slurm))) {
    throw new OptionError('slurm', `options.slurm must be an object of SLURM settings or undefined, got ${describeValue(slurm)}`);
  }

  const name = raw.name;
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new OptionError('name', `options.name must be a non-empty string or undefined, got ${describeValue(name)}`);
  }

  const allowChangedFunction = checkBoolean(raw, 'allowChangedFunction', false);

  const logger = raw.logger;
  if (
    logger !== undefined &&
    !(logger !== null && typeof logger === 'object' && ['info', 'warn', 'error'].every((m) => typeof (logger as Record<string, unknown>)[m] === 'function'))
  ) {
    throw new OptionError(
      'logger',
      `options.logger must be an object with info, warn and error methods (and optionally debug), such as console, got ${describeValue(logger)}`,
    );
  }
  const onProgress = raw.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new OptionError('onProgress', `options.onProgress must be a function receiving { done, failed, total }, got ${describeValue(onProgress)}`);
  }
  const dashboard = resolveDashboardSetting(raw.dashboard, writeWorkerResults);

  const mode: ResultMode = !writeWorkerResults ? 'memory' : serializeResults ? 'serialized' : 'hdf5';
  return {
    nInputs: nInputs as 'auto' | number,
    writeWorkerResults,
    outputDir,
    resultShape: resolvedShape,
    stackingDim: resolvedStackingDim,
    resultDtype,
    singleFile,
    serializeResults,
    nWorkers: nWorkers as 'auto' | number,
    timeout: timeout as number | undefined,
    concurrency: concurrency as number,
    isolation,
    verbose: verbose as boolean | undefined,
    logfile,
    dryrun,
    debug,
    retries,
    cleanupThresholdDays: cleanupThresholdDays as number | undefined,
    signal: signal as AbortSignal | undefined,
    kwargs: kwargs as Record<string, unknown> | undefined,
    backend: backend as 'local' | 'slurm' | undefined,
    slurm: slurm as SlurmSettings | undefined,
    name: name as string | undefined,
    allowChangedFunction,
    logger: logger as UserLogger | undefined,
    onProgress: onProgress as ((progress: RunProgress) => void) | undefined,
    dashboard,
    mode,
    warnings,
  };
}

/** The dtype names options.resultDtype's messages list. */
const DTYPE_NAMES =
  'float64, float32, float16, complex64, complex128, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool, or numpy aliases such as "float", "double" or "complex"';

function checkResultShape(value: unknown, writeWorkerResults: boolean): { resultShape: ResultShape | undefined; stackingDim: number | undefined } {
  if (value === undefined) return { resultShape: undefined, stackingDim: undefined };
  if (isPlainObject(value)) return { resultShape: checkNamedResultShape(value, writeWorkerResults), stackingDim: undefined };
  if (!Array.isArray(value)) {
    throw new OptionError(
      'resultShape',
      `options.resultShape must be an array like [null, 10] (null marks the dimension along which calls are stacked), or an object of them by returned key like { spectrum: [null, 1024] }, got ${describeValue(value)}`,
    );
  }
  const shape = checkShapeEntries(value, 'options.resultShape', writeWorkerResults);
  return { resultShape: shape, stackingDim: shape.indexOf(null) };
}
