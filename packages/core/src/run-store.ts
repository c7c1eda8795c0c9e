// The run's own records inside its output folder (.acme-ts/): the manifest that lets a later
// process re-run the calls without a valid result, the distributed arguments, and one JSON
// line per settled call. Files, not a server: a SLURM task and a client that died and came
// back read and write the same records.

import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { FunctionReference } from './function-ref';
import type { Dtype } from '@acme-ts/hdf5-native';
import { AcmeError } from './errors';
import type { RunFingerprint } from './run-fingerprint';
import type { ResultShape, ShapeEntries } from './named-result-shape';
import { argumentsPath, manifestPath, META_DIR, statusDir, writeFileAtomically } from './run-folder';

export const MANIFEST_VERSION = 1;

export type StorageMode = 'hdf5' | 'serialized';

/** JSON-able description of a run; Infinity in resultShape is stored as the string "Infinity" (in either form). */
export interface RunManifest {
  version: number;
  createdAt: string;
  funcName: string;
  functionRef: FunctionReference;
  nInputs: number;
  storage: StorageMode;
  singleFile: boolean;
  /** The array form, or the named form (stacked key → shape). */
  resultShape?: ResultShape;
  /** One dtype, or one per stacked key of the named resultShape. */
  resultDtype: Dtype | Record<string, Dtype>;
  timeoutMs?: number;
  backend: string;
  /** Backend-specific settings of the last submission (SLURM: partition, memory, …). */
  backendOptions?: Record<string, unknown>;
  /** What determines the results (absent in runs of acme-ts before it was recorded). */
  fingerprint?: RunFingerprint;
  /**
   * Function versions the run's calls ran with, oldest first, when a changed function was
   * allowed (options.allowChangedFunction): a call ran with the latest version whose `since`
   * is not after its record's `at`.
   */
  functionVersions?: { function: string; since: string }[];
}

export type CallState = 'done' | 'failed';

export interface CallRecord {
  taskID: number;
  state: CallState;
  /** ISO time the client learned of the outcome. */
  at: string;
  /** 'hdf5' or 'serialized' for done calls; the file the call wrote, if any. */
  stored?: 'hdf5' | 'serialized';
  path?: string;
  names?: string[];
  reason?: string;
  error?: { name: string; message: string; stack?: string };
  logPath?: string;
  durationMs?: number;
  /** Which run of the call this record describes, when it ran more than once (options.retries); absent: 1. */
  attempt?: number;
}

/** One status line for several calls that ended alike (a batch of packed calls). */
interface CallRecordLine extends Omit<CallRecord, 'taskID' | 'durationMs'> {
  taskIDs: number[];
  /** Per call, or one figure for each. */
  durationsMs?: number[] | number;
}

function joinNumbers(numbers: ArrayLike<number>): string {
  return ArrayBuffer.isView(numbers) ? (numbers as Float64Array).join(',') : Array.from(numbers).join(',');
}

type EncodedEntries = (number | null | string)[];

/** resultShape as JSON: Infinity (which JSON lacks) as the string "Infinity", in either form. */
export function encodeShape(shape: ResultShape | undefined): EncodedEntries | Record<string, EncodedEntries> | undefined {
  const entries = (s: ShapeEntries) => s.map((n) => (n === Infinity ? 'Infinity' : n));
  if (shape === undefined || Array.isArray(shape)) return shape && entries(shape);
  return Object.fromEntries(Object.entries(shape).map(([key, s]) => [key, entries(s)]));
}

function decodeShape(shape: EncodedEntries | Record<string, EncodedEntries> | undefined): ResultShape | undefined {
  const entries = (s: EncodedEntries) => s.map((n) => (n === 'Infinity' ? Infinity : (n as number | null)));
  if (shape === undefined || Array.isArray(shape)) return shape && entries(shape);
  return Object.fromEntries(Object.entries(shape).map(([key, s]) => [key, entries(s)]));
}

export function hasManifest(outputDir: string): boolean {
  return existsSync(manifestPath(outputDir));
}

/** Writes the manifest and, when given, the serialized arguments (`serializeArguments`). */
export function writeManifest(outputDir: string, manifest: RunManifest, serializedArguments?: Uint8Array): void {
  mkdirSync(statusDir(outputDir), { recursive: true });
  if (serializedArguments) writeFileAtomically(argumentsPath(outputDir), serializedArguments);
  const json = { ...manifest, resultShape: encodeShape(manifest.resultShape) };
  writeFileAtomically(manifestPath(outputDir), JSON.stringify(json, null, 2) + '\n');
}

/** The bytes of `.acme-ts/arguments.v8` (and what the arguments' fingerprint hashes). */
export function serializeArguments(argumentsBlob: unknown): Uint8Array {
  return serialize(argumentsBlob);
}

export function readManifest(outputDir: string): RunManifest {
  const path = manifestPath(outputDir);
  if (!existsSync(path)) {
    throw new AcmeError('ERR_ACME_NO_RUN', `${outputDir} holds no acme-ts run (no ${META_DIR}/manifest.json); pass the output folder of a run`);
  }
  const raw = JSON.parse(readFileSync(path, 'utf8'));
  if (raw.version !== MANIFEST_VERSION) {
    throw new AcmeError('ERR_ACME_NO_RUN', `${path} has manifest version ${raw.version}; this acme-ts reads version ${MANIFEST_VERSION}`);
  }
  return { ...raw, resultShape: decodeShape(raw.resultShape) };
}

export function readArgumentsBlob(outputDir: string): unknown {
  return deserialize(readFileSync(argumentsPath(outputDir)));
}

/**
 * Appends call records to `.acme-ts/status/<writer>.jsonl`. Lines are buffered and flushed
 * in batches (and on close), so 10⁵ tiny calls don't mean 10⁵ writes; a crash loses at most
 * the last batch of records, never a result file (those are judged by their existence).
 */
export class StatusLog {
  private readonly path: string;
  private buffer: string[] = [];
  /** Calls the buffered lines describe. */
  private calls = 0;
  private lastFlush = Date.now();
  /** Runs before records are written (singleFile: the journal of the calls they declare done). */
  beforeFlush?: () => void;
  /** The attempt of the calls recorded now (options.retries); from 2 on, written on each record. */
  attempt = 1;

  constructor(outputDir: string, writer = `client-${process.pid}`) {
    const dir = statusDir(outputDir);
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${writer}.jsonl`);
  }

  record(record: CallRecord): void {
    this.buffer.push(JSON.stringify(this.attempt > 1 ? { ...record, attempt: this.attempt } : record));
    this.calls++;
    // Failures are written at once: they are what a user looks for after a crash.
    if (record.state === 'failed' || this.calls >= 1000 || Date.now() - this.lastFlush > 1000) this.flush();
  }

  /** The same record for several calls, as one line. */
  recordMany(taskIDs: ArrayLike<number>, record: Omit<CallRecord, 'taskID' | 'durationMs'>, durationsMs: ArrayLike<number> | number): void {
    // The number lists are joined, not converted to arrays for JSON.stringify (a typed array
    // joins natively; the same text for finite numbers).
    const durations = typeof durationsMs === 'number' ? JSON.stringify(durationsMs) : `[${joinNumbers(durationsMs)}]`;
    const fields = JSON.stringify(this.attempt > 1 ? { ...record, attempt: this.attempt } : record).slice(1, -1);
    this.buffer.push(`{"taskIDs":[${joinNumbers(taskIDs)}],${fields ? `${fields},` : ''}"durationsMs":${durations}}`);
    this.calls += taskIDs.length;
    if (this.calls >= 1000 || Date.now() - this.lastFlush > 1000) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    this.beforeFlush?.();
    appendFileSync(this.path, this.buffer.join('\n') + '\n');
    this.buffer = [];
    this.calls = 0;
    this.lastFlush = Date.now();
  }
}

/** The latest record of every call, from all status files (later lines win). */
export function readCallRecords(outputDir: string): Map<number, CallRecord> {
  const records = new Map<number, CallRecord>();
  for (const r of readCallHistory(outputDir)) records.set(r.taskID, r);
  return records;
}

/** Every record of every call, from all status files, oldest first (by `at`). */
export function readCallHistory(outputDir: string): CallRecord[] {
  const dir = statusDir(outputDir);
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .map((f) => join(dir, f));
  const all: CallRecord[] = [];
  for (const file of files) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line) continue;
      let parsed: CallRecord | CallRecordLine;
      try {
        parsed = JSON.parse(line);
      } catch {
        // A line cut by a crash mid-append: the call is simply re-run.
        continue;
      }
      if (!('taskIDs' in parsed)) {
        all.push(parsed);
        continue;
      }
      const { taskIDs, durationsMs, ...common } = parsed;
      taskIDs.forEach((taskID, k) => {
        const durationMs = typeof durationsMs === 'number' ? durationsMs : durationsMs?.[k];
        all.push(durationMs === undefined ? { taskID, ...common } : { taskID, ...common, durationMs });
      });
    }
  }
  all.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return all;
}
