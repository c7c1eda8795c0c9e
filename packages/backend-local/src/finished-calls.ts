// The calls of a running batch that finished since its last hand-over, kept in memory the pool
// shares with the worker thread: a thread that the pool terminates (a call past its timeout) or
// whose heap overflows runs no code at its end, so what it had not handed over would be lost
// and its calls run again. The pool reads these records only after the thread has ended.

import { readCompactClone, writeCompactClone } from './compact-clone';

// node:v8 on first use: only a value compact-clone.ts refuses needs it.
const v8 = () => require('node:v8') as typeof import('node:v8');

/** One call's outcome as recorded: what a BatchResult holds for it. */
export interface FinishedCall {
  ok: boolean;
  value: unknown;
  durationMs: number;
}

/** The recorded calls of one batch: calls from … from + calls.length − 1. */
export interface FinishedCallsOfBatch {
  batchSeq: number;
  from: number;
  calls: FinishedCall[];
}

/** Record kinds (Int32): a number (its Float64 follows), undefined, a v8-serialized value, a compact clone. */
const NUMBER = 1;
const UNDEFINED = 2;
const SERIALIZED = 3;
/** A value in compact-clone.ts's encoding. */
const COMPACT = 4;
/** Header of a slot: Int32 batchSeq, Int32 from, Int32 count (published records), Int32 bytes used. */
const SLOT_HEADER = 16;
/** Header of a record: Int32 kind, Int32 ok, Float64 durationMs; then 8 bytes (a number), the compact clone, or Int32 length + v8's bytes; padded to 8. */
const RECORD_HEADER = 16;

/**
 * One slot per batch the worker runs at once (as CallState), each a region of `slotBytes`.
 * The worker appends a record as each call finishes (begin() empties the slot after a
 * hand-over); a record that does not fit is refused, and the worker then hands the calls over
 * in a message instead. Records are published by an Atomics store of the count after their
 * bytes are written, so the pool trusts exactly the calls counted.
 */
export class FinishedCalls {
  /**
   * Bytes for all slots of a worker that records every value: a slot holds what a batch
   * finishes in about 1 ms (HAND_OVER_EVERY_MS). One that records numbers only needs a slot of
   * MIN_SLOT_BYTES (170 calls; a number that does not fit is handed over at once).
   */
  static readonly BYTES_PER_WORKER = 256 * 1024;
  static readonly MIN_SLOT_BYTES = 4 * 1024;

  private readonly ints: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  /**
   * The slot as Int32 and Float64 elements, for the fixed fields (records are 8-aligned): element
   * stores are several times cheaper than DataView calls in a worker's first, interpreted calls.
   */
  private readonly words: Int32Array;
  private readonly doubles: Float64Array;

  constructor(
    readonly buffer: SharedArrayBuffer,
    slot: number,
    private readonly slotBytes: number,
    /**
     * Whether values other than numbers and undefined are recorded (compact-clone.ts, or
     * v8-serialized where it refuses: 2–4 µs, or ≈ 10 µs, a call): only in runs the pool may kill
     * (a timeout) or that set heap limits. Otherwise add() refuses them and the calls after them
     * until the next hand-over.
     */
    readonly recordsEveryValue = true,
  ) {
    const offset = slot * slotBytes;
    this.ints = new Int32Array(buffer, offset, SLOT_HEADER / 4);
    this.bytes = new Uint8Array(buffer, offset, slotBytes);
    this.view = new DataView(buffer, offset, slotBytes);
    this.words = new Int32Array(buffer, offset, slotBytes / 4);
    this.doubles = new Float64Array(buffer, offset, slotBytes / 8);
  }

  /** The buffer for a worker that runs `concurrency` batches at once. */
  static buffer(concurrency: number, recordsEveryValue: boolean): SharedArrayBuffer {
    const perSlot = recordsEveryValue ? Math.max(FinishedCalls.MIN_SLOT_BYTES, FinishedCalls.BYTES_PER_WORKER / concurrency) : FinishedCalls.MIN_SLOT_BYTES;
    return new SharedArrayBuffer(Math.floor(perSlot / 8) * 8 * concurrency);
  }

  /** The slots of `buffer` (from buffer()), one per batch the worker runs at once. */
  static slots(buffer: SharedArrayBuffer, concurrency: number, recordsEveryValue = true): FinishedCalls[] {
    const slotBytes = Math.floor(buffer.byteLength / concurrency / 8) * 8;
    return Array.from({ length: concurrency }, (_, slot) => new FinishedCalls(buffer, slot, slotBytes, recordsEveryValue));
  }

  // worker side
  /** The slot now records batch `batchSeq` from its call `from` on (at its start, after each hand-over). */
  begin(batchSeq: number, from: number): void {
    Atomics.store(this.ints, 2, 0);
    this.ints[0] = batchSeq;
    this.ints[1] = from;
    this.ints[3] = SLOT_HEADER;
  }

  /**
   * Records call `index`'s outcome; false (nothing recorded) when it is not the next call of the
   * slot, does not fit, cannot be serialized or is not recorded (recordsEveryValue): the caller
   * then hands the calls over (when recordsEveryValue).
   */
  add(index: number, ok: boolean, value: unknown, durationMs: number): boolean {
    const { ints, view, words, doubles } = this;
    const count = ints[2]!;
    if (index !== ints[1]! + count) return false;
    const at = ints[3]!;
    let end: number;
    let kind: number;
    if (typeof value === 'number') {
      end = at + RECORD_HEADER + 8;
      if (end > this.slotBytes) return false;
      kind = NUMBER;
      doubles[(at + RECORD_HEADER) >> 3] = value;
    } else if (value === undefined) {
      end = at + RECORD_HEADER;
      if (end > this.slotBytes) return false;
      kind = UNDEFINED;
    } else if (!this.recordsEveryValue) {
      return false;
    } else if ((end = writeCompactClone(value, view, at + RECORD_HEADER, this.slotBytes) ?? -1) >= 0) {
      end = (end + 7) & ~7;
      kind = COMPACT;
    } else {
      let serialized: Uint8Array;
      try {
        serialized = v8().serialize(value);
      } catch {
        return false;
      }
      const length = serialized.byteLength;
      end = at + RECORD_HEADER + 8 + ((length + 7) & ~7);
      if (end > this.slotBytes) return false;
      kind = SERIALIZED;
      view.setInt32(at + RECORD_HEADER, length, true);
      this.bytes.set(serialized, at + RECORD_HEADER + 8);
    }
    words[at >> 2] = kind;
    words[(at >> 2) + 1] = ok ? 1 : 0;
    doubles[(at >> 3) + 1] = durationMs;
    ints[3] = end;
    Atomics.store(ints, 2, count + 1);
    return true;
  }

  // pool side, once the worker has ended
  /** The recorded calls, or undefined when there are none. */
  read(): FinishedCallsOfBatch | undefined {
    const { ints, view, words, doubles } = this;
    const count = Atomics.load(ints, 2);
    if (count === 0) return undefined;
    const calls: FinishedCall[] = [];
    let at = SLOT_HEADER;
    for (let k = 0; k < count; k++) {
      const kind = words[at >> 2];
      const ok = words[(at >> 2) + 1] === 1;
      const durationMs = doubles[(at >> 3) + 1]!;
      at += RECORD_HEADER;
      let value: unknown;
      if (kind === NUMBER) {
        value = doubles[at >> 3];
        at += 8;
      } else if (kind === COMPACT) {
        const read = readCompactClone(view, at);
        value = read.value;
        at = (read.end + 7) & ~7;
      } else if (kind === SERIALIZED) {
        const length = view.getInt32(at, true);
        value = v8().deserialize(this.bytes.subarray(at + 8, at + 8 + length));
        at += 8 + ((length + 7) & ~7);
      }
      calls.push({ ok, value, durationMs });
    }
    return { batchSeq: ints[0]!, from: ints[1]!, calls };
  }
}
