// singleFile mode's record of stored calls, so a client that dies mid-run loses nothing it
// had stored. libhdf5 leaves a file consistent only once it is closed (a client killed after
// 5000 of 20000 calls left a container every later open refused: "bad heap free list"), so a
// run writes a copy of the container and appends each stored call's datasets here; after a
// crash the next run replays the journals into the container (see recoverSingleFileRun).
// Large datasets are journaled by where their bytes lie in the writer's copy (DataInCopy), not
// by value: a run of 8 MB results wrote every byte twice, the host thread's bottleneck.

import { appendFileSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, statSync, unlinkSync, writevSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { encodedByteSize, type EncodedDataset } from './result-encoding';
import { unpackCall, type PackedCalls } from './packed-calls';
import { journalDir } from './run-folder';
import { AcmeError } from './errors';
import { isLiveProcess } from './process-liveness';

/**
 * A dataset's bytes that the journal does not hold: libhdf5 wrote them, contiguous and in C
 * order, at `offset` of the writer's copy of the container (`copy`, a file name beside the
 * container) before the journal named them. The copy is removed only after the journal, and
 * libhdf5 frees (and could reuse) a dataset's space only when the dataset is removed, which a
 * writer never does to a call it stored itself (see SingleFileWriter.write).
 */
export interface DataInCopy {
  copy: string;
  offset: number;
  /** The typed array the bytes make (a TYPED_ARRAYS name), and its length. */
  type: string;
  length: number;
}

/** A dataset as the journal holds it: its data, or where its bytes are (DataInCopy). */
export interface JournaledDataset extends Omit<EncodedDataset, 'data'> {
  data: EncodedDataset['data'] | DataInCopy;
}

/** One stored call as the journal holds it. */
export interface JournaledCall {
  taskID: number;
  datasets: JournaledDataset[];
}

/** Where `array`'s bytes lie once written at `offset` of the copy named `copy` (its file name). */
export function dataInCopy(copy: string, offset: number, array: ArrayBufferView): DataInCopy {
  return { copy, offset, type: array.constructor.name, length: (array as ArrayBufferView & { length: number }).length };
}

export function isDataInCopy(data: unknown): data is DataInCopy {
  return data !== null && typeof data === 'object' && typeof (data as DataInCopy).copy === 'string' && typeof (data as DataInCopy).offset === 'number';
}

/** What a frame holds: calls one by one, or packed by column (see packed-calls.ts). */
type JournalEntry = JournaledCall | { taskIDs: Float64Array; packed: PackedCalls };

/** Buffered calls are appended once they hold this many bytes, even before the next flush. */
const FLUSH_BYTES = 64 << 20;
/**
 * Typed arrays from this size on are appended as they are, after the frame's serialized part:
 * v8.serialize copied them twice more (≈ 1.7 ms per MB, a third of a run of 800 KB results).
 */
const RAW_MIN_BYTES = 64 << 10;
/** The first bytes of a frame's body (frames of v8-serialized data only start with 0xFF). */
const FRAME_MAGIC = Buffer.from('AJ2\0', 'latin1');
/** Where a raw typed array stood in a frame's serialized part. */
interface RawRef {
  raw: number;
  type: string;
  length: number;
}
const TYPED_ARRAYS: Record<string, new (buffer: ArrayBuffer, byteOffset: number, length: number) => ArrayBufferView> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};
const align8 = (n: number): number => (n + 7) & ~7;

export { journalDir };

/** `client-<host>-<pid>.bin`: the host and process that writes it (see ownerOf). */
function journalFileName(): string {
  return `client-${hostname()}-${process.pid}.bin`;
}

/**
 * Appends frames of calls to `.acme-ts/journal/client-<host>-<pid>.bin`. A frame is a
 * little-endian uint32 byte length, then its body: "AJ2\0", a uint32 length of the
 * v8-serialized JournalEntry[] that follows, in which typed arrays of RAW_MIN_BYTES or more
 * are RawRefs, then those arrays' bytes, each at a multiple of 8 from the body's start. A frame
 * cut short by a crash is ignored when read, and so are its calls (their status records were
 * not written either).
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

  add(taskID: number, datasets: JournaledDataset[]): void {
    this.buffered.push({ taskID, datasets });
    for (const d of datasets) this.bufferedBytes += isDataInCopy(d.data) ? 64 : encodedByteSize([d as EncodedDataset]);
    if (this.bufferedBytes >= FLUSH_BYTES) this.flush();
  }

  /** Packed calls, call k being `taskIDs[k]`. */
  addPacked(taskIDs: ArrayLike<number>, packed: PackedCalls): void {
    // A copy (the pool's batch owns the array); from a Float64Array by memcpy, not by iteration.
    this.buffered.push({ taskIDs: taskIDs instanceof Float64Array ? taskIDs.slice() : Float64Array.from(taskIDs), packed });
    for (const c of packed.columns) this.bufferedBytes += c.data.byteLength;
    if (this.bufferedBytes >= FLUSH_BYTES) this.flush();
  }

  /** Appends the buffered calls as one frame. */
  flush(): void {
    if (this.buffered.length === 0) return;
    const raws: Uint8Array[] = [];
    const meta = serialize(this.buffered.map((entry) => withRawRefs(entry, raws)));
    const chunks: Uint8Array[] = [Buffer.alloc(12), meta];
    let bodyLength = 8 + meta.length;
    for (const raw of raws) {
      const padded = align8(bodyLength);
      if (padded > bodyLength) chunks.push(Buffer.alloc(padded - bodyLength));
      chunks.push(raw);
      bodyLength = padded + raw.byteLength;
    }
    if (bodyLength > 0xffffffff)
      throw new AcmeError(
        'ERR_ACME_JOURNAL',
        `results of ${bodyLength} bytes cannot go into one journal frame (4 GiB at most); singleFile is not for results this large: use the default mode (a payload file per call)`,
      );
    const head = chunks[0] as Buffer;
    head.writeUInt32LE(bodyLength, 0);
    FRAME_MAGIC.copy(head, 4);
    head.writeUInt32LE(meta.length, 8);
    const fd = openSync(this.path, 'a');
    try {
      writeAll(fd, chunks);
    } finally {
      closeSync(fd);
    }
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

/** `entry` with its large typed arrays replaced by RawRefs (pushed onto `raws`); not modified. */
function withRawRefs(entry: JournalEntry, raws: Uint8Array[]): JournalEntry {
  const ref = <T extends { data: unknown }>(holder: T): T => {
    const { data } = holder;
    if (!ArrayBuffer.isView(data) || data.byteLength < RAW_MIN_BYTES || !(data.constructor.name in TYPED_ARRAYS)) return holder;
    raws.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    const raw: RawRef = { raw: raws.length - 1, type: data.constructor.name, length: (data as unknown as { length: number }).length };
    return { ...holder, data: raw };
  };
  if ('packed' in entry) return { taskIDs: entry.taskIDs, packed: { ...entry.packed, columns: entry.packed.columns.map(ref) } };
  return { taskID: entry.taskID, datasets: entry.datasets.map(ref) };
}

/** The typed arrays of a frame's RawRefs, as views of its body where aligned. */
function withRawData(entry: JournalEntry, body: Buffer, rawOffsets: number[]): JournalEntry {
  const resolve = <T extends { data: unknown }>(holder: T): T => {
    const ref = holder.data as RawRef | undefined;
    if (ref === null || typeof ref !== 'object' || ArrayBuffer.isView(ref) || typeof ref.raw !== 'number') return holder;
    const Type = TYPED_ARRAYS[ref.type];
    const offset = rawOffsets[ref.raw];
    if (!Type || offset === undefined) throw new Error('journal frame: bad raw reference');
    const bytesPer = (Type as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    if (offset + ref.length * bytesPer > body.length) throw new Error('journal frame: raw data past its end');
    // body is a Buffer of its own (not pooled: frames with raw data are ≥ 64 KiB), 8-aligned.
    const start = body.byteOffset + offset;
    const data =
      start % bytesPer === 0
        ? new Type(body.buffer as ArrayBuffer, start, ref.length)
        : new Type(body.buffer.slice(start, start + ref.length * bytesPer) as ArrayBuffer, 0, ref.length);
    return { ...holder, data };
  };
  if ('packed' in entry) return { taskIDs: entry.taskIDs, packed: { ...entry.packed, columns: entry.packed.columns.map(resolve) } };
  return { taskID: entry.taskID, datasets: entry.datasets.map(resolve) };
}

/** A frame body's entries (an older journal's frames are v8-serialized entries only). */
function frameEntries(body: Buffer): JournalEntry[] {
  if (!body.subarray(0, 4).equals(FRAME_MAGIC)) return deserialize(body) as JournalEntry[];
  const metaLength = body.readUInt32LE(4);
  const entries = deserialize(body.subarray(8, 8 + metaLength)) as JournalEntry[];
  // The raw arrays follow in RawRef order, each 8-aligned: their offsets from the refs' sizes.
  const sizes: number[] = [];
  const note = (data: unknown) => {
    const ref = data as RawRef;
    if (ref !== null && typeof ref === 'object' && !ArrayBuffer.isView(ref) && typeof ref.raw === 'number') {
      sizes[ref.raw] = ref.length * ((TYPED_ARRAYS[ref.type] as unknown as { BYTES_PER_ELEMENT?: number } | undefined)?.BYTES_PER_ELEMENT ?? 1);
    }
  };
  for (const e of entries) for (const holder of 'packed' in e ? e.packed.columns : e.datasets) note(holder.data);
  const offsets: number[] = [];
  let end = 8 + metaLength;
  for (let i = 0; i < sizes.length; i++) {
    offsets.push(align8(end));
    end = align8(end) + (sizes[i] ?? 0);
  }
  return entries.map((e) => withRawData(e, body, offsets));
}

/** Writes every byte of `chunks` (a writev may write less: over 2 GiB, or a full disk). */
function writeAll(fd: number, chunks: Uint8Array[]): void {
  let rest = chunks;
  while (rest.length > 0) {
    const batch = rest.slice(0, 1024); // IOV_MAX
    let written = writevSync(fd, batch);
    let done = 0;
    while (done < batch.length && written >= batch[done]!.byteLength) written -= batch[done++]!.byteLength;
    rest = done < batch.length ? [batch[done]!.subarray(written), ...rest.slice(done + 1)] : rest.slice(done);
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
    for (let offset = 0; offset + 4 <= size;) {
      readSync(fd, head, 0, 4, offset);
      const length = head.readUInt32LE(0);
      if (offset + 4 + length > size) break; // cut short by a crash
      const bytes = Buffer.allocUnsafe(length);
      readSync(fd, bytes, 0, length, offset + 4);
      let frame: JournalEntry[];
      try {
        frame = frameEntries(bytes);
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

/**
 * The bytes of `ref` from its copy in `dir`, or why they cannot be had: the copy is gone (it
 * replaced the container, so the container holds the call), or ends before them.
 */
export function readDataInCopy(dir: string, ref: DataInCopy): ArrayBufferView | { missing: string } {
  const Type = TYPED_ARRAYS[ref.type];
  if (!Type) throw new AcmeError('ERR_ACME_JOURNAL', `journal frame: unknown typed array ${ref.type}`);
  const path = join(dir, ref.copy);
  if (!existsSync(path)) return { missing: `${path} is gone` };
  const bytesPer = (Type as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
  const bytes = new Uint8Array(ref.length * bytesPer);
  const fd = openSync(path, 'r');
  try {
    for (let done = 0; done < bytes.length;) {
      const n = readSync(fd, bytes, done, bytes.length - done, ref.offset + done);
      if (n === 0) return { missing: `${path} ends at byte ${ref.offset + done}, before the ${bytes.length} bytes at ${ref.offset} its journal names` };
      done += n;
    }
  } finally {
    closeSync(fd);
  }
  return new Type(bytes.buffer, 0, ref.length);
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
  // The writer started before its journal's last write.
  return isLiveProcess(pid, statSync(file).mtimeMs) ? pid : undefined;
}
