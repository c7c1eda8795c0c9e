// Reading a run's results back in TypeScript: open the container, follow its external links
// and virtual datasets (libhdf5 does), and hand back arrays with their shapes, per call.

import { readFileSync } from 'node:fs';
import { deserialize } from 'node:v8';
import type { AttributeReadValue, H5File, ReadResult } from '@acme-ts/hdf5-native';
import { hdf5 } from './hdf5';

export type StoredArray = ReadResult;

export interface CallResults {
  taskID: number;
  /**
   * result_0, result_1, … of the call (for stacked runs: the non-stacked ones); for a call that
   * returned an object, its keys (a nested object's as `outer/inner`).
   */
  datasets: Record<string, StoredArray>;
}

const COMP = /^comp_(\d+)$/;

/** A results container opened for reading; close it (or use `using`) when done. */
export class ResultsContainer {
  private readonly file: H5File;

  constructor(readonly path: string) {
    // A group or link per call: reading 5000 of them is ≈ 10 % faster from a small metadata cache.
    const h5 = hdf5();
    this.file = h5.H5File.open(path, { metadataCacheBytes: h5.SMALL_METADATA_CACHE_BYTES });
  }

  /** taskIDs present in the container (comp_i groups or links), ascending. */
  taskIDs(): number[] {
    return this.file
      .list('/')
      .flatMap((e) => {
        const m = COMP.exec(e.name);
        return m ? [Number(m[1])] : [];
      })
      .sort((a, b) => a - b);
  }

  /** The datasets of call `taskID` (follows the external link to its payload file). */
  call(taskID: number): CallResults {
    const datasets: Record<string, StoredArray> = {};
    this.collect(`comp_${taskID}`, '', datasets);
    return { taskID, datasets };
  }

  /** The datasets under `group`, named by their path below it. */
  private collect(group: string, prefix: string, into: Record<string, StoredArray>): void {
    for (const entry of this.file.list(group)) {
      const path = `${group}/${entry.name}`;
      if (entry.kind === 'group' || (entry.kind === 'external-link' && this.isGroup(path))) this.collect(path, `${prefix}${entry.name}/`, into);
      else into[prefix + entry.name] = this.file.read(path);
    }
  }

  /** Whether an external link leads to a group (a nested object's, with the named resultShape). */
  private isGroup(path: string): boolean {
    try {
      this.file.list(path);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The run's inputs (the container's root attributes, input-table.ts): a split argument's
   * values in call order under its parameter's name, a broadcast one's value.
   */
  inputs(): Record<string, AttributeReadValue> {
    return this.file.getAttributes('/');
  }

  /** A root dataset, e.g. the stacked (virtual or regular) `result_0` of a resultShape run. */
  dataset(name = 'result_0'): StoredArray {
    return this.file.read(name);
  }

  /** Every call's datasets, in taskID order. */
  *calls(): Generator<CallResults> {
    for (const taskID of this.taskIDs()) yield this.call(taskID);
  }

  close(): void {
    this.file.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

export function openResults(containerPath: string): ResultsContainer {
  return new ResultsContainer(containerPath);
}

/** Reads a serialized result (`<f>_<i>.v8`: serializeResults mode or HDF5 fallback). */
export function readSerializedResult(path: string): unknown {
  return deserialize(readFileSync(path));
}
