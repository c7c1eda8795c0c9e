// singleFile mode's record of stored calls, so a client that dies mid-run loses nothing it
// had stored. libhdf5 leaves a file consistent only once it is closed (a client killed after
// 5000 of 20000 calls left a container every later open refused: "bad heap free list"), so a
// run writes a copy of the container and appends each stored call's datasets here; after a
// crash the next run replays the journals into the container (see recoverSingleFileRun).

import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { EncodedDataset } from './result-encoding';
import { unpackCall, type PackedCalls } from './packed-calls';
import { metaDir } from './run-store';
import { AcmeError } from './errors';

/** One stored call as the journal holds it. */
export interface JournaledCall {
  taskID: number;
  datasets: EncodedDataset[];
}

/** What a frame holds: calls one by one, or packed by column (see packed-calls.ts). */
type JournalEntry = JournaledCall | { taskIDs: Float64Array; packed: PackedCalls };

/** Buffered calls are appended once they hold this many bytes, even before the next flush. */
const FLUSH_BYTES = 64 << 20;

export function journalDir(outputDir: string): string {
  return join(metaDir(outputDir), 'journal');
}

/** `client-<host>-<pid>.bin`: the host and process that writes it (see ownerOf). */
function journalFileName(): string {
  return `client-${hostname()}-${process.pid}.bin`;
}

/**
 * Appends frames of calls to `.acme-ts/journal/client-<host>-<pid>.bin`: a little-endian
 * uint32 byte length, then v8-serialized JournalEntry[]. A frame cut short by a crash is
 * ignored when read, and so are its calls (their status records were not written either).
 */
export class ResultJournal {
  readonly path: string;
  private buffered: JournalEntry[] = [];
  private bufferedBytes = 0;

  constructor(outputDir: string) {
    const dir = journalDir(outputDir);
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, journalFileName());
    // Created at once: a living writer always has its journal (see leftoverJournals).
    appendFileSync(this.path, '');
  }

  add(taskID: number, datasets: EncodedDataset[]): void {
    this.buffered.push({ taskID, datasets });
    for (const d of datasets) this.bufferedBytes += ArrayBuffer.isView(d.data) ? d.data.byteLength : 16 * d.data.length;
    if (this.bufferedBytes >= FLUSH_BYTES) this.flush();
  }

  /** Packed calls, call k being `taskIDs[k]`. */
  addPacked(taskIDs: ArrayLike<number>, packed: PackedCalls): void {
    this.buffered.push({ taskIDs: Float64Array.from(taskIDs), packed });
    for (const c of packed.columns) this.bufferedBytes += c.data.byteLength;
    if (this.bufferedBytes >= FLUSH_BYTES) this.flush();
  }

  /** Appends the buffered calls as one frame (one write). */
  flush(): void {
    if (this.buffered.length === 0) return;
    const payload = serialize(this.buffered);
    const frame = Buffer.allocUnsafe(4 + payload.length);
    frame.writeUInt32LE(payload.length, 0);
    payload.copy(frame, 4);
    appendFileSync(this.path, frame);
    this.buffered = [];
    this.bufferedBytes = 0;
  }

  /** Removes the file, once what it holds is in the container and in the status records. */
  discard(): void {
    this.buffered = [];
    this.bufferedBytes = 0;
    if (existsSync(this.path)) unlinkSync(this.path);
  }
}

/**
 * The calls of every complete frame of a journal file, in the order they were appended, read
 * frame by frame (a journal holds a run's results: it may be larger than memory).
 */
export function* readJournal(path: string): Generator<JournaledCall> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(4);
    for (let offset = 0; offset + 4 <= size; ) {
      readSync(fd, head, 0, 4, offset);
      const length = head.readUInt32LE(0);
      if (offset + 4 + length > size) break; // cut short by a crash
      const bytes = Buffer.allocUnsafe(length);
      readSync(fd, bytes, 0, length, offset + 4);
      let frame: JournalEntry[];
      try {
        frame = deserialize(bytes) as JournalEntry[];
      } catch {
        break;
      }
      for (const entry of frame) {
        if (!('packed' in entry)) yield entry;
        else for (let k = 0; k < entry.taskIDs.length; k++) yield { taskID: entry.taskIDs[k]!, datasets: unpackCall(entry.packed, k) };
      }
      offset += 4 + length;
    }
  } finally {
    closeSync(fd);
  }
}

/** Every journal file in `outputDir`, of living clients too. */
export function journalFiles(outputDir: string): string[] {
  const dir = journalDir(outputDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .map((f) => join(dir, f));
}

/** Journal files in `outputDir` left by clients that are gone; throws if one is still writing. */
export function leftoverJournals(outputDir: string): string[] {
  const files = journalFiles(outputDir);
  for (const file of files) {
    const pid = livingWriter(file);
    if (pid !== undefined) {
      throw new AcmeError(
        'ERR_ACME_RUN_BUSY',
        `another acme-ts client (process ${pid} on this host) is still writing the run in ${outputDir}; wait until it ends, or stop it, then run again`,
      );
    }
  }
  // Oldest first: a call journaled twice keeps its latest datasets.
  return files.sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
}

/** The pid of the process on this host that still writes `file`, or undefined. */
function livingWriter(file: string): number | undefined {
  const m = /^client-(.+)-(\d+)\.bin$/.exec(file.slice(file.lastIndexOf('/') + 1));
  if (!m || m[1] !== hostname()) return undefined;
  const pid = Number(m[2]);
  if (pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
  }
  // A process with that pid that started after the journal's last write is another one (pid
  // reuse): the writer started before it wrote.
  const started = processStartMs(pid);
  if (started === -1) return undefined;
  return started !== undefined && started > statSync(file).mtimeMs + 1000 ? undefined : pid;
}

/** When process `pid` started (Linux /proc), or undefined if unknown; -1 if it has ended (a zombie). */
function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields from 3 (state) on follow the command name's ')'; 22 is starttime, in clock ticks after boot.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return -1;
    const ticks = Number(fields[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    const ms = bootSeconds * 1000 + (ticks / CLOCK_TICKS_PER_SECOND) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}

/** USER_HZ, 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
