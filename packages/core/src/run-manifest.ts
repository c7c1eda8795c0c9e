// What a run folder records about the run itself (.acme-ts/manifest.json and arguments.v8, see
// docs/run-folder.md): enough for another process to compute the calls again.

import { broadcast, isRange, range, split, type ArgumentPlan, type Distribution } from './arguments';
import { OptionError } from './errors';
import type { RunSpec } from './run-plan';
import type { RunManifest } from './run-store';

export function runManifest(spec: RunSpec, backendName: string): RunManifest {
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
  };
}

/** An output folder may hold an earlier attempt of this same run, never another run. */
export function checkSameRun(outputDir: string, stored: RunManifest, mine: RunManifest): void {
  const same =
    stored.funcName === mine.funcName &&
    stored.nInputs === mine.nInputs &&
    stored.storage === mine.storage &&
    stored.singleFile === mine.singleFile &&
    JSON.stringify(stored.resultShape ?? null) === JSON.stringify(mine.resultShape ?? null) &&
    stored.resultDtype === mine.resultDtype;
  if (!same) {
    throw new OptionError(
      'outputDir',
      `options.outputDir ${outputDir} already holds another run (${stored.nInputs} calls of ${stored.funcName}); choose a new folder, or re-run that run with \`acme-ts rerun ${outputDir}\``,
    );
  }
}

/** The distributed arguments as stored in .acme-ts/arguments.v8 (split values materialized). */
export interface StoredArguments {
  nInputs: number;
  positional: StoredPlan[];
  keyword: Record<string, StoredPlan>;
  hasKwargs: boolean;
}

/** A range is stored as [start, stop, step], so a resumed run still computes it per call. */
type StoredPlan = ArgumentPlan | { mode: 'split'; range: [number, number, number] };

/** The distributed arguments in a form that survives v8 serialization (ranges kept as ranges). */
export function storedArguments(distribution: Distribution): StoredArguments {
  const plain = (p: ArgumentPlan): StoredPlan =>
    p.mode === 'broadcast'
      ? p
      : isRange(p.values)
        ? { mode: 'split', range: [p.values.start, p.values.stop, p.values.step] }
        : { mode: 'split', values: materialize(p.values) as ArrayLike<unknown> };
  return {
    nInputs: distribution.nInputs,
    positional: distribution.positional.map(plain),
    keyword: Object.fromEntries(Object.entries(distribution.keyword).map(([k, p]) => [k, plain(p)])),
    hasKwargs: distribution.hasKwargs,
  };
}

/** The arguments and kwargs to give ParallelMap again, from storedArguments' record. */
export function argumentsFromStore(blob: StoredArguments): { args: unknown[]; kwargs?: Record<string, unknown> } {
  const asMarker = (p: StoredPlan) =>
    p.mode === 'broadcast' ? broadcast(p.value) : 'range' in p ? split(range(...p.range)) : split(p.values as ArrayLike<unknown>);
  const args = blob.positional.map(asMarker);
  if (!blob.hasKwargs) return { args };
  return { args, kwargs: Object.fromEntries(Object.entries(blob.keyword).map(([k, p]) => [k, asMarker(p)])) };
}

function materialize(values: ArrayLike<unknown>): unknown {
  if (Array.isArray(values) || ArrayBuffer.isView(values)) return values;
  return Array.from({ length: values.length }, (_, i) => values[i]);
}
