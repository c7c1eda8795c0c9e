import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveSlurmOptions } from './backend-options';
import { SlurmOptionError } from './errors';
import type { PartitionInfo } from './slurm-commands';

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
    configFile: undefined,
  });
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
  expect(resolveSlurmOptions({ timeLimit: '1:30:00', setupTimeout: 2.5, pollInterval: 0.1, jobName: 'my.job', sbatchOptions: ['--qos=short'] })).toMatchObject({
    timeLimitMinutes: 90,
    setupTimeoutMs: 2500,
    pollIntervalMs: 200,
    jobName: 'my.job',
    sbatchOptions: ['--qos=short'],
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
    expect(rejection({ partition: 'gpu', configFile }).message).toBe(`options.slurm.partition must be one of "debug", "long", got "gpu" (set in ${configFile})`);
    // An explicit value that differs from the file's is the caller's, not the file's.
    expect(rejection({ memPerWorker: '4 GB!', configFile }).message).not.toContain(configFile);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
