/**
 * A SLURM cluster in memory for unit tests: a state machine per array task (PENDING → RUNNING →
 * a final state) driven by a FakeClock, with SLURM's array throttle, MaxArraySize and cancel
 * semantics (a pending task cancelled vanishes from squeue). A running task does what the real
 * array task does towards the client: it appends one line per call to its chunk's status file
 * (values in values/<taskID>.v8), and writes its stderr log; how far it gets and how it ends
 * is the test's script. Requests are validated with the real buildSbatchArgs, and sbatch's
 * answer is read with the real parseSbatchOutput.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SlurmCommandError } from '../errors';
import type { SlurmClient } from '../slurm-client';
import {
  buildSbatchArgs,
  isFinalJobState,
  parseSbatchOutput,
  type ArrayTaskStatus,
  type ClusterConfig,
  type NodeInfo,
  type PartitionInfo,
  type SubmitArrayRequest,
} from '../slurm-commands';
import { CHUNK_OFFSET_ENV, SUBMISSION_DIR_ENV, chunkPath, readV8, statusPath, valuePath, writeV8, type ChunkFile, type StatusLine } from '../submission-files';
import type { FakeClock } from './fake-clock';

/** How one array task behaves. */
export interface FakeTaskPlan {
  /** Virtual ms it waits in the queue before it may start (default 0). */
  pendingMs?: number;
  /** squeue's reason while it pends (default "Priority"). */
  pendingReason?: string;
  /** It pends for ever (with pendingReason). */
  neverStarts?: boolean;
  /** Virtual ms each call takes (default 100). */
  callMs?: number;
  /** taskIDs whose call throws (reported by the task as failed calls). */
  throwing?: number[];
  /** How the task ends once `afterCalls` calls have reported (default: all, COMPLETED). */
  end?: { state: string; afterCalls: number; exitCode?: number | null; signal?: number | null; reason?: string; stderr?: string };
}

export interface FakeTask {
  arrayJobId: string;
  index: number;
  chunk: number;
  taskIDs: number[];
  /** The array's `--mem` and `--time`, as requested (undefined: not given). */
  memMb: number | undefined;
  timeLimitMinutes: number | undefined;
}

interface TaskState extends FakeTask {
  plan: FakeTaskPlan;
  state: string;
  reason: string;
  exitCode: number | null;
  signal: number | null;
  startedAt?: number;
  reported: number;
  /** Cancelled while pending: squeue no longer lists it. */
  vanished: boolean;
  submissionDir: string;
  errPath?: string;
}

interface FakeArray {
  jobId: string;
  request: SubmitArrayRequest;
  argv: string[];
  throttle: number;
  submittedAt: number;
  tasks: TaskState[];
}

export interface FakeClusterSetup {
  partitions?: PartitionInfo[];
  config?: Partial<ClusterConfig>;
  /** `scontrol show node` (default: one node in every partition, no features, no GPUs). */
  nodes?: NodeInfo[];
  /** `sacctmgr show qos` (default: undefined, no accounting, as on the test cluster). */
  qos?: string[];
  /** Each task's plan (default: every call succeeds, 100 ms each). */
  script?: (task: FakeTask) => FakeTaskPlan;
}

export class FakeSlurmCluster implements SlurmClient {
  readonly partitions: PartitionInfo[];
  readonly config: ClusterConfig;
  readonly nodes: NodeInfo[];
  readonly qos: string[] | undefined;
  readonly arrays: FakeArray[] = [];
  /** Programs the backend asked about the cluster ("listNodes", "listQos", …). */
  readonly lookups: string[] = [];
  /** Every squeue of an array: when (virtual ms since the clock's start) and which. */
  readonly queries: { at: number; jobId: string }[] = [];
  readonly cancels: string[] = [];
  /** The next sbatch submits but answers so (its job id is lost). */
  loseNextAnswer: 'unreadable' | 'timeout' | undefined;
  script: (task: FakeTask) => FakeTaskPlan;
  private nextJobId = 1000;

  constructor(
    readonly clock: FakeClock,
    setup: FakeClusterSetup = {},
  ) {
    this.partitions = setup.partitions ?? [{ name: 'debug', isDefault: true, state: 'UP', totalCpus: 4, defMemPerCpuMb: 1000 }];
    this.config = { maxArraySize: 1001, raw: {}, ...setup.config };
    this.nodes = setup.nodes ?? [{ name: 'node1', partitions: this.partitions.map((p) => p.name), features: [], gpus: 0 }];
    this.qos = setup.qos;
    this.script = setup.script ?? (() => ({}));
    clock.onAdvance((now) => this.step(now));
  }

  async listPartitions(): Promise<PartitionInfo[]> {
    return this.partitions;
  }

  async readClusterConfig(): Promise<ClusterConfig> {
    return this.config;
  }

  async listNodes(): Promise<NodeInfo[]> {
    this.lookups.push('listNodes');
    return this.nodes;
  }

  async listQos(): Promise<string[] | undefined> {
    this.lookups.push('listQos');
    return this.qos;
  }

  async submitArray(request: SubmitArrayRequest): Promise<{ jobId: string }> {
    const argv = buildSbatchArgs(request);
    const spec = request.array as { first: number; last: number; throttle?: number };
    if (spec.last >= this.config.maxArraySize) {
      throw new SlurmCommandError('ERR_SLURM_COMMAND', 'sbatch: error: Batch job submission failed: Invalid job array specification', {
        argv: ['sbatch', ...argv],
        exitStatus: 1,
      });
    }
    const jobId = String(this.nextJobId++);
    const submissionDir = request.environment?.[SUBMISSION_DIR_ENV] as string;
    const offset = Number(request.environment?.[CHUNK_OFFSET_ENV] ?? 0);
    const array: FakeArray = { jobId, request, argv, throttle: spec.throttle ?? Infinity, submittedAt: this.clock.now(), tasks: [] };
    for (let index = spec.first; index <= spec.last; index++) {
      const chunk = offset + index;
      const { taskIDs } = readV8<ChunkFile>(chunkPath(submissionDir, chunk));
      const task: FakeTask = { arrayJobId: jobId, index, chunk, taskIDs, memMb: request.memMb, timeLimitMinutes: request.timeLimitMinutes };
      const plan = this.script(task);
      array.tasks.push({
        ...task,
        plan,
        state: 'PENDING',
        reason: plan.pendingReason ?? 'Priority',
        exitCode: 0,
        signal: null,
        reported: 0,
        vanished: false,
        submissionDir,
        ...(request.errorPattern !== undefined ? { errPath: request.errorPattern.replace('%A', jobId).replace('%a', String(index)) } : {}),
      });
    }
    this.arrays.push(array);
    this.step(this.clock.now());
    const lose = this.loseNextAnswer;
    this.loseNextAnswer = undefined;
    if (lose === 'timeout')
      throw new SlurmCommandError('ERR_SLURM_TIMEOUT', `sbatch did not finish within 60000 ms`, { argv: ['sbatch', ...argv], transient: true });
    return { jobId: parseSbatchOutput(lose === 'unreadable' ? 'sbatch: Submitted (quiet)\n' : `${jobId}\n`, argv) };
  }

  async queryArray(jobId: string): Promise<Map<number, ArrayTaskStatus>> {
    this.step(this.clock.now());
    this.queries.push({ at: this.clock.elapsed(), jobId });
    const tasks = new Map<number, ArrayTaskStatus>();
    for (const t of this.array(jobId)?.tasks ?? []) {
      if (!t.vanished)
        tasks.set(t.index, { jobId: `${Number(jobId) + t.index + 1}`, state: t.state, reason: t.reason, exitCode: t.exitCode, signal: t.signal });
    }
    return tasks;
  }

  async cancel(jobId: string): Promise<void> {
    this.cancels.push(jobId);
    for (const t of this.array(jobId)?.tasks ?? []) {
      if (t.state === 'PENDING') {
        t.state = 'CANCELLED';
        t.vanished = true;
      } else if (t.state === 'RUNNING') {
        this.finish(t, { state: 'CANCELLED', exitCode: null, signal: 15, reason: 'None' });
      }
    }
    this.step(this.clock.now());
  }

  async findArrays(jobName: string, script: string): Promise<string[]> {
    return this.arrays.filter((a) => a.request.jobName === jobName && a.request.script === script).map((a) => a.jobId);
  }

  /** Tasks not yet final, over all arrays. */
  liveTasks(): FakeTask[] {
    return this.arrays.flatMap((a) => a.tasks.filter((t) => !t.vanished && !isFinalJobState(t.state)));
  }

  /** A task's current state ("gone" when squeue would not list it). */
  stateOf(jobId: string, index: number): string | undefined {
    const t = this.array(jobId)?.tasks[index];
    return t === undefined ? undefined : t.vanished ? 'gone' : t.state;
  }

  private array(jobId: string): FakeArray | undefined {
    return this.arrays.find((a) => a.jobId === jobId);
  }

  /** Brings every task up to `now`: starts what may start, reports calls that are done, ends tasks. */
  private step(now: number): void {
    for (const array of this.arrays) {
      for (let changed = true; changed;) {
        changed = false;
        let running = array.tasks.filter((t) => t.state === 'RUNNING').length;
        for (const t of array.tasks) {
          if (t.state !== 'PENDING' || t.plan.neverStarts || running >= array.throttle) continue;
          if (now < array.submittedAt + (t.plan.pendingMs ?? 0)) continue;
          t.state = 'RUNNING';
          t.reason = 'None';
          t.startedAt = now;
          running += 1;
        }
        for (const t of array.tasks) {
          if (t.state !== 'RUNNING') continue;
          const limit = Math.min(t.plan.end?.afterCalls ?? t.taskIDs.length, t.taskIDs.length);
          const callMs = t.plan.callMs ?? 100;
          const due = Math.min(limit, callMs === 0 ? limit : Math.floor((now - (t.startedAt as number)) / callMs));
          for (; t.reported < due; t.reported++) this.reportCall(t, t.taskIDs[t.reported] as number);
          if (t.reported === limit) {
            const end = t.plan.end ?? { state: 'COMPLETED', afterCalls: limit };
            this.finish(t, {
              state: end.state,
              exitCode: end.exitCode ?? (end.state === 'COMPLETED' ? 0 : null),
              signal: end.signal ?? null,
              reason: end.reason ?? 'None',
            });
            if (t.plan.end?.stderr !== undefined && t.errPath !== undefined) writeFileSync(t.errPath, t.plan.end.stderr);
            changed = true;
          }
        }
      }
    }
  }

  private finish(t: TaskState, end: { state: string; exitCode: number | null; signal: number | null; reason: string }): void {
    t.state = end.state;
    t.exitCode = end.exitCode;
    t.signal = end.signal;
    t.reason = end.reason;
  }

  /** What array-task.ts does for one settled call (in-memory sink: the value goes to its own file). */
  private reportCall(t: TaskState, taskID: number): void {
    const line: StatusLine = { taskID, ok: true, job: `${t.arrayJobId}_${t.index}`, durationMs: t.plan.callMs ?? 100 };
    if (t.plan.throwing?.includes(taskID)) {
      Object.assign(line, { ok: false, reason: 'error', error: { name: 'RangeError', message: `call ${taskID} threw` } });
    } else {
      mkdirSync(dirname(valuePath(t.submissionDir, taskID)), { recursive: true });
      writeV8(valuePath(t.submissionDir, taskID), taskID * 10);
      line.valueFile = true;
    }
    appendFileSync(statusPath(t.submissionDir, t.chunk), `${JSON.stringify(line)}\n`);
  }
}
