// singleFile mode, tiny calls: a batch's stored calls whose datasets have the same names,
// dtypes and shapes travel and are written by column. Per call, a StoredCall object with its
// datasets costs a structured clone in both threads and a native call with its own argument
// objects, together more than libhdf5's own work (5000 calls: ≈ 40 ms of 150 ms).

import type { StoredCall } from './call-runner';
import type { Dtype, EncodedDataset, NumericArray } from './result-encoding';

export interface PackedColumn {
  name: string;
  dtype: Dtype;
  /** One call's shape. */
  shape: number[];
  /** The calls' data back to back, in call order. */
  data: NumericArray;
}

/** `count` calls, call k's dataset `columns[j].name` being row k of `columns[j].data`. */
export interface PackedCalls {
  count: number;
  columns: PackedColumn[];
}

/** Calls of at most this many bytes each are packed (larger ones gain nothing from it). */
const PACK_MAX_CALL_BYTES = 4096;

function sameShape(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The first `count` values as PackedCalls when every one is a StoredCall of encoded datasets
 * (no file, typed-array data) of one structure; undefined otherwise.
 */
export function packStoredCalls(values: readonly unknown[], count: number): PackedCalls | undefined {
  const first = values[0] as StoredCall | undefined;
  const proto = first?.datasets;
  if (count < 2 || !first || first.path !== undefined || !proto || proto.length === 0) return undefined;
  let callBytes = 0;
  for (const d of proto) {
    if (!ArrayBuffer.isView(d.data)) return undefined;
    callBytes += d.data.byteLength;
  }
  if (callBytes > PACK_MAX_CALL_BYTES) return undefined;
  for (let k = 1; k < count; k++) {
    const call = values[k] as StoredCall | undefined;
    const datasets = call?.datasets;
    if (!datasets || call.path !== undefined || datasets.length !== proto.length) return undefined;
    for (let j = 0; j < proto.length; j++) {
      const d = datasets[j]!;
      const p = proto[j]!;
      if (d.name !== p.name || d.dtype !== p.dtype || !sameShape(d.shape, p.shape)) return undefined;
      if (!ArrayBuffer.isView(d.data) || d.data.constructor !== p.data.constructor || d.data.length !== p.data.length) return undefined;
    }
  }
  const columns = proto.map((p, j): PackedColumn => {
    const row = p.data as NumericArray;
    const Ctor = row.constructor as new (length: number) => NumericArray;
    const data = new Ctor(row.length * count);
    const n = row.length;
    for (let k = 0; k < count; k++) {
      const src = (values[k] as StoredCall).datasets![j]!.data as NumericArray;
      if (n === 1) data[k] = src[0]!;
      else (data as Float64Array).set(src as Float64Array, k * n);
    }
    return { name: p.name, dtype: p.dtype, shape: p.shape, data };
  });
  return { count, columns };
}

/** Call k's datasets (views into the columns). */
export function unpackCall(packed: PackedCalls, k: number): EncodedDataset[] {
  return packed.columns.map((c) => {
    const n = c.data.length / packed.count;
    return { name: c.name, dtype: c.dtype, shape: c.shape, data: c.data.subarray(k * n, (k + 1) * n) as NumericArray };
  });
}
