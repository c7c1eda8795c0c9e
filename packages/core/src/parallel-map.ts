// ParallelMap: one function, many inputs, one call per input on a backend, every result
// stored in ACME's HDF5 layout (or returned). The constructor validates everything it can
// without touching the disk, so bad input fails at once; compute() does the work and can be
// called again to finish what an earlier attempt left undone.

import { rmSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ExecutionBackend } from './backend';
import { splitCallArguments, type CallArguments } from './call-arguments';
import { createBackendByName, isExecutionBackend } from './backend-registry';
import { loadConfig } from './config';
import { distributeArguments, type Distribution } from './arguments';
import { resolveFunctionReference, type FunctionInput, type FunctionReference } from './function-ref';
import { bindArguments } from './argument-binding';
import { functionSignature } from './parameters';
import { checkCallCount, validateOptions, type ParallelMapOptions, type ResolvedOptions } from './options';
import { Logger } from './logger';
import { AcmeError, ComputeError, OptionError, StorageError, describeValue } from './errors';
import { InProcessBackend } from './in-process-backend';
import type { CallResult } from './result-recorder';
import { readArgumentsBlob, readManifest } from './run-store';
import { argumentsFromStore, type StoredArguments } from './run-manifest';
import { planRun, type RunHistory, type RunPlan, type RunSpec } from './run-plan';
import { dryRun } from './dry-run';
import { executeRun, type Execution } from './execute-run';
import { finishRun } from './finish-run';
import type { StackedResults } from './result-encoding';
import type { NamedStackedResults } from './named-result-shape';
import type { RunDashboard } from './dashboard/run-dashboard';
import { logFileName } from './run-folder';

export type { CallResult } from './result-recorder';

/** ParallelMap's options: `backend` also takes an ExecutionBackend object (e.g. a shared LocalBackend). */
export type ParallelMapInit = Omit<ParallelMapOptions, 'backend'> & { backend?: ParallelMapOptions['backend'] | ExecutionBackend };

/**
 * What compute() resolves with, by the options' type: file paths when results are written
 * (`writeWorkerResults` absent or true), the values in memory (`false`; with `resultShape` one
 * StackedResults, with the named resultShape one NamedStackedResults), and the union when the options' type does not tell.
 */
export type ComputeResult<O> = O extends { writeWorkerResults: false }
  ? O extends { resultShape: readonly (number | null)[] }
    ? StackedResults
    : O extends { resultShape: Readonly<Record<string, readonly (number | null)[]>> }
      ? NamedStackedResults
      : unknown[]
  : O extends { writeWorkerResults?: true | undefined }
    ? string[]
    : string[] | unknown[] | StackedResults | NamedStackedResults;

export class ParallelMap<O extends ParallelMapInit = ParallelMapInit> {
  readonly func: FunctionReference;
  readonly nInputs: number;
  readonly options: ResolvedOptions;
  /** The output folder (set once compute() created or found it). */
  outputDir: string | undefined;
  /** `<outputDir>/<f>.h5` after compute() in the HDF5 modes, as ACME's `results_container`. */
  resultsContainer: string | undefined;
  /** Warnings found while validating (also logged when the run starts). */
  readonly warnings: string[];
  /** A resumed run restricted to these calls (ParallelMap.resume's `only`), ascending. */
  only: readonly number[] | undefined;

  private readonly distribution: Distribution;
  private readonly backendOption: ParallelMapOptions['backend'] | ExecutionBackend;
  private backend?: ExecutionBackend;
  private ownsBackend = false;
  /** Where the backend's name came from, for the run's first lines (a config file switches silently otherwise). */
  private backendSource = 'options.backend';
  private running = false;
  /** What stays between compute()s: the output folder, or the values of calls that succeeded. */
  private readonly history: RunHistory = {};
  /** options.dashboard: served from the first compute() until close(). */
  private dashboard?: RunDashboard;
  private listener?: (result: CallResult) => void;
  private splitArguments?: CallArguments;

  constructor(func: FunctionInput, args: unknown[] = [], options: O = {} as O) {
    if (!Array.isArray(args)) {
      throw new OptionError('args', `args must be an array of the function's positional arguments, got ${typeof args}; wrap a single argument as [x]`);
    }
    const { backend, ...rest } = options as ParallelMapOptions & { backend?: unknown };
    this.options = validateOptions(isExecutionBackend(backend) ? rest : options);
    this.warnings = [...this.options.warnings];
    this.backendOption = isExecutionBackend(backend) ? backend : this.options.backend;
    if (isExecutionBackend(backend)) {
      for (const [option, given] of [
        ['concurrency', this.options.concurrency > 1],
        ['isolation', this.options.isolation !== 'thread'],
      ] as const) {
        if (given) this.warnings.push(`options.${option} has no effect with a backend object: give it to the backend (new LocalBackend({ ${option} }))`);
      }
    }
    this.func = resolveFunctionReference(func, { name: this.options.name });
    const signature = functionSignature(this.func);
    const bound = bindArguments(args, this.options.kwargs, signature);
    this.distribution = distributeArguments(bound.args, bound.kwargs, this.options.nInputs);
    if (signature.ok) this.distribution.parameterNames = signature.signature.params.map((p) => (p.rest ? undefined : p.name));
    this.nInputs = this.distribution.nInputs;
    if (this.options.nInputs === 'auto') checkCallCount(this.nInputs, "the split arguments' length");
    this.warnings.push(...bound.warnings, ...this.distribution.warnings);
    rejectFunctionArguments(args, this.options.kwargs);
  }

  /**
   * Runs every call that has no valid result yet and resolves with ACME's return value:
   * payload paths (default), `[container]` (singleFile), serialized paths, or the values
   * (in-memory; a stacked array with resultShape). Rejects with a ComputeError listing every
   * failed call after all other calls finished and were stored.
   */
  async compute(): Promise<ComputeResult<O>> {
    // ACME users write compute(True) for its debug mode; silently ignoring it would run normally.
    if (arguments.length > 0) {
      throw new OptionError(
        'compute',
        "compute() takes no arguments; ACME's compute(debug=True) is the option debug: true (new ParallelMap(func, args, { debug: true })): every call runs in this process, one after another, where `node --inspect` stops in the function, and a call's exception propagates",
      );
    }
    if (this.running) throw new AcmeError('ERR_ACME_BUSY', 'compute() is already running on this ParallelMap; await it first');
    this.running = true;
    try {
      return (await this.computeOnce()) as ComputeResult<O>;
    } catch (error) {
      const reason = this.outputDir ? StorageError.reasonOf(error) : undefined;
      throw reason ? new StorageError(this.outputDir!, reason, error as Error) : error;
    } finally {
      this.history.lock?.release();
      this.history.lock = undefined;
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
      this.backendOption !== undefined
        ? 'options.backend'
        : process.env.ACME_TS_BACKEND
          ? 'ACME_TS_BACKEND'
          : config.backend
            ? `the config file ${configFile}`
            : 'the default');
    if (name !== 'slurm' && this.options.slurm !== undefined) {
      this.warnings.push(`options.slurm has no effect: this run uses the ${name} backend (from ${source}); set options.backend: "slurm" to run on SLURM`);
    }
    const fromConfig = (config as Record<string, Record<string, unknown> | undefined>)[name] ?? {};
    const explicit = name === 'slurm' ? ((this.options.slurm as Record<string, unknown> | undefined) ?? {}) : {};
    this.backend = await createBackendByName(name, {
      ...fromConfig,
      ...explicit,
      ...(this.options.nWorkers !== 'auto' ? { nWorkers: this.options.nWorkers } : {}),
      ...(this.options.concurrency > 1 ? { concurrency: this.options.concurrency } : {}),
      ...(this.options.isolation !== 'thread' ? { isolation: this.options.isolation } : {}),
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
  static resume(outputDir: string, overrides: ResumeOverrides = {}): ParallelMap {
    const { only, ...options } = overrides;
    const dir = resolve(outputDir);
    const manifest = readManifest(dir);
    const { args, kwargs } = argumentsFromStore(readArgumentsBlob(dir) as StoredArguments);
    const func =
      manifest.functionRef.kind === 'module' ? { module: manifest.functionRef.module, export: manifest.functionRef.exportName } : manifest.functionRef;
    const pmap = new ParallelMap(func as FunctionInput, args, {
      nInputs: manifest.nInputs,
      outputDir: dir,
      singleFile: manifest.singleFile,
      serializeResults: manifest.storage === 'serialized',
      resultShape: manifest.resultShape,
      resultDtype: manifest.resultDtype as ParallelMapOptions['resultDtype'],
      timeout: manifest.timeoutMs,
      name: manifest.funcName,
      // A run made in debug mode (in-process) or with a backend object resumes on the default backend.
      backend: manifest.backend === 'slurm' ? 'slurm' : undefined,
      ...(kwargs ? { kwargs } : {}),
      ...options,
    });
    // Its arguments are the stored ones: not serialized again to be compared.
    pmap.history.resumedFrom = dir;
    if (only !== undefined) pmap.only = checkOnly(only, pmap.nInputs);
    return pmap;
  }

  /** What the run computes, for its phases (the arguments split once per ParallelMap). */
  private get spec(): RunSpec {
    this.splitArguments ??= splitCallArguments(this.distribution);
    return {
      func: this.func,
      nInputs: this.nInputs,
      options: this.options,
      distribution: this.distribution,
      callArguments: this.splitArguments,
      ...(this.only ? { only: this.only } : {}),
    };
  }

  /**
   * The dry run's question was answered no (ACME: no client, compute() returns None): nothing
   * runs, and the output folder is removed when this compute() made it.
   */
  private declineRun(plan: RunPlan, logger: Logger): never {
    plan.recorder.finish();
    logger.flush();
    this.history.lock?.release();
    this.history.lock = undefined;
    const dir = this.outputDir;
    let folder = '';
    if (dir && plan.createdFolder) {
      rmSync(dir, { recursive: true, force: true });
      this.history.outputDir = this.outputDir = undefined;
      folder = `; the output folder ${dir} was removed`;
    } else if (dir) {
      folder = `; ${dir} keeps what earlier runs stored`;
    }
    throw new AcmeError('ERR_ACME_DRYRUN_DECLINED', `not continued after the dry run: no call ran${folder}`);
  }

  /** validate (constructor) → plan → execute → record (the recorder, fed by the backend) → finish. */
  private async computeOnce(): Promise<unknown> {
    const o = this.options;
    // Resolved first: the manifest records the backend the run actually uses (config file
    // included), and a local pool's threads, which take tens of ms to start, start before the
    // rest of the run is prepared (the logger alone costs 0.6 ms: it opens process.stderr).
    // Debug mode (ACME's compute(debug=True)): no workers, every call in this process.
    const backend: ExecutionBackend = o.debug ? new InProcessBackend() : await this.getBackend();
    backend.prepare?.({ timeoutMs: o.timeout });
    const logger = new Logger({ verbose: o.verbose, logfile: typeof o.logfile === 'string' ? o.logfile : undefined, userLogger: o.logger });
    logger.announce(`This is acme-ts: ${this.nInputs} calls of ${this.func.name}`);
    for (const w of this.warnings) logger.warn(w);
    if (o.debug) {
      this.backendSource = 'options.debug';
      logger.warn('Running in debug mode: the calls run one after another in this process (no workers), and the first exception a call throws stops the run');
      if (o.timeout !== undefined) logger.warn('options.timeout has no effect in debug mode: a call in this process cannot be ended');
    }

    // ACME writes `logfile: true` of an in-memory run beside the function's source file.
    if (o.mode === 'memory' && o.logfile === true) logger.attachFile(resolve(memoryLogFolder(this.func), logFileName(this.func.name, new Date())));
    const spec = this.spec;
    const plan = planRun(spec, backend, logger, this.history);
    this.outputDir = this.history.outputDir;
    plan.recorder.listener = this.listener;
    if (o.dryrun && plan.pending.length > 0 && !(await dryRun(spec, plan, logger))) this.declineRun(plan, logger);
    logger.info(
      `Preparing ${plan.pending.length} parallel calls of \`${this.func.name}\` using ${backend.concurrency} workers (${backend.name} backend, chosen by ${this.backendSource})`,
    );
    if (this.outputDir) logger.debug(`Log information available at ${this.outputDir}`);

    // options.dashboard: served from the first compute() of a run with a folder until close().
    // Loaded only then: a run without one pays nothing for its server.
    if (o.dashboard && this.outputDir && !this.dashboard) {
      const { RunDashboard } = require('./dashboard/run-dashboard') as typeof import('./dashboard/run-dashboard');
      this.dashboard = await RunDashboard.open(this.outputDir, o.dashboard, (message) => logger.announce(message));
    }
    const dashboard = this.dashboard;
    let execution: Execution;
    try {
      const info = { backend: backend.name, concurrency: backend.concurrency, submitted: plan.pending.length };
      execution = await executeRun(spec, backend, plan, logger, this.outputDir, dashboard && ((events) => dashboard.track(events, info)));
    } finally {
      dashboard?.endExecution();
      if (plan.layout?.containerPath) this.resultsContainer = plan.layout.containerPath;
    }
    return finishRun(spec, plan, execution, logger, this.outputDir);
  }
}

/** ResumeOverrides: how a stored run continues (not what it computes), and which of its calls run. */
export type ResumeOverrides = Pick<
  ParallelMapInit,
  | 'nWorkers'
  | 'verbose'
  | 'logfile'
  | 'signal'
  | 'backend'
  | 'slurm'
  | 'timeout'
  | 'concurrency'
  | 'isolation'
  | 'dryrun'
  | 'debug'
  | 'retries'
  | 'allowChangedFunction'
> & {
  /** Run only these calls (taskIDs) of those without a result; the others stay as they are. */
  only?: readonly number[];
};

/** `only` of ParallelMap.resume: distinct taskIDs of the run, ascending. */
function checkOnly(only: readonly number[], nInputs: number): number[] {
  if (!Array.isArray(only)) throw new OptionError('only', `options.only must be an array of taskIDs, got ${describeValue(only)}`);
  for (const id of only) {
    if (!(Number.isInteger(id) && id >= 0 && id < nInputs)) {
      throw new OptionError('only', `options.only names call ${describeValue(id)}, but the run has ${nInputs} calls (taskIDs 0 to ${nInputs - 1})`);
    }
  }
  return [...new Set(only)].sort((a, b) => a - b);
}

/** Functions cannot cross to a worker thread or a SLURM task (structured clone refuses them). */
function rejectFunctionArguments(args: unknown[], kwargs: Record<string, unknown> | undefined): void {
  const where = [...args.map((a, i) => [`args[${i}]`, a] as const), ...Object.entries(kwargs ?? {}).map(([k, v]) => [`options.kwargs.${k}`, v] as const)];
  for (const [name, value] of where) {
    if (typeof value === 'function') {
      throw new OptionError(
        name.startsWith('args') ? 'args' : 'kwargs',
        `${name} is a function; functions cannot be sent to workers. Import it inside your function (or from its module) instead of passing it`,
      );
    }
  }
}

/** Where an in-memory run's `logfile: true` goes: the function's module folder, else the working folder. */
function memoryLogFolder(func: FunctionReference): string {
  return func.kind === 'module' ? dirname(func.module) : process.cwd();
}
