// The plan phase of a compute(): the output folder (created, or found from an earlier attempt),
// the container's skeleton, the manifest, the recorder of the run's storage mode with the calls
// that still lack a result, and the runner setup the backend's workers get.

import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Distribution } from './arguments';
import type { ExecutionBackend, RunnerSetup } from './backend';
import type { CallArguments } from './call-arguments';
import type { CopySlotTable } from './copy-slots';
import { createContainer, recoverSingleFileRun } from './container';
import { callInputNames, inputTable } from './input-table';
import type { FunctionReference } from './function-ref';
import { planLayout, type RunLayout } from './layout';
import type { Logger } from './logger';
import { MemoryRecorder, MemoryResults } from './memory-recorder';
import { isNamedResultShape, stackedKeys } from './named-result-shape';
import type { NumericDtype } from './result-encoding';
import { cleanupOldRuns, OLD_RUNS_WARNING_COUNT } from './old-runs';
import type { ResolvedOptions } from './options';
import { PayloadFileRecorder } from './payload-file-recorder';
import type { ResultRecorder } from './result-recorder';
import { autoOutputDir, metaDir } from './run-folder';
import { checkSameRun, recordFunctionVersion, runManifest, storedArguments } from './run-manifest';
import { RunLock } from './run-lock';
import { findStoredCalls } from './run-status';
import { hasManifest, readManifest, serializeArguments, StatusLog, writeManifest } from './run-store';
import { SerializedRecorder } from './serialized-recorder';
import { SingleFileRecorder } from './single-file-recorder';

/** What a run computes: ParallelMap's validated input. */
export interface RunSpec {
  readonly func: FunctionReference;
  readonly nInputs: number;
  readonly options: ResolvedOptions;
  readonly distribution: Distribution;
  readonly callArguments: CallArguments;
  /** Only these calls run (ParallelMap.resume's `only`), ascending. */
  readonly only?: readonly number[];
}

/** What stays from one compute() of a ParallelMap to the next. */
export interface RunHistory {
  outputDir?: string;
  /** Set by ParallelMap.resume(): the folder whose stored arguments the run was built from. */
  resumedFrom?: string;
  /** The run folder's client lock while a compute() runs (file modes). */
  lock?: RunLock;
  /** In-memory mode: the values of the calls that already succeeded. */
  memory?: MemoryResults;
}

export interface RunPlan {
  layout: RunLayout | undefined;
  recorder: ResultRecorder;
  /** The calls to run: those without a result (of `only`, when given), ascending. */
  pending: Float64Array;
  setup: RunnerSetup;
  /** This compute() created the output folder (a declined dry run removes it). */
  createdFolder: boolean;
}

/** Prepares a run; `history` is updated with its output folder or in-memory results. */
export function planRun(spec: RunSpec, backend: ExecutionBackend, logger: Logger, history: RunHistory): RunPlan {
  const o = spec.options;
  if (o.mode === 'memory') {
    history.memory ??= new MemoryResults(spec.nInputs);
    const recorder = new MemoryRecorder(history.memory, logger, o.resultShape ? { resultShape: o.resultShape, resultDtype: o.resultDtype } : undefined);
    return { layout: undefined, recorder, pending: recorder.pending(), setup: runnerSetup(spec, undefined, backend), createdFolder: false };
  }

  if (!history.outputDir && !o.outputDir) reportOldRuns(logger, o.cleanupThresholdDays);
  const outputDir = history.outputDir ?? resolve(o.outputDir ?? autoOutputDir(process.cwd(), new Date()));
  // A resumed run's arguments are the stored ones: not serialized again to be compared.
  const serializedArguments = history.resumedFrom === outputDir ? undefined : serializeArguments(storedArguments(spec.distribution));
  const createdFolder = !existsSync(outputDir);
  const existing = !createdFolder && hasManifest(outputDir) ? readManifest(outputDir) : undefined;
  if (existing) checkSameRun(outputDir, existing, spec, serializedArguments);
  mkdirSync(metaDir(outputDir), { recursive: true });
  // Before anything in the folder is written or read as done: one client per run.
  history.lock = RunLock.acquire(outputDir, backend.name);
  history.outputDir = outputDir;
  const layout = planLayout({
    funcName: spec.func.name,
    nInputs: spec.nInputs,
    outputDir,
    mode: o.mode,
    singleFile: o.singleFile,
    resultShape: o.resultShape,
    resultDtype: o.resultDtype,
  });
  if (o.logfile !== false) logger.attachFile(typeof o.logfile === 'string' ? o.logfile : layout.logPath(new Date()));
  const inputs = layout.container ? inputTable(spec.distribution, spec.distribution.parameterNames) : undefined;
  const createdContainer = createContainer(layout, inputs?.attributes);
  if (createdContainer && inputs && inputs.skipped.length > 0)
    logger.debug(`Inputs not recorded as attributes of ${layout.containerPath}: ${inputs.skipped.join('; ')}`);
  const manifest = existing ?? runManifest(spec, backend.name, serializedArguments!);
  if (!existing) writeManifest(outputDir, manifest, serializedArguments);
  else recordFunctionVersion(outputDir, existing, spec.func, logger);
  const statusLog = new StatusLog(outputDir);
  if (o.singleFile) {
    const recovered = recoverSingleFileRun(layout, statusLog);
    if (recovered > 0) logger.warn(`Recovered ${recovered} results that an interrupted client had stored into ${layout.containerPath} (from its journal)`);
  }
  const stored = findStoredCalls(layout, spec.nInputs, o.singleFile, manifest.createdAt);
  const recorder =
    o.mode === 'serialized'
      ? new SerializedRecorder(logger, layout, stored, statusLog)
      : o.singleFile
        ? new SingleFileRecorder(logger, layout, stored, statusLog, { copySlots: backend.sharedMemory === true })
        : new PayloadFileRecorder(logger, layout, stored, statusLog);
  // A fresh skeleton maps every call; so does the container of an attempt that stored them all.
  recorder.containerMapsEveryCall = createdContainer || stored.size === spec.nInputs;
  if (stored.size > 0)
    logger.info(`Found ${stored.size} of ${spec.nInputs} calls already done in ${outputDir}; running the other ${spec.nInputs - stored.size}`);
  const pending = spec.only ? selectCalls(recorder.pending(), spec.only, logger) : recorder.pending();
  const copySlots = recorder instanceof SingleFileRecorder ? recorder.copySlots : undefined;
  return { layout, recorder, pending, setup: runnerSetup(spec, layout, backend, copySlots), createdFolder };
}

/** The calls of `only` among the pending ones; those with a result already are named and skipped. */
function selectCalls(pending: Float64Array, only: readonly number[], logger: Logger): Float64Array {
  const waiting = new Set(pending);
  const done = only.filter((id) => !waiting.has(id));
  if (done.length > 0)
    logger.warn(
      `${done.length === 1 ? `Call ${done[0]} has` : `Calls ${done.join(', ')} have`} a result already and ${done.length === 1 ? 'is' : 'are'} not run again`,
    );
  return Float64Array.from(only.filter((id) => waiting.has(id)));
}

function runnerSetup(spec: RunSpec, layout: RunLayout | undefined, backend: ExecutionBackend, copySlots?: CopySlotTable): RunnerSetup {
  const o = spec.options;
  const stacked = o.resultShape !== undefined;
  const finishOnHost = backend.finishOnHost === true;
  return {
    functionRef: spec.func,
    nInputs: spec.nInputs,
    broadcast: spec.callArguments.broadcast,
    splits: spec.callArguments.splits,
    // Payload files only: an attribute per comp_i group costs libhdf5 a quarter more per call in
    // singleFile mode, whose container's root already holds the inputs (input-table.ts).
    ...(o.mode === 'hdf5' && !o.singleFile ? { inputNames: callInputNames(spec.callArguments.splits, spec.distribution.parameterNames) } : {}),
    sink:
      o.mode === 'memory'
        ? { kind: 'memory' }
        : o.mode === 'serialized'
          ? { kind: 'serialized' }
          : o.singleFile
            ? { kind: 'encoded', stacked, finishOnHost, ...(copySlots ? { copySlots } : {}) }
            : { kind: 'payload-file', stacked, finishOnHost },
    paths: layout?.outputDir ? { outputDir: layout.outputDir, payloadDir: layout.payloadDir, funcName: spec.func.name } : undefined,
    ...(isNamedResultShape(o.resultShape)
      ? { stackedKeys: stackedKeys(o.resultShape, o.resultDtype) }
      : { resultShape: o.resultShape, resultDtype: o.resultDtype as NumericDtype }),
  };
}

/** ACME's clean-up of automatic run folders in the working directory. */
function reportOldRuns(logger: Logger, thresholdDays: number | undefined): void {
  const base = process.cwd();
  const report = cleanupOldRuns(base, thresholdDays);
  for (const f of report.failed) logger.warn(`Could not remove the old run folder ${f.path}: ${f.reason}`);
  if (report.removed.length > 0) logger.info(`Removed ${report.removed.length} old ACME_* run folders from ${base}`);
  else if (thresholdDays === undefined && report.found > OLD_RUNS_WARNING_COUNT) {
    logger.warn(`Found ${report.found} ACME directories in ${base}; set options.cleanupThresholdDays (e.g. 7) to remove older ones`);
  }
}
