/**
 * Typed wrappers over the SLURM command-line tools (scontrol, sbatch, squeue, scancel, sacct).
 * Programs run with execFile and argv arrays (never a shell), each with a timeout; failures
 * become {@link SlurmCommandError}s that carry the command's stderr.
 *
 * Nothing here needs accounting (slurmdbd): job states come from squeue, which keeps finished
 * jobs for MinJobAge seconds (see {@link readClusterConfig}); sacct is optional.
 */
import { execFile } from 'node:child_process';
import { SlurmCommandError, SlurmOptionError, describeValue } from './errors';
import {
  formatTimeLimit,
  parseSlurmDuration,
  validateExportNames,
  validateExtraOptions,
  validateJobName,
  validateConstraint,
  validatePartition,
  validatePositiveInteger,
  validateQosName,
} from './sbatch-options';

/** Options every command accepts. */
export interface SlurmCommandOptions {
  /** Kill the command after this many milliseconds (default 30 s; sbatch 60 s). */
  timeoutMs?: number;
}

/** For {@link runSlurmCommand} only: the program's whole environment (default: ours). */
export interface RunSlurmCommandOptions extends SlurmCommandOptions {
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const SBATCH_TIMEOUT_MS = 60_000;
const TRANSIENT_STDERR =
  /socket timed out|unable to contact slurm controller|resource temporarily unavailable|zero bytes were transmitted|connection refused|try again later/i;

/** Runs one SLURM program and resolves with its stdout. */
export function runSlurmCommand(program: string, args: readonly string[], options: RunSlurmCommandOptions = {}): Promise<string> {
  const argv = [program, ...args];
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    execFile(
      program,
      args,
      { timeout, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024, encoding: 'utf8', env: options.env ?? process.env },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve(stdout);
          return;
        }
        const err = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: string | number };
        const said = stderr.trim();
        if (err.code === 'ENOENT') {
          reject(new SlurmCommandError('ERR_SLURM_NOT_INSTALLED', `${program} not found: is SLURM installed and on PATH?`, { argv, cause: error }));
        } else if (err.killed === true && err.signal === 'SIGKILL') {
          reject(
            new SlurmCommandError('ERR_SLURM_TIMEOUT', `${argv.join(' ')} did not finish within ${timeout} ms`, {
              argv,
              stderr: said,
              transient: true,
              cause: error,
            }),
          );
        } else {
          const exitStatus = typeof err.code === 'number' ? err.code : null;
          const how = exitStatus !== null ? `exited with status ${exitStatus}` : `was killed by ${err.signal ?? 'a signal'}`;
          reject(
            new SlurmCommandError('ERR_SLURM_COMMAND', `${argv.join(' ')} ${how}${said ? `: ${said}` : ''}`, {
              argv,
              exitStatus,
              stderr: said,
              transient: TRANSIENT_STDERR.test(said),
              cause: error,
            }),
          );
        }
      },
    );
  });
}

// --- partitions and configuration ---------------------------------------------------------------

export interface PartitionInfo {
  name: string;
  isDefault: boolean;
  /** UP, DOWN, DRAIN or INACTIVE. */
  state: string;
  /** MaxTime as SLURM prints it ("UNLIMITED", "1-00:00:00", …). */
  maxTime?: string;
  /** MaxTime in minutes; Infinity when unlimited. */
  maxTimeMinutes?: number;
  /** The partition's own DefMemPerCPU; the cluster-wide one is in {@link ClusterConfig}. */
  defMemPerCpuMb?: number;
  maxMemPerCpuMb?: number;
  totalCpus?: number;
  nodes?: string;
  /** DefaultTime in minutes (absent when NONE); Infinity when unlimited. */
  defaultTimeMinutes?: number;
  /** AllowQos: the QOS a job may use here, or "ALL". */
  allowQos?: string[] | 'ALL';
  /** DenyQos: QOS refused here. */
  denyQos?: string[];
}

/** Splits one line of `scontrol -o show …` into its Key=Value pairs. */
export function parseScontrolRecord(line: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const token of line.trim().split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq > 0 && !fields.has(token.slice(0, eq))) fields.set(token.slice(0, eq), token.slice(eq + 1));
  }
  return fields;
}

function optionalInteger(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/** The partitions this user may see, from `scontrol -o show partition`. */
export async function listPartitions(options: SlurmCommandOptions = {}): Promise<PartitionInfo[]> {
  const stdout = await runSlurmCommand('scontrol', ['-o', 'show', 'partition'], options);
  const partitions: PartitionInfo[] = [];
  for (const line of stdout.split('\n')) {
    const fields = parseScontrolRecord(line);
    const name = fields.get('PartitionName');
    if (name === undefined) continue; // blank line, or "No partitions in the system"
    const partition: PartitionInfo = { name, isDefault: fields.get('Default') === 'YES', state: fields.get('State') ?? 'UNKNOWN' };
    const maxTime = fields.get('MaxTime');
    if (maxTime !== undefined) {
      partition.maxTime = maxTime;
      const minutes = durationMinutes(maxTime);
      if (minutes !== undefined) partition.maxTimeMinutes = minutes;
    }
    const defMem = optionalInteger(fields.get('DefMemPerCPU'));
    if (defMem !== undefined) partition.defMemPerCpuMb = defMem;
    const maxMem = optionalInteger(fields.get('MaxMemPerCPU'));
    if (maxMem !== undefined) partition.maxMemPerCpuMb = maxMem;
    const cpus = optionalInteger(fields.get('TotalCPUs'));
    if (cpus !== undefined) partition.totalCpus = cpus;
    const nodes = fields.get('Nodes');
    if (nodes !== undefined) partition.nodes = nodes;
    const defaultTime = durationMinutes(fields.get('DefaultTime') ?? 'NONE');
    if (defaultTime !== undefined) partition.defaultTimeMinutes = defaultTime;
    const allowQos = fields.get('AllowQos');
    if (allowQos !== undefined) partition.allowQos = allowQos === 'ALL' ? 'ALL' : nameList(allowQos);
    const denyQos = fields.get('DenyQos');
    if (denyQos !== undefined) partition.denyQos = nameList(denyQos);
    partitions.push(partition);
  }
  return partitions;
}

/** Minutes of a SLURM duration (seconds round up), Infinity for UNLIMITED, undefined for NONE or unreadable text. */
function durationMinutes(text: string): number | undefined {
  const seconds = parseSlurmDuration(text);
  return seconds === undefined || seconds === Infinity ? seconds : Math.ceil(seconds / 60);
}

/** "a,b" → ["a", "b"]; "(null)" and blanks → []. */
function nameList(text: string): string[] {
  return text === '(null)' ? [] : text.split(',').filter((name) => name !== '');
}

/** What a node offers that options can ask for: features (`--constraint`) and GPUs (`--gres`). */
export interface NodeInfo {
  name: string;
  /** The partitions the node is in. */
  partitions: string[];
  /** AvailableFeatures. */
  features: string[];
  /** GPUs in its Gres (0 without). */
  gpus: number;
}

/**
 * GPUs a node's Gres holds: the counts of its "gpu" entries ("gpu:2", "gpu:a100:4(S:0-1)",
 * a bare "gpu" is one); other generic resources do not count.
 */
export function countGpus(gres: string): number {
  let gpus = 0;
  for (const entry of gres.replace(/\([^)]*\)/g, '').split(',')) {
    const parts = entry.trim().split(':');
    if (parts[0] !== 'gpu') continue;
    const last = parts.at(-1) as string;
    gpus += parts.length > 1 && /^\d+$/.test(last) ? Number(last) : 1;
  }
  return gpus;
}

/** The nodes this user may see, from `scontrol -o show node`. */
export async function listNodes(options: SlurmCommandOptions = {}): Promise<NodeInfo[]> {
  const stdout = await runSlurmCommand('scontrol', ['-o', 'show', 'node'], options);
  const nodes: NodeInfo[] = [];
  for (const line of stdout.split('\n')) {
    const fields = parseScontrolRecord(line);
    const name = fields.get('NodeName');
    if (name === undefined) continue; // blank line, or "No nodes in the system"
    nodes.push({
      name,
      partitions: nameList(fields.get('Partitions') ?? '(null)'),
      features: nameList(fields.get('AvailableFeatures') ?? '(null)'),
      gpus: countGpus(fields.get('Gres') ?? '(null)'),
    });
  }
  return nodes;
}

/**
 * The QOS names accounting knows (`sacctmgr show qos`), or undefined when the cluster cannot
 * tell: no slurmdbd (`accounting_storage/none`), sacctmgr missing or not answering.
 */
export async function listQos(options: SlurmCommandOptions = {}): Promise<string[] | undefined> {
  try {
    const stdout = await runSlurmCommand('sacctmgr', ['-n', '-P', 'show', 'qos', 'format=Name'], { timeoutMs: options.timeoutMs ?? 10_000 });
    const names = stdout
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '');
    return names.length > 0 ? names : undefined;
  } catch (error) {
    if (error instanceof SlurmCommandError) return undefined;
    throw error;
  }
}

export interface ClusterConfig {
  clusterName?: string;
  slurmVersion?: string;
  /** Array indices must be below this (MaxArraySize; SLURM's default is 1001). */
  maxArraySize: number;
  /** Seconds a finished job stays visible to squeue. */
  minJobAge?: number;
  maxJobCount?: number;
  /** Cluster-wide DefMemPerCPU in MB, when set. */
  defMemPerCpuMb?: number;
  /** "accounting_storage/none" means sacct cannot work. */
  accountingStorageType?: string;
  jobCompType?: string;
  jobCompLoc?: string;
  /** Every "Key = Value" line of `scontrol show config`, first occurrence wins. */
  raw: Record<string, string>;
}

/** Reads the controller's configuration (`scontrol show config`). */
export async function readClusterConfig(options: SlurmCommandOptions = {}): Promise<ClusterConfig> {
  const argv = ['show', 'config'];
  const stdout = await runSlurmCommand('scontrol', argv, options);
  const raw: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const match = /^(\S+)\s+= ?(.*)$/.exec(line);
    if (match !== null && !((match[1] as string) in raw)) raw[match[1] as string] = (match[2] as string).trim();
  }
  const maxArraySize = optionalInteger(raw['MaxArraySize']);
  if (maxArraySize === undefined) {
    throw new SlurmCommandError('ERR_SLURM_OUTPUT', `scontrol show config printed no MaxArraySize (got ${Object.keys(raw).length} settings)`, {
      argv: ['scontrol', ...argv],
    });
  }
  const config: ClusterConfig = { maxArraySize, raw };
  const set = <K extends keyof ClusterConfig>(key: K, value: ClusterConfig[K] | undefined): void => {
    if (value !== undefined) config[key] = value;
  };
  set('clusterName', raw['ClusterName']);
  set('slurmVersion', raw['SLURM_VERSION']);
  set('minJobAge', optionalInteger(raw['MinJobAge']?.replace(/\s*sec$/, '')));
  set('maxJobCount', optionalInteger(raw['MaxJobCount']));
  set('defMemPerCpuMb', optionalInteger(raw['DefMemPerCPU']));
  set('accountingStorageType', raw['AccountingStorageType']);
  set('jobCompType', raw['JobCompType']);
  set('jobCompLoc', raw['JobCompLoc']);
  return config;
}

// --- submission ---------------------------------------------------------------------------------

/** Which array indices to run: a range, or explicit indices (e.g. to re-run some). */
export type ArraySpec = { first: number; last: number; throttle?: number } | { indices: readonly number[]; throttle?: number };

export interface SubmitArrayRequest {
  /** Path of the batch script to run (we write it; sbatch reads its #SBATCH lines too). */
  script: string;
  array: ArraySpec;
  partition?: string;
  /** Partition names to validate `partition` against; when absent they are asked for. */
  knownPartitions?: readonly string[];
  jobName?: string;
  /** `--mem` in MB (per task). */
  memMb?: number;
  cpusPerTask?: number;
  /** Whole minutes, or Infinity for UNLIMITED. */
  timeLimitMinutes?: number;
  /** `--gres=gpu:N` (GPUs of the task's node; an array task is one task on one node). */
  gpus?: number;
  /** `--constraint`: node features, with SLURM's operators (`&`, `|`, `[…]`, `*N`). */
  constraint?: string;
  /** `--qos`. */
  qos?: string;
  /** `--output`, e.g. `<dir>/%A_%a.out`. Its folder must exist: otherwise the task fails without a trace. */
  outputPattern: string;
  /** `--error`; without it stderr goes to the output file. */
  errorPattern?: string;
  /** `--chdir` of the tasks (default: the submitting process's working directory). */
  workingDir?: string;
  /**
   * The tasks' environment, chosen deliberately:
   * - an array of names: the tasks get exactly these variables of this process's environment
   *   (PATH always), plus `environment` and SLURM's own SLURM_* variables. sbatch then runs
   *   in that reduced environment with `--export=ALL`, which is the fast way: SLURM's own
   *   `--export=<names>` and `--export=NONE` load the user's login environment for every task
   *   (a login shell per task: ≈ 4× slower starts, measured on the test cluster).
   * - "NONE": `--export=NONE`, the user's login environment, as SLURM defines it.
   */
  export: 'NONE' | readonly string[];
  /** Variables to set in the tasks (with an array `export` only). */
  environment?: Readonly<Record<string, string>>;
  /** More sbatch options, validated by {@link validateExtraOptions}. */
  extra?: readonly string[];
}

/** "0,3,5-9": compact text of sorted unique non-negative integers. */
export function formatIndexRanges(indices: readonly number[]): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j += 1;
    parts.push(j > i ? `${sorted[i]}-${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function validatePath(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.length === 0 || /[\n\r\0]/.test(value)) {
    throw new SlurmOptionError(option, `${option} must be a non-empty path without newlines, got ${describeValue(value)}`);
  }
  return value;
}

function validateIndex(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new SlurmOptionError(option, `${option} must be a non-negative integer, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * The sbatch argv (without "sbatch") for a request, validated; partition names are checked
 * only when `knownPartitions` is given.
 */
export function buildSbatchArgs(request: SubmitArrayRequest): string[] {
  const o = 'submitArray options';
  const args = ['--parsable'];
  const array = request.array as Partial<{ first: unknown; last: unknown; indices: unknown; throttle: unknown }> | undefined;
  if (array === undefined || array === null || typeof array !== 'object') {
    throw new SlurmOptionError(`${o}.array`, `${o}.array must be {first, last} or {indices}, got ${describeValue(array)}`);
  }
  let spec: string;
  if (array.indices !== undefined) {
    if (!Array.isArray(array.indices) || array.indices.length === 0) {
      throw new SlurmOptionError(`${o}.array.indices`, `${o}.array.indices must be a non-empty array of indices, got ${describeValue(array.indices)}`);
    }
    array.indices.forEach((index, i) => validateIndex(index, `${o}.array.indices[${i}]`));
    spec = formatIndexRanges(array.indices as number[]);
  } else {
    const first = validateIndex(array.first, `${o}.array.first`);
    const last = validateIndex(array.last, `${o}.array.last`);
    if (last < first) throw new SlurmOptionError(`${o}.array.last`, `${o}.array.last must be at least array.first (${first}), got ${last}`);
    spec = first === last ? `${first}` : `${first}-${last}`;
  }
  if (array.throttle !== undefined) spec += `%${validatePositiveInteger(array.throttle, `${o}.array.throttle`)}`;
  args.push(`--array=${spec}`);
  args.push(`--output=${validatePath(request.outputPattern, `${o}.outputPattern`)}`);
  if (request.errorPattern !== undefined) args.push(`--error=${validatePath(request.errorPattern, `${o}.errorPattern`)}`);
  if (request.workingDir !== undefined) args.push(`--chdir=${validatePath(request.workingDir, `${o}.workingDir`)}`);
  if (request.partition !== undefined) {
    const partition =
      request.knownPartitions !== undefined
        ? validatePartition(request.partition, request.knownPartitions, `${o}.partition`)
        : validateJobName(request.partition, `${o}.partition`); // same safe character set
    args.push(`--partition=${partition}`);
  }
  if (request.jobName !== undefined) args.push(`--job-name=${validateJobName(request.jobName, `${o}.jobName`)}`);
  if (request.memMb !== undefined) args.push(`--mem=${validatePositiveInteger(request.memMb, `${o}.memMb`)}M`);
  if (request.cpusPerTask !== undefined) args.push(`--cpus-per-task=${validatePositiveInteger(request.cpusPerTask, `${o}.cpusPerTask`)}`);
  if (request.timeLimitMinutes !== undefined) {
    const minutes = request.timeLimitMinutes === Infinity ? Infinity : validatePositiveInteger(request.timeLimitMinutes, `${o}.timeLimitMinutes`);
    args.push(`--time=${formatTimeLimit(minutes)}`);
  }
  if (request.gpus !== undefined) args.push(`--gres=gpu:${validatePositiveInteger(request.gpus, `${o}.gpus`)}`);
  if (request.constraint !== undefined) args.push(`--constraint=${validateConstraint(request.constraint, `${o}.constraint`)}`);
  if (request.qos !== undefined) args.push(`--qos=${validateQosName(request.qos, `${o}.qos`)}`);
  if (request.export === 'NONE') {
    if (request.environment !== undefined) {
      throw new SlurmOptionError(`${o}.environment`, `${o}.environment must be undefined when export is "NONE", got ${describeValue(request.environment)}`);
    }
    args.push('--export=NONE');
  } else {
    validateExportNames(request.export, `${o}.export`);
    if (request.environment !== undefined) validateEnvironment(request.environment, `${o}.environment`);
    args.push('--export=ALL'); // of sbatch's reduced environment, see sbatchEnvironment
  }
  if (request.extra !== undefined) args.push(...validateExtraOptions(request.extra, `${o}.extra`));
  args.push(validatePath(request.script, `${o}.script`));
  return args;
}

function validateEnvironment(value: unknown, option: string): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SlurmOptionError(option, `${option} must be an object of variable names to string values, got ${describeValue(value)}`);
  }
  validateExportNames(Object.keys(value), `${option} names`);
  for (const [name, text] of Object.entries(value)) {
    if (typeof text !== 'string' || text.includes('\0')) {
      throw new SlurmOptionError(`${option}.${name}`, `${option}.${name} must be a string without NUL characters, got ${describeValue(text)}`);
    }
  }
  return value as Record<string, string>;
}

/**
 * The environment sbatch runs in (and, with `--export=ALL`, the tasks start with): the named
 * variables of `parent`, PATH (sbatch must be found, tasks need a PATH), SLURM_CONF when set
 * (it tells sbatch which cluster), then `environment`. Undefined for export "NONE".
 */
export function sbatchEnvironment(request: SubmitArrayRequest, parent: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv | undefined {
  if (request.export === 'NONE') return undefined;
  const env: NodeJS.ProcessEnv = {};
  for (const name of ['PATH', 'SLURM_CONF', ...request.export]) {
    const value = parent[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...request.environment };
}

/**
 * Submits a job array with `sbatch --parsable`. Everything is validated before sbatch runs
 * (a partition against the cluster's names), so invalid input submits nothing.
 */
export async function submitArray(request: SubmitArrayRequest, options: SlurmCommandOptions = {}): Promise<{ jobId: string }> {
  let checked = request;
  if (request.partition !== undefined && request.knownPartitions === undefined) {
    const knownPartitions = (await listPartitions(options)).map((p) => p.name);
    checked = { ...request, knownPartitions };
  }
  const args = buildSbatchArgs(checked);
  const env = sbatchEnvironment(checked);
  const stdout = await runSlurmCommand('sbatch', args, { timeoutMs: options.timeoutMs ?? SBATCH_TIMEOUT_MS, ...(env ? { env } : {}) });
  return { jobId: parseSbatchOutput(stdout, args) };
}

/** The job id in what `sbatch --parsable` printed ("<jobid>" or "<jobid>;<cluster>"); `args` for the error. */
export function parseSbatchOutput(stdout: string, args: readonly string[]): string {
  const match = /^(\d+)(?:;\S+)?\s*$/.exec(stdout.trim());
  if (match === null) {
    throw new SlurmCommandError('ERR_SLURM_OUTPUT', `sbatch --parsable printed no job id: ${JSON.stringify(stdout.trim())}`, { argv: ['sbatch', ...args] });
  }
  return match[1] as string;
}

/**
 * Ids of the arrays (any state) named `jobName` that run `script`: how an array is found again
 * when sbatch's answer was lost. Each submission has a script of its own, so the pair is unique.
 */
export async function findArrays(jobName: string, script: string, options: SlurmCommandOptions = {}): Promise<string[]> {
  validateJobName(jobName, 'jobName');
  const stdout = await runSlurmCommand('squeue', ['-h', '-t', 'all', '-n', jobName, '-O', 'ArrayJobID:|,Command:|'], options);
  const ids = new Set<string>();
  for (const line of stdout.split('\n')) {
    const bar = line.indexOf('|');
    if (bar < 0) continue;
    // The command is the last field and may itself hold "|": cut only the final one.
    if (line.slice(bar + 1).replace(/\|\s*$/, '') === script) ids.add(line.slice(0, bar).trim());
  }
  return [...ids];
}

// --- state --------------------------------------------------------------------------------------

/** States after which a job does not run again (squeue's long names). */
export const FINAL_JOB_STATES: ReadonlySet<string> = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'BOOT_FAIL',
  'DEADLINE',
  'PREEMPTED',
  'REVOKED',
]);

export function isFinalJobState(state: string): boolean {
  return FINAL_JOB_STATES.has(state);
}

export interface ArrayTaskStatus {
  /** The task's own job id (pending tasks not yet split off may show the array's id). */
  jobId: string;
  /** PENDING, RUNNING, COMPLETING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, … */
  state: string;
  /** Why it is pending or why it ended: "None", "Resources", "NonZeroExitCode", "JobLaunchFailure", … */
  reason: string;
  /** Exit status of the batch script, null when it ended by a signal. */
  exitCode: number | null;
  /** The signal that ended it (9 for a memory-limit kill, 15 for scancel), else null. */
  signal: number | null;
}

const SQUEUE_FIELDS = 'JobID:|,ArrayJobID:|,ArrayTaskID:|,State:|,Reason:|,exit_code:|';

/** Decodes squeue's exit_code: a raw wait status (exit status × 256 + signal). */
export function decodeWaitStatus(raw: number): { exitCode: number | null; signal: number | null } {
  const signal = raw & 0x7f;
  return signal !== 0 ? { exitCode: null, signal } : { exitCode: (raw >> 8) & 0xff, signal: null };
}

/** Parses squeue lines printed with {@link SQUEUE_FIELDS}; lines of other arrays are skipped. */
export function parseSqueueArrayLines(stdout: string, arrayJobId: string): Map<number, ArrayTaskStatus> {
  const tasks = new Map<number, ArrayTaskStatus>();
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const [jobId, arrayId, taskId, state, reason, exitRaw] = line.split('|').map((s) => s.trim());
    if (arrayId !== arrayJobId || taskId === undefined || !/^\d+$/.test(taskId)) continue;
    const raw = Number(exitRaw);
    tasks.set(Number(taskId), {
      jobId: jobId ?? '',
      state: state ?? 'UNKNOWN',
      reason: reason ?? '',
      ...(Number.isInteger(raw) ? decodeWaitStatus(raw) : { exitCode: null, signal: null }),
    });
  }
  return tasks;
}

function validateJobId(jobId: unknown): string {
  if (typeof jobId !== 'string' || !/^\d+$/.test(jobId)) {
    throw new SlurmOptionError('jobId', `jobId must be a SLURM job id (digits), got ${describeValue(jobId)}`);
  }
  return jobId;
}

/**
 * States of an array's tasks, by task index, with one squeue call (pending tasks included, one
 * line each). Finished tasks stay listed for MinJobAge seconds; an id squeue no longer knows
 * gives an empty map, not an error. A task missing from a non-empty map finished more than
 * MinJobAge ago, or was cancelled while pending (those vanish without a trace).
 */
export async function queryArray(jobId: string, options: SlurmCommandOptions = {}): Promise<Map<number, ArrayTaskStatus>> {
  validateJobId(jobId);
  // Without "-t all", squeue -j hides finished jobs; "-r" prints one line per pending task.
  const args = ['-h', '-r', '-t', 'all', '-j', jobId, '-O', SQUEUE_FIELDS];
  try {
    return parseSqueueArrayLines(await runSlurmCommand('squeue', args, options), jobId);
  } catch (error) {
    if (error instanceof SlurmCommandError && error.code === 'ERR_SLURM_COMMAND' && /invalid job id/i.test(error.stderr)) {
      return new Map();
    }
    throw error;
  }
}

/** Cancels a whole array, or some of its tasks. Ids SLURM no longer knows are not an error. */
export async function cancel(jobId: string, tasks?: readonly number[], options: SlurmCommandOptions = {}): Promise<void> {
  validateJobId(jobId);
  let target = jobId;
  if (tasks !== undefined) {
    if (!Array.isArray(tasks)) throw new SlurmOptionError('tasks', `tasks must be an array of task indices, got ${describeValue(tasks)}`);
    if (tasks.length === 0) return;
    tasks.forEach((task, i) => validateIndex(task, `tasks[${i}]`));
    target = `${jobId}_[${formatIndexRanges(tasks)}]`;
  }
  try {
    await runSlurmCommand('scancel', [target], options);
  } catch (error) {
    if (error instanceof SlurmCommandError && error.code === 'ERR_SLURM_COMMAND' && /invalid job id|already completing or completed/i.test(error.stderr)) {
      return;
    }
    throw error;
  }
}

// --- accounting (optional) ----------------------------------------------------------------------

/** Whether sacct answers on this cluster (it needs slurmdbd; "accounting storage is disabled" otherwise). */
export async function sacctAvailable(options: SlurmCommandOptions = {}): Promise<boolean> {
  try {
    await runSlurmCommand('sacct', ['-n', '-X', '-j', '1', '-o', 'JobID'], { timeoutMs: options.timeoutMs ?? 10_000 });
    return true;
  } catch {
    return false;
  }
}

export interface FinalTaskState {
  state: string;
  exitCode: number | null;
  signal: number | null;
}

/** Parses `sacct -n -P -X -o JobID,State,ExitCode` lines of one array ("12_3|FAILED|1:0"). */
export function parseSacctArrayLines(stdout: string, arrayJobId: string): Map<number, FinalTaskState> {
  const tasks = new Map<number, FinalTaskState>();
  for (const line of stdout.split('\n')) {
    const [id, stateText, exitText] = line.trim().split('|');
    const idMatch = /^(\d+)_(\d+)$/.exec(id ?? '');
    if (idMatch === null || idMatch[1] !== arrayJobId) continue; // also skips pending "12_[4-9]"
    const exitMatch = /^(\d+):(\d+)$/.exec(exitText ?? '');
    const signal = exitMatch !== null ? Number(exitMatch[2]) : 0;
    tasks.set(Number(idMatch[2]), {
      state: (stateText ?? 'UNKNOWN').split(' ')[0] as string, // "CANCELLED by 0"
      exitCode: exitMatch === null || signal !== 0 ? null : Number(exitMatch[1]),
      signal: signal !== 0 ? signal : null,
    });
  }
  return tasks;
}

/** Final states of an array's tasks from accounting (only where {@link sacctAvailable}). */
export async function finalStates(jobId: string, options: SlurmCommandOptions = {}): Promise<Map<number, FinalTaskState>> {
  validateJobId(jobId);
  const stdout = await runSlurmCommand('sacct', ['-n', '-P', '-X', '-j', jobId, '-o', 'JobID,State,ExitCode'], options);
  return parseSacctArrayLines(stdout, jobId);
}

// --- why a task ended ---------------------------------------------------------------------------

/** What ended a task, as far as squeue and the task's stderr tell. */
export type TaskEndKind = 'completed' | 'exit-code' | 'memory' | 'timeout' | 'cancelled' | 'signal' | 'launch-failure' | 'node-failure' | 'other';

/** Lines slurmstepd writes to a task's stderr when OverMemoryKill ends it. */
const MEMORY_KILL_LINE = /exceeded (job )?memory limit/i;

/**
 * Classifies a final task. `stderrText` is (the tail of) the task's stderr file: without
 * task/cgroup, a memory-limit kill shows in squeue only as FAILED with a signal, and only
 * slurmstepd's "exceeded memory limit" line there tells it from other kills.
 */
export function classifyTaskEnd(status: ArrayTaskStatus, stderrText = ''): { kind: TaskEndKind; message: string } {
  const { state, reason, exitCode, signal } = status;
  if (state === 'COMPLETED') return { kind: 'completed', message: 'completed' };
  if (state === 'OUT_OF_MEMORY' || (state === 'FAILED' && MEMORY_KILL_LINE.test(stderrText))) {
    return { kind: 'memory', message: `SLURM task ${state}: exceeded its memory limit (--mem)` };
  }
  if (state === 'TIMEOUT' || state === 'DEADLINE') return { kind: 'timeout', message: `SLURM task ${state}: reached its time limit` };
  if (state === 'CANCELLED') return { kind: 'cancelled', message: 'SLURM task CANCELLED (scancel or administrator)' };
  if (state === 'NODE_FAIL' || state === 'BOOT_FAIL') return { kind: 'node-failure', message: `SLURM task ${state}: its node failed` };
  if (state === 'FAILED' && reason === 'JobLaunchFailure' && signal === null) {
    return { kind: 'launch-failure', message: 'SLURM task FAILED to launch (does the --output folder exist?)' };
  }
  if (state === 'FAILED' && signal !== null) return { kind: 'signal', message: `SLURM task FAILED: killed by signal ${signal}` };
  if (state === 'FAILED' && exitCode !== null) return { kind: 'exit-code', message: `SLURM task FAILED: exit status ${exitCode}` };
  return { kind: 'other', message: `SLURM task ${state} (${reason})` };
}
