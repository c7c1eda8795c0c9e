/**
 * SlurmBackend: core's ExecutionBackend on a SLURM cluster. Calls are grouped into chunks, one
 * chunk per array task, submitted as one job array; tasks and client talk only through files in
 * the run folder (see submission-files.ts), and the client watches the queue with one squeue per
 * array per interval. A task that ends without reporting some of its calls fails the call that
 * was running with the task's SLURM state and log path; the calls it never reached fail as
 * 'cancelled' (task cancelled) or 'worker-exit' (any other end), so a re-run (`compute()` again,
 * `ParallelMap.resume`) runs exactly those. Only where `options.slurm.retries` asks for it are
 * the calls of a task SLURM ended for its memory or time limit submitted again, with more.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loaderFlags, settledCall, writeFileAtomically } from '@acme-ts/core/backend';
import type { ExecutionBackend } from '@acme-ts/core';
import type { CallOutcome, ExecutionEvents, ExecutionJob, FailureReason } from '@acme-ts/core/backend';
import { SlurmCommandError, SlurmRunError } from './errors';
import { NODE_SETTINGS, resolveSlurmOptions, type ResolvedSlurmOptions } from './backend-options';
import { targetPartition } from './cluster-resources';
import { nextAmount, retrySetting, type RetryKind } from './retry-policy';
import { systemClock, type Clock } from './clock';
import { CommandSlurmClient } from './command-slurm-client';
import { MEASURE_LIMIT_MS, probeCallMemory, type MemoryProbe } from './memory-probe';
import type { SlurmClient } from './slurm-client';
import {
  classifyTaskEnd,
  formatIndexRanges,
  isFinalJobState,
  type ArrayTaskStatus,
  type ClusterConfig,
  type PartitionInfo,
  type TaskEndKind,
} from './slurm-commands';
import {
  CHUNK_OFFSET_ENV,
  LOG_DIR_NAME,
  SUBMISSION_DIR_ENV,
  appendSubmission,
  chunkPath,
  readNewStatusLines,
  readSubmissions,
  readV8,
  slurmMetaDir,
  statusPath,
  valuePath,
  writeRunJobs,
  writeV8,
  type ArrayRecord,
  type StatusLine,
  type SubmissionRecord,
  type SubmissionSetup,
} from './submission-files';

const ARRAY_TASK_ENTRY = join(__dirname, 'array-task.js');
/** Variables of the client's environment a task gets (PATH and SLURM_CONF always); nothing else leaks. */
const TASK_ENVIRONMENT = ['HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'HDF5_USE_FILE_LOCKING', 'NODE_PATH'];
const FIRST_POLL_MS = 200;
/** Pending reasons after which a job can never start: waiting longer is pointless. */
const NEVER_RUNS = new Set([
  'BadConstraints',
  'PartitionConfig',
  'PartitionNodeLimit',
  'PartitionTimeLimit',
  'DependencyNeverSatisfied',
  'InvalidAccount',
  'InvalidQOS',
  'AccountNotAllowed',
  'QOSNotAllowed',
  'PartitionDown',
  'PartitionInactive',
]);
const STDERR_TAIL_BYTES = 2000;

/** A chunk of calls the client waits for (of this client's submission, or adopted from an earlier one). */
interface TrackedChunk {
  submissionDir: string;
  chunk: number;
  arrayJobId: string;
  index: number;
  /** The chunk's taskIDs in the order the task runs them. */
  taskIDs: number[];
  statusOffset: number;
  /** taskIDs the chunk's status file has a line for. */
  seen: Set<number>;
  settled: boolean;
  lastState?: string;
  /** The submission it belongs to (its resources: cpusPerWorker, memory, time limit). */
  record: SubmissionRecord;
  logDir: string;
}

/** The resources of a submission that retries change: `--mem` and `--time` (undefined: the cluster's default). */
interface TaskResources {
  memMb?: number;
  timeLimitMinutes?: number;
}

/** Calls of a task SLURM ended for its memory or time limit, held back to be submitted again. */
interface HeldCalls {
  kind: RetryKind;
  chunk: TrackedChunk;
  /** The calls that were running when the task ended (they count a retry). */
  blamed: number[];
  /** Every call of the task without a status line, blamed ones first. */
  taskIDs: number[];
  /** Their failures, reported if they are not retried. */
  outcomes: CallOutcome[];
}

/** One execute(): what every step of it needs. */
interface RunContext {
  job: ExecutionJob;
  runDir: string;
  report: (outcome: CallOutcome) => void;
  stop: AbortSignal;
  events: ExecutionEvents;
  /** Arrays submitted or adopted during this execute, for `.acme-ts/jobs.json`. */
  jobIds: string[];
  /** Retries per call and kind so far ("outOfMemory:7" → 1). */
  retried: Map<string, number>;
}

const RETRY_KIND: Partial<Record<TaskEndKind | 'vanished', RetryKind>> = { memory: 'outOfMemory', timeout: 'timeLimit' };

/** Cluster facts the backend needs, read once when it is created. */
export interface ClusterInfo {
  partitions: PartitionInfo[];
  config: ClusterConfig;
}

/** What the backend works with besides its options: the cluster, time, memory measurement. */
export interface SlurmRuntime {
  client: SlurmClient;
  clock: Clock;
  probeMemory: MemoryProbe;
}

export class SlurmBackend implements ExecutionBackend {
  readonly name = 'slurm';
  readonly concurrency: number;
  private readonly client: SlurmClient;
  private readonly clock: Clock;
  private readonly probeMemory: MemoryProbe;
  /** Arrays submitted or adopted whose tasks may still be queued or running. */
  private readonly liveArrays = new Set<string>();
  private readonly closing = new AbortController();
  private running: Promise<unknown> | undefined;

  constructor(
    readonly options: ResolvedSlurmOptions,
    readonly cluster: ClusterInfo,
    runtime: Partial<SlurmRuntime> = {},
  ) {
    this.client = runtime.client ?? new CommandSlurmClient();
    this.clock = runtime.clock ?? systemClock;
    this.probeMemory = runtime.probeMemory ?? probeCallMemory;
    const cpus = targetPartition(cluster.partitions, options.partition)?.totalCpus ?? 1;
    this.concurrency = options.nWorkers ?? Math.max(1, Math.floor(cpus / options.cpusPerWorker));
  }

  async execute(job: ExecutionJob, events: ExecutionEvents, signal?: AbortSignal): Promise<void> {
    // Plain arrays inside: the job's IDs are filtered, chunked and written to chunk files.
    const run = this.executeJob({ ...job, taskIDs: Array.from(job.taskIDs) }, events, signal);
    this.running = run.catch(() => undefined);
    try {
      await run;
    } finally {
      this.running = undefined;
    }
  }

  /** Cancels what is still queued or running (no orphan jobs), then returns. */
  async close(): Promise<void> {
    this.closing.abort(new SlurmRunError('ERR_SLURM_CLOSED', 'the SLURM backend was closed'));
    await this.running;
    await this.cancelAndWait([...this.liveArrays]);
  }

  private async executeJob(job: ExecutionJob & { taskIDs: number[] }, events: ExecutionEvents, signal: AbortSignal | undefined): Promise<void> {
    const stop = anySignal([signal, this.closing.signal]);
    const reported = new Set<number>();
    const wanted = new Set(job.taskIDs);
    const report = (outcome: CallOutcome): void => {
      if (!wanted.has(outcome.taskID) || reported.has(outcome.taskID)) return;
      reported.add(outcome.taskID);
      events.onSettled(settledCall(outcome));
    };
    if (stop.aborted) {
      for (const taskID of job.taskIDs) report(abortedOutcome(taskID, stop.reason));
      throw stop.reason;
    }
    if (job.taskIDs.length === 0) return;

    // In-memory runs have no run folder: a scratch folder in the working directory, which the
    // tasks see too (a shared filesystem), removed afterwards unless a failure's log is in it.
    const scratch = job.outputDir === undefined ? mkdtempSync(join(process.cwd(), '.acme-ts-slurm-')) : undefined;
    const runDir = job.outputDir ?? (scratch as string);
    let keepScratch = false;
    const tracked: TrackedChunk[] = [];
    const ctx: RunContext = { job, runDir, report, stop, events, jobIds: [], retried: new Map() };
    try {
      const covered = job.outputDir !== undefined ? await this.recover(ctx, wanted, tracked) : new Set<number>();
      const toSubmit = job.taskIDs.filter((taskID) => !reported.has(taskID) && !covered.has(taskID));
      if (toSubmit.length > 0) tracked.push(...(await this.submit(ctx, toSubmit)));
      await this.watch(ctx, tracked);
      // Every call has reported: the tasks are exiting on their own, close() must not cancel them.
      for (const t of tracked) this.liveArrays.delete(t.arrayJobId);
      for (const taskID of job.taskIDs) {
        // A status line said done, but the value or file it names is gone (deleted meanwhile).
        report({
          taskID,
          ok: false,
          reason: 'unknown',
          error: { name: 'SlurmTaskError', message: `call ${taskID} was reported done, but its result file is missing; compute() again re-runs it` },
        });
      }
      keepScratch = reported.size < job.taskIDs.length;
    } catch (error) {
      if (stop.aborted) {
        await this.cancelAndWait([...new Set([...tracked.map((t) => t.arrayJobId), ...this.liveArrays])]);
        this.collect(tracked, report); // results that arrived while cancelling are kept
        for (const taskID of job.taskIDs) report(abortedOutcome(taskID, stop.reason));
        throw stop.reason;
      }
      keepScratch = true;
      throw error;
    } finally {
      if (scratch !== undefined && !keepScratch) rmSync(scratch, { recursive: true, force: true });
    }
  }

  /** An array submitted or adopted: core's runStatus() and `acme-ts status` show it from `.acme-ts/jobs.json`. */
  private noteJob(ctx: RunContext, jobId: string): boolean {
    if (ctx.jobIds.includes(jobId)) return false;
    ctx.jobIds.push(jobId);
    if (ctx.job.outputDir !== undefined) writeRunJobs(ctx.runDir, ctx.jobIds);
    return true;
  }

  // --- earlier submissions ---------------------------------------------------------------------

  /**
   * Results earlier submissions of this run left (a client that died, a compute() again) are
   * reported at once; calls that an earlier array still has queued or running are adopted:
   * waited for, not submitted again. Returns the adopted taskIDs.
   */
  private async recover(ctx: RunContext, wanted: Set<number>, tracked: TrackedChunk[]): Promise<Set<number>> {
    const { runDir, report } = ctx;
    const covered = new Set<number>();
    const submissions = readSubmissions(runDir);
    for (const record of submissions) {
      const submissionDir = join(slurmMetaDir(runDir), record.submission);
      for (let chunk = 0; chunk < record.chunks.length; chunk++) {
        if (!record.chunks[chunk]!.some((taskID) => wanted.has(taskID))) continue;
        for (const line of readNewStatusLines(statusPath(submissionDir, chunk), 0).lines) {
          if (line.ok && wanted.has(line.taskID)) {
            const outcome = outcomeOf(line, submissionDir);
            if (outcome !== undefined) report(outcome);
          }
        }
      }
    }
    for (const record of submissions) {
      const submissionDir = join(slurmMetaDir(runDir), record.submission);
      for (const array of record.arrays) {
        const chunks = range(array.firstChunk, array.firstChunk + array.nChunks).filter((chunk) =>
          record.chunks[chunk]!.some((taskID) => wanted.has(taskID) && !covered.has(taskID)),
        );
        if (chunks.length === 0) continue;
        const states = await this.client.queryArray(array.jobId);
        for (const chunk of chunks) {
          const state = states.get(chunk - array.firstChunk);
          if (state === undefined || isFinalJobState(state.state)) continue;
          const taskIDs = record.chunks[chunk]!;
          for (const taskID of taskIDs) if (wanted.has(taskID)) covered.add(taskID);
          this.liveArrays.add(array.jobId);
          if (this.noteJob(ctx, array.jobId)) {
            log(
              ctx.events,
              'info',
              `SLURM job array ${array.jobId} (submission ${record.submission}) still has calls of this run queued or running: waiting for it, not submitting them again`,
            );
          }
          tracked.push({
            submissionDir,
            chunk,
            arrayJobId: array.jobId,
            index: chunk - array.firstChunk,
            taskIDs,
            statusOffset: 0,
            seen: new Set(),
            settled: false,
            lastState: state.state,
            record,
            logDir: join(runDir, LOG_DIR_NAME),
          });
        }
      }
    }
    return covered;
  }

  // --- submission ------------------------------------------------------------------------------

  /**
   * Submits `taskIDs` as one submission (one array, or several beyond MaxArraySize). `resources`
   * replace memPerWorker and timeLimit (a retry's).
   */
  private async submit(ctx: RunContext, taskIDs: number[], resources?: TaskResources): Promise<TrackedChunk[]> {
    const { job, runDir, stop } = ctx;
    const o = this.options;
    const submission = `${timestamp()}-${randomBytes(3).toString('hex')}`;
    const submissionDir = join(slurmMetaDir(runDir), submission);
    const logDir = join(runDir, LOG_DIR_NAME);
    // A missing --output folder makes a task fail without any trace: create it first.
    mkdirSync(logDir, { recursive: true });
    mkdirSync(join(submissionDir, 'chunks'), { recursive: true });
    mkdirSync(join(submissionDir, 'status'), { recursive: true });

    const shared: SubmissionSetup = {
      setup: job.setup,
      timeoutMs: job.timeoutMs,
      threads: o.cpusPerWorker,
      ...(o.concurrency > 1 ? { concurrency: o.concurrency } : {}),
      ...(o.isolation === 'process' ? { isolation: o.isolation } : {}),
    };
    writeV8(join(submissionDir, 'setup.v8'), shared);
    const memMb = resources !== undefined ? resources.memMb : await this.memoryFor(job, runDir, submissionDir, taskIDs[0] as number, stop);
    const timeLimitMinutes = resources !== undefined ? resources.timeLimitMinutes : o.timeLimitMinutes;

    const perTask = o.callsPerTask ?? Math.ceil(taskIDs.length / this.concurrency);
    const chunks: number[][] = [];
    for (let i = 0; i < taskIDs.length; i += perTask) chunks.push(taskIDs.slice(i, i + perTask));
    chunks.forEach((ids, chunk) => writeV8(chunkPath(submissionDir, chunk), { taskIDs: ids, payloads: ids.map((id) => job.payloadFor(id)) }));

    const script = join(submissionDir, 'task.sh');
    // Only our own paths (and the client's module loader flags, e.g. tsx's, so a TypeScript task
    // module loads as it does in the client) go into the script; the run folder reaches the task
    // through its environment.
    writeFileAtomically(
      script,
      `#!/bin/sh\n# acme-ts array task (@acme-ts/backend-slurm)\nexec ${[process.execPath, ...loaderFlags(), ARRAY_TASK_ENTRY].map(shellQuote).join(' ')}\n`,
    );

    const defaultMemMb = this.defaultTaskMemory();
    const record: SubmissionRecord = {
      submission,
      submittedAt: new Date().toISOString(),
      arrays: [],
      chunks,
      cpusPerWorker: o.cpusPerWorker,
      ...(memMb !== undefined ? { memMb } : {}),
      ...(defaultMemMb !== undefined ? { defaultMemMb } : {}),
      ...(timeLimitMinutes !== undefined ? { timeLimitMinutes } : {}),
      ...(o.partition !== undefined ? { partition: o.partition } : {}),
    };
    const jobName = o.jobName ?? defaultJobName(job.setup.functionRef.name);
    const maxTasks = Math.max(1, this.cluster.config.maxArraySize);
    const tracked: TrackedChunk[] = [];
    for (let first = 0; first < chunks.length; first += maxTasks) {
      const nChunks = Math.min(maxTasks, chunks.length - first);
      // An abort (during the memory measurement, or between arrays) submits nothing more.
      if (stop.aborted) throw stop.reason;
      const request = {
        script,
        array: { first: 0, last: nChunks - 1, throttle: this.concurrency },
        ...(o.partition !== undefined ? { partition: o.partition, knownPartitions: this.cluster.partitions.map((p) => p.name) } : {}),
        jobName,
        ...(memMb !== undefined ? { memMb } : {}),
        cpusPerTask: o.cpusPerWorker,
        ...(timeLimitMinutes !== undefined ? { timeLimitMinutes } : {}),
        ...(o.gpusPerWorker !== undefined ? { gpus: o.gpusPerWorker } : {}),
        ...(o.constraint !== undefined ? { constraint: o.constraint } : {}),
        ...(o.qos !== undefined ? { qos: o.qos } : {}),
        outputPattern: join(logDir, '%A_%a.out'),
        errorPattern: join(logDir, '%A_%a.err'),
        export: TASK_ENVIRONMENT,
        environment: { [SUBMISSION_DIR_ENV]: submissionDir, [CHUNK_OFFSET_ENV]: String(first) },
        extra: o.sbatchOptions,
      };
      let jobId: string;
      try {
        ({ jobId } = await this.client.submitArray(request));
      } catch (error) {
        throw await this.cancelLostArray(
          error,
          jobName,
          script,
          record.arrays.map((a) => a.jobId),
        );
      }
      this.liveArrays.add(jobId);
      const array: ArrayRecord = { jobId, firstChunk: first, nChunks };
      record.arrays.push(array);
      // Recorded after each sbatch, so a client killed now still tells the next one what runs.
      appendSubmission(runDir, record);
      this.noteJob(ctx, jobId);
      const calls = chunks.slice(first, first + nChunks).reduce((n, ids) => n + ids.length, 0);
      log(
        ctx.events,
        'info',
        `submitted SLURM job array ${jobId}: ${nChunks} tasks for ${calls} calls (${describeResources({ memMb, timeLimitMinutes })}; logs ${join(logDir, `${jobId}_<task>.out|.err`)})`,
      );
      for (let chunk = first; chunk < first + nChunks; chunk++) {
        tracked.push({
          submissionDir,
          chunk,
          arrayJobId: jobId,
          index: chunk - first,
          taskIDs: chunks[chunk]!,
          statusOffset: 0,
          seen: new Set(),
          settled: false,
          record,
          logDir,
        });
      }
    }
    return tracked;
  }

  /** `--mem` in MB for this submission (undefined: the partition's default). */
  private async memoryFor(job: ExecutionJob, runDir: string, submissionDir: string, sampleTaskID: number, stop: AbortSignal): Promise<number | undefined> {
    const memory = this.options.memory;
    switch (memory.kind) {
      case 'default':
        return undefined;
      case 'fixed':
        return memory.mb;
      case 'factor': {
        const previous = readSubmissions(runDir).at(-1);
        const base = previous?.memMb ?? previous?.defaultMemMb ?? this.defaultTaskMemory();
        if (base === undefined) {
          throw new SlurmRunError(
            'ERR_SLURM_MEMORY_BASE',
            `options.slurm.memPerWorker must be a memory size such as "4GB" when neither an earlier submission of this run nor the cluster (DefMemPerCPU) tells the memory to multiply, got "${memory.factor}x"`,
          );
        }
        return Math.ceil(base * memory.factor);
      }
      case 'auto': {
        const input = join(submissionDir, 'measure.v8');
        writeV8(input, { setup: job.setup, taskID: sampleTaskID, payload: job.payloadFor(sampleTaskID) });
        const peakKb = await this.probeMemory({ input, taskID: sampleTaskID, limitMs: MEASURE_LIMIT_MS, signal: stop });
        // Margin: the task also runs a worker thread and the client's bookkeeping (≈ 60 MB),
        // and calls differ; 30 % on top of the measured peak.
        return Math.ceil((peakKb / 1024) * 1.3 + 100);
      }
    }
  }

  /**
   * sbatch failed in a way that may have submitted the array anyway (its answer was unreadable,
   * or it timed out): find it by job name and script, cancel it, and return the error to throw,
   * so no array runs without a client that knows it.
   */
  private async cancelLostArray(error: unknown, jobName: string, script: string, known: string[]): Promise<unknown> {
    if (!(error instanceof SlurmCommandError) || (error.code !== 'ERR_SLURM_OUTPUT' && error.code !== 'ERR_SLURM_TIMEOUT')) return error;
    let outcome: string;
    try {
      const lost = (await this.client.findArrays(jobName, script)).filter((id) => !known.includes(id));
      await this.cancelAndWait(lost);
      outcome =
        lost.length > 0
          ? `it was found by its job name "${jobName}" and script and cancelled (job ${lost.join(', ')}), so nothing runs untracked`
          : `no array named "${jobName}" running ${script} is queued, so none runs untracked`;
    } catch (lookup) {
      outcome = `looking it up failed (${(lookup as Error).message}): check \`squeue -n ${jobName}\` and cancel what runs ${script}`;
    }
    return new SlurmRunError('ERR_SLURM_UNTRACKED_ARRAY', `sbatch did not tell the id of the job array it may have submitted (${error.message}); ${outcome}`, {
      cause: error,
    });
  }

  /** What the cluster gives a task without --mem (DefMemPerCPU × CPUs), if it tells. */
  private defaultTaskMemory(): number | undefined {
    const perCpu = targetPartition(this.cluster.partitions, this.options.partition)?.defMemPerCpuMb ?? this.cluster.config.defMemPerCpuMb;
    return perCpu === undefined ? undefined : perCpu * this.options.cpusPerWorker;
  }

  // --- watching --------------------------------------------------------------------------------

  /**
   * Reports every tracked call: from status files, or from its task's end when it has none.
   * Status files are cheap to look at and are read often (every 100 ms, slower with many
   * chunks); squeue costs the controller, so it is asked once per array per interval, starting
   * at 0.2 s and growing ×1.5 up to pollInterval while nothing new is reported.
   */
  private async watch(ctx: RunContext, tracked: TrackedChunk[]): Promise<void> {
    const { report, stop, events } = ctx;
    const held: HeldCalls[] = [];
    const startedAt = this.clock.now();
    let started = false;
    let warned = false;
    let pause = FIRST_POLL_MS;
    let nextQuery = this.clock.now() + pause;
    while (true) {
      if (this.collect(tracked, report)) {
        started = true;
        pause = FIRST_POLL_MS;
      }
      if (tracked.every((t) => t.settled)) break;
      if (stop.aborted) throw stop.reason;
      if (this.clock.now() < nextQuery) {
        const unsettled = tracked.reduce((n, t) => n + (t.settled ? 0 : 1), 0);
        await this.clock.sleep(Math.min(nextQuery - this.clock.now(), Math.max(100, Math.min(1000, unsettled))), stop);
        continue;
      }

      const byArray = new Map<string, TrackedChunk[]>();
      for (const t of tracked) if (!t.settled) byArray.set(t.arrayJobId, [...(byArray.get(t.arrayJobId) ?? []), t]);
      const pendingReasons = new Set<string>();
      for (const [jobId, chunks] of byArray) {
        let states: Map<number, ArrayTaskStatus>;
        try {
          states = await this.client.queryArray(jobId);
        } catch (error) {
          if (error instanceof SlurmCommandError && error.transient) continue; // a busy controller: ask again later
          throw error;
        }
        let live = false;
        for (const t of chunks) {
          const state = states.get(t.index);
          if (state !== undefined && !isFinalJobState(state.state)) {
            live = true;
            if (state.state === 'PENDING') pendingReasons.add(state.reason);
            else started = true;
            t.lastState = state.state;
            continue;
          }
          if (state !== undefined) started = true;
          // Final (or gone): its status file is complete now, read it before blaming anything.
          this.collect([t], report);
          if (!t.settled) {
            const end = await this.failUnreported(t, state);
            const kind = RETRY_KIND[end.kind];
            if (kind !== undefined && this.options.retries[kind] !== undefined) held.push({ ...end, kind, chunk: t });
            else end.outcomes.forEach(report);
          }
          t.settled = true;
        }
        if (!live && chunks.every((t) => t.settled)) this.liveArrays.delete(jobId);
      }
      // Calls SLURM ended for memory or time go out again now, while the others run on.
      if (held.length > 0) tracked.push(...(await this.retry(ctx, held.splice(0))));
      if (tracked.every((t) => t.settled)) break;

      if (!started && !warned && this.clock.now() - startedAt > this.options.setupTimeoutMs && pendingReasons.size > 0) {
        warned = true;
        const never = [...pendingReasons].filter((r) => NEVER_RUNS.has(r));
        if (never.length > 0) {
          await this.giveUpPending(tracked, never, report);
          break;
        }
        const seconds = Math.round(this.options.setupTimeoutMs / 1000);
        log(
          events,
          'warning',
          `no task of SLURM array ${[...byArray.keys()].join(', ')} has started after ${seconds} s; squeue says it is pending because of: ${[...pendingReasons].join(', ')}. Still waiting (Ctrl-C cancels the array).`,
        );
      }
      pause = Math.min(this.options.pollIntervalMs, pause * 1.5);
      nextQuery = this.clock.now() + pause;
    }
  }

  /** The arrays can never start (squeue's reason says so): cancel them, fail their calls. */
  private async giveUpPending(tracked: TrackedChunk[], never: string[], report: (o: CallOutcome) => void): Promise<void> {
    await this.cancelAndWait([...new Set(tracked.map((t) => t.arrayJobId))]);
    this.collect(tracked, report);
    for (const t of tracked) {
      for (const taskID of t.taskIDs) {
        report({
          taskID,
          ok: false,
          reason: 'cancelled',
          error: {
            name: 'SlurmPendingError',
            message: `SLURM array ${t.arrayJobId} can never start (squeue reason: ${never.join(', ')}); it was cancelled. Change the partition, time limit, constraint, qos, gpusPerWorker or sbatchOptions`,
          },
        });
      }
      t.settled = true;
    }
  }

  /** Reads new status lines of the given chunks and reports them; true if any call settled. */
  private collect(tracked: TrackedChunk[], report: (o: CallOutcome) => void): boolean {
    let progressed = false;
    for (const t of tracked) {
      if (t.settled) continue;
      const { lines, offset } = readNewStatusLines(statusPath(t.submissionDir, t.chunk), t.statusOffset);
      t.statusOffset = offset;
      for (const line of lines) {
        t.seen.add(line.taskID);
        const outcome = outcomeOf(line, t.submissionDir);
        if (outcome !== undefined) {
          report(outcome);
          progressed = true;
        }
      }
      if (t.seen.size === t.taskIDs.length) t.settled = true;
    }
    return progressed;
  }

  /**
   * A task ended without reporting some calls: the running one(s) fail with the task's end, the
   * rest were never reached. Returns how it ended, the calls that were running and every
   * unreported call's failure (blamed ones first), for the caller to report or retry.
   */
  private async failUnreported(
    t: TrackedChunk,
    state: ArrayTaskStatus | undefined,
  ): Promise<Omit<HeldCalls, 'kind' | 'chunk'> & { kind: TaskEndKind | 'vanished' }> {
    const unreported = t.taskIDs.filter((taskID) => !t.seen.has(taskID));
    const job = `${t.arrayJobId}_${t.index}`;
    const errPath = join(t.logDir, `${job}.err`);
    let kind: TaskEndKind | 'vanished';
    let what: string;
    let tail = '';
    if (state === undefined) {
      // Gone from squeue: cancelled while pending (those leave no trace), or ended long ago.
      kind = t.lastState === 'PENDING' || t.lastState === undefined ? 'cancelled' : 'vanished';
      what = kind === 'cancelled' ? 'SLURM task CANCELLED while pending' : `SLURM task left the queue (last seen ${t.lastState})`;
    } else {
      tail = readTail(errPath);
      let end = classifyTaskEnd(state, tail);
      if (end.kind === 'signal') {
        // slurmstepd's "exceeded memory limit" line may land just after the state changes.
        await this.clock.sleep(1000);
        tail = readTail(errPath);
        end = classifyTaskEnd(state, tail);
      }
      kind = end.kind;
      what = end.message;
    }
    const reason = REASON_OF[kind];
    // A task that reported a call, or was seen past PENDING, was running one when it ended
    // (even if squeue never showed it RUNNING between two polls).
    const ranAny = t.seen.size > 0 || (state !== undefined && state.state !== 'CANCELLED') || (t.lastState !== 'PENDING' && t.lastState !== undefined);
    const running = ranAny ? unreported.slice(0, Math.max(1, t.record.cpusPerWorker)) : [];
    const tailText = tail.trim() === '' ? '' : `\nend of its stderr:\n${tail.trim().split('\n').slice(-8).join('\n')}`;
    const outcomes = unreported.map((taskID): CallOutcome => {
      if (running.includes(taskID)) {
        return {
          taskID,
          ok: false,
          reason,
          logPath: errPath,
          error: { name: 'SlurmTaskError', message: `${what}; call ${taskID} was running in SLURM task ${job} (log: ${errPath})${tailText}` },
        };
      }
      return {
        taskID,
        ok: false,
        reason: kind === 'cancelled' ? 'cancelled' : 'worker-exit',
        logPath: errPath,
        error: {
          name: 'SlurmTaskError',
          message: `call ${taskID} did not run: SLURM task ${job} ended before reaching it (${what}); compute() again re-runs it (log: ${errPath})`,
        },
      };
    });
    return { kind, blamed: running, taskIDs: unreported, outcomes };
  }

  // --- retries ---------------------------------------------------------------------------------

  /**
   * Submits again, with more memory or time (options.slurm.retries), the calls of tasks SLURM
   * ended for exceeding theirs; calls the cap or the attempts rule out fail as they ended, with
   * why they were not retried. One submission per new set of resources; each is logged with
   * the calls, the old and new resources and the job id. Returns the new arrays' chunks.
   */
  private async retry(ctx: RunContext, held: HeldCalls[]): Promise<TrackedChunk[]> {
    const groups = new Map<string, { resources: TaskResources; calls: HeldCalls[] }>();
    for (const h of held) {
      const rule = this.options.retries[h.kind]!;
      const was = this.resourcesOf(h.chunk.record);
      const current = h.kind === 'outOfMemory' ? (was.memMb ?? h.chunk.record.defaultMemMb) : was.timeLimitMinutes;
      const done = Math.max(...h.blamed.map((taskID) => ctx.retried.get(`${h.kind}:${taskID}`) ?? 0), 0);
      const next = current === undefined ? undefined : nextAmount(rule, current, done);
      if (next === undefined || 'refused' in next) {
        const why =
          next === undefined
            ? 'neither options.slurm.memPerWorker nor the cluster (DefMemPerCPU) tells the memory it had, to multiply'
            : next.refused === 'cap'
              ? `it already had ${retrySetting(h.kind, 'cap')} (${describeAmount(h.kind, rule.cap)})`
              : `${retrySetting(h.kind, 'attempts')} (${rule.attempts}) retries were used`;
        this.reportHeld(ctx, h, `not retried: ${why}`);
        continue;
      }
      for (const taskID of h.blamed) ctx.retried.set(`${h.kind}:${taskID}`, done + 1);
      const resources: TaskResources = h.kind === 'outOfMemory' ? { ...was, memMb: next.amount } : { ...was, timeLimitMinutes: next.amount };
      const key = JSON.stringify(resources);
      const group = groups.get(key) ?? { resources, calls: [] };
      group.calls.push(h);
      groups.set(key, group);
    }
    const tracked: TrackedChunk[] = [];
    for (const { resources, calls } of groups.values()) {
      const taskIDs = calls.flatMap((h) => h.taskIDs).sort((a, b) => a - b);
      let chunks: TrackedChunk[];
      try {
        chunks = await this.submit(ctx, taskIDs, resources);
      } catch (error) {
        // sbatch refused the bigger request (more than any node has, a partition limit): the
        // calls fail as they ended, saying so. Other errors end the run as any sbatch error does.
        if (!(error instanceof SlurmCommandError && error.code === 'ERR_SLURM_COMMAND')) throw error;
        for (const h of calls) this.reportHeld(ctx, h, `its retry with ${describeResources(resources)} was refused: ${error.message}`);
        continue;
      }
      tracked.push(...chunks);
      const jobIds = [...new Set(chunks.map((t) => t.arrayJobId))].join(', ');
      for (const h of calls) {
        const kind = h.kind === 'outOfMemory' ? 'ran out of memory' : 'reached its time limit';
        const was = this.resourcesOf(h.chunk.record);
        const attempt = Math.max(...h.blamed.map((taskID) => ctx.retried.get(`${h.kind}:${taskID}`) ?? 0), 1);
        log(
          ctx.events,
          'info',
          `SLURM task ${h.chunk.arrayJobId}_${h.chunk.index} ${kind} (${describeResources(h.kind === 'outOfMemory' ? { memMb: was.memMb ?? h.chunk.record.defaultMemMb } : was, h.kind)}) while running call ${h.blamed.join(', ')}: calls ${formatIds(h.taskIDs)} retried with ${describeResources(resources, h.kind)} as SLURM job array ${jobIds} (retry ${attempt} of ${this.options.retries[h.kind]!.attempts})`,
        );
      }
    }
    return tracked;
  }

  /** A submission's `--mem` and `--time` as given to sbatch (the time limit with the partition's default filled in). */
  private resourcesOf(record: SubmissionRecord): TaskResources {
    const time = record.timeLimitMinutes ?? targetPartition(this.cluster.partitions, record.partition)?.defaultTimeMinutes;
    return { ...(record.memMb !== undefined ? { memMb: record.memMb } : {}), ...(time !== undefined ? { timeLimitMinutes: time } : {}) };
  }

  /** Held calls that are not retried: reported as they ended, the blamed ones saying why. */
  private reportHeld(ctx: RunContext, h: HeldCalls, why: string): void {
    for (const outcome of h.outcomes) {
      if (!outcome.ok && h.blamed.includes(outcome.taskID))
        ctx.report({ ...outcome, error: { ...outcome.error, message: `${outcome.error.message}\n${why}` } });
      else ctx.report(outcome);
    }
  }

  // --- cancelling ------------------------------------------------------------------------------

  /** scancel, then wait until squeue shows none of the arrays' tasks queued or running. */
  private async cancelAndWait(jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await Promise.all(jobIds.map((jobId) => this.client.cancel(jobId).catch(() => undefined)));
    const deadline = this.clock.now() + 120_000;
    for (const jobId of jobIds) {
      while (this.clock.now() < deadline) {
        const states = await this.client.queryArray(jobId).catch(() => undefined);
        if (states !== undefined && [...states.values()].every((s) => isFinalJobState(s.state))) break;
        await this.clock.sleep(250);
      }
      this.liveArrays.delete(jobId);
    }
  }
}

/**
 * The factory core calls for `backend: "slurm"`: validates everything before anything is
 * submitted. `runtime` replaces the real cluster, clock or memory probe (tests).
 */
export async function createBackend(options: Record<string, unknown> = {}, runtime: Partial<SlurmRuntime> = {}): Promise<SlurmBackend> {
  const client = runtime.client ?? new CommandSlurmClient();
  // Nodes and QOS are asked for only when a setting is checked against them.
  const [partitions, config, nodes, qos] = await Promise.all([
    client.listPartitions(),
    client.readClusterConfig(),
    NODE_SETTINGS.some((key) => options[key] !== undefined) ? client.listNodes() : undefined,
    options.qos !== undefined ? client.listQos() : undefined,
  ]);
  const resolved = resolveSlurmOptions(options, partitions, { ...(nodes !== undefined ? { nodes } : {}), ...(qos !== undefined ? { qos } : {}) });
  return new SlurmBackend(resolved, { partitions, config }, { ...runtime, client });
}

// --- helpers -------------------------------------------------------------------------------------

const REASON_OF: Record<TaskEndKind | 'vanished', FailureReason> = {
  completed: 'worker-exit',
  'exit-code': 'error',
  memory: 'out-of-memory',
  timeout: 'timeout',
  cancelled: 'cancelled',
  signal: 'error',
  'launch-failure': 'error',
  'node-failure': 'node-fail',
  other: 'unknown',
  vanished: 'unknown',
};

/** Into the run's log (console and log file) when core listens, else warnings to the console. */
function log(events: ExecutionEvents, level: 'info' | 'warning', message: string): void {
  if (events.onLog !== undefined) events.onLog(level, message);
  else if (level === 'warning') console.warn(`acme-ts: ${message}`);
}

/** "4000 MB" or "90 min" (UNLIMITED). */
function describeAmount(kind: RetryKind, amount: number): string {
  return kind === 'outOfMemory' ? `${amount} MB` : amount === Infinity ? 'no time limit' : `${amount} min`;
}

/** "--mem 4000 MB, --time 90 min"; only `kind`'s part when given. */
function describeResources(resources: TaskResources, only?: RetryKind): string {
  const parts: string[] = [];
  if (only !== 'timeLimit') parts.push(`--mem ${resources.memMb !== undefined ? describeAmount('outOfMemory', resources.memMb) : 'the partition default'}`);
  if (only !== 'outOfMemory')
    parts.push(`--time ${resources.timeLimitMinutes !== undefined ? describeAmount('timeLimit', resources.timeLimitMinutes) : 'the partition default'}`);
  return parts.join(', ');
}

/** "0-3, 7" */
function formatIds(ids: readonly number[]): string {
  return formatIndexRanges(ids).replace(/,/g, ', ');
}

function outcomeOf(line: StatusLine, submissionDir: string): CallOutcome | undefined {
  const durationMs = line.durationMs;
  if (!line.ok) {
    return {
      taskID: line.taskID,
      ok: false,
      reason: (line.reason ?? 'error') as FailureReason,
      error: line.error ?? { name: 'Error', message: 'unknown failure' },
      ...(durationMs !== undefined ? { durationMs } : {}),
    };
  }
  if (line.valueFile) {
    const path = valuePath(submissionDir, line.taskID);
    if (!existsSync(path)) return undefined;
    return { taskID: line.taskID, ok: true, value: readV8(path), ...(durationMs !== undefined ? { durationMs } : {}) };
  }
  // A stored file that has disappeared since (deleted by the user) is no result.
  if (line.stored?.path !== undefined && !existsSync(line.stored.path)) return undefined;
  return { taskID: line.taskID, ok: true, value: line.stored, ...(durationMs !== undefined ? { durationMs } : {}) };
}

function abortedOutcome(taskID: number, reason: unknown): CallOutcome {
  const message = reason instanceof Error ? reason.message : 'the run was aborted';
  return { taskID, ok: false, reason: 'aborted', error: { name: 'AbortError', message } };
}

function readTail(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    const length = Math.min(size, STDERR_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

function defaultJobName(funcName: string): string {
  const name = `acme_${funcName}`;
  return /^[A-Za-z0-9._+\-=@:,]{1,200}$/.test(name) ? name : 'acme-ts';
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

function anySignal(signals: (AbortSignal | undefined)[]): AbortSignal {
  const controller = new AbortController();
  for (const s of signals) {
    if (s === undefined) continue;
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener('abort', () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}
