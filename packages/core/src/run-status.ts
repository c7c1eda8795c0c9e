// What a run folder says about its calls: done (a valid result exists), failed (the last
// attempt failed, with why), or missing (never ran, or was interrupted). Used to re-run only
// what is missing and by `acme-ts status`.

import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { planLayout, type RunLayout } from './layout';
import { readCallRecords, readManifest, type CallRecord, type RunManifest } from './run-store';
import type { NumericDtype } from './result-encoding';
import { journalFiles, readJournal } from './result-journal';
import { parseResultFileName } from './run-folder';

export interface StoredCallInfo {
  stored: 'hdf5' | 'serialized';
  path?: string;
  names?: string[];
}

export interface RunStatus {
  outputDir: string;
  manifest: RunManifest;
  /** The container, when the run has one. */
  containerPath: string | undefined;
  done: number[];
  /** Calls whose latest attempt failed, with its record (error, reason, log path). */
  failed: CallRecord[];
  /** Calls with neither a result nor a failure of their own (not run yet, or stopped by an abort). */
  missing: number[];
  /**
   * singleFile: done calls whose results wait in the journal of a client that did not finish (or
   * is still running), not yet in the container; the next compute() or `acme-ts rerun` moves them.
   */
  journaled: number;
}

/** The state of every call of the run stored in `outputDir`. */
export function runStatus(outputDir: string): RunStatus {
  const dir = resolve(outputDir);
  const manifest = readManifest(dir);
  const layout = planLayout({
    funcName: manifest.funcName,
    nInputs: manifest.nInputs,
    outputDir: dir,
    mode: manifest.storage,
    singleFile: manifest.singleFile,
    resultShape: manifest.resultShape,
    resultDtype: manifest.resultDtype as NumericDtype,
  });
  const stored = findStoredCalls(layout, manifest.nInputs, manifest.singleFile);
  const records = readCallRecords(dir);
  const done: number[] = [];
  const failed: CallRecord[] = [];
  const missing: number[] = [];
  for (let taskID = 0; taskID < manifest.nInputs; taskID++) {
    if (stored.has(taskID)) done.push(taskID);
    else {
      const record = records.get(taskID);
      // An aborted call did not fail: it was stopped (Ctrl-C, abort signal) and simply has to run.
      if (record?.state === 'failed' && record.reason !== 'aborted') failed.push(record);
      else missing.push(taskID);
    }
  }
  const journaledIDs = new Set<number>();
  for (const file of journalFiles(dir)) for (const call of readJournal(file)) journaledIDs.add(call.taskID);
  const journaled = journaledIDs.size;
  return { outputDir: dir, manifest, containerPath: layout.containerPath, done, failed, missing, journaled };
}

/** Calls whose result file exists (written atomically, so existing means complete). */
export function findStoredCalls(
  layout: RunLayout,
  nInputs: number,
  singleFile: boolean,
): Map<number, StoredCallInfo> {
  const found = new Map<number, StoredCallInfo>();
  const outputDir = layout.outputDir!;
  if (singleFile) {
    for (const [taskID, r] of readCallRecords(outputDir)) {
      if (r.state === 'done' && taskID < nInputs) found.set(taskID, { stored: r.stored ?? 'hdf5', path: r.path, names: r.names });
    }
    return found;
  }
  const dirs = [layout.payloadDir, layout.outputDir].filter((d): d is string => !!d);
  const records = readCallRecords(outputDir);
  for (const dir of dirs) {
    if (!existsSync(dir)) continue;
    for (const entry of readdirSync(dir)) {
      const file = parseResultFileName(layout.funcName, entry);
      if (!file) continue;
      const { taskID, kind } = file;
      if (taskID >= nInputs || found.has(taskID)) continue;
      const path = resolve(dir, entry);
      if (kind === 'v8' && layout.mode === 'hdf5' && dir === layout.outputDir) continue;
      found.set(taskID, { stored: kind === 'h5' ? 'hdf5' : 'serialized', path, names: records.get(taskID)?.names });
    }
  }
  return found;
}
