/**
 * The result-layout planner: which files a run produces (named by run-folder.ts) and what the container holds before the
 * calls run — as plain data, without I/O (container.ts writes it). ACME's layout (§2):
 *
 *   default            <f>.h5: comp_i → ExternalLink("<f>_payload/<f>_i.h5", "/") (callLinks)
 *   singleFile         <f>.h5: groups comp_i, made by the writer as calls finish
 *   resultShape        <f>.h5 (libver latest): virtual dataset result_0 of shape S, slot i ←
 *                      "<f>_payload/<f>_i.h5"/result_0; extra return values → comp_i/result_k
 *                      links (callLinks)
 *   resultShape+single <f>.h5: regular dataset result_0 of shape S (fill NaN for floats)
 *   named resultShape  the same per stacked key, named by the key (`{ spectrum: [null, 1024] }`:
 *                      <f>.h5's spectrum, slot i ← "<f>_payload/<f>_i.h5"/spectrum); the other
 *                      keys → comp_i/<key> links (a nested object's group as one link)
 *   serialized         <f>_<i>.v8, no container
 *   memory             nothing
 *
 * Deviation (fix of ACME §6.8): virtual-dataset sources are RELATIVE file names, so the output
 * folder can be moved or copied as a whole. An Infinity (unlimited) dimension starts at extent 0:
 * a VDS resolves its real extent from the sources when read; a single-file dataset is resized by
 * the writer to the exact length it receives (no ACME §6.10 guessing).
 */
import * as path from 'node:path';
import type { DatasetSpec, VirtualDatasetSpec, VirtualMapping } from '@acme-ts/hdf5-native';
import { AcmeError } from './errors';
import type { ResultMode } from './options';
import type { NumericDtype } from './result-encoding';
import { stackedKeys, type NamedResultShape, type ResolvedResultDtype, type ResultShape, type StackedKey } from './named-result-shape';
import { containerFileName, logFileName, metaDir, payloadDirName, payloadFileName, serializedFileName } from './run-folder';

export interface ExternalLinkPlan {
  /** Path of the link inside the container, e.g. `comp_3` or `comp_3/result_1`. */
  path: string;
  /** Target file RELATIVE to the container's folder: `<f>_payload/<f>_<i>.h5`. */
  file: string;
  /** Object inside the target file: `/` or `/result_1`. */
  object: string;
}

/**
 * What the container holds before any call ran. Per-call entries (comp_i) come later, when call
 * i has stored a result: see RunLayout.callLinks and the singleFile writer.
 */
export interface ContainerSkeleton {
  /** ACME creates VDS containers with libver="latest". */
  libverLatest: boolean;
  virtualDatasets: { path: string; spec: VirtualDatasetSpec }[];
  datasets: { path: string; spec: DatasetSpec }[];
}

export interface LayoutInput {
  funcName: string;
  nInputs: number;
  /** Absolute output folder; may be undefined only in memory mode. */
  outputDir: string | undefined;
  mode: ResultMode;
  singleFile: boolean;
  /**
   * As in the options: one null (stacking dimension), entries ≥ 0, at most one Infinity; or the
   * named form, such a shape per stacked key.
   */
  resultShape?: ResultShape;
  resultDtype: ResolvedResultDtype;
}

/** A dataset at the container's root that stacks one value of every call. */
export interface StackPlan {
  /** `result_0` (the array form of resultShape) or the stacked key (the named form). */
  name: string;
  /** The option's shape with null → nInputs; Infinity kept. */
  shape: number[];
  stackingDim: number;
  /** Index of the Infinity entry, if any. */
  unlimitedDim: number | undefined;
  dtype: NumericDtype;
}

export interface RunLayout {
  funcName: string;
  nInputs: number;
  mode: ResultMode;
  singleFile: boolean;
  /** resultShape is in effect (a stacked result_0, or stacked keys). */
  stacked: boolean;
  /** Every stacked dataset (empty when not stacked). */
  stacks: StackPlan[];
  /** The array form of resultShape with null → nInputs and Infinity kept; undefined otherwise. */
  stackedShape: number[] | undefined;
  stackingDim: number | undefined;
  /** Index of the Infinity entry, if any. */
  unlimitedDim: number | undefined;
  outputDir: string | undefined;
  /** `<out>/<f>.h5`; undefined in serialized and memory mode. */
  containerPath: string | undefined;
  /** `<out>/<f>_payload`; only in multi-file HDF5 mode. */
  payloadDir: string | undefined;
  /** `<out>/.acme-ts` */
  metaDir: string | undefined;
  /** What the container holds before any call runs; undefined when there is no container. */
  container: ContainerSkeleton | undefined;
  /** `<out>/<f>_payload/<f>_<i>.h5` */
  payloadPath(taskID: number): string;
  /** `<f>_payload/<f>_<i>.h5`, relative to the output folder (links and VDS sources use it). */
  payloadRelativePath(taskID: number): string;
  /** `<out>/<f>_<i>.v8` (serializeResults, and the fallback for values HDF5 cannot hold). */
  serializedPath(taskID: number): string;
  /** `<out>/ACME_<f>_<YYYYMMDD-hhmmss>.log` (local time, ACME's name). */
  logPath(date: Date): string;
  /**
   * The container's links to call i's payload file once it holds datasets `names`: default mode
   * `comp_i` → the file's root; resultShape mode `comp_i/<name>` for every name (a nested one's
   * first group) but the stacked ones; none in singleFile mode (real groups) and without a
   * container.
   */
  callLinks(taskID: number, names: readonly string[]): ExternalLinkPlan[];
}

function needOutputDir(outputDir: string | undefined, what: string): string {
  if (outputDir === undefined) throw new AcmeError('ERR_ACME_INTERNAL', `${what} needs an output folder, but this run keeps results in memory`);
  return outputDir;
}

/** Plan files and container skeleton of a run. Pure: touches no file. */
export function planLayout(input: LayoutInput): RunLayout {
  const { funcName, nInputs, mode, resultDtype } = input;
  const outputDir = input.outputDir === undefined ? undefined : path.resolve(input.outputDir);
  if (mode !== 'memory') needOutputDir(outputDir, `${mode} mode`);
  const hdf5 = mode === 'hdf5';
  const singleFile = hdf5 && input.singleFile;
  const stacked = mode !== 'serialized' && input.resultShape !== undefined;
  const arrayForm = stacked && Array.isArray(input.resultShape) ? input.resultShape : undefined;
  const stackingDim = arrayForm ? arrayForm.indexOf(null) : undefined;
  const stackedShape = arrayForm ? arrayForm.map((extent) => (extent === null ? nInputs : extent)) : undefined;
  const unlimited = stackedShape?.indexOf(Infinity);
  const unlimitedDim = unlimited !== undefined && unlimited >= 0 ? unlimited : undefined;
  const stacks: StackPlan[] = !stacked
    ? []
    : arrayForm
      ? [{ name: 'result_0', shape: stackedShape!, stackingDim: stackingDim!, unlimitedDim, dtype: resultDtype as NumericDtype }]
      : stackedKeys(input.resultShape as NamedResultShape, resultDtype).map((key) => stackPlan(key, nInputs));
  const stackedNames = new Set(stacks.map((stack) => stack.name));

  const payloadDir = payloadDirName(funcName);
  const payloadRelativePath = (taskID: number) => `${payloadDir}/${payloadFileName(funcName, taskID)}`;
  const taskIDs = Array.from({ length: nInputs }, (_, i) => i);

  let container: ContainerSkeleton | undefined;
  if (hdf5) {
    container = { libverLatest: false, virtualDatasets: [], datasets: [] };
    for (const stack of stacks) {
      if (singleFile) {
        container.datasets.push({ path: stack.name, spec: stackedDatasetSpec(stack.shape, stack.unlimitedDim, stack.dtype) });
        continue;
      }
      container.libverLatest = true;
      container.virtualDatasets.push({
        path: stack.name,
        spec: virtualDatasetSpec(stack.shape, stack.stackingDim, stack.unlimitedDim, stack.dtype, stack.name, taskIDs.map(payloadRelativePath)),
      });
    }
    // comp_i (a group in singleFile mode, an external link otherwise) is added when call i has
    // stored a result, never before: a container only holds what exists.
  }

  return {
    funcName,
    nInputs,
    mode,
    singleFile,
    stacked,
    stacks,
    stackedShape,
    stackingDim,
    unlimitedDim,
    outputDir,
    containerPath: hdf5 ? path.join(outputDir!, containerFileName(funcName)) : undefined,
    payloadDir: hdf5 && !singleFile ? path.join(outputDir!, payloadDir) : undefined,
    metaDir: outputDir === undefined ? undefined : metaDir(outputDir),
    container,
    payloadPath: (taskID) => path.join(needOutputDir(outputDir, 'a payload file'), payloadRelativePath(taskID)),
    payloadRelativePath,
    serializedPath: (taskID) => path.join(needOutputDir(outputDir, 'a serialized result'), serializedFileName(funcName, taskID)),
    logPath: (date) => path.join(needOutputDir(outputDir, 'the automatic log file'), logFileName(funcName, date)),
    callLinks: (taskID, names) => {
      if (!hdf5 || singleFile) return [];
      const file = payloadRelativePath(taskID);
      if (!stacked) return [{ path: `comp_${taskID}`, file, object: '/' }];
      // ACME's link target: the dataset's name, relative to the payload file's root; a nested
      // object's datasets through one link to its group.
      const linked = new Set(names.map((name) => name.split('/')[0]!).filter((name) => !stackedNames.has(name)));
      return [...linked].map((name) => ({ path: `comp_${taskID}/${name}`, file, object: name }));
    },
  };
}

/** A stacked key of the named resultShape as a dataset of the container. */
function stackPlan(key: StackedKey, nInputs: number): StackPlan {
  const shape = key.shape.map((extent) => (extent === null ? nInputs : extent));
  const unlimited = shape.indexOf(Infinity);
  return { name: key.name, shape, stackingDim: key.shape.indexOf(null), unlimitedDim: unlimited >= 0 ? unlimited : undefined, dtype: key.dtype };
}

/**
 * What a slot of a call without a result reads as: NaN for floats (and complex), so a failed or missing call
 * is not mistaken for a computed 0 (ACME fills with 0); 0 for integer and bool dtypes.
 */
export function missingFillValue(dtype: NumericDtype): number {
  // Complex slots read NaN + 0i (a complex fill value x is x + 0i).
  return dtype === 'float64' || dtype === 'float32' || dtype === 'float16' || dtype === 'complex64' || dtype === 'complex128' ? NaN : 0;
}

/** singleFile + resultShape: a regular dataset; an unlimited dimension starts at 0 and grows. */
function stackedDatasetSpec(shape: number[], unlimitedDim: number | undefined, dtype: NumericDtype): DatasetSpec {
  const fillValue = missingFillValue(dtype);
  // The writer fills what no call wrote (SingleFileWriter): libhdf5 would write the whole dataset's
  // fill value at the first slot (1.6 GB for 200 slots of 8 MB), then every slot again.
  if (unlimitedDim === undefined) return { dtype, shape: [...shape], fillValue, neverFill: true };
  return {
    dtype,
    shape: shape.map((extent) => (extent === Infinity ? 0 : extent)),
    maxshape: shape.map((extent) => (extent === Infinity ? null : extent)),
    fillValue,
  };
}

/**
 * A stacked VDS (`dataset`: result_0 or a stacked key): slot i along the stacking dimension maps
 * the whole dataset of that name in payload file i.
 * With an unlimited dimension both sides are declared unlimited (virtual count 'unlimited',
 * source extent 0 / maxshape null), so HDF5 takes the real length from the payload files.
 */
function virtualDatasetSpec(
  shape: number[],
  stackingDim: number,
  unlimitedDim: number | undefined,
  dtype: NumericDtype,
  dataset: string,
  files: string[],
): VirtualDatasetSpec {
  const slotShape = shape.filter((_, dim) => dim !== stackingDim);
  const source = (): VirtualMapping['source'] =>
    unlimitedDim === undefined
      ? { shape: slotShape }
      : {
          shape: slotShape.map((extent) => (extent === Infinity ? 0 : extent)),
          maxshape: slotShape.map((extent) => (extent === Infinity ? null : extent)),
          selection: {
            start: slotShape.map(() => 0),
            count: slotShape.map((extent) => (extent === Infinity ? ('unlimited' as const) : extent)),
          },
        };
  const mappings: VirtualMapping[] = files.map((file, taskID) => ({
    virtual: {
      start: shape.map((_, dim) => (dim === stackingDim ? taskID : 0)),
      count: shape.map((extent, dim) => (dim === stackingDim ? 1 : extent === Infinity ? ('unlimited' as const) : extent)),
    },
    file,
    dataset,
    source: source(),
  }));
  const spec: VirtualDatasetSpec = {
    dtype,
    shape: shape.map((extent) => (extent === Infinity ? 0 : extent)),
    fillValue: missingFillValue(dtype),
    mappings,
  };
  if (unlimitedDim !== undefined) spec.maxshape = shape.map((extent) => (extent === Infinity ? null : extent));
  return spec;
}
