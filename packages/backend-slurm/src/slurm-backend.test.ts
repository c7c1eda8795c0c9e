/**
 * The SLURM backend's scheduling logic against a fake cluster (no daemons): array splitting,
 * the throttle, failure mapping, adoption by a second client, polling back-off, abort, lost
 * sbatch answers and memPerWorker "auto". Queue time is virtual (FakeClock).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallOutcome, ExecutionJob } from '@acme-ts/core/backend';
import { eachOutcome } from '@acme-ts/core/backend';
import { resolveSlurmOptions } from './backend-options';
import { SlurmCommandError } from './errors';
import type { MemoryProbe } from './memory-probe';
import type { SlurmClient } from './slurm-client';
import { SlurmBackend, createBackend } from './slurm-backend';
import { readSubmissions } from './submission-files';
import { FakeClock } from './__fixtures__/fake-clock';
import { FakeSlurmCluster, type FakeClusterSetup } from './__fixtures__/fake-slurm-cluster';

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'acme-ts-slurm-unit-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

function makeJob(nCalls: number): ExecutionJob {
  return {
    setup: {
      functionRef: { kind: 'module', module: '/nowhere/tasks.js', exportName: 'f', name: 'f' },
      nInputs: nCalls,
      broadcast: { positional: [], keyword: {}, hasKwargs: false },
      splits: [],
      sink: { kind: 'memory' },
    },
    taskIDs: Array.from({ length: nCalls }, (_, i) => i),
    payloadFor: (taskID) => taskID,
    outputDir: work,
  };
}

function makeCluster(setup: FakeClusterSetup = {}): { clock: FakeClock; cluster: FakeSlurmCluster } {
  const clock = new FakeClock();
  return { clock, cluster: new FakeSlurmCluster(clock, setup) };
}

function makeBackend(
  cluster: FakeSlurmCluster,
  options: Record<string, unknown> = {},
  extra: { client?: SlurmClient; probeMemory?: MemoryProbe } = {},
): SlurmBackend {
  return new SlurmBackend(
    resolveSlurmOptions(options, cluster.partitions),
    { partitions: cluster.partitions, config: cluster.config },
    { client: cluster, clock: cluster.clock, ...extra },
  );
}

interface Run {
  outcomes: Map<number, CallOutcome>;
  logs: string[];
  error?: unknown;
}

async function run(backend: SlurmBackend, job: ExecutionJob, signal?: AbortSignal): Promise<Run> {
  const outcomes = new Map<number, CallOutcome>();
  const logs: string[] = [];
  const events = {
    onSettled: eachOutcome((o: CallOutcome) => {
      expect(outcomes.has(o.taskID)).toBe(false); // exactly once per call
      outcomes.set(o.taskID, o);
    }),
    onLog: (_level: string, message: string) => void logs.push(message),
  };
  try {
    await backend.execute(job, events, signal);
    return { outcomes, logs };
  } catch (error) {
    return { outcomes, logs, error };
  }
}

const runJobs = (): { backend: string; jobIds: string[]; updatedAt: string } => JSON.parse(readFileSync(join(work, '.acme-ts', 'jobs.json'), 'utf8'));

const summary = (outcomes: Map<number, CallOutcome>): [number, string | number][] =>
  [...outcomes.values()].sort((a, b) => a.taskID - b.taskID).map((o) => [o.taskID, o.ok ? (o.value as number) : o.reason]);

describe('submission', () => {
  it('spreads the calls over one wave of tasks, throttled to the partition CPUs; every value arrives', async () => {
    const { cluster } = makeCluster();
    const { outcomes, error } = await run(makeBackend(cluster), makeJob(10));
    expect(error).toBeUndefined();
    expect(summary(outcomes)).toEqual(Array.from({ length: 10 }, (_, i) => [i, i * 10]));
    expect(cluster.arrays).toHaveLength(1);
    expect(cluster.arrays[0]!.argv).toContain('--array=0-3%4');
    expect(cluster.arrays[0]!.tasks.map((t) => t.taskIDs)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    expect(cluster.liveTasks()).toEqual([]);
  });

  it("logs each array's job id at info level and lists them in .acme-ts/jobs.json", async () => {
    const { cluster } = makeCluster({ config: { maxArraySize: 2 } });
    const { logs, error } = await run(makeBackend(cluster, { callsPerTask: 1, memPerWorker: '300MB' }), makeJob(3));
    expect(error).toBeUndefined();
    expect(logs).toEqual([
      `submitted SLURM job array 1000: 2 tasks for 2 calls (--mem 300 MB, --time the partition default; logs ${join(work, 'slurm_logs', '1000_<task>.out|.err')})`,
      expect.stringMatching(/^submitted SLURM job array 1001: 1 tasks for 1 calls/),
    ]);
    expect(runJobs()).toMatchObject({ backend: 'slurm', jobIds: ['1000', '1001'] });
  });

  it('splits more chunks than MaxArraySize into several arrays, each task running its own chunk', async () => {
    const { cluster } = makeCluster({ config: { maxArraySize: 3 } });
    const { outcomes, error } = await run(makeBackend(cluster, { callsPerTask: 2 }), makeJob(9));
    expect(error).toBeUndefined();
    expect(summary(outcomes)).toEqual(Array.from({ length: 9 }, (_, i) => [i, i * 10]));
    expect(cluster.arrays.map((a) => a.argv.find((x) => x.startsWith('--array=')))).toEqual(['--array=0-2%4', '--array=0-1%4']);
    expect(cluster.arrays.map((a) => a.tasks.map((t) => t.chunk))).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
    expect(readSubmissions(work)[0]!.arrays.map((a) => [a.firstChunk, a.nChunks])).toEqual([
      [0, 3],
      [3, 2],
    ]);
  });

  it('never runs more tasks at once than nWorkers', async () => {
    const { clock, cluster } = makeCluster();
    let most = 0;
    clock.onAdvance(
      () => (most = Math.max(most, cluster.arrays.flatMap((a) => a.tasks).filter((t) => cluster.stateOf(t.arrayJobId, t.index) === 'RUNNING').length)),
    );
    const { error } = await run(makeBackend(cluster, { nWorkers: 2, callsPerTask: 1 }), makeJob(6));
    expect(error).toBeUndefined();
    expect(most).toBe(2);
  });
});

describe('how a task ended decides the failure reason', () => {
  const TAIL = 'slurmstepd: error: Detected 1 oom_kill event\nslurmstepd: error: StepId=7.batch exceeded memory limit (400 > 50), being killed';
  it.each([
    ['OUT_OF_MEMORY', { state: 'OUT_OF_MEMORY', afterCalls: 1 }, 'out-of-memory', 'worker-exit'],
    ['FAILED by signal 9 with "exceeded memory limit" in stderr', { state: 'FAILED', afterCalls: 1, signal: 9, stderr: TAIL }, 'out-of-memory', 'worker-exit'],
    ['TIMEOUT', { state: 'TIMEOUT', afterCalls: 1 }, 'timeout', 'worker-exit'],
    ['NODE_FAIL', { state: 'NODE_FAIL', afterCalls: 1 }, 'node-fail', 'worker-exit'],
    ['CANCELLED while running', { state: 'CANCELLED', afterCalls: 1, signal: 15 }, 'cancelled', 'cancelled'],
    ['FAILED with exit status 1', { state: 'FAILED', afterCalls: 1, exitCode: 1, reason: 'NonZeroExitCode' }, 'error', 'worker-exit'],
    ['FAILED by another signal', { state: 'FAILED', afterCalls: 1, signal: 11 }, 'error', 'worker-exit'],
    ['COMPLETED without reporting', { state: 'COMPLETED', afterCalls: 1 }, 'worker-exit', 'worker-exit'],
  ])('%s: the running call fails so, with the log path; the unreached one as %s', async (_label, end, runningReason, restReason) => {
    const { cluster } = makeCluster({ script: () => ({ end }) });
    const { outcomes, error } = await run(makeBackend(cluster, { callsPerTask: 3 }), makeJob(3));
    expect(error).toBeUndefined();
    expect(summary(outcomes)).toEqual([
      [0, 0],
      [1, runningReason],
      [2, restReason],
    ]);
    const running = outcomes.get(1) as Extract<CallOutcome, { ok: false }>;
    const jobId = cluster.arrays[0]!.jobId;
    expect(running.logPath).toBe(join(work, 'slurm_logs', `${jobId}_0.err`));
    expect(running.error.message).toContain(`call 1 was running in SLURM task ${jobId}_0`);
    if ('stderr' in end) expect(running.error.message).toContain('exceeded memory limit (400 > 50)');
    expect((outcomes.get(2) as Extract<CallOutcome, { ok: false }>).error.message).toMatch(/^call 2 did not run: SLURM task \d+_0 ended before reaching it/);
  });

  it('a task cancelled while pending (it vanishes from squeue) fails all its calls "cancelled"', async () => {
    const { clock, cluster } = makeCluster({ script: () => ({ pendingMs: 60_000 }) });
    clock.at(5000, () => void cluster.cancel(cluster.arrays[0]!.jobId));
    const { outcomes, error } = await run(makeBackend(cluster, { callsPerTask: 2 }), makeJob(2));
    expect(error).toBeUndefined();
    expect(summary(outcomes)).toEqual([
      [0, 'cancelled'],
      [1, 'cancelled'],
    ]);
    expect((outcomes.get(0) as Extract<CallOutcome, { ok: false }>).error.message).toMatch(/did not run: .*CANCELLED while pending/);
  });

  it('calls that throw are failures of their own; the task goes on', async () => {
    const { cluster } = makeCluster({ script: () => ({ throwing: [1] }) });
    const { outcomes } = await run(makeBackend(cluster, { callsPerTask: 3 }), makeJob(3));
    expect(summary(outcomes)).toEqual([
      [0, 0],
      [1, 'error'],
      [2, 20],
    ]);
  });
});

describe('pending arrays', () => {
  it("warns once with squeue's reason after setupTimeout, then keeps waiting", async () => {
    const { cluster } = makeCluster({ script: () => ({ pendingMs: 20_000, pendingReason: 'Resources' }) });
    const { outcomes, logs } = await run(makeBackend(cluster, { setupTimeout: 5 }), makeJob(2));
    expect(summary(outcomes)).toEqual([
      [0, 0],
      [1, 10],
    ]);
    expect(logs.filter((l) => !l.startsWith('submitted'))).toEqual([
      expect.stringMatching(/^no task of SLURM array \d+ has started after 5 s; squeue says it is pending because of: Resources\./),
    ]);
  });

  it('cancels an array that can never start and fails its calls "cancelled"', async () => {
    const { cluster } = makeCluster({ script: () => ({ neverStarts: true, pendingReason: 'PartitionConfig' }) });
    const { outcomes } = await run(makeBackend(cluster, { setupTimeout: 5 }), makeJob(2));
    expect(summary(outcomes)).toEqual([
      [0, 'cancelled'],
      [1, 'cancelled'],
    ]);
    expect((outcomes.get(0) as Extract<CallOutcome, { ok: false }>).error.message).toMatch(
      /can never start \(squeue reason: PartitionConfig\); it was cancelled/,
    );
    expect(cluster.liveTasks()).toEqual([]);
  });

  it('asks squeue at 0.2 s, then ×1.5 up to pollInterval; progress brings the pause back down', async () => {
    const { cluster } = makeCluster({ script: () => ({ pendingMs: 6000, callMs: 4000 }) });
    await run(makeBackend(cluster, { pollInterval: 1, callsPerTask: 3 }), makeJob(3));
    const times = cluster.queries.map((q) => q.at);
    const pauses = times.slice(1).map((t, i) => t - times[i]!);
    expect(times[0]).toBe(200);
    expect(pauses.slice(0, 5)).toEqual([300, 450, 675, 1000, 1000]);
    expect(Math.max(...pauses)).toBe(1000);
    // The first call reports 4 s after the start: the next pauses start again from 0.3 s.
    const firstReport = 6000 + 4000;
    const after = pauses.filter((_, i) => times[i]! >= firstReport);
    expect(after[0]).toBeLessThanOrEqual(300);
  });
});

describe('a second client on the same run folder', () => {
  it("reports what the first one's tasks left and adopts the arrays still running, submitting nothing", async () => {
    const { clock, cluster } = makeCluster({ script: () => ({ callMs: 1000 }) });
    // The first client submits, then hangs on its first squeue for ever (as if it died).
    const dying: SlurmClient = {
      listPartitions: () => cluster.listPartitions(),
      listNodes: () => cluster.listNodes(),
      listQos: () => cluster.listQos(),
      readClusterConfig: () => cluster.readClusterConfig(),
      submitArray: (request) => cluster.submitArray(request),
      queryArray: () => new Promise(() => undefined),
      cancel: (jobId) => cluster.cancel(jobId),
      findArrays: (name, script) => cluster.findArrays(name, script),
    };
    void run(makeBackend(cluster, { callsPerTask: 2 }, { client: dying }), makeJob(8));
    while (cluster.arrays.length === 0) await new Promise((r) => setImmediate(r));
    clock.advance(1500); // each task has reported its first call
    const second = await run(makeBackend(cluster, { callsPerTask: 2 }), makeJob(8));
    expect(second.error).toBeUndefined();
    expect(summary(second.outcomes)).toEqual(Array.from({ length: 8 }, (_, i) => [i, i * 10]));
    expect(cluster.arrays).toHaveLength(1);
    expect(readSubmissions(work)).toHaveLength(1);
    // The adopted array is the second client's: jobs.json and the log say so.
    expect(runJobs().jobIds).toEqual(['1000']);
    expect(second.logs).toEqual([
      expect.stringMatching(/^SLURM job array 1000 \(submission .*\) still has calls of this run queued or running: waiting for it/),
    ]);
  });

  it('submits again only the calls whose array has ended without them', async () => {
    const { cluster } = makeCluster({ script: (t) => (t.arrayJobId === '1000' ? { end: { state: 'TIMEOUT', afterCalls: 1 } } : {}) });
    const first = await run(makeBackend(cluster, { callsPerTask: 2 }), makeJob(4));
    expect(summary(first.outcomes)).toEqual([
      [0, 0],
      [1, 'timeout'],
      [2, 20],
      [3, 'timeout'],
    ]);
    const second = await run(makeBackend(cluster, { callsPerTask: 2 }), { ...makeJob(4), taskIDs: [1, 3] });
    expect(summary(second.outcomes)).toEqual([
      [1, 10],
      [3, 30],
    ]);
    expect(cluster.arrays[1]!.tasks.map((t) => t.taskIDs)).toEqual([[1, 3]]);
  });
});

describe('abort', () => {
  it('cancels the arrays, keeps what was reported and reports the rest "aborted"', async () => {
    const { clock, cluster } = makeCluster({ script: () => ({ callMs: 1000 }) });
    const controller = new AbortController();
    clock.at(1500, () => controller.abort(new Error('stop now')));
    const { outcomes, error } = await run(makeBackend(cluster, { callsPerTask: 2 }), makeJob(4), controller.signal);
    expect((error as Error).message).toBe('stop now');
    expect(summary(outcomes)).toEqual([
      [0, 0],
      [1, 'aborted'],
      [2, 20],
      [3, 'aborted'],
    ]);
    expect(cluster.liveTasks()).toEqual([]);
  });
});

describe('memPerWorker "auto"', () => {
  it("measures one call within ACME's 30 s bound and asks for its peak + 30 % + 100 MB", async () => {
    const { cluster } = makeCluster();
    const probeMemory = jest.fn<Promise<number>, Parameters<MemoryProbe>>(async () => 200 * 1024);
    await run(makeBackend(cluster, { memPerWorker: 'auto' }, { probeMemory }), makeJob(2));
    expect(probeMemory.mock.calls[0]![0]).toMatchObject({ taskID: 0, limitMs: 30_000 });
    expect(cluster.arrays[0]!.argv).toContain('--mem=360M');
  });

  it('an abort while measuring submits nothing', async () => {
    const { cluster } = makeCluster();
    const controller = new AbortController();
    // A probe that ends only when aborted (the real one kills its child then).
    const probeMemory: MemoryProbe = ({ signal }) =>
      new Promise((_, reject) => {
        signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
        setTimeout(() => controller.abort(new Error('stopped while measuring')), 10);
      });
    const { outcomes, error } = await run(makeBackend(cluster, { memPerWorker: 'auto' }, { probeMemory }), makeJob(2), controller.signal);
    expect((error as Error).message).toBe('stopped while measuring');
    expect(summary(outcomes)).toEqual([
      [0, 'aborted'],
      [1, 'aborted'],
    ]);
    expect(cluster.arrays).toEqual([]);
  });

  it('an abort that the measurement does not notice still submits nothing', async () => {
    const { cluster } = makeCluster();
    const controller = new AbortController();
    const probeMemory: MemoryProbe = async () => {
      controller.abort(new Error('aborted meanwhile'));
      return 1024;
    };
    const { error } = await run(makeBackend(cluster, { memPerWorker: 'auto' }, { probeMemory }), makeJob(2), controller.signal);
    expect((error as Error).message).toBe('aborted meanwhile');
    expect(cluster.arrays).toEqual([]);
  });
});

describe('memPerWorker "2x"', () => {
  it("doubles the memory of the run's previous submission", async () => {
    const { cluster } = makeCluster({ script: (t) => (t.arrayJobId === '1000' ? { end: { state: 'OUT_OF_MEMORY', afterCalls: 0 } } : {}) });
    await run(makeBackend(cluster, { memPerWorker: '300MB' }), makeJob(2));
    const again = await run(makeBackend(cluster, { memPerWorker: '2x' }), makeJob(2));
    expect(summary(again.outcomes)).toEqual([
      [0, 0],
      [1, 10],
    ]);
    expect(cluster.arrays.map((a) => a.argv.find((x) => x.startsWith('--mem=')))).toEqual(['--mem=300M', '--mem=600M']);
  });

  it('without anything to multiply, fails before submitting with a typed code', async () => {
    const { cluster } = makeCluster({ partitions: [{ name: 'debug', isDefault: true, state: 'UP', totalCpus: 2 }] });
    const { error } = await run(makeBackend(cluster, { memPerWorker: '2x' }), makeJob(2));
    expect(error).toMatchObject({
      code: 'ERR_SLURM_MEMORY_BASE',
      message:
        'options.slurm.memPerWorker must be a memory size such as "4GB" when neither an earlier submission of this run nor the cluster (DefMemPerCPU) tells the memory to multiply, got "2x"',
    });
    expect(cluster.arrays).toEqual([]);
  });
});

describe('an sbatch answer without a job id', () => {
  it.each(['unreadable', 'timeout'] as const)('(%s): the array is found by name and script and cancelled; the error says so', async (lose) => {
    const { cluster } = makeCluster({ script: () => ({ pendingMs: 1000 }) });
    cluster.loseNextAnswer = lose;
    const { error } = await run(makeBackend(cluster, { jobName: 'lost_one' }), makeJob(3));
    expect(error).toMatchObject({
      code: 'ERR_SLURM_UNTRACKED_ARRAY',
      message: expect.stringMatching(
        /^sbatch did not tell the id of the job array it may have submitted \(.*\); it was found by its job name "lost_one" and script and cancelled \(job 1000\), so nothing runs untracked$/,
      ),
    });
    expect(cluster.cancels).toEqual(['1000']);
    expect(cluster.liveTasks()).toEqual([]);
  });

  it('only the lost array of several is cancelled by the lookup; close() ends the one still tracked', async () => {
    const { cluster } = makeCluster({ config: { maxArraySize: 2 }, script: () => ({ pendingMs: 60_000 }) });
    const backend = makeBackend(cluster, { callsPerTask: 1 });
    const submit = cluster.submitArray.bind(cluster);
    cluster.submitArray = async (request) => {
      if (cluster.arrays.length === 1) cluster.loseNextAnswer = 'unreadable';
      return submit(request);
    };
    const { error } = await run(backend, makeJob(4));
    expect(error).toMatchObject({ code: 'ERR_SLURM_UNTRACKED_ARRAY', message: expect.stringContaining('cancelled (job 1001)') });
    expect(cluster.cancels).toEqual(['1001']);
    await backend.close();
    expect(cluster.liveTasks()).toEqual([]);
  });

  it('a plain sbatch rejection passes on unchanged, with nothing looked up', async () => {
    const { cluster } = makeCluster({ config: { maxArraySize: 2 } });
    const backend = new SlurmBackend(
      resolveSlurmOptions({ callsPerTask: 1 }),
      { partitions: cluster.partitions, config: { maxArraySize: 10, raw: {} } },
      { client: cluster, clock: cluster.clock },
    );
    const { error } = await run(backend, makeJob(4));
    expect(error).toMatchObject({ code: 'ERR_SLURM_COMMAND', message: expect.stringContaining('Invalid job array specification') });
    expect(cluster.cancels).toEqual([]);
  });
});

describe('createBackend', () => {
  it('reads the cluster through the client and validates the options against it', async () => {
    const { cluster } = makeCluster();
    await expect(createBackend({ partition: 'gpu' }, { client: cluster })).rejects.toMatchObject({
      code: 'ERR_ACME_OPTION',
      option: 'options.slurm.partition',
      message: 'options.slurm.partition must be one of "debug", got "gpu"',
    });
    expect((await createBackend({}, { client: cluster, clock: cluster.clock })).concurrency).toBe(4);
  });
});

describe('GPUs, constraints and QOS', () => {
  const nodes = [{ name: 'g1', partitions: ['debug'], features: ['a100', 'ib'], gpus: 2 }];

  it('are checked against the cluster by createBackend and passed to sbatch as --gres, --constraint, --qos', async () => {
    const { cluster } = makeCluster({ nodes, qos: ['normal'] });
    const backend = await createBackend({ gpusPerWorker: 2, constraint: 'a100&ib', qos: 'normal' }, { client: cluster, clock: cluster.clock });
    const { error } = await run(backend, makeJob(2));
    expect(error).toBeUndefined();
    expect(cluster.arrays[0]!.argv).toEqual(expect.arrayContaining(['--gres=gpu:2', '--constraint=a100&ib', '--qos=normal']));
    expect(cluster.lookups).toEqual(['listNodes', 'listQos']);
  });

  it.each([
    [{ gpusPerWorker: 4 }, 'options.slurm.gpusPerWorker must be at most 2, the most GPUs a node of partition "debug" has in its Gres, got 4'],
    [
      { constraint: 'avx512' },
      'options.slurm.constraint must name features of the nodes of partition "debug" (its nodes have "a100", "ib"; no node has "avx512"), got "avx512"',
    ],
    [{ qos: 'high' }, 'options.slurm.qos must be one of the QOS sacctmgr lists: "normal", got "high"'],
  ])('%j is refused before anything is submitted', async (options, message) => {
    const { cluster } = makeCluster({ nodes, qos: ['normal'] });
    await expect(createBackend(options, { client: cluster })).rejects.toMatchObject({ code: 'ERR_ACME_OPTION', message });
    expect(cluster.arrays).toEqual([]);
  });

  it('the nodes and QOS are not asked for when no setting needs them', async () => {
    const { cluster } = makeCluster();
    await createBackend({ memPerWorker: '1GB' }, { client: cluster });
    expect(cluster.lookups).toEqual([]);
  });
});

describe('retries with more memory or time (options.slurm.retries)', () => {
  /** Tasks with less than `mb` MB end OUT_OF_MEMORY after reporting `afterCalls` calls. */
  const oomBelow =
    (mb: number, afterCalls = 0) =>
    (task: { memMb: number | undefined }) =>
      (task.memMb ?? 0) < mb ? { end: { state: 'OUT_OF_MEMORY', afterCalls } } : {};
  const failure = (o: CallOutcome | undefined) => o as Extract<CallOutcome, { ok: false }>;

  it('a task out of memory: its unreported calls run again with memPerWorker × memoryFactor, each call reported once', async () => {
    const { cluster } = makeCluster({ script: oomBelow(2000, 1) });
    const retries = { outOfMemory: { memoryFactor: 2, maxMemory: '8GB' } };
    const { outcomes, logs, error } = await run(makeBackend(cluster, { memPerWorker: '1000MB', callsPerTask: 3, retries }), makeJob(6));
    expect(error).toBeUndefined();
    expect(summary(outcomes)).toEqual(Array.from({ length: 6 }, (_, i) => [i, i * 10]));
    expect(cluster.arrays.map((a) => a.argv.find((x) => x.startsWith('--mem=')))).toEqual(['--mem=1000M', '--mem=2000M']);
    // Call 0 and 3 were reported by the first tasks; 1, 2 (task 0) and 4, 5 (task 1) went again.
    expect(cluster.arrays[1]!.tasks.flatMap((t) => t.taskIDs)).toEqual([1, 2, 4, 5]);
    const retryLogs = logs.filter((l) => l.includes('retried'));
    expect(retryLogs).toEqual([
      'SLURM task 1000_0 ran out of memory (--mem 1000 MB) while running call 1: calls 1-2 retried with --mem 2000 MB as SLURM job array 1001 (retry 1 of 3)',
      'SLURM task 1000_1 ran out of memory (--mem 1000 MB) while running call 4: calls 4-5 retried with --mem 2000 MB as SLURM job array 1001 (retry 1 of 3)',
    ]);
    expect(runJobs().jobIds).toEqual(['1000', '1001']);
  });

  it('the cluster default memory (DefMemPerCPU) is what is multiplied when memPerWorker is unset', async () => {
    const { cluster } = makeCluster({ script: oomBelow(1500) });
    const { outcomes } = await run(makeBackend(cluster, { retries: { outOfMemory: { maxMemory: '4GB' } } }), makeJob(1));
    expect(summary(outcomes)).toEqual([[0, 0]]);
    expect(cluster.arrays.map((a) => a.argv.find((x) => x.startsWith('--mem=')))).toEqual([undefined, '--mem=2000M']);
  });

  it('at the cap the call fails "out-of-memory", and the message names the cap', async () => {
    const { cluster } = makeCluster({ script: oomBelow(1e9) });
    const retries = { outOfMemory: { memoryFactor: 2, maxMemory: '1500MB' } };
    const { outcomes, error } = await run(makeBackend(cluster, { memPerWorker: '1000MB', retries }), makeJob(1));
    expect(error).toBeUndefined();
    expect(summary(outcomes)).toEqual([[0, 'out-of-memory']]);
    expect(cluster.arrays.map((a) => a.argv.find((x) => x.startsWith('--mem=')))).toEqual(['--mem=1000M', '--mem=1500M']);
    expect(failure(outcomes.get(0)).error.message).toMatch(
      /SLURM task OUT_OF_MEMORY: exceeded its memory limit \(--mem\); call 0 was running in SLURM task 1001_0 .*\nnot retried: it already had options\.slurm\.retries\.outOfMemory\.maxMemory \(1500 MB\)$/s,
    );
  });

  it('after `attempts` retries the call fails, saying so', async () => {
    const { cluster } = makeCluster({ script: oomBelow(1e9) });
    const retries = { outOfMemory: { maxMemory: '64GB', attempts: 1 } };
    const { outcomes } = await run(makeBackend(cluster, { memPerWorker: '1000MB', retries }), makeJob(1));
    expect(summary(outcomes)).toEqual([[0, 'out-of-memory']]);
    expect(cluster.arrays).toHaveLength(2);
    expect(failure(outcomes.get(0)).error.message).toMatch(/\nnot retried: options\.slurm\.retries\.outOfMemory\.attempts \(1\) retries were used$/);
  });

  it('a task at its time limit: again with timeLimit × timeFactor (memory unchanged)', async () => {
    const { cluster } = makeCluster({ script: (t) => ((t.timeLimitMinutes ?? 0) < 20 ? { end: { state: 'TIMEOUT', afterCalls: 0 } } : {}) });
    const retries = { timeLimit: { timeFactor: 2, maxTime: '1:00:00' } };
    const { outcomes, logs } = await run(makeBackend(cluster, { timeLimit: 10, memPerWorker: '500MB', callsPerTask: 2, retries }), makeJob(2));
    expect(summary(outcomes)).toEqual([
      [0, 0],
      [1, 10],
    ]);
    expect(cluster.arrays.map((a) => a.argv.filter((x) => /^--(time|mem)=/.test(x)))).toEqual([
      ['--mem=500M', '--time=10'],
      ['--mem=500M', '--time=20'],
    ]);
    expect(logs).toContain(
      'SLURM task 1000_0 reached its time limit (--time 10 min) while running call 0: calls 0-1 retried with --time 20 min as SLURM job array 1001 (retry 1 of 3)',
    );
  });

  it("failures that are not SLURM's limits are not retried: a call that throws, a task out of memory without outOfMemory retries", async () => {
    const { cluster } = makeCluster({ script: (t) => (t.chunk === 0 ? { throwing: [0] } : { end: { state: 'OUT_OF_MEMORY', afterCalls: 0 } }) });
    const { outcomes } = await run(makeBackend(cluster, { callsPerTask: 1, timeLimit: 5, retries: { timeLimit: { maxTime: 60 } } }), makeJob(2));
    expect(summary(outcomes)).toEqual([
      [0, 'error'],
      [1, 'out-of-memory'],
    ]);
    expect(cluster.arrays).toHaveLength(1);
  });

  it("a retry sbatch refuses fails its calls as they ended, with sbatch's answer", async () => {
    const { cluster } = makeCluster({ script: oomBelow(1e9) });
    const submit = cluster.submitArray.bind(cluster);
    cluster.submitArray = async (request) => {
      if ((request.memMb ?? 0) > 1000) {
        throw new SlurmCommandError('ERR_SLURM_COMMAND', 'sbatch exited with status 1: sbatch: error: Memory specification can not be satisfied', {
          argv: ['sbatch'],
        });
      }
      return submit(request);
    };
    const { outcomes, error } = await run(makeBackend(cluster, { memPerWorker: '1000MB', retries: { outOfMemory: { maxMemory: '8GB' } } }), makeJob(1));
    expect(error).toBeUndefined();
    expect(summary(outcomes)).toEqual([[0, 'out-of-memory']]);
    expect(failure(outcomes.get(0)).error.message).toMatch(
      /\nits retry with --mem 2000 MB, --time the partition default was refused: .*Memory specification can not be satisfied$/,
    );
  });

  it('an abort while a retry runs reports the retried calls "aborted" and cancels it', async () => {
    const { clock, cluster } = makeCluster({
      script: (t) => ((t.memMb ?? 0) < 2000 ? { end: { state: 'OUT_OF_MEMORY', afterCalls: 0 } } : { callMs: 60_000 }),
    });
    const controller = new AbortController();
    clock.at(5000, () => controller.abort(new Error('stop now')));
    const { outcomes, error } = await run(
      makeBackend(cluster, { memPerWorker: '1000MB', retries: { outOfMemory: { maxMemory: '8GB' } } }),
      makeJob(2),
      controller.signal,
    );
    expect((error as Error).message).toBe('stop now');
    expect(summary(outcomes)).toEqual([
      [0, 'aborted'],
      [1, 'aborted'],
    ]);
    expect(cluster.arrays).toHaveLength(2);
    expect(cluster.liveTasks()).toEqual([]);
  });
});
