/**
 * The SLURM backend's user-facing options, as core hands them over: the config file's "slurm"
 * section, overridden by `options.slurm`, plus `nWorkers` and `configFile`. Everything is checked
 * before anything is submitted; a rejected value that came from the config file says so.
 */
import { readFileSync } from 'node:fs';
import { SlurmOptionError, describeValue } from './errors';
import { checkConstraint, checkGpus, checkQos, targetPartition, type ClusterResources } from './cluster-resources';
import type { SlurmSettings } from '@acme-ts/core';
import { parseRetries, type RetryPolicy } from './retry-policy';
import {
  parseMemory,
  parseTimeLimit,
  validateConstraint,
  validateExtraOptions,
  validateJobName,
  validatePartition,
  validatePositiveInteger,
  validateQosName,
} from './sbatch-options';
import type { PartitionInfo } from './slurm-commands';

/** What a user may write in `options.slurm` or the config file's "slurm" section (core's SlurmSettings). */
export type SlurmBackendOptions = SlurmSettings;

/** The options after validation (memory still symbolic where it depends on the run). */
export interface ResolvedSlurmOptions {
  partition: string | undefined;
  nWorkers: number | undefined;
  memory: { kind: 'default' } | { kind: 'fixed'; mb: number } | { kind: 'auto' } | { kind: 'factor'; factor: number };
  cpusPerWorker: number;
  timeLimitMinutes: number | undefined;
  setupTimeoutMs: number;
  sbatchOptions: string[];
  jobName: string | undefined;
  callsPerTask: number | undefined;
  pollIntervalMs: number;
  gpusPerWorker: number | undefined;
  constraint: string | undefined;
  qos: string | undefined;
  retries: RetryPolicy;
  configFile: string | undefined;
  /** Calls each worker thread of a task runs at once (core's options.concurrency; default 1). */
  concurrency: number;
  /** Workers inside a task: threads or child processes (core's options.isolation). */
  isolation: 'thread' | 'process';
}

const KNOWN_KEYS = [
  'partition',
  'nWorkers',
  'memPerWorker',
  'cpusPerWorker',
  'timeLimit',
  'setupTimeout',
  'sbatchOptions',
  'jobName',
  'callsPerTask',
  'pollInterval',
  'gpusPerWorker',
  'constraint',
  'qos',
  'retries',
  'configFile',
  'concurrency',
  'isolation',
] as const;
/** Keys core adds beside the SLURM settings (not named as settings in messages). */
const CORE_KEYS: readonly string[] = ['configFile', 'concurrency', 'isolation'];

/** Settings checked against the cluster's nodes (`scontrol show node`) when given. */
export const NODE_SETTINGS = ['gpusPerWorker', 'constraint'] as const;

/** Reads the config file's "slurm" section (to tell the user where a bad value came from). */
function configSection(configFile: string | undefined): Record<string, unknown> {
  if (configFile === undefined) return {};
  try {
    const parsed = JSON.parse(readFileSync(configFile, 'utf8')) as { slurm?: Record<string, unknown> };
    return parsed.slurm ?? {};
  } catch {
    return {};
  }
}

/**
 * Validates the options core passes to `createBackend`. `partitions` are the cluster's (checked
 * only when `partition` is set); `cluster` the nodes and QOS it told, to check GPUs,
 * constraints and QOS against (each only when given). Throws {@link SlurmOptionError}.
 */
export function resolveSlurmOptions(
  raw: Record<string, unknown>,
  partitions?: readonly PartitionInfo[],
  cluster: Omit<ClusterResources, 'partitions'> = {},
): ResolvedSlurmOptions {
  const configFile = typeof raw.configFile === 'string' ? raw.configFile : undefined;
  const fromFile = configSection(configFile);
  // A rejection names the config file when the value is the one the file holds.
  const check = <T>(key: string, validate: () => T): T => {
    try {
      return validate();
    } catch (error) {
      if (error instanceof SlurmOptionError && configFile !== undefined && key in fromFile && JSON.stringify(fromFile[key]) === JSON.stringify(raw[key])) {
        throw new SlurmOptionError(error.option, `${error.message} (set in ${configFile})`);
      }
      throw error;
    }
  };

  for (const key of Object.keys(raw)) {
    if (!(KNOWN_KEYS as readonly string[]).includes(key)) {
      check(key, () => {
        throw new SlurmOptionError(
          `options.slurm.${key}`,
          `options.slurm.${key} must be one of the SLURM settings ${KNOWN_KEYS.filter((k) => !CORE_KEYS.includes(k)).join(', ')}, got ${describeValue(raw[key])}`,
        );
      });
    }
  }

  const partition =
    raw.partition === undefined
      ? undefined
      : check('partition', () => validatePartition(raw.partition, partitions?.map((p) => p.name) ?? [raw.partition as string]));
  const positive = (key: string): number | undefined =>
    raw[key] === undefined ? undefined : check(key, () => validatePositiveInteger(raw[key], `options.slurm.${key}`));
  const seconds = (key: string, fallback: number): number => {
    const value = raw[key];
    if (value === undefined) return fallback;
    return check(key, () => {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
        throw new SlurmOptionError(`options.slurm.${key}`, `options.slurm.${key} must be a positive number of seconds, got ${describeValue(value)}`);
      }
      return value;
    });
  };

  let memory: ResolvedSlurmOptions['memory'] = { kind: 'default' };
  if (raw.memPerWorker !== undefined) {
    memory = check('memPerWorker', () => {
      const text = raw.memPerWorker;
      const factor = typeof text === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*x\s*$/.exec(text) : null;
      if (factor !== null && Number(factor[1]) >= 1) return { kind: 'factor', factor: Number(factor[1]) } as const;
      if (text === 'auto') return { kind: 'auto' } as const;
      try {
        return { kind: 'fixed', mb: parseMemory(text) as number } as const;
      } catch (error) {
        throw new SlurmOptionError(
          'options.slurm.memPerWorker',
          `options.slurm.memPerWorker must be "auto", a factor such as "2x" (of the previous submission's memory), or a memory size such as "8GB" or "12000MB" (GB = 1000 MB), got ${describeValue(text)}`,
        );
      }
    });
  }

  const timeLimitMinutes = raw.timeLimit === undefined ? undefined : check('timeLimit', () => parseTimeLimit(raw.timeLimit));
  const sbatchOptions =
    raw.sbatchOptions === undefined ? [] : check('sbatchOptions', () => validateExtraOptions(raw.sbatchOptions, 'options.slurm.sbatchOptions'));
  const jobName = raw.jobName === undefined ? undefined : check('jobName', () => validateJobName(raw.jobName));

  // The partition the tasks go to, for the checks against what its nodes offer.
  const target = partition ?? targetPartition(partitions, undefined)?.name;
  const resources: ClusterResources = { ...cluster, ...(partitions !== undefined ? { partitions } : {}) };
  // Well-formed first, then what the cluster offers (each check where the cluster tells).
  const offered = <T>(
    key: string,
    validate: (value: unknown) => T,
    against: (value: T, partition: string | undefined, cluster: ClusterResources) => void,
  ): T | undefined =>
    raw[key] === undefined
      ? undefined
      : check(key, () => {
          const value = validate(raw[key]);
          against(value, target, resources);
          return value;
        });
  const gpusPerWorker = offered('gpusPerWorker', (value) => validatePositiveInteger(value, 'options.slurm.gpusPerWorker'), checkGpus);
  const constraint = offered('constraint', (value) => validateConstraint(value), checkConstraint);
  const qos = offered('qos', (value) => validateQosName(value), checkQos);
  const retries = raw.retries === undefined ? {} : check('retries', () => parseRetries(raw.retries));
  if (retries.timeLimit !== undefined && timeLimitMinutes === undefined && partitions !== undefined) {
    const info = targetPartition(partitions, partition);
    if (info?.defaultTimeMinutes === undefined) {
      check('retries', () => {
        throw new SlurmOptionError(
          'options.slurm.retries.timeLimit',
          `options.slurm.retries.timeLimit must be set together with options.slurm.timeLimit (${info === undefined ? 'the cluster has no default partition' : `partition ${JSON.stringify(info.name)} has no DefaultTime`}: there is no time limit to multiply), got ${describeValue(raw.retries && (raw.retries as Record<string, unknown>).timeLimit)}`,
        );
      });
    }
  }

  return {
    partition,
    nWorkers: positive('nWorkers'),
    memory,
    cpusPerWorker: positive('cpusPerWorker') ?? 1,
    timeLimitMinutes,
    setupTimeoutMs: seconds('setupTimeout', 60) * 1000,
    sbatchOptions: [...sbatchOptions],
    jobName,
    callsPerTask: positive('callsPerTask'),
    pollIntervalMs: Math.max(200, seconds('pollInterval', 5) * 1000),
    gpusPerWorker,
    constraint,
    qos,
    retries,
    configFile,
    concurrency: positive('concurrency') ?? 1,
    // Checked by core (options.isolation).
    isolation: raw.isolation === 'process' ? 'process' : 'thread',
  };
}
