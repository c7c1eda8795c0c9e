/**
 * singleFile from worker threads: result memory a worker and the host thread share, so a large
 * result is neither copied to the host nor freshly mapped (and faulted in page by page) per call.
 * The worker lends a buffer (a SharedArrayBuffer with an in-use word after its data) for a
 * call's result, or for its copy of a returned array (ResultBufferPool); the host clears the word
 * once the bytes are in the container's copy and nothing of the host holds them (SingleFileRecorder:
 * the journal names where they lie, not their values), and the worker lends the buffer again.
 * A buffer the host never gives back (a refused write, a dataset journaled by value) stays lent:
 * a worker keeps at most MAX_PER_SIZE of a size and lends ordinary buffers beyond them.
 */

/** Smaller results are packed or copied on the host anyway (and a SharedArrayBuffer costs more to make). */
export const SHARED_MIN_BYTES = 1 << 20;
/** Shared buffers kept per size: a batch's calls in flight and the host's backlog, bounded (8 × 8 MB). */
const MAX_PER_SIZE = 8;
const align8 = (n: number): number => (n + 7) & ~7;

interface Slot {
  buffer: SharedArrayBuffer;
  /** 1 while lent, 0 once the host gave it back. */
  inUse: Int32Array;
}

export class SharedResultBuffers {
  private readonly bySize = new Map<number, Slot[]>();
  private readonly own = new WeakSet<SharedArrayBuffer>();

  /**
   * A buffer of `bytes` (its data from 0, the in-use word after) to lend, or undefined when
   * MAX_PER_SIZE of its size are all lent, or it is under SHARED_MIN_BYTES.
   */
  acquire(bytes: number): SharedArrayBuffer | undefined {
    if (bytes < SHARED_MIN_BYTES) return undefined;
    let slots = this.bySize.get(bytes);
    if (slots === undefined) this.bySize.set(bytes, (slots = []));
    for (const slot of slots) if (Atomics.compareExchange(slot.inUse, 0, 0, 1) === 0) return slot.buffer;
    if (slots.length >= MAX_PER_SIZE) return undefined;
    const buffer = new SharedArrayBuffer(align8(bytes) + 8);
    const inUse = new Int32Array(buffer, align8(bytes), 1);
    inUse[0] = 1;
    slots.push({ buffer, inUse });
    this.own.add(buffer);
    return buffer;
  }

  /** Lends `data`'s buffer again (this worker wrote it itself: copy-slots.ts). */
  giveBack(data: ArrayBufferView): void {
    releaseSharedResult(data);
  }

  /** Whether `data` is a whole buffer this worker lent (what the host may give back). */
  lends(data: unknown): boolean {
    if (!ArrayBuffer.isView(data) || !(data.buffer instanceof SharedArrayBuffer) || !this.own.has(data.buffer)) return false;
    return data.byteOffset === 0 && align8(data.byteLength) + 8 === data.buffer.byteLength;
  }
}

/**
 * The host's side: gives back the shared buffer behind `data`, which a worker's
 * SharedResultBuffers lent (StoredCall.sharedData says which), once nothing reads it any more.
 */
export function releaseSharedResult(data: unknown): void {
  if (!ArrayBuffer.isView(data) || !(data.buffer instanceof SharedArrayBuffer) || data.byteOffset !== 0) return;
  const at = align8(data.byteLength);
  if (at + 8 !== data.buffer.byteLength) return;
  Atomics.store(new Int32Array(data.buffer, at, 1), 0, 0);
}
