// The flags of `run` and `rerun`: one kebab-case flag per ParallelMap option, parsed from the
// raw words (yargs' own number parsing is off, so "010" or "1e3" mean what this file says)
// into the options core validates. Messages name the flag and the fix; core's messages, which
// name `options.*`, are translated back to flags by `inFlagTerms`.

import type { Argv } from 'yargs';
import type { ParallelMapOptions } from '@acme-ts/core';
import { RETRY_REASONS, type RetryReason } from '@acme-ts/core/retry-reasons';
import { UsageError } from './errors';

/** Flags `run` and `rerun` share: how the calls execute, not what they compute. */
export interface ExecutionFlags {
  nWorkers?: string;
  backend?: 'local' | 'slurm';
  timeout?: string;
  concurrency?: string;
  isolation?: 'thread' | 'process';
  dryrun?: boolean;
  debug?: boolean;
  retries?: string;
  retryOn?: string;
  retryBackoff?: string;
  quiet?: boolean;
  verbose?: boolean;
  logfile?: string | false;
  partition?: string;
  memPerWorker?: string;
  cpusPerWorker?: string;
  timeLimit?: string;
  setupTimeout?: string;
  sbatchOption?: string | string[];
  jobName?: string;
  gpusPerWorker?: string;
  constraint?: string;
  qos?: string;
  allowChangedCode?: boolean;
  dashboard?: boolean;
}

/** Flags only `run` has: what is computed and how it is stored. */
export interface RunFlags extends ExecutionFlags {
  nInputs?: string;
  writeWorkerResults?: boolean;
  outputDir?: string;
  resultShape?: string;
  resultDtype?: string;
  singleFile?: boolean;
  serializeResults?: boolean;
  name?: string;
  kwarg?: string | string[];
}

const SLURM_GROUP = 'SLURM (with --backend slurm):';
const OUTPUT_GROUP = 'Output:';

/** The SLURM flags and the options.slurm keys they set. */
export const SLURM_FLAGS: Record<string, string> = {
  partition: 'partition',
  'mem-per-worker': 'memPerWorker',
  'cpus-per-worker': 'cpusPerWorker',
  'time-limit': 'timeLimit',
  'setup-timeout': 'setupTimeout',
  'sbatch-option': 'sbatchOptions',
  'job-name': 'jobName',
  'gpus-per-worker': 'gpusPerWorker',
  constraint: 'constraint',
  qos: 'qos',
};

export function addExecutionFlags<T>(y: Argv<T>): Argv<T & ExecutionFlags> {
  return y
    .option('n-workers', { type: 'string', nargs: 1, describe: 'worker threads (local) or array tasks running at once (SLURM): a positive integer or "auto"' })
    .option('backend', { choices: ['local', 'slurm'] as const, describe: 'where the calls run (default: ACME_TS_BACKEND, the config file, else local)' })
    .option('timeout', { type: 'string', nargs: 1, describe: 'per-call time limit: seconds, or with a unit (500ms, 30s, 5m, 2h)' })
    .option('concurrency', {
      type: 'string',
      nargs: 1,
      describe: 'calls each worker runs at once (default 1): async calls that wait (I/O, subprocesses, fetches) overlap',
    })
    .option('isolation', {
      choices: ['thread', 'process'] as const,
      describe: 'workers are threads (default) or child processes: a native crash (segfault, abort()) then fails only its call',
    })
    .option('dryrun', { type: 'boolean', describe: 'run one random call in this process first: time, memory, storable result' })
    .option('debug', {
      type: 'boolean',
      describe: 'run every call in this process, one after another (no workers); the first exception stops the run with its stack (attach node --inspect)',
    })
    .option('retries', { type: 'string', nargs: 1, describe: 'run a failed call again up to N times (reasons: --retry-on)' })
    .option('retry-on', {
      type: 'string',
      nargs: 1,
      describe: `failure reasons that retry, separated by commas: ${RETRY_REASONS.join(', ')} (default: all but error)`,
    })
    .option('retry-backoff', {
      type: 'string',
      nargs: 1,
      describe: 'wait before the first retry round, doubled for each further one: seconds or 500ms, 30s, 5m (default 1s)',
    })
    .option('dashboard', { type: 'boolean', describe: "serve the run's live dashboard on 127.0.0.1 while it computes (prints the URL; see acme-ts dashboard)" })
    .option('allow-changed-code', {
      type: 'boolean',
      describe: 'continue a run in its folder although the function changed: stored calls stay, missing ones run with the new code',
    })
    .option('quiet', { alias: 'q', type: 'boolean', group: OUTPUT_GROUP, describe: 'only warnings, errors and the result lines; no progress' })
    .option('verbose', { alias: 'v', type: 'boolean', group: OUTPUT_GROUP, describe: "debug messages (core's log lines and progress bar)" })
    .option('logfile', {
      type: 'string',
      nargs: 1,
      group: OUTPUT_GROUP,
      describe: 'log file path (default: ACME_<f>_<time>.log in the output folder); --no-logfile for none',
    })
    .option('partition', { type: 'string', nargs: 1, group: SLURM_GROUP, describe: 'SLURM partition' })
    .option('mem-per-worker', { type: 'string', nargs: 1, group: SLURM_GROUP, describe: 'memory per array task: "4GB", "500MB", "auto", or on rerun "2x"' })
    .option('cpus-per-worker', { type: 'string', nargs: 1, group: SLURM_GROUP, describe: 'CPUs per array task' })
    .option('time-limit', { type: 'string', nargs: 1, group: SLURM_GROUP, describe: 'time limit per array task: minutes or a SLURM duration ("1:30:00")' })
    .option('setup-timeout', { type: 'string', nargs: 1, group: SLURM_GROUP, describe: 'how long to wait for the first task to start, e.g. 60s, 5m' })
    .option('sbatch-option', {
      type: 'string',
      nargs: 1,
      group: SLURM_GROUP,
      describe: 'extra sbatch option, repeatable; write it with "=": --sbatch-option=--account=proj',
    })
    .option('job-name', { type: 'string', nargs: 1, group: SLURM_GROUP, describe: 'SLURM job name' })
    .option('gpus-per-worker', {
      type: 'string',
      nargs: 1,
      group: SLURM_GROUP,
      describe: "GPUs per array task (--gres=gpu:N), checked against the partition's nodes",
    })
    .option('constraint', {
      type: 'string',
      nargs: 1,
      group: SLURM_GROUP,
      describe: 'node features the tasks need, e.g. "avx512&ib", checked against the partition\'s nodes',
    })
    .option('qos', { type: 'string', nargs: 1, group: SLURM_GROUP, describe: 'SLURM quality of service' }) as unknown as Argv<T & ExecutionFlags>;
}

export function addRunFlags<T>(y: Argv<T>): Argv<T & RunFlags> {
  return addExecutionFlags(
    y
      .option('kwarg', {
        alias: 'k',
        type: 'string',
        nargs: 1,
        describe: 'keyword argument name=value (value as an input): fills the parameter "name"; repeatable',
      })
      .option('n-inputs', { type: 'string', nargs: 1, describe: 'number of calls: a non-negative integer or "auto" (from the inputs\' lengths)' })
      .option('output-dir', { alias: 'o', type: 'string', nargs: 1, describe: "the run's folder (default: ./ACME_<date>-<time>)" })
      .option('write-worker-results', { type: 'boolean', describe: 'store results in files (default); --no-write-worker-results prints them as JSON' })
      .option('result-shape', {
        type: 'string',
        nargs: 1,
        describe: `stack result_0 of every call: e.g. null,10,9 (null: the calls' axis; inf: unlimited), or keys of a returned object: '{"spectrum":[null,1024]}'`,
      })
      .option('result-dtype', {
        type: 'string',
        nargs: 1,
        describe: `dtype of the stacked array (float64, float32, float16, int32, …), or per stacked key: '{"spectrum":"float32"}'`,
      })
      .option('single-file', { type: 'boolean', describe: 'all results in the container instead of one payload file per call' })
      .option('serialize-results', { type: 'boolean', describe: "store each call's raw value as <f>_<i>.v8 (v8 serialization) instead of HDF5" })
      .option('name', { type: 'string', nargs: 1, describe: "name of the files (<name>.h5) instead of the function's" }),
  ) as unknown as Argv<T & RunFlags>;
}

/** A yargs option given once or repeatedly, as a list. */
export function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** `auto` or an integer ≥ min. */
export function parseCountOrAuto(value: string | undefined, flag: string, min: number): number | 'auto' | undefined {
  if (value === 'auto') return 'auto';
  return parseCount(value, flag, min, ' or "auto"');
}

/** An integer ≥ min (`alternatives` names what else the flag takes, for the message). */
export function parseCount(value: string | undefined, flag: string, min: number, alternatives = ''): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`${flag} must be ${min > 0 ? 'a positive' : 'a non-negative'} integer${alternatives}, got ${JSON.stringify(value)}`, flag);
  }
  return Number(value);
}

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, min: 60, h: 3600 };

/** Seconds of "90", "1.5", "500ms", "30s", "5m", "2h". */
export function parseSeconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|min|m|h)?$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * DURATION_UNITS[match[2] ?? 's']! : NaN;
  if (!(seconds > 0)) {
    throw new UsageError(
      `${flag} must be a positive duration: seconds, or a number with ms, s, m or h (e.g. 30, 500ms, 5m), got ${JSON.stringify(value)}`,
      flag,
    );
  }
  return seconds;
}

/**
 * "null,10,9" or "[null, 10, 9]" → [null, 10, 9]; "inf"/"Infinity" is an unlimited dimension.
 * The named form is a JSON object of such shapes by returned key:
 * '{"spectrum": [null, 1024], "mean": [null]}' (an unlimited dimension as "inf").
 */
export function parseResultShape(value: string | undefined): (number | null)[] | Record<string, (number | null)[]> | undefined {
  if (value === undefined) return undefined;
  if (value.trim().startsWith('{')) return parseNamedResultShape(value);
  return parseShapeEntries(value, '--result-shape entries');
}

function parseShapeEntries(value: string, what: string): (number | null)[] {
  const items = value
    .trim()
    .replace(/^[[(]|[\])]$/g, '')
    .split(',')
    .map((s) => s.trim());
  return items.map((item, index) => {
    if (/^(null|none)$/i.test(item)) return null;
    if (/^"?(inf|infinity)"?$/i.test(item)) return Infinity;
    if (/^\d+$/.test(item)) return Number(item);
    throw new UsageError(
      `${what} must be non-negative integers, null (the calls' axis) or inf (unlimited), separated by commas like null,10,9; entry ${index + 1} is ${JSON.stringify(item)}`,
      '--result-shape',
    );
  });
}

/** '{"spectrum": [null, 1024]}' → { spectrum: [null, 1024] } (core checks the keys and shapes). */
function parseNamedResultShape(value: string): Record<string, (number | null)[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (err) {
    throw new UsageError(
      `--result-shape with named keys must be a JSON object of shapes like '{"spectrum": [null, 1024], "mean": [null]}' (${(err as Error).message})`,
      '--result-shape',
    );
  }
  const named: Record<string, (number | null)[]> = {};
  for (const [key, shape] of Object.entries(parsed as Record<string, unknown>)) {
    if (!Array.isArray(shape)) {
      throw new UsageError(`--result-shape's key ${JSON.stringify(key)} must be a shape like [null, 1024], got ${JSON.stringify(shape)}`, '--result-shape');
    }
    named[key] = parseShapeEntries(shape.map((entry) => (entry === null ? 'null' : String(entry))).join(','), `--result-shape's ${key} entries`);
  }
  return named;
}

/** "float32", or a JSON object of dtypes by stacked key: '{"spectrum": "float32"}'. */
export function parseResultDtype(value: string | undefined): ParallelMapOptions['resultDtype'] {
  if (value === undefined || !value.trim().startsWith('{')) return value as ParallelMapOptions['resultDtype']; // core checks the name
  try {
    return JSON.parse(value) as ParallelMapOptions['resultDtype'];
  } catch (err) {
    throw new UsageError(
      `--result-dtype must be one dtype name or a JSON object of them by stacked key like '{"spectrum": "float32"}' (${(err as Error).message})`,
      '--result-dtype',
    );
  }
}

function parsePositiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} must be a positive integer, got ${JSON.stringify(value)}`, flag);
  return Number(value);
}

/** "3,17-20" → [3, 17, 18, 19, 20] (ascending, each once). */
export function parseTaskIDs(value: string | undefined, flag: string): number[] | undefined {
  if (value === undefined) return undefined;
  const ids = new Set<number>();
  for (const part of value.split(',').map((p) => p.trim())) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part);
    const first = Number(match?.[1]);
    const last = match?.[2] === undefined ? first : Number(match[2]);
    if (!match || !Number.isSafeInteger(last) || last < first) {
      throw new UsageError(`${flag} takes taskIDs and ranges separated by commas, like 3,17-20; got ${JSON.stringify(part)}`, flag);
    }
    for (let id = first; id <= last; id++) ids.add(id);
  }
  return [...ids].sort((a, b) => a - b);
}

/** options.retries from --retries, --retry-on and --retry-backoff, or undefined when none was given. */
export function retrySettings(flags: ExecutionFlags): ParallelMapOptions['retries'] {
  if (flags.retries === undefined && flags.retryOn === undefined && flags.retryBackoff === undefined) return undefined;
  const settings: { attempts?: number; on?: RetryReason[]; backoffMs?: number } = {};
  if (flags.retries !== undefined) {
    if (!/^\d+$/.test(flags.retries))
      throw new UsageError(
        `--retries must be a non-negative integer (how many times a failed call runs again), got ${JSON.stringify(flags.retries)}`,
        '--retries',
      );
    settings.attempts = Number(flags.retries);
  }
  if (flags.retryOn !== undefined) {
    const reasons = flags.retryOn.split(',').map((r) => r.trim());
    const wrong = reasons.find((r) => !(RETRY_REASONS as readonly string[]).includes(r));
    if (wrong !== undefined) {
      throw new UsageError(
        `--retry-on takes failure reasons separated by commas, from ${RETRY_REASONS.join(', ')}; got ${JSON.stringify(wrong)}`,
        '--retry-on',
      );
    }
    settings.on = reasons as RetryReason[];
  }
  const backoff = flags.retryBackoff?.trim() === '0' ? 0 : parseSeconds(flags.retryBackoff, '--retry-backoff');
  if (backoff !== undefined) settings.backoffMs = Math.round(backoff * 1000);
  return settings;
}

/** options.slurm from the SLURM flags, or undefined when none was given. */
export function slurmSettings(flags: ExecutionFlags): Record<string, unknown> | undefined {
  const settings: Record<string, unknown> = {};
  if (flags.partition !== undefined) settings.partition = flags.partition;
  if (flags.memPerWorker !== undefined) settings.memPerWorker = flags.memPerWorker;
  if (flags.cpusPerWorker !== undefined) settings.cpusPerWorker = parsePositiveInteger(flags.cpusPerWorker, '--cpus-per-worker');
  // Whole minutes stay a number; SLURM durations ("1:30:00", "UNLIMITED") go as written.
  if (flags.timeLimit !== undefined) settings.timeLimit = /^\d+$/.test(flags.timeLimit) ? Number(flags.timeLimit) : flags.timeLimit;
  if (flags.setupTimeout !== undefined) settings.setupTimeout = parseSeconds(flags.setupTimeout, '--setup-timeout');
  const sbatch = asList(flags.sbatchOption);
  if (sbatch.length > 0) settings.sbatchOptions = sbatch;
  if (flags.jobName !== undefined) settings.jobName = flags.jobName;
  if (flags.gpusPerWorker !== undefined) settings.gpusPerWorker = parsePositiveInteger(flags.gpusPerWorker, '--gpus-per-worker');
  if (flags.constraint !== undefined) settings.constraint = flags.constraint;
  if (flags.qos !== undefined) settings.qos = flags.qos;
  return Object.keys(settings).length > 0 ? settings : undefined;
}

/**
 * The backend the run will use, decided as core decides it (flag, ACME_TS_BACKEND, config
 * file, stored run, "local"), so SLURM flags on a local run are an error instead of ignored.
 */
export function effectiveBackend(flag: string | undefined, stored?: string): string {
  return flag ?? (stored && stored !== 'local' ? stored : undefined) ?? process.env.ACME_TS_BACKEND ?? loadConfig().config.backend ?? 'local';
}

// Required on use: the command line's help and completion load this file, and not core.
function loadConfig(): ReturnType<typeof import('@acme-ts/core').loadConfig> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('@acme-ts/core') as typeof import('@acme-ts/core')).loadConfig();
}

/** Rejects SLURM flags when the run will not use SLURM (core would silently ignore them). */
export function checkSlurmFlags(argv: Record<string, unknown>, backend: string): void {
  if (backend === 'slurm') return;
  const given = Object.keys(SLURM_FLAGS).filter((flag) => argv[flag] !== undefined);
  if (given.length > 0) {
    throw new UsageError(
      `--${given[0]} applies to the SLURM backend, but this run uses the ${backend} backend; add --backend slurm (or select slurm in acme-ts.config.json / ACME_TS_BACKEND), or drop --${given.join(', --')}`,
      `--${given[0]}`,
    );
  }
}

/** The execution part of ParallelMap's options (shared by run and rerun). */
export function executionOptions(
  flags: ExecutionFlags,
): Pick<
  ParallelMapOptions,
  'nWorkers' | 'backend' | 'timeout' | 'concurrency' | 'isolation' | 'dryrun' | 'debug' | 'retries' | 'verbose' | 'logfile' | 'slurm' | 'allowChangedFunction'
> {
  if (flags.quiet && flags.verbose) throw new UsageError('--quiet and --verbose contradict each other; give one of them', '--quiet');
  const options: ReturnType<typeof executionOptions> = {};
  const nWorkers = parseCountOrAuto(flags.nWorkers, '--n-workers', 1);
  if (nWorkers !== undefined) options.nWorkers = nWorkers;
  if (flags.backend !== undefined) options.backend = flags.backend;
  const timeout = parseSeconds(flags.timeout, '--timeout');
  if (timeout !== undefined) options.timeout = Math.round(timeout * 1000);
  const concurrency = parseCount(flags.concurrency, '--concurrency', 1);
  if (concurrency !== undefined) options.concurrency = concurrency;
  if (flags.isolation !== undefined) options.isolation = flags.isolation;
  if (flags.dryrun !== undefined) options.dryrun = flags.dryrun;
  if (flags.debug !== undefined) options.debug = flags.debug;
  const retries = retrySettings(flags);
  if (retries !== undefined) options.retries = retries;
  if (flags.allowChangedCode !== undefined) options.allowChangedFunction = flags.allowChangedCode;
  // The CLI draws its own progress; core speaks on the terminal only with --verbose (its log
  // file still gets every INFO line).
  options.verbose = flags.verbose ? true : false;
  if (flags.logfile !== undefined) options.logfile = flags.logfile === false ? false : flags.logfile;
  const slurm = slurmSettings(flags);
  if (slurm) options.slurm = slurm;
  return options;
}

/** Everything ParallelMap gets from `run`'s flags except the inputs and kwargs. */
export function runOptions(flags: RunFlags): ParallelMapOptions {
  if (flags.singleFile && flags.serializeResults) {
    throw new UsageError(
      '--single-file and --serialize-results cannot be combined: serialized results are one .v8 file per call, --single-file puts every result into the one HDF5 container; drop one of them',
      '--single-file',
    );
  }
  const options: ParallelMapOptions = { ...executionOptions(flags) };
  const nInputs = parseCountOrAuto(flags.nInputs, '--n-inputs', 0);
  if (nInputs !== undefined) options.nInputs = nInputs;
  if (flags.writeWorkerResults !== undefined) options.writeWorkerResults = flags.writeWorkerResults;
  if (flags.outputDir !== undefined) options.outputDir = flags.outputDir;
  const shape = parseResultShape(flags.resultShape);
  if (shape !== undefined) options.resultShape = shape;
  if (flags.resultDtype !== undefined) options.resultDtype = parseResultDtype(flags.resultDtype);
  if (flags.singleFile !== undefined) options.singleFile = flags.singleFile;
  if (flags.serializeResults !== undefined) options.serializeResults = flags.serializeResults;
  if (flags.name !== undefined) options.name = flags.name;
  return options;
}

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** The flag for a ParallelMap option or SLURM setting name. */
export function flagFor(option: string): string {
  if (option === 'kwargs') return '--kwarg';
  if (option === 'args') return 'the inputs';
  if (option === 'sbatchOptions') return '--sbatch-option';
  if (option === 'allowChangedFunction') return '--allow-changed-code';
  // No flag: retries come from the config file's "slurm" section only.
  if (option === 'retries') return 'slurm.retries';
  return `--${kebab(option)}`;
}

/**
 * Core's messages in the words of the command line: `options.nWorkers` → `--n-workers`,
 * `positional argument 0` / `args[0]` → `input 1`, `keyword argument y` → `--kwarg y`.
 */
export function inFlagTerms(message: string): string {
  return (
    message
      .replace(
        /automatic input distribution failed: found 0 objects containing 0 to 0 elements\. Please specify `nInputs` manually\./,
        'no input is a list to split over the calls; give one (e.g. range:0:10) or set --n-inputs N to make N calls with these inputs',
      )
      .replace(/options\.slurm\.(\w+)/g, (_, name: string) => flagFor(name))
      .replace(/options\.kwargs\.(\w+)/g, (_, name: string) => `--kwarg ${name}`)
      // A key of an object-valued option (the named resultShape): "--result-shape's key spectrum".
      .replace(/options\.(resultShape|resultDtype)\.(\w+)/g, (_, option: string, key: string) => `${flagFor(option)}'s key ${key}`)
      .replace(/\bpass it in args\b/g, 'pass it as an input')
      .replace(/options\.(\w+)/g, (_, name: string) => flagFor(name))
      .replace(/\b(?:positional argument |args\[)(\d+)\]?/g, (_, index: string) => `input ${Number(index) + 1}`)
      .replace(/\bkeyword argument (\w+)/g, (_, name: string) => `--kwarg ${name}`)
      .replace(/`nInputs`|\bnInputs\b/g, '--n-inputs')
      .replace(/set one of them to false/g, 'drop one of them')
      .replace(/compute\(\) again \(or (`acme-ts rerun [^`]*`)\)/g, '$1')
  );
}
