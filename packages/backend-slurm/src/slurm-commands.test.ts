/**
 * Tests of the SLURM client against real daemons: beforeAll starts the single-node test
 * cluster with scripts/slurm-start.sh (idempotent). If SLURM cannot start, these tests fail;
 * they are never skipped.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SlurmCommandError, SlurmOptionError } from './errors';
import {
  ArrayTaskStatus,
  buildSbatchArgs,
  sbatchEnvironment,
  cancel,
  classifyTaskEnd,
  decodeWaitStatus,
  findArrays,
  formatIndexRanges,
  isFinalJobState,
  listPartitions,
  parseSacctArrayLines,
  parseSqueueArrayLines,
  queryArray,
  readClusterConfig,
  runSlurmCommand,
  sacctAvailable,
  submitArray,
} from './slurm-commands';

const START_SCRIPT = path.resolve(__dirname, '../../../scripts/slurm-start.sh');

let workDir: string;

function writeScript(name: string, body: string): string {
  const file = path.join(workDir, name);
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

/** Polls until `count` tasks are listed and all are final (or the deadline passes). */
async function waitForFinal(jobId: string, count: number, timeoutMs: number): Promise<Map<number, ArrayTaskStatus>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = await queryArray(jobId);
    if (tasks.size >= count && [...tasks.values()].every((t) => isFinalJobState(t.state))) return tasks;
    if (Date.now() > deadline) {
      throw new Error(`job ${jobId} not done after ${timeoutMs} ms: ${JSON.stringify([...tasks.entries()])}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function waitFor(jobId: string, accept: (tasks: Map<number, ArrayTaskStatus>) => boolean, timeoutMs: number): Promise<Map<number, ArrayTaskStatus>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = await queryArray(jobId);
    if (accept(tasks)) return tasks;
    if (Date.now() > deadline) throw new Error(`job ${jobId}: condition not met after ${timeoutMs} ms: ${JSON.stringify([...tasks.entries()])}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function jobsNamed(name: string): Promise<string> {
  return (await runSlurmCommand('squeue', ['-h', '-t', 'all', '-n', name, '-o', '%i'])).trim();
}

beforeAll(async () => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-ts-slurm-test-'));
  await new Promise<void>((resolve, reject) => {
    execFile('bash', [START_SCRIPT], { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`scripts/slurm-start.sh failed: ${error.message}\n${stdout}\n${stderr}`));
      else resolve();
    });
  });
}, 130_000);

afterAll(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
});

describe('parsers', () => {
  it('decodes squeue exit_code wait statuses', () => {
    expect(decodeWaitStatus(0)).toEqual({ exitCode: 0, signal: null });
    expect(decodeWaitStatus(768)).toEqual({ exitCode: 3, signal: null });
    expect(decodeWaitStatus(9)).toEqual({ exitCode: null, signal: 9 });
  });

  it('reads squeue lines of one array only', () => {
    const tasks = parseSqueueArrayLines('21|21|1|FAILED|NonZeroExitCode|768|\n26|21|0|COMPLETED|None|0|\n30|30|N/A|RUNNING|None|0|\n', '21');
    expect([...tasks.keys()].sort()).toEqual([0, 1]);
    expect(tasks.get(1)).toEqual({ jobId: '21', state: 'FAILED', reason: 'NonZeroExitCode', exitCode: 3, signal: null });
  });

  it('reads sacct lines and skips pending ranges', () => {
    const tasks = parseSacctArrayLines('12_0|COMPLETED|0:0\n12_1|CANCELLED by 0|0:15\n12_[2-5]|PENDING|0:0\n', '12');
    expect(tasks).toEqual(
      new Map([
        [0, { state: 'COMPLETED', exitCode: 0, signal: null }],
        [1, { state: 'CANCELLED', exitCode: null, signal: 15 }],
      ]),
    );
  });

  it('classifies task ends', () => {
    const failed = { jobId: '1', state: 'FAILED', reason: 'JobLaunchFailure', exitCode: null, signal: 9 };
    expect(classifyTaskEnd(failed, 'slurmstepd-vm: error: StepId=22.batch exceeded memory limit (443297792 > 52428800), being killed').kind).toBe('memory');
    expect(classifyTaskEnd(failed, '').kind).toBe('signal');
    expect(classifyTaskEnd({ ...failed, reason: 'NonZeroExitCode', exitCode: 3, signal: null }).message).toBe('SLURM task FAILED: exit status 3');
    expect(classifyTaskEnd({ ...failed, state: 'TIMEOUT' }).kind).toBe('timeout');
    expect(classifyTaskEnd({ ...failed, state: 'CANCELLED' }).kind).toBe('cancelled');
    expect(classifyTaskEnd({ ...failed, state: 'COMPLETED', exitCode: 0, signal: null }).kind).toBe('completed');
  });

  it('formats index ranges', () => {
    expect(formatIndexRanges([7, 0, 1, 2, 5, 6, 2])).toBe('0-2,5-7');
    expect(formatIndexRanges([4])).toBe('4');
  });

  it('builds sbatch argv without a shell and with deliberate --export', () => {
    expect(
      buildSbatchArgs({
        script: '/x/run.sh',
        array: { indices: [3, 1, 2], throttle: 4 },
        partition: 'long',
        knownPartitions: ['debug', 'long'],
        jobName: 'acme_f',
        memMb: 4000,
        cpusPerTask: 2,
        timeLimitMinutes: 90,
        outputPattern: '/x/%A_%a.out',
        export: ['PATH'],
        extra: ['--qos=short'],
      }),
    ).toEqual([
      '--parsable',
      '--array=1-3%4',
      '--output=/x/%A_%a.out',
      '--partition=long',
      '--job-name=acme_f',
      '--mem=4000M',
      '--cpus-per-task=2',
      '--time=90',
      '--export=ALL',
      '--qos=short',
      '/x/run.sh',
    ]);
  });
});

describe('sbatchEnvironment', () => {
  it('keeps only the named variables, PATH and SLURM_CONF, then adds values', () => {
    const parent = { PATH: '/bin', HOME: '/root', SECRET: 's', SLURM_CONF: '/etc/x.conf', SBATCH_PARTITION: 'long' };
    const request = { script: '/x', array: { first: 0, last: 0 }, outputPattern: '/x/%a', export: ['HOME'], environment: { ACME_TS_RUN: '/r' } };
    expect(sbatchEnvironment(request, parent)).toEqual({ PATH: '/bin', HOME: '/root', SLURM_CONF: '/etc/x.conf', ACME_TS_RUN: '/r' });
    expect(sbatchEnvironment({ ...request, export: 'NONE', environment: undefined }, parent)).toBeUndefined();
    expect(() => buildSbatchArgs({ ...request, export: 'NONE' })).toThrow('submitArray options.environment must be undefined when export is "NONE", got an object');
  });
});

describe('runSlurmCommand', () => {
  it('reports a missing program and a timeout with codes', async () => {
    await expect(runSlurmCommand('acme-ts-no-such-program', [])).rejects.toMatchObject({ code: 'ERR_SLURM_NOT_INSTALLED' });
    await expect(runSlurmCommand('sleep', ['5'], { timeoutMs: 200 })).rejects.toMatchObject({ code: 'ERR_SLURM_TIMEOUT', transient: true });
  });
});

describe('against the test cluster', () => {
  it('lists partitions and reads the configuration', async () => {
    const partitions = await listPartitions();
    expect(partitions.map((p) => p.name)).toEqual(['debug', 'long']);
    expect(partitions[0]).toMatchObject({ name: 'debug', isDefault: true, state: 'UP', maxTime: 'UNLIMITED', maxTimeMinutes: Infinity });
    expect(partitions[1]?.isDefault).toBe(false);
    const config = await readClusterConfig();
    expect(config.clusterName).toBe('acmets');
    expect(config.maxArraySize).toBeGreaterThan(100);
    expect(config.minJobAge).toBeGreaterThanOrEqual(30);
    expect(config.defMemPerCpuMb).toBeGreaterThan(0);
    expect(config.accountingStorageType).toBe('accounting_storage/none');
    expect(await sacctAvailable()).toBe(false);
  });

  it('runs a small array whose tasks write files, and reports each task', async () => {
    const script = writeScript(
      'small.sh',
      `echo "task $SLURM_ARRAY_TASK_ID \${ACME_TS_MARK-unset} \${ACME_TS_SECRET-unset}" > "${workDir}/small_$SLURM_ARRAY_TASK_ID.txt"\n[ "$SLURM_ARRAY_TASK_ID" = 3 ] && exit 3\nexit 0`,
    );
    process.env['ACME_TS_SECRET'] = 'not for the tasks';
    const { jobId } = await submitArray({
      script,
      array: { first: 0, last: 4 },
      partition: 'long',
      jobName: 'acme_ts_small',
      memMb: 100,
      outputPattern: path.join(workDir, '%A_%a.out'),
      export: ['HOME'],
      environment: { ACME_TS_MARK: 'marked' },
    });
    delete process.env['ACME_TS_SECRET'];
    expect(jobId).toMatch(/^\d+$/);
    const tasks = await waitForFinal(jobId, 5, 30_000);
    expect([...tasks.keys()].sort()).toEqual([0, 1, 2, 3, 4]);
    for (const [index, task] of tasks) {
      if (index === 3) expect(task).toMatchObject({ state: 'FAILED', reason: 'NonZeroExitCode', exitCode: 3, signal: null });
      else expect(task).toMatchObject({ state: 'COMPLETED', exitCode: 0, signal: null });
      expect(fs.readFileSync(path.join(workDir, `small_${index}.txt`), 'utf8')).toBe(`task ${index} marked unset\n`);
    }
  });

  it('ends a task that exceeds its memory as FAILED, killed, with the reason in its stderr', async () => {
    // 400 MB kept alive for 15 s against a 50 MB limit; memory is sampled every 2 s.
    const script = writeScript('hog.sh', `exec "${process.execPath}" -e "const b = Buffer.alloc(400e6, 1); setTimeout(() => console.log(b.length), 15000)"`);
    const { jobId } = await submitArray({
      script,
      array: { first: 0, last: 0 },
      memMb: 50,
      outputPattern: path.join(workDir, 'hog_%A_%a.out'),
      errorPattern: path.join(workDir, 'hog_%A_%a.err'),
      export: 'NONE',
    });
    const task = (await waitForFinal(jobId, 1, 30_000)).get(0);
    expect(task).toMatchObject({ state: 'FAILED', signal: 9 });
    const stderr = fs.readFileSync(path.join(workDir, `hog_${jobId}_0.err`), 'utf8');
    expect(stderr).toMatch(/exceeded memory limit/);
    expect(classifyTaskEnd(task as ArrayTaskStatus, stderr).kind).toBe('memory');
  }, 40_000);

  it('cancels a running and a pending task; the pending one vanishes', async () => {
    const script = writeScript('sleep.sh', 'sleep 60');
    const { jobId } = await submitArray({
      script,
      array: { first: 0, last: 3, throttle: 1 },
      outputPattern: path.join(workDir, '%A_%a.out'),
      export: 'NONE',
    });
    try {
      const before = await waitFor(jobId, (tasks) => tasks.get(0)?.state === 'RUNNING', 20_000);
      expect(before.get(2)?.state).toBe('PENDING');
      await cancel(jobId, [0, 2]);
      const after = await waitFor(jobId, (tasks) => tasks.get(0)?.state === 'CANCELLED' && !tasks.has(2), 20_000);
      // exit_code stays 0 until the cancelled step has ended (later it shows signal 15).
      expect(['PENDING', 'RUNNING']).toContain(after.get(1)?.state);
      expect(['PENDING', 'RUNNING']).toContain(after.get(3)?.state);
    } finally {
      await cancel(jobId);
    }
    const end = await waitFor(jobId, (tasks) => [...tasks.values()].every((t) => isFinalJobState(t.state)), 20_000);
    expect([...end.values()].every((t) => t.state === 'CANCELLED')).toBe(true);
    await cancel(jobId); // again: no error
  }, 60_000);

  it('finds an array by job name and script when sbatch did not tell its id', async () => {
    const script = writeScript('lost.sh', 'sleep 60');
    const other = writeScript('other.sh', 'sleep 60');
    const submit = (file: string) =>
      runSlurmCommand('sbatch', ['--quiet', '--parsable', '--array=0-1', '--begin=now+600', '-J', 'acme_ts_lost', `--output=${path.join(workDir, '%A_%a.out')}`, file]);
    expect(await submit(script)).toBe(''); // --quiet: no id
    await submit(other);
    const found = await findArrays('acme_ts_lost', script);
    try {
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(/^\d+$/);
      expect(await findArrays('acme_ts_lost', path.join(workDir, 'none.sh'))).toEqual([]);
    } finally {
      await runSlurmCommand('scancel', ['--name=acme_ts_lost']);
    }
  });

  it('maps an id squeue does not know to an empty map', async () => {
    expect(await queryArray('99999999')).toEqual(new Map());
  });

  it('rejects invalid input before submitting anything', async () => {
    const script = writeScript('never.sh', 'true');
    const base = { script, array: { first: 0, last: 1 }, outputPattern: path.join(workDir, '%A_%a.out'), export: 'NONE' as const };
    const badPartition = submitArray({ ...base, jobName: 'acme_ts_never_1', partition: 'gpu' });
    await expect(badPartition).rejects.toBeInstanceOf(SlurmOptionError);
    await expect(badPartition).rejects.toThrow('submitArray options.partition must be one of "debug", "long", got "gpu"');
    await expect(submitArray({ ...base, jobName: 'acme_ts_never_2', extra: ['--comment=x\n#SBATCH --mem=1'] })).rejects.toMatchObject({
      code: 'ERR_ACME_OPTION',
      option: 'submitArray options.extra[0]',
    });
    await expect(submitArray({ ...base, jobName: 'acme_ts_never_3', array: { first: 2, last: 1 } })).rejects.toBeInstanceOf(SlurmOptionError);
    expect(await jobsNamed('acme_ts_never_1,acme_ts_never_2,acme_ts_never_3')).toBe('');
  });

  it('passes sbatch rejections on with their stderr', async () => {
    const script = writeScript('huge.sh', 'true');
    const attempt = submitArray({ script, array: { first: 0, last: 0 }, memMb: 100_000_000, outputPattern: path.join(workDir, '%A_%a.out'), export: 'NONE' });
    await expect(attempt).rejects.toBeInstanceOf(SlurmCommandError);
    await expect(attempt).rejects.toMatchObject({ code: 'ERR_SLURM_COMMAND', exitStatus: 1 });
    await expect(attempt).rejects.toThrow(/sbatch: error: .*(memory|Requested node configuration is not available)/i);
  });

  it('runs a 100-task array of `true` quickly', async () => {
    const script = writeScript('true.sh', 'true');
    const started = Date.now();
    const { jobId } = await submitArray({ script, array: { first: 0, last: 99 }, outputPattern: path.join(workDir, 'true_%A_%a.out'), export: [] });
    const tasks = await waitForFinal(jobId, 100, 50_000);
    const seconds = (Date.now() - started) / 1000;
    console.log(`100-task array of true: ${seconds.toFixed(1)} s from sbatch to all done`);
    expect([...tasks.values()].filter((t) => t.state === 'COMPLETED')).toHaveLength(100);
    expect(seconds).toBeLessThan(40);
  }, 60_000);
});
