// What a run folder says about its calls: done (a valid result exists), failed (the last
// attempt failed, with why), or missing (never ran, or was interrupted). Used to re-run only
// what is missing and by `acme-ts status`.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ResolvedResultDtype } from './named-result-shape';
import { planLayout, type RunLayout } from './layout';
import { readCallHistory, readCallRecords, readManifest, type CallRecord, type RunManifest } from './run-store';
import { journalFiles, readJournal } from './result-journal';
import { liveClient, type RunClient } from './run-lock';
import { parseResultFileName, runJobsPath, writeFileAtomically } from './run-folder';

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
  /** The client computing the run now, if one lives: its missing calls are pending, not lost. */
  client: RunClient | undefined;
  /** The batch jobs (SLURM job arrays) of the latest client's compute(), when its backend submits any. */
  jobs: RunJobs | undefined;
  /** Done or failed calls whose latest outcome came at a later attempt (options.retries), by taskID. */
  retried: RetriedCall[];
}

/**
 * `.acme-ts/jobs.json`, written by a backend that submits batch jobs (the SLURM backend): the
 * jobs it has submitted or adopted since its compute() began, rewritten at each new one.
 */
export interface RunJobs {
  backend: string;
  jobIds: string[];
  /** ISO time of the latest change. */
  updatedAt: string;
}

/** The run's `.acme-ts/jobs.json`, or undefined when absent or unreadable. */
export function readRunJobs(outputDir: string): RunJobs | undefined {
  try {
    const jobs = JSON.parse(readFileSync(runJobsPath(outputDir), 'utf8')) as Partial<RunJobs>;
    const valid =
      typeof jobs.backend === 'string' && typeof jobs.updatedAt === 'string' && Array.isArray(jobs.jobIds) && jobs.jobIds.every((id) => typeof id === 'string');
    return valid ? { backend: jobs.backend!, jobIds: jobs.jobIds!, updatedAt: jobs.updatedAt! } : undefined;
  } catch {
    return undefined; // none written (local backend), or torn: it is rewritten by rename
  }
}

/** Writes `.acme-ts/jobs.json` whole (a backend that submits batch jobs, at each new job). */
export function writeRunJobs(outputDir: string, backend: string, jobIds: readonly string[]): void {
  writeFileAtomically(runJobsPath(outputDir), `${JSON.stringify({ backend, jobIds, updatedAt: new Date().toISOString() })}\n`);
}

/** A call that ran more than once in a row (options.retries): its outcome and the failed attempts before it. */
export interface RetriedCall {
  taskID: number;
  state: 'done' | 'failed';
  /** How many times it ran: the attempt of its latest record. */
  attempts: number;
  /** The records of the failed attempts before the latest, oldest first. */
  failures: CallRecord[];
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
    resultDtype: manifest.resultDtype as ResolvedResultDtype,
  });
  const stored = findStoredCalls(layout, manifest.nInputs, manifest.singleFile, manifest.createdAt);
  const history = readCallHistory(dir);
  const records = new Map<number, CallRecord>();
  for (const r of history) records.set(r.taskID, r);
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
  const retried = retriedCalls(history, records, (taskID) => stored.has(taskID) || records.get(taskID)?.state === 'failed');
  return {
    outputDir: dir,
    manifest,
    containerPath: layout.containerPath,
    done,
    failed,
    missing,
    journaled,
    client: liveClient(dir),
    jobs: readRunJobs(dir),
    retried,
  };
}

/** Calls (among `settled`) whose latest record is a later attempt, each with the failed attempts that led to it. */
function retriedCalls(history: CallRecord[], latest: Map<number, CallRecord>, settled: (taskID: number) => boolean): RetriedCall[] {
  const chains = new Map<number, CallRecord[]>();
  for (const [taskID, r] of latest) if ((r.attempt ?? 1) > 1 && r.reason !== 'aborted' && settled(taskID)) chains.set(taskID, []);
  for (const r of history) chains.get(r.taskID)?.push(r);
  return [...chains]
    .sort(([a], [b]) => a - b)
    .map(([taskID, records]) => {
      const last = records[records.length - 1]!;
      const failures: CallRecord[] = [];
      // Walk back through attempts last.attempt - 1, …, 1 (a record without attempt is attempt 1).
      for (let k = records.length - 2, want = last.attempt! - 1; k >= 0 && want >= 1; k--) {
        const r = records[k]!;
        if (r.state === 'failed' && (r.attempt ?? 1) === want) {
          failures.unshift(r);
          want--;
        }
      }
      return { taskID, state: last.state, attempts: last.attempt!, failures };
    });
}

/**
 * Calls with a result of this run. A result file is written atomically (existing means
 * complete); it is this run's when the run's records mark the call done, or, for a file the
 * records do not mention yet (a client killed before it flushed them, SLURM tasks that went on
 * without their client), when it was written after the run started (`runStartedAt`, the
 * manifest's createdAt). A payload file an ACME run, a hand or an earlier run left in the folder,
 * and a folder where a payload file belongs, are never a finished call.
 */
export function findStoredCalls(layout: RunLayout, nInputs: number, singleFile: boolean, runStartedAt?: string): Map<number, StoredCallInfo> {
  const found = new Map<number, StoredCallInfo>();
  const outputDir = layout.outputDir!;
  const records = readCallRecords(outputDir);
  if (singleFile) {
    for (const [taskID, r] of records) {
      if (r.state === 'done' && taskID < nInputs) found.set(taskID, { stored: r.stored ?? 'hdf5', path: r.path, names: r.names });
    }
    return found;
  }
  const startedMs = runStartedAt === undefined ? Infinity : Date.parse(runStartedAt);
  for (const dir of [layout.payloadDir, outputDir]) {
    if (!dir || !existsSync(dir)) continue;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = parseResultFileName(layout.funcName, entry.name);
      if (!file) continue;
      const { taskID, kind } = file;
      if (taskID >= nInputs || found.has(taskID)) continue;
      if (kind === 'v8' && layout.mode === 'hdf5' && dir === outputDir) continue;
      const path = resolve(dir, entry.name);
      const record = records.get(taskID);
      const ours = record ? record.state === 'done' : entry.isFile() && statSync(path).mtimeMs >= startedMs;
      if (!ours || !entry.isFile()) continue;
      found.set(taskID, { stored: kind === 'h5' ? 'hdf5' : 'serialized', path, names: record?.names });
    }
  }
  return found;
}
