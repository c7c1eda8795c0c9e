// What a run folder records about the run itself (.acme-ts/manifest.json and arguments.v8, see
// docs/run-folder.md): enough for another process to compute the calls again.

import { broadcast, isRange, range, split, type ArgumentPlan, type Distribution } from './arguments';
import { OptionError } from './errors';
import type { RunSpec } from './run-plan';
import { encodeShape, writeManifest, type RunManifest } from './run-store';
import type { FunctionReference } from './function-ref';
import type { Logger } from './logger';
import { argumentsFingerprint, functionFingerprint } from './run-fingerprint';
import { isDatasetRows, reopenDatasetRows, type DatasetRowsSource } from './dataset-rows';

export function runManifest(spec: RunSpec, backendName: string, serializedArguments: Uint8Array): RunManifest {
  const o = spec.options;
  return {
    version: 1,
    createdAt: new Date().toISOString(),
    funcName: spec.func.name,
    functionRef: spec.func,
    nInputs: spec.nInputs,
    storage: o.mode === 'serialized' ? 'serialized' : 'hdf5',
    singleFile: o.singleFile,
    resultShape: o.resultShape,
    resultDtype: o.resultDtype,
    timeoutMs: o.timeout,
    backend: backendName,
    fingerprint: { function: functionFingerprint(spec.func), arguments: argumentsFingerprint(serializedArguments) },
  };
}

/**
 * An output folder may hold an earlier attempt of this same run, never another run: the
 * layout options, the arguments (unless `serializedArguments` is absent: a resumed run's are the
 * stored ones) and the function must be those of the stored run (a changed function only with
 * options.allowChangedFunction).
 */
export function checkSameRun(outputDir: string, stored: RunManifest, spec: RunSpec, serializedArguments: Uint8Array | undefined): void {
  const o = spec.options;
  const differences: string[] = [];
  const compare = (what: string, theirs: unknown, mine: unknown) => {
    if (JSON.stringify(theirs ?? null) !== JSON.stringify(mine ?? null))
      differences.push(`${what} ${JSON.stringify(theirs)} there, ${JSON.stringify(mine)} here`);
  };
  compare('function name', stored.funcName, spec.func.name);
  compare('nInputs', stored.nInputs, spec.nInputs);
  compare('storage', stored.storage, o.mode === 'serialized' ? 'serialized' : 'hdf5');
  compare('singleFile', stored.singleFile, o.singleFile);
  compare('resultShape', sortedKeys(encodeShape(stored.resultShape)), sortedKeys(encodeShape(o.resultShape)));
  compare('resultDtype', sortedKeys(stored.resultDtype), sortedKeys(o.resultDtype));
  if (stored.fingerprint && serializedArguments && stored.fingerprint.arguments !== argumentsFingerprint(serializedArguments)) {
    differences.push('the arguments differ (split, broadcast or keyword values)');
  }
  if (differences.length > 0) {
    throw new OptionError(
      'outputDir',
      `options.outputDir ${outputDir} already holds another run (${stored.nInputs} calls of ${stored.funcName}): ${differences.join('; ')}. Its results are not this run's: choose a new folder, or re-run that run with \`acme-ts rerun ${outputDir}\``,
    );
  }
  if (stored.fingerprint && stored.fingerprint.function !== functionFingerprint(spec.func) && !o.allowChangedFunction) {
    const what = spec.func.kind === 'module' ? `the content of ${spec.func.module}` : `the source of ${spec.func.name}`;
    throw new OptionError(
      'allowChangedFunction',
      `the function changed since the run in ${outputDir} started (${what} differs), so its stored calls and the missing ones would come from different code. Choose a new outputDir to run everything with the new code, or set options.allowChangedFunction: true (\`acme-ts rerun ${outputDir} --allow-changed-code\`) to keep the stored calls and run the missing ones with the new code (the run records which calls ran with which version)`,
    );
  }
}

/** The named form's keys in one order: `{ a, b }` and `{ b, a }` are the same run. */
function sortedKeys<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

/** A changed function that was allowed: the manifest records since when the new version runs. */
export function recordFunctionVersion(outputDir: string, stored: RunManifest, func: FunctionReference, logger: Logger): void {
  if (!stored.fingerprint) {
    logger.warn(`${outputDir} was started by an acme-ts that recorded no fingerprint: its function and arguments cannot be compared with this run's`);
    return;
  }
  const current = functionFingerprint(func);
  if (current === stored.fingerprint.function) return;
  const since = new Date().toISOString();
  const versions = stored.functionVersions ?? [{ function: stored.fingerprint.function, since: stored.createdAt }];
  writeManifest(outputDir, {
    ...stored,
    fingerprint: { ...stored.fingerprint, function: current },
    functionVersions: [...versions, { function: current, since }],
  });
  logger.warn(
    `The function changed since this run started (options.allowChangedFunction): calls that run from now on (${since}) use the new version; the stored calls keep their results`,
  );
}

/** The distributed arguments as stored in .acme-ts/arguments.v8 (split values materialized). */
export interface StoredArguments {
  nInputs: number;
  positional: StoredPlan[];
  keyword: Record<string, StoredPlan>;
  hasKwargs: boolean;
}

/**
 * A range is stored as [start, stop, step], so a resumed run still computes it per call; dataset
 * rows as their source (file, dataset, dtype, shape, the file's size and mtime), which is what
 * the arguments' fingerprint then covers: a changed file is another run's input.
 */
type StoredPlan = ArgumentPlan | { mode: 'split'; range: [number, number, number] } | { mode: 'split'; rows: DatasetRowsSource };

/** The distributed arguments in a form that survives v8 serialization (ranges kept as ranges). */
export function storedArguments(distribution: Distribution): StoredArguments {
  const plain = (p: ArgumentPlan): StoredPlan =>
    p.mode === 'broadcast'
      ? p
      : isRange(p.values)
        ? { mode: 'split', range: [p.values.start, p.values.stop, p.values.step] }
        : isDatasetRows(p.values)
          ? { mode: 'split', rows: p.values.source }
          : { mode: 'split', values: materialize(p.values) as ArrayLike<unknown> };
  return {
    nInputs: distribution.nInputs,
    positional: distribution.positional.map(plain),
    keyword: Object.fromEntries(Object.entries(distribution.keyword).map(([k, p]) => [k, plain(p)])),
    hasKwargs: distribution.hasKwargs,
  };
}

/**
 * The arguments and kwargs to give ParallelMap again, from storedArguments' record. Dataset rows
 * are refused (InputFileError) when their file is no longer the recorded one.
 */
export function argumentsFromStore(blob: StoredArguments): { args: unknown[]; kwargs?: Record<string, unknown> } {
  const asMarker = (p: StoredPlan) =>
    p.mode === 'broadcast'
      ? broadcast(p.value)
      : 'range' in p
        ? split(range(...p.range))
        : 'rows' in p
          ? split(reopenDatasetRows(p.rows))
          : split(p.values as ArrayLike<unknown>);
  const args = blob.positional.map(asMarker);
  if (!blob.hasKwargs) return { args };
  return { args, kwargs: Object.fromEntries(Object.entries(blob.keyword).map(([k, p]) => [k, asMarker(p)])) };
}

function materialize(values: ArrayLike<unknown>): unknown {
  if (Array.isArray(values) || ArrayBuffer.isView(values)) return values;
  return Array.from({ length: values.length }, (_, i) => values[i]);
}
