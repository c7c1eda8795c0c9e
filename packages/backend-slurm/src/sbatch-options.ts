/**
 * Validation of the user-facing SLURM options. Every rejection is a {@link SlurmOptionError}
 * whose message has one form: `<option> must be <what is allowed>, got <value>`.
 *
 * We never run SLURM commands through a shell, but a batch script carries `#SBATCH` header
 * lines, and a value with a newline there would inject directives; so names and options are
 * held to a conservative character set.
 */
import { SlurmOptionError, describeValue } from './errors';

/** Characters never allowed in job names and extra sbatch options. */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTERS = /[\s\x00-\x1f\x7f;&|<>`$\\"'(){}*?!#~]/;
const JOB_NAME = /^[A-Za-z0-9._+\-=@:,]{1,200}$/;
const ENVIRONMENT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const QOS_NAME = /^[A-Za-z0-9._-]{1,100}$/;
/** Feature names and SLURM's constraint operators: & (and), | (or), [ ] (matching or), ( ), *N (count), ! (not). */
const CONSTRAINT = /^[A-Za-z0-9_.:\-&|[\]()*!]{1,1000}$/;

/**
 * sbatch options acme-ts sets from its own settings: the setting a user changes instead.
 * Keys are sbatch's long and short spellings.
 */
const SET_FROM_SETTING: Readonly<Record<string, string>> = {
  '--partition': 'options.slurm.partition',
  '-p': 'options.slurm.partition',
  '--mem': 'options.slurm.memPerWorker',
  '--mem-per-cpu': 'options.slurm.memPerWorker',
  '--mem-per-gpu': 'options.slurm.memPerWorker',
  '--cpus-per-task': 'options.slurm.cpusPerWorker',
  '-c': 'options.slurm.cpusPerWorker',
  '--time': 'options.slurm.timeLimit',
  '-t': 'options.slurm.timeLimit',
  '--job-name': 'options.slurm.jobName',
  '-J': 'options.slurm.jobName',
  '--array': 'options.slurm.nWorkers (tasks at once)',
  '-a': 'options.slurm.nWorkers (tasks at once)',
  '--gres': 'options.slurm.gpusPerWorker',
  '--gpus': 'options.slurm.gpusPerWorker',
  '-G': 'options.slurm.gpusPerWorker',
  '--gpus-per-task': 'options.slurm.gpusPerWorker',
  '--gpus-per-node': 'options.slurm.gpusPerWorker',
  '--gpus-per-socket': 'options.slurm.gpusPerWorker',
  '--cpus-per-gpu': 'options.slurm.cpusPerWorker',
  '--constraint': 'options.slurm.constraint',
  '-C': 'options.slurm.constraint',
  '--qos': 'options.slurm.qos',
  '-q': 'options.slurm.qos',
};

/** Options refused only with some values: `--gres` when it asks for GPUs (other generic resources stay the user's). */
const REFUSED_ONLY_IF: Readonly<Record<string, (value: string) => boolean>> = {
  '--gres': (value) => /(?:^|,)gpu(?::|,|$)/.test(value),
};

/** sbatch options that break how the client submits or follows an array: why. */
const BREAKS_CLIENT: Readonly<Record<string, string>> = {
  '--quiet': 'sbatch would then not print the job id acme-ts follows the array by',
  '-Q': 'sbatch would then not print the job id acme-ts follows the array by',
  '--parsable': 'acme-ts passes it itself to read the job id',
  '--output': 'acme-ts writes task logs to <outputDir>/slurm_logs and reads them to explain failures',
  '-o': 'acme-ts writes task logs to <outputDir>/slurm_logs and reads them to explain failures',
  '--error': 'acme-ts writes task logs to <outputDir>/slurm_logs and reads them to explain failures',
  '-e': 'acme-ts writes task logs to <outputDir>/slurm_logs and reads them to explain failures',
  '--export': 'acme-ts gives the tasks a deliberate environment',
  '--wrap': 'acme-ts submits its own batch script',
  '--chdir': "tasks run in the client's working directory, where the run's relative paths resolve",
  '-D': "tasks run in the client's working directory, where the run's relative paths resolve",
  '--wait': 'sbatch would block until the array ends, while acme-ts follows it itself',
  '-W': 'sbatch would block until the array ends, while acme-ts follows it itself',
  '--test-only': 'sbatch would submit nothing',
  '--help': 'sbatch would print text instead of submitting',
  '-h': 'sbatch would print text instead of submitting',
  '--usage': 'sbatch would print text instead of submitting',
  '-u': 'sbatch would print text instead of submitting',
  '--version': 'sbatch would print text instead of submitting',
  '-V': 'sbatch would print text instead of submitting',
};

/** sbatch options that may not come in through `extra` (see {@link validateExtraOptions}). */
export const RESERVED_SBATCH_OPTIONS: readonly string[] = [...Object.keys(SET_FROM_SETTING), ...Object.keys(BREAKS_CLIENT)];

/** sbatch's short options that take no argument: in a bundle such as "-vo<path>", the letters after one are options too. */
const SHORT_FLAGS = new Set(['H', 'h', 'I', 'k', 'O', 'Q', 's', 'u', 'V', 'v', 'W']);

/** `partition` is one of `available` (the names sinfo/scontrol report). */
export function validatePartition(value: unknown, available: readonly string[], option = 'options.slurm.partition'): string {
  if (typeof value !== 'string' || !available.includes(value)) {
    const names = available.map((name) => JSON.stringify(name)).join(', ');
    const allowed = available.length === 0 ? 'a partition name, but the cluster reports none' : `one of ${names}`;
    throw new SlurmOptionError(option, `${option} must be ${allowed}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * Memory per worker in MB, with ACME's rules: a string with "MB" or "GB" (GB = 1000 MB), a
 * positive number before the unit, optional blanks between; "auto" gives `undefined` (the
 * partition's default applies). Unlike ACME, exponents and "inf"/"nan" are rejected, and so
 * is anything under 1 MB (sbatch reads `--mem=0` as "all the node's memory").
 */
export function parseMemory(value: unknown, option = 'options.slurm.memPerWorker'): number | undefined {
  if (value === 'auto') return undefined;
  return parseMemorySize(value, option, '"auto" or ');
}

/** A memory size ("8GB", "12000MB") in MB, by {@link parseMemory}'s rules but without "auto". */
export function parseMemorySize(value: unknown, option: string, alternatives = ''): number {
  const match = typeof value === 'string' ? /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(MB|GB)\s*$/.exec(value) : null;
  const megabytes = match === null ? NaN : match[2] === 'GB' ? Math.round(Number(match[1]) * 1000) : Math.trunc(Number(match[1]));
  if (!(megabytes >= 1)) {
    throw new SlurmOptionError(option, `${option} must be ${alternatives}a memory size such as "8GB" or "12000MB" (GB = 1000 MB), got ${describeValue(value)}`);
  }
  return megabytes;
}

/**
 * Seconds of a SLURM duration ("minutes", "minutes:seconds", "hours:minutes:seconds",
 * "days-hours", "days-hours:minutes", "days-hours:minutes:seconds"); Infinity for
 * "UNLIMITED"/"INFINITE"; undefined when the text is none of these.
 */
export function parseSlurmDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^(UNLIMITED|INFINITE)$/i.test(trimmed)) return Infinity;
  const match = /^(?:(\d+)-)?(\d+)(?::(\d+))?(?::(\d+))?$/.exec(trimmed);
  if (match === null) return undefined;
  const [, days, first, second, third] = match;
  const n = (part: string | undefined): number => (part === undefined ? 0 : Number(part));
  if (days !== undefined) {
    // days-hours[:minutes[:seconds]]
    return n(days) * 86400 + n(first) * 3600 + n(second) * 60 + n(third);
  }
  if (third !== undefined) return n(first) * 3600 + n(second) * 60 + n(third); // h:m:s
  if (second !== undefined) return n(first) * 60 + n(second); // m:s
  return n(first) * 60; // minutes
}

/**
 * A time limit in whole minutes (SLURM counts minutes; seconds round up), or Infinity for
 * "UNLIMITED". Accepts a positive integer of minutes or a SLURM duration string. Zero is
 * rejected: sbatch reads `--time=0` as "no limit", which is better said explicitly.
 */
export function parseTimeLimit(value: unknown, option = 'options.slurm.timeLimit'): number {
  const fail = (): never => {
    throw new SlurmOptionError(
      option,
      `${option} must be a positive whole number of minutes, "UNLIMITED", or a SLURM duration such as "90", "1:30:00" or "2-00:00:00", got ${describeValue(value)}`,
    );
  };
  if (typeof value === 'number') {
    if (value === Infinity) return Infinity;
    if (!Number.isSafeInteger(value) || value < 1) return fail();
    return value;
  }
  if (typeof value !== 'string') return fail();
  const seconds = parseSlurmDuration(value);
  if (seconds === undefined) return fail();
  if (seconds === Infinity) return Infinity;
  const minutes = Math.ceil(seconds / 60);
  if (!(minutes >= 1) || !Number.isSafeInteger(minutes)) return fail();
  return minutes;
}

/** The `--time` value for a limit from {@link parseTimeLimit}. */
export function formatTimeLimit(minutes: number): string {
  return minutes === Infinity ? 'UNLIMITED' : String(minutes);
}

/** A job name: 1–200 characters of letters, digits and `._+-=@:,`. */
export function validateJobName(value: unknown, option = 'options.slurm.jobName'): string {
  if (typeof value !== 'string' || !JOB_NAME.test(value)) {
    throw new SlurmOptionError(option, `${option} must be 1 to 200 characters of letters, digits and ._+-=@:, got ${describeValue(value)}`);
  }
  return value;
}

/** A QOS name: 1–100 letters, digits and `._-`. */
export function validateQosName(value: unknown, option = 'options.slurm.qos'): string {
  if (typeof value !== 'string' || !QOS_NAME.test(value)) {
    throw new SlurmOptionError(option, `${option} must be a QOS name (1 to 100 letters, digits and ._-), got ${describeValue(value)}`);
  }
  return value;
}

/** A `--constraint` expression: node feature names joined by SLURM's operators & | [ ] ( ) *N !. */
export function validateConstraint(value: unknown, option = 'options.slurm.constraint'): string {
  if (typeof value !== 'string' || !CONSTRAINT.test(value) || constraintFeatures(value).length === 0) {
    throw new SlurmOptionError(
      option,
      `${option} must be node features joined by SLURM's operators (& and, | or, [a|b] matching or, *N count, ! not), such as "avx512&ib", got ${describeValue(value)}`,
    );
  }
  return value;
}

/** The feature names a constraint expression mentions: "[rack1|rack2]&knl*2" → rack1, rack2, knl. */
export function constraintFeatures(expression: string): string[] {
  return expression
    .split(/[&|[\]()!]+/)
    .map((term) => term.replace(/\*\d+$/, ''))
    .filter((name) => name !== '');
}

/** A positive integer (CPUs per task, array throttle, …). */
export function validatePositiveInteger(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new SlurmOptionError(option, `${option} must be a positive integer, got ${describeValue(value)}`);
  }
  return value;
}

/** Names of environment variables to pass with `--export`. */
export function validateExportNames(value: unknown, option = 'options.slurm.export'): string[] {
  if (!Array.isArray(value)) {
    throw new SlurmOptionError(option, `${option} must be "NONE" or an array of environment variable names, got ${describeValue(value)}`);
  }
  value.forEach((name, index) => {
    if (typeof name !== 'string' || !ENVIRONMENT_NAME.test(name)) {
      throw new SlurmOptionError(
        `${option}[${index}]`,
        `${option}[${index}] must be an environment variable name (letters, digits, _; not starting with a digit), got ${describeValue(name)}`,
      );
    }
  });
  return value as string[];
}

/**
 * The options one argument sets, as sbatch parses it: `--mem=4G` → `--mem`; a short bundle
 * gives each letter up to the first that takes an argument: `-vo/x` → `-v`, `-o`; `-c4` → `-c`.
 */
function optionNames(item: string): string[] {
  if (item.startsWith('--')) return [item.split('=', 1)[0] as string];
  const names: string[] = [];
  for (const letter of item.slice(1)) {
    names.push(`-${letter}`);
    if (!SHORT_FLAGS.has(letter)) break; // the rest is this option's argument
  }
  return names;
}

/** The reserved option `given` is, exactly or as a long option's abbreviation (sbatch accepts those). */
function reservedMatch(given: string, reserved: readonly string[]): string | undefined {
  if (reserved.includes(given)) return given;
  if (!given.startsWith('--') || given.length <= 3) return undefined;
  return reserved.find((r) => r.startsWith(given));
}

/**
 * Extra sbatch options (ACME's `job_extra`): an array of single arguments, each starting with
 * "-" and written with "=" (`--account=proj`, not `["--account", "proj"]`), without
 * blanks or shell metacharacters, and none of the options in `reserved`. A refusal says why:
 * the acme-ts setting to use instead, or what the option would break.
 */
export function validateExtraOptions(value: unknown, option = 'options.slurm.extra', reserved: readonly string[] = RESERVED_SBATCH_OPTIONS): string[] {
  if (!Array.isArray(value)) {
    throw new SlurmOptionError(option, `${option} must be an array of sbatch options such as ["--account=proj"], got ${describeValue(value)}`);
  }
  value.forEach((item, index) => {
    const name = `${option}[${index}]`;
    if (typeof item !== 'string' || !/^-[^-]|^--[^-]/.test(item) || UNSAFE_CHARACTERS.test(item)) {
      throw new SlurmOptionError(
        name,
        `${name} must be one sbatch option starting with "-" (value joined with "=") without blanks, newlines or shell metacharacters, got ${describeValue(item)}`,
      );
    }
    const names = optionNames(item);
    for (const given of names) {
      const clash = reservedMatch(given, reserved);
      if (clash === undefined) continue;
      const onlyIf = REFUSED_ONLY_IF[clash];
      if (onlyIf !== undefined && !onlyIf(item.slice(item.indexOf('=') + 1))) continue;
      const setting = SET_FROM_SETTING[clash];
      const why = setting !== undefined ? `acme-ts sets it from ${setting}: use that instead` : (BREAKS_CLIENT[clash] ?? 'acme-ts sets it itself');
      const where = names.length > 1 ? ` (bundled in ${item})` : '';
      throw new SlurmOptionError(name, `${name} must not set ${clash}${where}: ${why}, got ${describeValue(item)}`);
    }
  });
  return value as string[];
}
