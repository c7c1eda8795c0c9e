// The SLURM command wrappers against the real test cluster (scripts/slurm-start.sh, idempotent):
// submission, states, memory kills, cancels, lookups. If SLURM cannot start, these fail; they are
// never skipped. Their parsing is unit-tested in packages/backend-slurm/src/slurm-commands.test.ts.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  SlurmCommandError,
  SlurmOptionError,
  cancel,
  classifyTaskEnd,
  findArrays,
  isFinalJobState,
  listNodes,
  listPartitions,
  listQos,
  queryArray,
  readClusterConfig,
  runSlurmCommand,
  sacctAvailable,
  submitArray,
  type ArrayTaskStatus,
} from '@acme-ts/backend-slurm';
import { tempDir } from './support/h5';
import { startCluster } from './fixtures/slurm-support';

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

beforeAll(() => {
  startCluster();
  workDir = tempDir('e2e-slurm-commands');
});

afterAll(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
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

  it('lists the node with its partitions, features and GPUs; no QOS list without slurmdbd', async () => {
    const partitions = await listPartitions();
    expect(partitions[0]).toMatchObject({ allowQos: 'ALL' });
    expect(partitions[0]?.defaultTimeMinutes).toBeUndefined(); // DefaultTime=NONE
    const nodes = await listNodes();
    expect(nodes).toHaveLength(1);
    expect(nodes[0]).toMatchObject({ partitions: ['debug', 'long'], features: [], gpus: 0 });
    expect(await listQos()).toBeUndefined();
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
      runSlurmCommand('sbatch', [
        '--quiet',
        '--parsable',
        '--array=0-1',
        '--begin=now+600',
        '-J',
        'acme_ts_lost',
        `--output=${path.join(workDir, '%A_%a.out')}`,
        file,
      ]);
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
