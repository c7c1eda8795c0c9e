// ParallelMap: one function, many inputs, one call per input on a backend, every result
// stored in ACME's HDF5 layout (or returned). The constructor validates everything it can
// without touching the disk, so bad input fails at once; compute() does the work and can be
// called again to finish what an earlier attempt left undone.

import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { randomInt } from 'node:crypto';
import type { ExecutionBackend, RunnerSetup } from './backend';
import { splitCallArguments, type CallArguments } from './call-arguments';
import { createBackendByName, isExecutionBackend } from './backend-registry';
import { loadConfig } from './config';
import { broadcast as broadcastValue, distributeArguments, isRange, range, split, type Distribution, type ArgumentPlan } from './arguments';
import { resolveFunctionReference, type FunctionInput, type FunctionReference } from './function-ref';
import { validateOptions, type ParallelMapOptions, type ResolvedOptions } from './options';
import { planLayout, type RunLayout } from './layout';
import { autoOutputDir } from './run-folder';
import { createContainer, recoverSingleFileRun } from './container';
import { createRunner } from './call-runner';
import { encodeResult } from './result-encoding';
import { Logger } from './logger';
import { Progress } from './progress';
import { findStoredCalls } from './run-status';
import { cleanupOldRuns, OLD_RUNS_WARNING_COUNT } from './old-runs';
import { AcmeError, ComputeError, OptionError } from './errors';
import type { CallResult, ResultRecorder } from './result-recorder';
import { MemoryRecorder, MemoryResults } from './memory-recorder';
import { PayloadFileRecorder } from './payload-file-recorder';
import { SerializedRecorder } from './serialized-recorder';
import { SingleFileRecorder } from './single-file-recorder';
import {
  hasManifest,
  readArgumentsBlob,
  readManifest,
  StatusLog,
  writeManifest,
  type RunManifest,
} from './run-store';

export type { CallResult } from './result-recorder';

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
  private readonly backendOption: ParallelMapOptions['backend'] | ExecutionBackend;
  private backend?: ExecutionBackend;
  private ownsBackend = false;
  private running = false;
  /** In-memory mode: values of calls that already succeeded (a second compute() re-runs only the rest). */
  private memory?: MemoryResults;
  private listener?: (result: CallResult) => void;
  private splitArguments?: CallArguments;

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
    if (this.running) throw new AcmeError('ERR_ACME_BUSY', 'compute() is already running on this ParallelMap; await it first');
    this.running = true;
    try {
      return await this.computeOnce();
    } finally {
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
    overrides: Pick<ParallelMapInit, 'nWorkers' | 'verbose' | 'logfile' | 'signal' | 'backend' | 'slurm' | 'timeout' | 'dryrun'> = {},
  ): ParallelMap {
    const dir = resolve(outputDir);
    const manifest = readManifest(dir);
    const blob = readArgumentsBlob(dir) as StoredArguments;
    const asMarker = (p: StoredPlan) =>
      p.mode === 'broadcast' ? broadcastValue(p.value) : 'range' in p ? split(range(...p.range)) : split(p.values as ArrayLike<unknown>);
    const args = blob.positional.map(asMarker);
    const kwargs = blob.hasKwargs ? Object.fromEntries(Object.entries(blob.keyword).map(([k, p]) => [k, asMarker(p)])) : undefined;
    const func = manifest.functionRef.kind === 'module' ? { module: manifest.functionRef.module, export: manifest.functionRef.exportName } : manifest.functionRef;
    return new ParallelMap(func as FunctionInput, args, {
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
  }

  private runnerSetup(layout: RunLayout | undefined, backend: ExecutionBackend): RunnerSetup {
    const storage = this.storage;
    const stacked = this.options.resultShape !== undefined;
    const finishOnHost = backend.finishOnHost === true;
    return {
      functionRef: this.func,
      nInputs: this.nInputs,
      broadcast: this.callArguments.broadcast,
      splits: this.callArguments.splits,
      sink:
        storage === 'memory'
          ? { kind: 'memory' }
          : storage === 'serialized'
            ? { kind: 'serialized' }
            : this.options.singleFile
              ? { kind: 'encoded', stacked, finishOnHost }
              : { kind: 'payload-file', stacked, finishOnHost },
      paths: layout?.outputDir ? { outputDir: layout.outputDir, payloadDir: layout.payloadDir, funcName: this.func.name } : undefined,
      resultShape: this.options.resultShape,
      resultDtype: this.options.resultDtype,
    };
  }

  /** The arguments split into broadcast and per-call payloads (made once per ParallelMap). */
  private get callArguments(): CallArguments {
    this.splitArguments ??= splitCallArguments(this.distribution);
    return this.splitArguments;
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
    let recorder: ResultRecorder;

    if (storage !== 'memory') {
      if (!this.outputDir && !o.outputDir) this.cleanupOldRuns(logger);
      const outputDir = this.outputDir ?? resolve(o.outputDir ?? autoOutputDir(process.cwd(), new Date()));
      this.checkExistingRun(outputDir);
      mkdirSync(outputDir, { recursive: true });
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
      if (!hasManifest(outputDir)) writeManifest(outputDir, this.manifest(), this.argumentsBlob());
      const statusLog = new StatusLog(outputDir);
      if (o.singleFile) {
        const recovered = recoverSingleFileRun(layout, o.resultShape, statusLog);
        if (recovered > 0) logger.warn(`Recovered ${recovered} results that an interrupted client had stored into ${layout.containerPath} (from its journal)`);
      }
      const stored = findStoredCalls(layout, this.nInputs, o.singleFile);
      recorder =
        storage === 'serialized'
          ? new SerializedRecorder(logger, layout, stored, statusLog)
          : o.singleFile
            ? new SingleFileRecorder(logger, layout, stored, statusLog, o.resultShape)
            : new PayloadFileRecorder(logger, layout, stored, statusLog);
      if (stored.size > 0) logger.info(`Found ${stored.size} of ${this.nInputs} calls already done in ${outputDir}; running the other ${this.nInputs - stored.size}`);
    } else {
      this.memory ??= new MemoryResults(this.nInputs);
      recorder = new MemoryRecorder(this.memory, logger, o.resultShape ? { resultShape: o.resultShape, resultDtype: o.resultDtype } : undefined);
    }
    const pending = recorder.pending();
    recorder.listener = this.listener;

    const setup = this.runnerSetup(layout, backend);
    if (o.dryrun && pending.length > 0) await this.dryrun(setup, pending, logger);

    logger.info(`Preparing ${pending.length} parallel calls of \`${this.func.name}\` using ${backend.concurrency} workers (${backend.name})`);
    if (this.outputDir) logger.debug(`Log information available at ${this.outputDir}`);

    const progress = new Progress(pending.length, { enabled: o.verbose !== false && pending.length > 0, label: this.func.name });
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

    let aborted: unknown;
    try {
      await backend.execute(
        {
          setup,
          taskIDs: pending,
          payloadFor: this.callArguments.payloadFor,
          ...(this.callArguments.payloadSource ? { payloadSource: this.callArguments.payloadSource } : {}),
          outputDir: this.outputDir,
          timeoutMs: o.timeout,
        },
        {
          onSettled: (batch) => {
            recorder.record(batch);
            progress.update(recorder.nDone, recorder.failures.length);
          },
          onLog: (level, message) => logger.log(level, message),
        },
        internal.signal,
      );
    } catch (err) {
      if (!internal.signal.aborted) throw err;
      aborted = err;
    } finally {
      process.off('SIGINT', onSigint);
      o.signal?.removeEventListener('abort', onAbort);
      progress.stop();
      recorder.finish();
      if (layout?.containerPath) this.resultsContainer = layout.containerPath;
      logger.flush();
    }

    if (internal.signal.aborted) {
      const missing = recorder.nMissing;
      logger.error(`Aborted with ${missing} of ${this.nInputs} calls without a result; compute() again (or \`acme-ts rerun ${this.outputDir ?? ''}\`) finishes them`);
      logger.flush();
      // The signal's own reason (a DOMException AbortError for a bare abort()), possibly from
      // another realm, so no instanceof check.
      const reason: unknown = internal.signal.reason ?? aborted;
      throw reason ?? new AcmeError('ERR_ACME_ABORTED', 'the run was aborted');
    }
    const { failures } = recorder;
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
      return recorder.results();
    }
    logger.announce('SUCCESS!');
    logger.info(`Results have been saved to ${layout!.containerPath ?? this.outputDir}`);
    logger.flush();
    return recorder.results();
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

  /** An output folder may hold an earlier attempt of this same run, never another run. */
  private checkExistingRun(outputDir: string): void {
    if (!existsSync(outputDir) || !hasManifest(outputDir)) return;
    const m = readManifest(outputDir);
    const mine = this.manifest();
    const same =
      m.funcName === mine.funcName &&
      m.nInputs === mine.nInputs &&
      m.storage === mine.storage &&
      m.singleFile === mine.singleFile &&
      JSON.stringify(m.resultShape ?? null) === JSON.stringify(mine.resultShape ?? null) &&
      m.resultDtype === mine.resultDtype;
    if (!same) {
      throw new OptionError(
        'outputDir',
        `options.outputDir ${outputDir} already holds another run (${m.nInputs} calls of ${m.funcName}); choose a new folder, or re-run that run with \`acme-ts rerun ${outputDir}\``,
      );
    }
  }

  private manifest(): RunManifest {
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
    const value = await runner.runCall(taskID, this.callArguments.payloadFor(taskID));
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
