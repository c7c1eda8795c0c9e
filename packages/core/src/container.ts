// Writes what the layout planner decided: the container skeleton before the calls run,
// the single-file writes while they run, and the finishing links after.

import { existsSync, mkdirSync, renameSync } from 'node:fs';
import type { H5File } from '@acme-ts/hdf5-native';
import { hdf5 } from './hdf5';
import type { EncodedDataset } from './result-encoding';
import type { RunLayout } from './layout';

/** Creates the container with its skeleton unless a previous attempt of the run already did. */
export function createContainer(layout: RunLayout): void {
  if (layout.payloadDir) mkdirSync(layout.payloadDir, { recursive: true });
  const skeleton = layout.container;
  if (!skeleton || existsSync(layout.containerPath!)) return;
  // Built under a temporary name: a container that exists is a complete skeleton.
  const tmp = `${layout.containerPath}.tmp-${process.pid}`;
  const file = hdf5().H5File.create(tmp, { overwrite: true, libverLatest: skeleton.libverLatest });
  try {
    // comp_i entries come when call i stored a result, so the container never links to a file
    // that does not exist (ACME's dangle after failures).
    for (const vds of skeleton.virtualDatasets) file.createVirtualDataset(vds.path, vds.spec);
    for (const ds of skeleton.datasets) file.createDataset(ds.path, ds.spec);
  } finally {
    file.close();
  }
  renameSync(tmp, layout.containerPath!);
}

/**
 * singleFile mode: the client is the only writer of the container, so calls finishing in
 * any order on any worker never interleave their writes (ACME needs a cluster-wide lock).
 */
export class SingleFileWriter {
  private readonly file: H5File;
  private readonly stackingDim: number;
  private readonly unlimitedDim: number;
  private currentExtent?: number[];
  /** comp_i groups already in the container (from an interrupted earlier attempt). */
  private readonly existingGroups: Set<string>;

  constructor(
    containerPath: string,
    private readonly resultShape?: (number | null)[],
  ) {
    this.file = hdf5().H5File.open(containerPath, { write: true });
    this.stackingDim = resultShape ? resultShape.indexOf(null) : -1;
    this.unlimitedDim = resultShape ? resultShape.indexOf(Infinity) : -1;
    this.existingGroups = new Set(this.file.list('/').map((e) => e.name));
  }

  write(taskID: number, datasets: EncodedDataset[]): void {
    const group = `comp_${taskID}`;
    // A re-run replaces whatever an interrupted attempt left of this call.
    if (this.existingGroups.delete(group)) this.file.remove(group);
    let rest = datasets;
    if (this.resultShape && datasets[0]) {
      this.writeSlot(taskID, datasets[0]);
      rest = datasets.slice(1);
    }
    if (rest.length === 0) return;
    // One native call creates comp_i and all its datasets.
    this.file.writeDatasets(rest.map((d) => ({ path: `${group}/${d.name}`, dtype: d.dtype, shape: d.shape, data: d.data as never })));
  }

  /** Writes call i's result_0 into slot i of the stacked dataset, growing an unlimited dim exactly. */
  private writeSlot(taskID: number, d: EncodedDataset): void {
    const shape = this.resultShape!;
    const slot = d.shape; // validated against resultShape by the call runner
    const start: number[] = [];
    const count: number[] = [];
    let s = 0;
    for (let dim = 0; dim < shape.length; dim++) {
      if (dim === this.stackingDim) {
        start.push(taskID);
        count.push(1);
      } else {
        start.push(0);
        count.push(slot[s++]!);
      }
    }
    if (this.unlimitedDim >= 0) {
      this.currentExtent ??= this.file.info('result_0').shape;
      const needed = count[this.unlimitedDim]!;
      if (needed > this.currentExtent[this.unlimitedDim]!) {
        this.currentExtent = this.currentExtent.slice();
        this.currentExtent[this.unlimitedDim] = needed;
        this.file.resize('result_0', this.currentExtent);
      }
    }
    this.file.write('result_0', d.data as never, { start, count });
  }

  flush(): void {
    this.file.flush();
  }

  close(): void {
    this.file.close();
  }
}

/**
 * After the calls: extra return values of resultShape runs become comp_i/result_k links
 * (ACME's layout), and calls whose value had to be serialized lose their comp_i link, so the
 * container never holds a link to a file that does not exist.
 */
export function finishContainer(layout: RunLayout, stored: ReadonlyMap<number, { stored: 'hdf5' | 'serialized'; names?: string[] }>): void {
  if (!layout.containerPath || layout.singleFile) return;
  const file = hdf5().H5File.open(layout.containerPath, { write: true });
  try {
    for (let taskID = 0; taskID < layout.nInputs; taskID++) {
      const call = stored.get(taskID);
      const group = `comp_${taskID}`;
      if (!call || call.stored !== 'hdf5') {
        // No HDF5 result (failed, aborted, not run yet, or serialized): no link that would dangle.
        if (file.exists(group)) file.remove(group);
        continue;
      }
      const names = call.names ?? (layout.stacked ? datasetNames(layout.payloadPath(taskID)) : []);
      for (const link of layout.callLinks(taskID, names)) {
        if (!file.exists(link.path)) file.createExternalLink(link.path, link.file, link.object);
      }
    }
  } finally {
    file.close();
  }
}

function datasetNames(payloadPath: string): string[] {
  const payload = hdf5().H5File.open(payloadPath);
  try {
    return payload.list('/').map((e) => e.name);
  } finally {
    payload.close();
  }
}
