/**
 * The files through which the client and its array tasks talk (no sockets: a task needs only
 * the shared filesystem, and a client that died and came back finds everything here):
 *
 * ```
 * <outputDir>/.acme-ts/slurm/submissions.jsonl      one line per submission (job ids, chunks, resources)
 * <outputDir>/.acme-ts/slurm/<submission>/setup.v8  the run's RunnerSetup, per-call time limit, threads per task
 *                                  chunks/<k>.v8      task k's taskIDs and their split arguments
 *                                  status/<k>.jsonl   one line per settled call of chunk k (written by the task)
 *                                  values/<i>.v8      call i's value when it does not fit a status line
 *                                  task.sh            the batch script
 * <outputDir>/slurm_logs/<arrayJobId>_<taskIndex>.out / .err
 * <outputDir>/.acme-ts/jobs.json                     the job arrays of the latest client's run, for core's runStatus()
 * ```
 * Value files are written under a temporary name and renamed before the status line that
 * announces them is appended, so a status line always refers to a complete file.
 */
import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { writeFileAtomically, writeRunJobs as writeCoreRunJobs } from '@acme-ts/core/backend';
import type { CallPayload, RunnerSetup, StoredCall } from '@acme-ts/core/backend';

export const SLURM_META_DIR = join('.acme-ts', 'slurm');
/** Backend-neutral: core's runStatus() reads it (core does not depend on this package). */
export const LOG_DIR_NAME = 'slurm_logs';
/** Environment variables the batch script's task reads. */
export const SUBMISSION_DIR_ENV = 'ACME_TS_SLURM_SUBMISSION';
export const CHUNK_OFFSET_ENV = 'ACME_TS_SLURM_CHUNK_OFFSET';

/** setup.v8: what every task of a submission shares. */
export interface SubmissionSetup {
  setup: RunnerSetup;
  timeoutMs: number | undefined;
  /** Worker threads inside a task (= cpusPerWorker). */
  threads: number;
  /** Calls each of them runs at once (options.concurrency; absent: 1). */
  concurrency?: number;
  /** Workers are child processes instead of threads (options.isolation). */
  isolation?: 'process';
}

/** chunks/<k>.v8 */
export interface ChunkFile {
  taskIDs: number[];
  payloads: CallPayload[];
}

/** One line of status/<k>.jsonl. */
export interface StatusLine {
  taskID: number;
  ok: boolean;
  durationMs?: number;
  /** Failed calls: why (core's FailureReason) and the error. */
  reason?: string;
  error?: { name: string; message: string; stack?: string };
  /** Stored calls without datasets: the runner's StoredCall, inline. */
  stored?: StoredCall;
  /** The value (in-memory value, or a StoredCall with datasets) is in values/<taskID>.v8. */
  valueFile?: true;
  /** The SLURM job that ran the call, "<arrayJobId>_<index>". */
  job?: string;
}

/** One array of a submission: chunks firstChunk … firstChunk+nChunks-1 are its indices 0 … nChunks-1. */
export interface ArrayRecord {
  jobId: string;
  firstChunk: number;
  nChunks: number;
}

/** One line of submissions.jsonl. */
export interface SubmissionRecord {
  submission: string;
  submittedAt: string;
  arrays: ArrayRecord[];
  /** taskIDs of each chunk. */
  chunks: number[][];
  /** `--mem` in MB, when set; `defaultMemMb` = what the cluster gives a task without --mem. */
  memMb?: number;
  defaultMemMb?: number;
  timeLimitMinutes?: number;
  cpusPerWorker: number;
  partition?: string;
}

export function slurmMetaDir(outputDir: string): string {
  return join(outputDir, SLURM_META_DIR);
}

export function submissionsFile(outputDir: string): string {
  return join(slurmMetaDir(outputDir), 'submissions.jsonl');
}

export function chunkPath(submissionDir: string, chunk: number): string {
  return join(submissionDir, 'chunks', `${chunk}.v8`);
}

export function statusPath(submissionDir: string, chunk: number): string {
  return join(submissionDir, 'status', `${chunk}.jsonl`);
}

export function valuePath(submissionDir: string, taskID: number): string {
  return join(submissionDir, 'values', `${taskID}.v8`);
}

export function writeV8(path: string, value: unknown): void {
  writeFileAtomically(path, serialize(value));
}

export function readV8<T>(path: string): T {
  return deserialize(readFileSync(path)) as T;
}

export function appendSubmission(outputDir: string, record: SubmissionRecord): void {
  mkdirSync(slurmMetaDir(outputDir), { recursive: true });
  // One write() of one line: concurrent appenders do not interleave within it.
  appendFileSync(submissionsFile(outputDir), `${JSON.stringify(record)}\n`);
}

/**
 * `.acme-ts/jobs.json` (core's writeRunJobs): the job arrays a client has submitted or adopted
 * for its calls since its compute() began (retries included), rewritten whole each time one is added.
 */
export function writeRunJobs(outputDir: string, jobIds: readonly string[]): void {
  writeCoreRunJobs(outputDir, 'slurm', jobIds);
}

/**
 * Every submission recorded in the run folder, oldest first. A submission is recorded again
 * after each of its arrays; the last record of each counts. A torn last line is skipped.
 */
export function readSubmissions(outputDir: string): SubmissionRecord[] {
  const file = submissionsFile(outputDir);
  if (!existsSync(file)) return [];
  const records: SubmissionRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as SubmissionRecord);
    } catch {
      // A client killed mid-append leaves a partial line; that submission never got a job id.
    }
  }
  const latest = new Map<string, SubmissionRecord>();
  for (const record of records) latest.set(record.submission, record);
  return [...latest.values()];
}

/**
 * Reads the complete lines a status file gained since `offset` (bytes); a line still being
 * written (no newline yet) is left for the next read.
 */
export function readNewStatusLines(path: string, offset: number): { lines: StatusLine[]; offset: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return { lines: [], offset };
  }
  let text: Buffer;
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return { lines: [], offset };
    text = Buffer.alloc(size - offset);
    let read = 0;
    while (read < text.length) {
      const n = readSync(fd, text, read, text.length - read, offset + read);
      if (n === 0) break;
      read += n;
    }
    text = text.subarray(0, read);
  } finally {
    closeSync(fd);
  }
  const end = text.lastIndexOf(0x0a);
  if (end < 0) return { lines: [], offset };
  const lines: StatusLine[] = [];
  for (const line of text.subarray(0, end).toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      lines.push(JSON.parse(line) as StatusLine);
    } catch {
      // Not ours to interpret; the call then counts as unreported.
    }
  }
  return { lines, offset: offset + end + 1 };
}
