// ParallelMap: one function, many inputs, one call per input on a backend, every result
// stored in ACME's HDF5 layout (or returned). The constructor validates everything it can
// without touching the disk, so bad input fails at once; compute() does the work and can be
// called again to finish what an earlier attempt left undone.

import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { randomInt } from 'node:crypto';
import type { CallOutcome, CallPayload, ExecutionBackend, ExecutionEvents, RunnerSetup, SplitArgument } from './backend';
import { createBackendByName, isExecutionBackend } from './backend-registry';
import { loadConfig } from './config';
import { broadcast as broadcastValue, distributeArguments, isRange, range, split, type Distribution, type ArgumentPlan } from './arguments';
import { resolveFunctionReference, type FunctionInput, type FunctionReference } from './function-ref';
import { checkCallCount, validateOptions, type ParallelMapOptions, type ResolvedOptions } from './options';
import { autoOutputDir, logFileName, planLayout, type RunLayout } from './layout';
import { createContainer, finishContainer, recoverSingleFileRun, SingleFileWriter } from './container';
import { ResultJournal } from './result-journal';
import { createRunner, type StoredCall } from './call-runner';
import { encodeResult, stackResults } from './result-encoding';
import { Logger } from './logger';
import { Progress } from './progress';
import { findStoredCalls, type StoredCallInfo } from './run-status';
import type { PackedCalls } from './packed-calls';
import { cleanupOldRuns, OLD_RUNS_WARNING_COUNT } from './old-runs';
import { argumentsFingerprint, functionFingerprint } from './run-fingerprint';
import { RunLock } from './run-lock';
import { RunDashboard } from './dashboard/run-dashboard';
import { AcmeError, ComputeError, OptionError, type CallFailure } from './errors';
import {
  hasManifest,
  metaDir,
  readArgumentsBlob,
  readManifest,
  serializeArguments,
  StatusLog,
  writeManifest,
  type RunManifest,
} from './run-store';

/** One settled call, as yielded by `pmap.results()`. */
export interface CallResult {
  taskID: number;
  ok: boolean;
  /** In-memory mode: the return value; file modes: the file holding the result (or the container). */
  value?: unknown;
  error?: CallFailure;
}

/** ParallelMap's options: `backend` also takes an ExecutionBackend object (e.g. a shared LocalBackend). */
export type ParallelMapInit = Omit<ParallelMapOptions, 'backend'> & { backend?: ParallelMapOptions['backend'] | ExecutionBackend };

export class ParallelMap {
  readonly func: FunctionReference;
  readonly nInputs: number;
  readonly options: ResolvedOptions;
  /** The output folder (set once compute() created or found it). */
  outputDir: string | undefined;
  /** `<outputDir>/<f>.h5` after compute() in the HDF5 modes, as ACME's `results_container`. */
  resultsContainer: string | undefined;
  /** Warnings found while validating (also logged when the run starts). */
  readonly warnings: string[];

  private readonly distribution: Distribution;
  /** Set by resume(): the folder whose stored arguments this ParallelMap was built from. */
  private resumedFrom?: string;
  private readonly backendOption: ParallelMapOptions['backend'] | ExecutionBackend;
  private backend?: ExecutionBackend;
  private ownsBackend = false;
  /** Where the backend's name came from, for the run's first lines (a config file switches silently otherwise). */
  private backendSource = 'options.backend';
  private running = false;
  /** The run folder's client lock while compute() runs (file modes). */
  private lock?: RunLock;
  /** In-memory mode: values of calls that already succeeded (a second compute() re-runs only the rest). */
  private memoryValues?: unknown[];
  private memoryDone?: Uint8Array;
  private listener?: (result: CallResult) => void;
  private payloadAccessor?: (taskID: number) => CallPayload;
  /** options.dashboard: served from the first compute() until close(). */
  private dashboard?: RunDashboard;

  constructor(func: FunctionInput, args: unknown[] = [], options: ParallelMapInit = {}) {
    if (!Array.isArray(args)) {
      throw new OptionError('args', `args must be an array of the function's positional arguments, got ${typeof args}; wrap a single argument as [x]`);
    }
    const { backend, ...rest } = options as ParallelMapOptions & { backend?: unknown };
    this.options = validateOptions(isExecutionBackend(backend) ? rest : options);
    this.warnings = [...this.options.warnings];
    this.backendOption = isExecutionBackend(backend) ? backend : this.options.backend;
    this.func = resolveFunctionReference(func, { name: this.options.name });
    this.distribution = distributeArguments(args, this.options.kwargs, this.options.nInputs);
    this.nInputs = this.distribution.nInputs;
    if (this.options.nInputs === 'auto') checkCallCount(this.nInputs, "the split arguments' length");
    this.warnings.push(...this.distribution.warnings);
    rejectFunctionArguments(args, this.options.kwargs);
  }

  /** How results are produced: in memory, HDF5 files, or serialized files. */
  private get storage(): 'memory' | 'hdf5' | 'serialized' {
    return this.options.mode;
  }

  /**
   * Runs every call that has no valid result yet and resolves with ACME's return value:
   * payload paths (default), `[container]` (singleFile), serialized paths, or the values
   * (in-memory; a stacked array with resultShape). Rejects with a ComputeError listing every
   * failed call after all other calls finished and were stored.
   */
  async compute(): Promise<unknown> {
    // ACME users write compute(True) for its debug mode; silently ignoring it would run normally.
    if (arguments.length > 0) {
      throw new OptionError(
        'compute',
        'compute() takes no arguments (ACME\'s compute(debug=True) has no acme-ts counterpart yet): options.dryrun: true runs one call in this process, where `node --inspect` stops in the function',
      );
    }
    if (this.running) throw new AcmeError('ERR_ACME_BUSY', 'compute() is already running on this ParallelMap; await it first');
    this.running = true;
    try {
      return await this.computeOnce();
    } finally {
      this.lock?.release();
      this.lock = undefined;
      this.running = false;
    }
  }

  /** Yields each call's result as it settles (compute() runs underneath). */
  async *results(): AsyncGenerator<CallResult, void, undefined> {
    const queue: CallResult[] = [];
    let wake: (() => void) | undefined;
    this.listener = (r) => {
      queue.push(r);
      wake?.();
    };
    let finished = false;
    let failure: unknown;
    const run = this.compute().then(
      () => void (finished = true),
      (err) => {
        finished = true;
        failure = err;
      },
    );
    void run.finally(() => wake?.());
    try {
      while (true) {
        if (queue.length > 0) {
          yield queue.shift()!;
          continue;
        }
        if (finished) break;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
      if (failure && !(failure instanceof ComputeError)) throw failure;
    } finally {
      this.listener = undefined;
    }
  }

  async close(): Promise<void> {
    await this.dashboard?.close();
    this.dashboard = undefined;
    if (this.backend && this.ownsBackend) await this.backend.close();
    this.backend = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async getBackend(): Promise<ExecutionBackend> {
    if (this.backend) return this.backend;
    if (isExecutionBackend(this.backendOption)) {
      this.backend = this.backendOption;
      return this.backend;
    }
    // Explicit option > ACME_TS_BACKEND > config file > "local"; backend settings likewise.
    const { path: configFile, config } = loadConfig();
    const name = (this.backendOption as string | undefined) ?? process.env.ACME_TS_BACKEND ?? config.backend ?? 'local';
    const source = (this.backendSource =
      this.backendOption !== undefined ? 'options.backend' : process.env.ACME_TS_BACKEND ? 'ACME_TS_BACKEND' : config.backend ? `the config file ${configFile}` : 'the default');
    if (name !== 'slurm' && this.options.slurm !== undefined) {
      this.warnings.push(`options.slurm has no effect: this run uses the ${name} backend (from ${source}); set options.backend: "slurm" to run on SLURM`);
    }
    const fromConfig = (config as Record<string, Record<string, unknown> | undefined>)[name] ?? {};
    const explicit = name === 'slurm' ? ((this.options.slurm as Record<string, unknown> | undefined) ?? {}) : {};
    this.backend = await createBackendByName(name, {
      ...fromConfig,
      ...explicit,
      ...(this.options.nWorkers !== 'auto' ? { nWorkers: this.options.nWorkers } : {}),
      ...(configFile ? { configFile } : {}),
    });
    this.ownsBackend = true;
    return this.backend;
  }

  /**
   * The run stored in `outputDir` (by any earlier ParallelMap or `acme-ts run`), ready to
   * compute() the calls that have no valid result yet. `overrides` may change how it runs
   * (workers, backend, time limit, logging), not what it computes.
   */
  static resume(
    outputDir: string,
    overrides: Pick<ParallelMapInit, 'nWorkers' | 'verbose' | 'logfile' | 'signal' | 'backend' | 'slurm' | 'timeout' | 'dryrun' | 'allowChangedFunction'> = {},
  ): ParallelMap {
    const dir = resolve(outputDir);
    const manifest = readManifest(dir);
    const blob = readArgumentsBlob(dir) as StoredArguments;
    const asMarker = (p: StoredPlan) =>
      p.mode === 'broadcast' ? broadcastValue(p.value) : 'range' in p ? split(range(...p.range)) : split(p.values as ArrayLike<unknown>);
    const args = blob.positional.map(asMarker);
    const kwargs = blob.hasKwargs ? Object.fromEntries(Object.entries(blob.keyword).map(([k, p]) => [k, asMarker(p)])) : undefined;
    const func = manifest.functionRef.kind === 'module' ? { module: manifest.functionRef.module, export: manifest.functionRef.exportName } : manifest.functionRef;
    const pmap = new ParallelMap(func as FunctionInput, args, {
      nInputs: manifest.nInputs,
      outputDir: dir,
      singleFile: manifest.singleFile,
      serializeResults: manifest.storage === 'serialized',
      resultShape: manifest.resultShape,
      resultDtype: manifest.resultDtype as string,
      timeout: manifest.timeoutMs,
      name: manifest.funcName,
      backend: manifest.backend === 'local' ? undefined : (manifest.backend as ParallelMapOptions['backend']),
      ...(kwargs ? { kwargs } : {}),
      ...overrides,
    });
    pmap.resumedFrom = dir;
    return pmap;
  }

  private runnerSetup(layout: RunLayout | undefined): RunnerSetup {
    const d = this.distribution;
    const broadcastPositional = d.positional.map((p) => (p.mode === 'broadcast' ? p.value : undefined));
    const keyword: Record<string, unknown> = {};
    for (const [name, p] of Object.entries(d.keyword)) if (p.mode === 'broadcast') keyword[name] = p.value;
    const storage = this.storage;
    const stacked = this.options.resultShape !== undefined;
    return {
      functionRef: this.func,
      nInputs: this.nInputs,
      broadcast: { positional: broadcastPositional, keyword, hasKwargs: d.hasKwargs },
      splits: this.splitArguments().map(({ target, values }) => (isRange(values) ? { target, range: { start: values.start, step: values.step } } : { target })),
      sink:
        storage === 'memory'
          ? { kind: 'memory' }
          : storage === 'serialized'
            ? { kind: 'serialized' }
            : this.options.singleFile
              ? { kind: 'encoded', stacked }
              : { kind: 'payload-file', stacked },
      paths: layout?.outputDir ? { outputDir: layout.outputDir, payloadDir: layout.payloadDir, funcName: this.func.name } : undefined,
      resultShape: this.options.resultShape,
      resultDtype: this.options.resultDtype,
    };
  }

  /** The split arguments in RunnerSetup.splits order (positional, then keyword). */
  private splitArguments(): { target: SplitArgument['target']; values: ArrayLike<unknown> }[] {
    const d = this.distribution;
    return [
      ...d.positional.flatMap((p, i) => (p.mode === 'split' ? [{ target: { positional: i }, values: p.values }] : [])),
      ...Object.entries(d.keyword).flatMap(([k, p]) => (p.mode === 'split' ? [{ target: { keyword: k }, values: p.values }] : [])),
    ];
  }

  /**
   * Call i's payload (see CallPayload): ranges travel as arithmetic in the setup, not per call.
   * One closure per shape of arguments, so the per-call path of a large run is one array read.
   */
  private get payloadFor(): (taskID: number) => CallPayload {
    if (this.payloadAccessor) return this.payloadAccessor;
    const sources = this.payloadSources();
    const only = sources[0];
    this.payloadAccessor =
      sources.length === 0 ? () => undefined : sources.length === 1 ? (taskID) => only![taskID] : (taskID) => sources.map((values) => values[taskID]);
    return this.payloadAccessor;
  }

  /** The values of the splits that travel as payloads (ranges do not). */
  private payloadSources(): ArrayLike<unknown>[] {
    return this.splitArguments()
      .map((s) => s.values)
      .filter((values) => !isRange(values));
  }

  private async computeOnce(): Promise<unknown> {
    const o = this.options;
    // Resolved first: the manifest records the backend the run actually uses (config file
    // included), and a local pool's threads, which take tens of ms to start, start before the
    // rest of the run is prepared (the logger alone costs 0.6 ms: it opens process.stderr).
    const backend = await this.getBackend();
    backend.prepare?.({ timeoutMs: o.timeout });
    const logger = new Logger({ verbose: o.verbose, logfile: typeof o.logfile === 'string' ? o.logfile : undefined });
    logger.announce(`This is acme-ts: ${this.nInputs} calls of ${this.func.name}`);
    for (const w of this.warnings) logger.warn(w);

    const storage = this.storage;
    let layout: RunLayout | undefined;
    let statusLog: StatusLog | undefined;
    const stored = new Map<number, { stored: 'hdf5' | 'serialized'; path?: string; names?: string[] }>();
    // Calls stored by onStoredBatch, counted, not put in `stored` one by one (a Map entry per call
    // cost a singleFile run of tiny calls 0.6 µs per call on the main thread): singleFile needs
    // no per-call entry after the run (no links to finish, the container is the result).
    let nStoredPacked = 0;
    let pending: Float64Array;

    if (storage !== 'memory') {
      if (!this.outputDir && !o.outputDir) this.cleanupOldRuns(logger);
      const outputDir = this.outputDir ?? resolve(o.outputDir ?? autoOutputDir(process.cwd(), new Date()));
      // A resumed run's arguments are the stored ones: not serialized again to be compared.
      const serializedArguments = this.resumedFrom === outputDir ? undefined : serializeArguments(this.argumentsBlob());
      const existing = this.checkExistingRun(outputDir, serializedArguments);
      mkdirSync(metaDir(outputDir), { recursive: true });
      // Before anything in the folder is written or read as done: one client per run.
      this.lock = RunLock.acquire(outputDir, backend.name);
      this.outputDir = outputDir;
      layout = planLayout({
        funcName: this.func.name,
        nInputs: this.nInputs,
        outputDir,
        mode: storage,
        singleFile: o.singleFile,
        resultShape: o.resultShape,
        resultDtype: o.resultDtype,
      });
      if (o.logfile !== false) logger.attachFile(typeof o.logfile === 'string' ? o.logfile : layout.logPath(new Date()));
      createContainer(layout);
      const manifest = existing ?? this.manifest(serializedArguments!);
      if (!existing) writeManifest(outputDir, manifest, serializedArguments);
      else this.recordFunctionVersion(outputDir, existing, logger);
      statusLog = new StatusLog(outputDir);
      if (o.dashboard) this.dashboard ??= await RunDashboard.open(outputDir, o.dashboard, (message) => logger.announce(message));
      if (o.singleFile) {
        const recovered = recoverSingleFileRun(layout, o.resultShape, statusLog);
        if (recovered > 0) logger.warn(`Recovered ${recovered} results that an interrupted client had stored into ${layout.containerPath} (from its journal)`);
      }
      for (const [taskID, call] of findStoredCalls(layout, this.nInputs, o.singleFile, manifest.createdAt)) stored.set(taskID, call);
      pending = missingCalls(this.nInputs, (i) => stored.has(i));
      if (stored.size > 0) logger.info(`Found ${stored.size} of ${this.nInputs} calls already done in ${outputDir}; running the other ${pending.length}`);
    } else {
      // ACME writes `logfile: true` of an in-memory run beside the function's source file.
      if (o.logfile === true) logger.attachFile(resolve(memoryLogFolder(this.func), logFileName(this.func.name, new Date())));
      if (!this.memoryValues) {
        // Filled, not holey: the first non-small-integer value stored into a holey array of
        // small integers converts all its elements (8 ms at 10⁶, between two batches).
        this.memoryValues = new Array(this.nInputs).fill(undefined);
        this.memoryDone = new Uint8Array(this.nInputs);
      }
      const doneFlags = this.memoryDone!;
      pending = unsetFlags(doneFlags);
    }

    const setup = this.runnerSetup(layout);
    if (o.dryrun && pending.length > 0) await this.dryrun(setup, pending, logger);

    const failures: CallFailure[] = [];
    const writer = layout && o.singleFile && layout.containerPath ? new SingleFileWriter(layout.containerPath, o.resultShape, new ResultJournal(layout.outputDir!)) : undefined;
    // A status record says "done" only once the journal holds the call's datasets.
    if (writer) statusLog!.beforeFlush = () => writer.flushJournal();
    logger.info(`Preparing ${pending.length} parallel calls of \`${this.func.name}\` using ${backend.concurrency} workers (${backend.name} backend, chosen by ${this.backendSource})`);
    if (this.outputDir) logger.debug(`Log information available at ${this.outputDir}`);

    const progress = new Progress(pending.length, { enabled: o.verbose !== false && pending.length > 0, label: this.func.name });
    let done = 0;
    const internal = new AbortController();
    const onAbort = () => internal.abort(o.signal?.reason);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) internal.abort(o.signal.reason);
    let interrupts = 0;
    const onSigint = () => {
      // First Ctrl-C: stop cleanly and keep every finished result; second: leave at once.
      if (++interrupts > 1) process.exit(130);
      logger.warn('Interrupted: stopping the workers; finished results are kept (Ctrl-C again to quit at once)');
      internal.abort(new AcmeError('ERR_ACME_ABORTED', 'the run was interrupted (SIGINT)'));
    };
    process.on('SIGINT', onSigint);

    const now = () => new Date().toISOString();
    const recordFailure = (taskID: number, error: { name: string; message: string; stack?: string }, reason: string, extra: { logPath?: string; durationMs?: number }) => {
      const failure: CallFailure = { taskID, ...error, reason, ...(extra.logPath ? { logPath: extra.logPath } : {}) };
      failures.push(failure);
      logger.debug(`call ${taskID} failed (${reason}): ${error.name}: ${error.message}`);
      statusLog?.record({ taskID, state: 'failed', at: now(), reason, error, ...extra });
      this.listener?.({ taskID, ok: false, error: failure });
    };
    const recordStored = (taskID: number, call: StoredCall, durationMs: number | undefined) => {
      // singleFile: the client is the container's only writer. A write it refuses fails the call.
      const writeError = writer && call.datasets ? tryWrite(() => writer.write(taskID, call.datasets!)) : undefined;
      if (writeError) return recordFailure(taskID, writeError, 'error', { durationMs });
      done++;
      stored.set(taskID, { stored: call.stored, path: call.path, names: call.names });
      if (call.fallbackReason) logger.warn(`call ${taskID}: HDF5 cannot hold the value (${call.fallbackReason}); it was serialized to ${call.path}`);
      statusLog!.record({ taskID, state: 'done', at: now(), stored: call.stored, path: call.path, names: call.names, durationMs });
      this.listener?.({ taskID, ok: true, value: call.path ?? layout!.containerPath });
    };
    // singleFile, tiny calls: a batch's calls of one structure, packed by column (one status line).
    const onStoredBatch = (taskIDs: ArrayLike<number>, packed: PackedCalls, durationsMs: ArrayLike<number> | number): void => {
      const refused = writer!.writeRows(taskIDs, packed);
      const call: StoredCallInfo = { stored: 'hdf5', names: packed.columns.map((c) => c.name) };
      const durationOf = (k: number) => (typeof durationsMs === 'number' ? durationsMs : durationsMs[k]);
      let written = taskIDs;
      if (refused.size > 0) {
        for (const [k, error] of refused) recordFailure(taskIDs[k]!, writeFailure(error), 'error', { durationMs: durationOf(k) });
        written = Array.from(taskIDs).filter((_, k) => !refused.has(k));
        durationsMs = typeof durationsMs === 'number' ? durationsMs : Array.from(durationsMs).filter((_, k) => !refused.has(k));
      }
      nStoredPacked += written.length;
      done += written.length;
      statusLog!.recordMany(written, { state: 'done', at: now(), stored: 'hdf5', names: call.names }, durationsMs);
      if (this.listener) for (let k = 0; k < written.length; k++) this.listener({ taskID: written[k]!, ok: true, value: layout!.containerPath });
      progress.update(done, failures.length);
    };
    const onOutcome = (outcome: CallOutcome): void => {
      if (!outcome.ok) {
        recordFailure(outcome.taskID, outcome.error, outcome.reason, { logPath: outcome.logPath, durationMs: outcome.durationMs });
      } else if (storage === 'memory') {
        done++;
        this.memoryValues![outcome.taskID] = outcome.value;
        this.memoryDone![outcome.taskID] = 1;
        this.listener?.({ taskID: outcome.taskID, ok: true, value: outcome.value });
      } else {
        recordStored(outcome.taskID, outcome.value as StoredCall, outcome.durationMs);
      }
      progress.update(done, failures.length);
    };
    const onSuccesses = (taskIDs: ArrayLike<number>, values: ArrayLike<unknown> | undefined, firstTaskID?: number): void => {
      const memoryValues = this.memoryValues!;
      const memoryDone = this.memoryDone!;
      // Tight loops: for tiny calls this is most of the main thread's work per call.
      if (firstTaskID !== undefined) {
        const n = taskIDs.length;
        if (values !== undefined) for (let i = 0; i < n; i++) memoryValues[firstTaskID + i] = values[i];
        memoryDone.fill(1, firstTaskID, firstTaskID + n);
      } else if (values === undefined) {
        for (let i = 0; i < taskIDs.length; i++) memoryDone[taskIDs[i]!] = 1;
      } else {
        for (let i = 0; i < taskIDs.length; i++) {
          const taskID = taskIDs[i]!;
          memoryValues[taskID] = values[i];
          memoryDone[taskID] = 1;
        }
      }
      done += taskIDs.length;
      if (this.listener) for (let i = 0; i < taskIDs.length; i++) this.listener({ taskID: taskIDs[i]!, ok: true, value: values?.[i] });
      progress.update(done, failures.length);
    };

    const events: ExecutionEvents = {
      onOutcome,
      ...(storage === 'memory' ? { onSuccesses } : {}),
      ...(writer ? { onStoredBatch } : {}),
      onLog: (level, message) => logger.log(level, message),
    };
    let aborted: unknown;
    try {
      await backend.execute(
        {
          setup,
          taskIDs: pending,
          payloadFor: this.payloadFor,
          ...(this.payloadSources().length === 1 ? { payloadSource: this.payloadSources()[0] } : {}),
          outputDir: this.outputDir,
          timeoutMs: o.timeout,
        },
        this.dashboard ? this.dashboard.track(events, { backend: backend.name, concurrency: backend.concurrency, submitted: pending.length }) : events,
        internal.signal,
      );
    } catch (err) {
      if (!internal.signal.aborted) throw err;
      aborted = err;
    } finally {
      process.off('SIGINT', onSigint);
      o.signal?.removeEventListener('abort', onAbort);
      progress.stop();
      this.dashboard?.endExecution();
      writer?.close();
      statusLog?.flush();
      writer?.discardJournal();
      if (layout) {
        finishContainer(layout, stored);
        if (layout.containerPath) this.resultsContainer = layout.containerPath;
      }
      logger.flush();
    }

    if (internal.signal.aborted) {
      const missing = this.nInputs - (storage === 'memory' ? countDone(this.memoryDone!) : stored.size + nStoredPacked);
      logger.error(`Aborted with ${missing} of ${this.nInputs} calls without a result; compute() again (or \`acme-ts rerun ${this.outputDir ?? ''}\`) finishes them`);
      logger.flush();
      // The signal's own reason (a DOMException AbortError for a bare abort()), possibly from
      // another realm, so no instanceof check.
      const reason: unknown = internal.signal.reason ?? aborted;
      throw reason ?? new AcmeError('ERR_ACME_ABORTED', 'the run was aborted');
    }
    if (failures.length > 0) {
      const error = new ComputeError(failures, this.nInputs);
      const hint = this.outputDir ? `; every other call's result is stored in ${this.outputDir}, and compute() again (or \`acme-ts rerun ${this.outputDir}\`) re-runs only the failed ones` : '; compute() again re-runs only the failed ones';
      error.message += `\n${hint.slice(2)}`;
      logger.error(error.message);
      logger.flush();
      throw error;
    }

    if (storage === 'memory') {
      logger.announce('SUCCESS! Finished parallel computation');
      logger.flush();
      if (o.resultShape) return stackResults(this.memoryValues!, o.resultShape, o.resultDtype);
      // The array itself, not a copy (10⁶ values): a later compute() returns it again.
      return this.memoryValues!;
    }
    logger.announce('SUCCESS!');
    logger.info(`Results have been saved to ${layout!.containerPath ?? this.outputDir}`);
    logger.flush();
    if (o.singleFile && layout!.containerPath) return [layout!.containerPath];
    return Array.from({ length: this.nInputs }, (_, i) => stored.get(i)!.path ?? layout!.payloadPath(i));
  }

  private cleanupOldRuns(logger: Logger): void {
    const base = process.cwd();
    const report = cleanupOldRuns(base, this.options.cleanupThresholdDays);
    for (const f of report.failed) logger.warn(`Could not remove the old run folder ${f.path}: ${f.reason}`);
    if (report.removed.length > 0) logger.info(`Removed ${report.removed.length} old ACME_* run folders from ${base}`);
    else if (this.options.cleanupThresholdDays === undefined && report.found > OLD_RUNS_WARNING_COUNT) {
      logger.warn(`Found ${report.found} ACME directories in ${base}; set options.cleanupThresholdDays (e.g. 7) to remove older ones`);
    }
  }

  /**
   * An output folder may hold an earlier attempt of this same run, never another run: the
   * layout options, the arguments and the function must be those of the stored run (a changed
   * function only with options.allowChangedFunction). Returns the stored manifest, if any.
   */
  private checkExistingRun(outputDir: string, serializedArguments: Uint8Array | undefined): RunManifest | undefined {
    if (!existsSync(outputDir) || !hasManifest(outputDir)) return undefined;
    const m = readManifest(outputDir);
    const o = this.options;
    const differences: string[] = [];
    const compare = (what: string, stored: unknown, mine: unknown) => {
      if (JSON.stringify(stored ?? null) !== JSON.stringify(mine ?? null)) differences.push(`${what} ${JSON.stringify(stored)} there, ${JSON.stringify(mine)} here`);
    };
    compare('function name', m.funcName, this.func.name);
    compare('nInputs', m.nInputs, this.nInputs);
    compare('storage', m.storage, this.storage === 'serialized' ? 'serialized' : 'hdf5');
    compare('singleFile', m.singleFile, o.singleFile);
    compare('resultShape', m.resultShape?.map(String), o.resultShape?.map(String));
    compare('resultDtype', m.resultDtype, o.resultDtype);
    if (m.fingerprint && serializedArguments && m.fingerprint.arguments !== argumentsFingerprint(serializedArguments)) {
      differences.push('the arguments differ (split, broadcast or keyword values)');
    }
    if (differences.length > 0) {
      throw new OptionError(
        'outputDir',
        `options.outputDir ${outputDir} already holds another run (${m.nInputs} calls of ${m.funcName}): ${differences.join('; ')}. Its results are not this run's: choose a new folder, or re-run that run with \`acme-ts rerun ${outputDir}\``,
      );
    }
    if (m.fingerprint && m.fingerprint.function !== functionFingerprint(this.func) && !o.allowChangedFunction) {
      const what = this.func.kind === 'module' ? `the content of ${this.func.module}` : `the source of ${this.func.name}`;
      throw new OptionError(
        'allowChangedFunction',
        `the function changed since the run in ${outputDir} started (${what} differs), so its stored calls and the missing ones would come from different code. Choose a new outputDir to run everything with the new code, or set options.allowChangedFunction: true (\`acme-ts rerun ${outputDir} --allow-changed-code\`) to keep the stored calls and run the missing ones with the new code (the run records which calls ran with which version)`,
      );
    }
    return m;
  }

  /** A changed function that was allowed: the manifest records since when the new version runs. */
  private recordFunctionVersion(outputDir: string, m: RunManifest, logger: Logger): void {
    if (!m.fingerprint) {
      logger.warn(`${outputDir} was started by an acme-ts that recorded no fingerprint: its function and arguments cannot be compared with this run's`);
      return;
    }
    const current = functionFingerprint(this.func);
    if (current === m.fingerprint.function) return;
    const since = new Date().toISOString();
    const versions = m.functionVersions ?? [{ function: m.fingerprint.function, since: m.createdAt }];
    writeManifest(outputDir, { ...m, fingerprint: { ...m.fingerprint, function: current }, functionVersions: [...versions, { function: current, since }] });
    logger.warn(`The function changed since this run started (options.allowChangedFunction): calls that run from now on (${since}) use the new version; the stored calls keep their results`);
  }

  private manifest(serializedArguments: Uint8Array): RunManifest {
    const o = this.options;
    return {
      version: 1,
      createdAt: new Date().toISOString(),
      funcName: this.func.name,
      functionRef: this.func,
      nInputs: this.nInputs,
      storage: this.storage === 'serialized' ? 'serialized' : 'hdf5',
      singleFile: o.singleFile,
      resultShape: o.resultShape,
      resultDtype: o.resultDtype,
      timeoutMs: o.timeout,
      backend: this.backend?.name ?? (typeof this.backendOption === 'string' ? this.backendOption : 'local'),
      fingerprint: { function: functionFingerprint(this.func), arguments: argumentsFingerprint(serializedArguments) },
    };
  }

  /** The distributed arguments in a form that survives v8 serialization (ranges materialized). */
  private argumentsBlob(): StoredArguments {
    const plain = (p: ArgumentPlan): StoredPlan =>
      p.mode === 'broadcast'
        ? p
        : isRange(p.values)
          ? { mode: 'split', range: [p.values.start, p.values.stop, p.values.step] }
          : { mode: 'split', values: materialize(p.values) as ArrayLike<unknown> };
    return {
      nInputs: this.nInputs,
      positional: this.distribution.positional.map(plain),
      keyword: Object.fromEntries(Object.entries(this.distribution.keyword).map(([k, p]) => [k, plain(p)])),
      hasKwargs: this.distribution.hasKwargs,
    };
  }

  /** ACME's dryrun: one random call in this process, timed, and checked to be storable. */
  private async dryrun(setup: RunnerSetup, pending: ArrayLike<number>, logger: Logger): Promise<void> {
    const taskID = pending[randomInt(pending.length)]!;
    logger.info(`Performing a single dry-run of ${this.func.name} simulating randomly picked call #${taskID} with automatically distributed arguments`);
    const runner = await createRunner({ ...setup, sink: { kind: 'memory' } });
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const value = await runner.runCall(taskID, this.payloadFor(taskID));
    const seconds = (performance.now() - t0) / 1000;
    const mb = Math.max(0, process.memoryUsage().rss - rss0) / 1e6;
    logger.info(`Dry-run completed. Elapsed time is ${seconds.toFixed(3)} seconds, estimated memory consumption was ${mb.toFixed(1)} MB.`);
    if (this.storage === 'hdf5') {
      const encoded = encodeResult(value, { stacked: this.options.resultShape !== undefined });
      if (!encoded.ok) {
        throw new OptionError(
          'dryrun',
          `dry run: call ${taskID} of ${this.func.name} returned a value HDF5 cannot hold (${encoded.reason}); return numbers, strings, TypedArrays or {data, shape}, or set options.serializeResults: true`,
        );
      }
    }
  }
}

/** 0..n-1 without the done ones; preallocated, as n may be 10⁶. */
/**
 * Indices of the zero flags, ascending, as the Float64Array batches travel in (a tight loop:
 * memory mode runs 10⁶ tiny calls).
 */
function unsetFlags(flags: Uint8Array): Float64Array {
  const unset = new Float64Array(flags.length);
  let k = 0;
  for (let i = 0; i < flags.length; i++) if (flags[i] === 0) unset[k++] = i;
  return unset.subarray(0, k);
}

function missingCalls(n: number, isDone: (taskID: number) => boolean): Float64Array {
  const pending = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < n; i++) if (!isDone(i)) pending[k++] = i;
  return pending.subarray(0, k);
}

function tryWrite(write: () => void): { name: string; message: string; stack?: string } | undefined {
  try {
    write();
    return undefined;
  } catch (err) {
    return writeFailure(err as Error);
  }
}

function writeFailure(e: Error): { name: string; message: string; stack?: string } {
  return { name: e.name ?? 'Error', message: `writing the result into the container failed: ${e.message}`, stack: e.stack };
}

/** The distributed arguments as stored in .acme-ts/arguments.v8 (split values materialized). */
interface StoredArguments {
  nInputs: number;
  positional: StoredPlan[];
  keyword: Record<string, StoredPlan>;
  hasKwargs: boolean;
}

/** A range is stored as [start, stop, step], so a resumed run still computes it per call. */
type StoredPlan = ArgumentPlan | { mode: 'split'; range: [number, number, number] };

/** Functions cannot cross to a worker thread or a SLURM task (structured clone refuses them). */
function rejectFunctionArguments(args: unknown[], kwargs: Record<string, unknown> | undefined): void {
  const where = [
    ...args.map((a, i) => [`args[${i}]`, a] as const),
    ...Object.entries(kwargs ?? {}).map(([k, v]) => [`options.kwargs.${k}`, v] as const),
  ];
  for (const [name, value] of where) {
    if (typeof value === 'function') {
      throw new OptionError(
        name.startsWith('args') ? 'args' : 'kwargs',
        `${name} is a function; functions cannot be sent to workers. Import it inside your function (or from its module) instead of passing it`,
      );
    }
  }
}

function materialize(values: ArrayLike<unknown>): unknown {
  if (Array.isArray(values) || ArrayBuffer.isView(values)) return values;
  return Array.from({ length: values.length }, (_, i) => values[i]);
}

function countDone(flags: Uint8Array): number {
  let n = 0;
  for (const f of flags) n += f;
  return n;
}

/** Where an in-memory run's `logfile: true` goes: the function's module folder, else the working folder. */
function memoryLogFolder(func: FunctionReference): string {
  return func.kind === 'module' ? dirname(func.module) : process.cwd();
}
