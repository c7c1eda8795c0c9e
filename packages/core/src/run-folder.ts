// The run folder: every path under a run's output folder, and the one way a file in it is
// written atomically. Its format is a contract (docs/run-folder.md) that `rerun`, `status`,
// SLURM tasks and other tools rely on: change it there first.
//
// Loaded by worker threads too (the call runner names its files here): nothing heavy.

import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';

/** acme-ts's own records inside the output folder (manifest, arguments, status, journal). */
export const META_DIR = '.acme-ts';

/** `YYYYMMDD-hhmmss` in local time. */
export function timestamp(date: Date): string {
  return `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}-${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}`;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** The name of an automatic run folder (ACME's), as cleanupOldRuns recognizes it. */
export const AUTO_FOLDER_NAME = /^ACME_\d{8}-\d{6}-\d{6}$/;

let lastMillis = -1;
let sameMillisCount = 0;

/**
 * `<baseDir>/ACME_YYYYMMDD-hhmmss-ffffff` (local time). JS clocks have millisecond resolution,
 * so the microseconds are ms·1000 plus a per-process counter: two runs started in the same
 * millisecond by one process get different folders.
 */
export function autoOutputDir(baseDir: string, now: Date): string {
  const millis = now.getTime();
  sameMillisCount = millis === lastMillis ? sameMillisCount + 1 : 0;
  lastMillis = millis;
  const micros = now.getMilliseconds() * 1000 + (sameMillisCount % 1000);
  return resolve(baseDir, `ACME_${timestamp(now)}-${pad(micros, 6)}`);
}

/** `<f>_payload`: the folder of the payload files (default and resultShape modes). */
export function payloadDirName(funcName: string): string {
  return `${funcName}_payload`;
}

/** `<f>_<i>.h5`: call i's payload file. */
export function payloadFileName(funcName: string, taskID: number): string {
  return `${funcName}_${taskID}.h5`;
}

/** `<f>_<i>.v8`: call i's serialized result (serializeResults, or HDF5's fallback). */
export function serializedFileName(funcName: string, taskID: number): string {
  return `${funcName}_${taskID}.v8`;
}

/** Call i and the kind of its result file, from a file name in the payload or output folder. */
export function parseResultFileName(funcName: string, fileName: string): { taskID: number; kind: 'h5' | 'v8' } | undefined {
  const prefix = `${funcName}_`;
  if (!fileName.startsWith(prefix)) return undefined;
  const m = /^(\d+)\.(h5|v8)$/.exec(fileName.slice(prefix.length));
  return m ? { taskID: Number(m[1]), kind: m[2] as 'h5' | 'v8' } : undefined;
}

/** `<f>.h5`: the container. */
export function containerFileName(funcName: string): string {
  return `${funcName}.h5`;
}

/** `ACME_<f>_<YYYYMMDD-hhmmss>.log` (local time, ACME's name). */
export function logFileName(funcName: string, date: Date): string {
  return `ACME_${funcName}_${timestamp(date)}.log`;
}

/** `<container>.writing-<pid>`: the copy of the container a client writes, replacing it when done. */
export function workingCopyPath(containerPath: string): string {
  return `${containerPath}.writing-${process.pid}`;
}

/** The prefix of every working copy of `containerFile` (of any client). */
export function workingCopyPrefix(containerFile: string): string {
  return `${containerFile}.writing-`;
}

/**
 * `<container>.replaced-<copy suffix>`: the container, stepped aside for a moment while the copy
 * `<container>.writing-<copy suffix>` takes its place (see SingleFileWriter.close).
 */
export function replacedContainerPath(containerPath: string, copyPath: string): string {
  return `${containerPath}.replaced-${basename(copyPath).slice(workingCopyPrefix(basename(containerPath)).length)}`;
}

/** The prefix of every container stepped aside (replacedContainerPath). */
export function replacedContainerPrefix(containerFile: string): string {
  return `${containerFile}.replaced-`;
}

/** Paths inside `<out>/.acme-ts/`. */
export function metaDir(outputDir: string): string {
  return join(outputDir, META_DIR);
}

export function manifestPath(outputDir: string): string {
  return join(metaDir(outputDir), 'manifest.json');
}

export function argumentsPath(outputDir: string): string {
  return join(metaDir(outputDir), 'arguments.v8');
}

/** `.acme-ts/status/`: one JSON-lines file per writer (`client-<pid>.jsonl`, …). */
export function statusDir(outputDir: string): string {
  return join(metaDir(outputDir), 'status');
}

/** `.acme-ts/client.json`: the client computing the run now (see run-lock.ts). */
export function clientLockPath(outputDir: string): string {
  return join(metaDir(outputDir), 'client.json');
}

/** `.acme-ts/jobs.json`: the batch jobs of the latest client whose backend submits them (SLURM). */
export function runJobsPath(outputDir: string): string {
  return join(metaDir(outputDir), 'jobs.json');
}

/** `.acme-ts/journal/`: singleFile clients' journals (`client-<host>-<pid>.bin`). */
export function journalDir(outputDir: string): string {
  return join(metaDir(outputDir), 'journal');
}

let temporaryCounter = 0;

/**
 * Writes `path` under a temporary name in its folder, then renames it into place: a file of
 * the run folder that exists is complete, even after a crash. `write` creates the temporary
 * file (with fs, or libhdf5); on failure it is removed. The temporary name is unique among
 * the writers of a host (pid, thread, counter).
 */
export function writeAtomically(path: string, write: (temporaryPath: string) => void): void {
  const temporary = `${path}.tmp-${process.pid}-${threadId}-${++temporaryCounter}`;
  try {
    write(temporary);
    renameSync(temporary, path);
  } catch (err) {
    try {
      unlinkSync(temporary);
    } catch {
      // Never created.
    }
    throw err;
  }
}

export function writeFileAtomically(path: string, data: string | Uint8Array): void {
  writeAtomically(path, (temporary) => writeFileSync(temporary, data));
}
