/**
 * Memory a call may write its result into (`taskContext().resultArray(shape, dtype)`), so a call
 * of a large result allocates nothing. Each fresh 8 MB typed array is a fresh mapping that the
 * kernel fills page by page on its first touch and takes back once V8 collects it: for results of
 * megabytes that costs more than writing them to disk. A buffer returns to its runner's pool once
 * the worker has written the result that holds it (payload files of large results); a result
 * that leaves the worker (memory mode, singleFile, small payload files the client writes) keeps
 * its buffer (transferred, not copied, when it goes to another thread: see handOff), and a lent
 * buffer that never comes back is simply collected: so reuse is always safe. In singleFile mode
 * from a worker thread, buffers of 1 MiB or more are shared with the host thread instead, which
 * gives them back once written (shared-result-buffers.ts).
 */
import { AcmeError } from './errors';
import type { NdArray, NumericArray, NumericDtype } from './result-encoding';
import type { SharedResultBuffers } from './shared-result-buffers';

/** The element types resultArray() offers: those a typed array holds one element per slot. */
export type ResultArrayDtype = Exclude<NumericDtype, 'float16' | 'complex64' | 'complex128' | 'bool'>;

type TypedArrayConstructor = new (buffer: ArrayBuffer, byteOffset: number, length: number) => NumericArray;

const CONSTRUCTORS: { [D in ResultArrayDtype]: TypedArrayConstructor } = {
  float64: Float64Array,
  float32: Float32Array,
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  int64: BigInt64Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  uint64: BigUint64Array,
};

/** Free buffers kept per size: one per call a worker may have in flight, and a spare. */
const MAX_FREE_PER_SIZE = 4;

/** The typed array resultArray() gives for each dtype. */
export interface ResultArrayTypes {
  float64: Float64Array;
  float32: Float32Array;
  int8: Int8Array;
  int16: Int16Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  uint16: Uint16Array;
  uint32: Uint32Array;
  uint64: BigUint64Array;
}

/** A C-order array of `shape` over a fresh or pooled buffer (see the file comment). */
export interface ResultArrayFactory {
  (shape: readonly number[]): NdArray<Float64Array>;
  <D extends ResultArrayDtype>(shape: readonly number[], dtype: D): NdArray<ResultArrayTypes[D]>;
}

/** The typed array type, element count and bytes of an array of `shape` and `dtype` (checked). */
function arrayLayout(shape: readonly number[], dtype: string): { Ctor: TypedArrayConstructor; length: number; bytes: number } {
  if (!Array.isArray(shape) || !shape.every((n) => Number.isInteger(n) && n >= 0)) {
    throw new AcmeError('ERR_ACME_INVALID_ARGUMENT', `resultArray(shape): shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  if (!Object.prototype.hasOwnProperty.call(CONSTRUCTORS, dtype)) {
    throw new AcmeError(
      'ERR_ACME_INVALID_ARGUMENT',
      `resultArray(shape, dtype): dtype must be one of ${Object.keys(CONSTRUCTORS).join(', ')}, got ${JSON.stringify(dtype)}`,
    );
  }
  const Ctor = CONSTRUCTORS[dtype as ResultArrayDtype];
  const length = shape.reduce((a, b) => a * b, 1);
  return { Ctor, length, bytes: length * (Ctor as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT };
}

/** Without a pool (in-process calls, dry runs): a fresh array each time. */
export const freshResultArray = ((shape: readonly number[], dtype: ResultArrayDtype = 'float64'): NdArray<NumericArray> => {
  const { Ctor, length, bytes } = arrayLayout(shape, dtype);
  return { data: new Ctor(new ArrayBuffer(bytes), 0, length), shape: [...shape] };
}) as ResultArrayFactory;

export class ResultBufferPool {
  private readonly free = new Map<number, ArrayBuffer[]>();
  private readonly lent = new WeakSet<ArrayBuffer>();
  /** Buffers lent and not taken back or handed off (an upper bound: dropped ones stay counted). */
  private outstanding = 0;
  /** Buffers handed out again (for tests and the bench). */
  reused = 0;

  /** `shared`: results leave for the host thread, which gives shared buffers back (singleFile from a worker thread). */
  constructor(private readonly shared?: SharedResultBuffers) {}

  /** Whether `data` is in a shared buffer the host gives back (see SharedResultBuffers). */
  isShared(data: unknown): boolean {
    return this.shared?.lends(data) ?? false;
  }

  readonly resultArray = ((shape: readonly number[], dtype: ResultArrayDtype = 'float64'): NdArray<NumericArray> => {
    const { Ctor, length, bytes } = arrayLayout(shape, dtype);
    const shared = this.shared?.acquire(bytes);
    if (shared !== undefined) return { data: new Ctor(shared as unknown as ArrayBuffer, 0, length), shape: [...shape] };
    let buffer = this.free.get(bytes)?.pop();
    if (buffer === undefined) buffer = new ArrayBuffer(bytes);
    else this.reused++;
    this.lent.add(buffer);
    this.outstanding++;
    return { data: new Ctor(buffer, 0, length), shape: [...shape] };
  }) as ResultArrayFactory;

  /**
   * Adds the lent buffers among `values` (results about to leave the worker, up to three levels
   * into their arrays and objects: a StoredCall's datasets' data) to `into`, and forgets them:
   * nothing in the worker holds them any more, so they can be transferred instead of copied.
   */
  handOff(values: readonly unknown[], into: Set<ArrayBuffer>): void {
    if (this.outstanding === 0) return;
    const visit = (value: unknown, depth: number): void => {
      if (value === null || typeof value !== 'object') return;
      if (ArrayBuffer.isView(value)) {
        const buffer = value.buffer as ArrayBuffer;
        if (this.lent.delete(buffer)) {
          this.outstanding--;
          into.add(buffer);
        }
        return;
      }
      if (depth === 3) return;
      for (const item of Array.isArray(value) ? value : Object.values(value)) visit(item, depth + 1);
    };
    for (const value of values) visit(value, 0);
  }

  /**
   * A copy of `array` in a shared buffer the host gives back (SharedResultBuffers) when one is
   * free, else in a buffer of its own, lent like resultArray's, so it leaves the worker by
   * transfer (handOff). `array` itself stays the caller's (a function may keep what it returned):
   * sent as it is, it would be copied twice, the second time on the host thread. A lent array
   * is returned as it is.
   */
  lendCopy<T extends ArrayBufferView>(array: T): T {
    if (this.lent.has(array.buffer as ArrayBuffer) || this.isShared(array)) return array;
    const shared = this.shared?.acquire(array.byteLength);
    if (shared !== undefined) {
      const Ctor = array.constructor as new (buffer: SharedArrayBuffer, byteOffset: number, length: number) => T & { set(source: T): void };
      const copy = new Ctor(shared, 0, (array as unknown as { length: number }).length);
      copy.set(array);
      return copy;
    }
    // slice() copies (a Buffer's would share its memory: not given here, see the caller).
    const copy = (array as unknown as { slice(): T }).slice();
    this.lent.add(copy.buffer as ArrayBuffer);
    this.outstanding++;
    return copy;
  }

  /** Takes back the lent buffers behind `arrays` (the worker has written them; nothing else holds them). */
  reclaim(arrays: readonly unknown[]): void {
    for (const array of arrays) {
      if (!ArrayBuffer.isView(array)) continue;
      if (this.isShared(array)) {
        this.shared!.giveBack(array);
        continue;
      }
      const buffer = array.buffer as ArrayBuffer;
      if (!this.lent.delete(buffer)) continue;
      this.outstanding--;
      let free = this.free.get(buffer.byteLength);
      if (free === undefined) this.free.set(buffer.byteLength, (free = []));
      if (free.length < MAX_FREE_PER_SIZE) free.push(buffer);
    }
  }
}
