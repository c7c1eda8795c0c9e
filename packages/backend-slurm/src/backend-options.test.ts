import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveSlurmOptions } from './backend-options';
import { SlurmOptionError } from './errors';
import type { NodeInfo, PartitionInfo } from './slurm-commands';

const PARTITIONS: PartitionInfo[] = [
  { name: 'debug', isDefault: true, state: 'UP', totalCpus: 16 },
  { name: 'long', isDefault: false, state: 'UP', totalCpus: 16 },
];

function rejection(raw: Record<string, unknown>): SlurmOptionError {
  try {
    resolveSlurmOptions(raw, PARTITIONS);
  } catch (error) {
    expect(error).toBeInstanceOf(SlurmOptionError);
    return error as SlurmOptionError;
  }
  throw new Error('expected a SlurmOptionError');
}

test('defaults', () => {
  expect(resolveSlurmOptions({}, PARTITIONS)).toEqual({
    partition: undefined,
    nWorkers: undefined,
    memory: { kind: 'default' },
    cpusPerWorker: 1,
    timeLimitMinutes: undefined,
    setupTimeoutMs: 60_000,
    sbatchOptions: [],
    jobName: undefined,
    callsPerTask: undefined,
    pollIntervalMs: 5000,
    gpusPerWorker: undefined,
    constraint: undefined,
    qos: undefined,
    retries: {},
    configFile: undefined,
    concurrency: 1,
    isolation: 'thread',
  });
  // core's options.concurrency, for the worker threads inside each task
  expect(resolveSlurmOptions({ concurrency: 8 }, PARTITIONS).concurrency).toBe(8);
});

test('memPerWorker: sizes, "auto" and factors of the previous submission', () => {
  expect(resolveSlurmOptions({ memPerWorker: '4GB' }).memory).toEqual({ kind: 'fixed', mb: 4000 });
  expect(resolveSlurmOptions({ memPerWorker: '500MB' }).memory).toEqual({ kind: 'fixed', mb: 500 });
  expect(resolveSlurmOptions({ memPerWorker: 'auto' }).memory).toEqual({ kind: 'auto' });
  expect(resolveSlurmOptions({ memPerWorker: '2x' }).memory).toEqual({ kind: 'factor', factor: 2 });
  expect(resolveSlurmOptions({ memPerWorker: '1.5x' }).memory).toEqual({ kind: 'factor', factor: 1.5 });
  for (const bad of ['0.5x', '4 GiB', 'x', 4000]) expect(rejection({ memPerWorker: bad }).option).toBe('options.slurm.memPerWorker');
});

test('time limits, seconds, names, extra options', () => {
  expect(
    resolveSlurmOptions({ timeLimit: '1:30:00', setupTimeout: 2.5, pollInterval: 0.1, jobName: 'my.job', sbatchOptions: ['--account=proj'] }),
  ).toMatchObject({
    timeLimitMinutes: 90,
    setupTimeoutMs: 2500,
    pollIntervalMs: 200,
    jobName: 'my.job',
    sbatchOptions: ['--account=proj'],
  });
  expect(rejection({ setupTimeout: -1 }).message).toBe('options.slurm.setupTimeout must be a positive number of seconds, got -1');
  expect(rejection({ sbatchOptions: ['--array=1-3'] }).message).toMatch(/^options\.slurm\.sbatchOptions\[0\] must not set --array/);
  expect(rejection({ cpusPerWorker: 1.5 }).option).toBe('options.slurm.cpusPerWorker');
});

test('unknown keys and partitions; a value from the config file names the file', () => {
  expect(rejection({ partiton: 'debug' }).message).toMatch(/^options\.slurm\.partiton must be one of the SLURM settings partition, nWorkers/);
  expect(rejection({ partition: 'gpu' }).message).toBe('options.slurm.partition must be one of "debug", "long", got "gpu"');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slurm-options-'));
  const configFile = path.join(dir, 'acme-ts.config.json');
  fs.writeFileSync(configFile, JSON.stringify({ backend: 'slurm', slurm: { partition: 'gpu', memPerWorker: '4GB' } }));
  try {
    expect(rejection({ partition: 'gpu', configFile }).message).toBe(
      `options.slurm.partition must be one of "debug", "long", got "gpu" (set in ${configFile})`,
    );
    // An explicit value that differs from the file's is the caller's, not the file's.
    expect(rejection({ memPerWorker: '4 GB!', configFile }).message).not.toContain(configFile);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('GPUs, constraints and QOS against what the cluster tells', () => {
  const NODES: NodeInfo[] = [
    { name: 'cpu1', partitions: ['debug'], features: ['avx2'], gpus: 0 },
    { name: 'gpu1', partitions: ['long'], features: ['avx2', 'a100'], gpus: 4 },
  ];
  const refused = (raw: Record<string, unknown>, cluster: Parameters<typeof resolveSlurmOptions>[2]): string => {
    try {
      resolveSlurmOptions(raw, PARTITIONS, cluster);
    } catch (error) {
      expect(error).toMatchObject({ code: 'ERR_ACME_OPTION' });
      return (error as Error).message;
    }
    throw new Error('expected a refusal');
  };

  it("accepts what the partition's nodes offer", () => {
    expect(
      resolveSlurmOptions({ partition: 'long', gpusPerWorker: 4, constraint: 'a100&avx2', qos: 'normal' }, PARTITIONS, { nodes: NODES, qos: ['normal'] }),
    ).toMatchObject({
      gpusPerWorker: 4,
      constraint: 'a100&avx2',
      qos: 'normal',
    });
  });

  it('refuses GPUs where no node has them, or more than a node has', () => {
    expect(refused({ gpusPerWorker: 1 }, { nodes: NODES })).toBe(
      'options.slurm.gpusPerWorker must be left unset: no node of partition "debug" has GPUs in its Gres, got 1',
    );
    expect(refused({ partition: 'long', gpusPerWorker: 8 }, { nodes: NODES })).toBe(
      'options.slurm.gpusPerWorker must be at most 4, the most GPUs a node of partition "long" has in its Gres, got 8',
    );
    expect(refused({ gpusPerWorker: 0 }, {})).toBe('options.slurm.gpusPerWorker must be a positive integer, got 0');
  });

  it('refuses a constraint naming a feature no node of the partition has', () => {
    expect(refused({ constraint: 'a100' }, { nodes: NODES })).toBe(
      'options.slurm.constraint must name features of the nodes of partition "debug" (its nodes have "avx2"; no node has "a100"), got "a100"',
    );
    expect(refused({ constraint: 'fast' }, { nodes: [{ name: 'n', partitions: ['debug'], features: [], gpus: 0 }] })).toBe(
      'options.slurm.constraint must name features of the nodes of partition "debug" (its nodes have no features; no node has "fast"), got "fast"',
    );
  });

  it('refuses a QOS accounting does not know, or the partition does not allow', () => {
    expect(refused({ qos: 'bogus' }, { qos: ['normal', 'high'] })).toBe(
      'options.slurm.qos must be one of the QOS sacctmgr lists: "normal", "high", got "bogus"',
    );
    const partitions: PartitionInfo[] = [{ name: 'debug', isDefault: true, state: 'UP', allowQos: ['short'], denyQos: [] }];
    expect(() => resolveSlurmOptions({ qos: 'long' }, partitions)).toThrow(
      'options.slurm.qos must be one of the QOS partition "debug" allows (AllowQos): "short", got "long"',
    );
    // Without accounting (the cluster cannot tell), any well-formed name passes.
    expect(resolveSlurmOptions({ qos: 'anything' }, PARTITIONS, {}).qos).toBe('anything');
  });
});

describe('retries', () => {
  it('defaults: factor 2, 3 retries; caps in MB and minutes', () => {
    expect(
      resolveSlurmOptions(
        { timeLimit: 10, retries: { outOfMemory: { maxMemory: '64GB' }, timeLimit: { timeFactor: 1.5, maxTime: '2:00:00', attempts: 1 } } },
        PARTITIONS,
      ).retries,
    ).toEqual({
      outOfMemory: { factor: 2, cap: 64000, attempts: 3 },
      timeLimit: { factor: 1.5, cap: 120, attempts: 1 },
    });
  });

  it.each([
    [{ retries: 3 }, /^options\.slurm\.retries must be an object such as \{ outOfMemory: \{ memoryFactor: 2, maxMemory: "64GB" \} \}, got 3$/],
    [{ retries: { oom: {} } }, /^options\.slurm\.retries\.oom must be one of outOfMemory, timeLimit, got an object$/],
    [{ retries: { outOfMemory: true } }, /^options\.slurm\.retries\.outOfMemory must be an object such as \{ memoryFactor: 2, maxMemory: … \}, got true$/],
    [
      { retries: { outOfMemory: { maxMemory: '8GB', memoryFactor: 1 } } },
      /^options\.slurm\.retries\.outOfMemory\.memoryFactor must be a number greater than 1, got 1$/,
    ],
    [
      { retries: { outOfMemory: {} } },
      /^options\.slurm\.retries\.outOfMemory\.maxMemory must be a memory size such as "8GB" or "12000MB" \(GB = 1000 MB\), got undefined$/,
    ],
    [{ retries: { outOfMemory: { maxMemory: '8GB', attempts: 0 } } }, /^options\.slurm\.retries\.outOfMemory\.attempts must be a positive integer, got 0$/],
    [
      { retries: { outOfMemory: { maxMemory: '8GB', max: 1 } } },
      /^options\.slurm\.retries\.outOfMemory\.max must be one of memoryFactor, maxMemory, attempts, got 1$/,
    ],
    [{ timeLimit: 10, retries: { timeLimit: { maxTime: 'soon' } } }, /^options\.slurm\.retries\.timeLimit\.maxTime must be a positive whole number of minutes/],
    [
      { retries: { timeLimit: { maxTime: 60 } } },
      /^options\.slurm\.retries\.timeLimit must be set together with options\.slurm\.timeLimit \(partition "debug" has no DefaultTime: there is no time limit to multiply\), got an object$/,
    ],
  ])('%j is refused', (raw, message) => {
    expect(rejection(raw).message).toMatch(message);
  });

  it('a partition DefaultTime is a time limit to multiply', () => {
    const partitions: PartitionInfo[] = [{ name: 'debug', isDefault: true, state: 'UP', defaultTimeMinutes: 30 }];
    expect(resolveSlurmOptions({ retries: { timeLimit: { maxTime: 120 } } }, partitions).retries.timeLimit).toEqual({ factor: 2, cap: 120, attempts: 3 });
  });
});
