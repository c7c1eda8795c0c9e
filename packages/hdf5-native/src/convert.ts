// Argument validation and conversion between the public API and the addon's plain arguments.
import { invalidArg } from './errors';
import type { NativeData, NativeMapping, NativeVirtualSpec, NativeDatasetSpec } from './native';
import type { DataInput, DatasetSpec, Dtype, Selection, VirtualDatasetSpec, AttributeValue } from './types';

const SIMPLE_DTYPES = new Set([
  'float64',
  'float32',
  'float16',
  'complex64',
  'complex128',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
  'string',
]);
/** Bytes per element in memory (variable-length strings: the size of their descriptor). */
const ELEMENT_BYTES: Record<string, number> = {
  float64: 8,
  float32: 4,
  float16: 2,
  complex64: 8,
  complex128: 16,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  uint8: 1,
  uint16: 2,
  uint32: 4,
  uint64: 8,
  bool: 1,
  string: 16,
};

function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function checkPath(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalidArg(`${name} must be a non-empty string, got ${show(value)}`);
  }
  if (value.includes('\0')) {
    throw invalidArg(`${name} must not contain a NUL byte, got ${show(value)}`);
  }
  return value;
}

export function isSimpleDtype(dtype: string): boolean {
  return SIMPLE_DTYPES.has(dtype);
}

/** Dtype → the addon's code (S<n> for fixed strings). */
export function dtypeCode(dtype: unknown, name = 'dtype'): string {
  if (typeof dtype === 'string' && SIMPLE_DTYPES.has(dtype)) return dtype;
  if (typeof dtype === 'object' && dtype !== null && 'fixedString' in dtype) {
    const n = (dtype as { fixedString: unknown }).fixedString;
    if (Number.isSafeInteger(n) && (n as number) > 0) return `S${n as number}`;
    throw invalidArg(`${name}.fixedString must be a positive integer, got ${show(n)}`);
  }
  throw invalidArg(`${name} must be one of ${[...SIMPLE_DTYPES].join(', ')} or { fixedString: n }, got ${show(dtype)}`);
}

export function dtypeFromCode(code: string): Dtype {
  if (code.startsWith('S')) return { fixedString: Number(code.slice(1)) };
  return code as Dtype;
}

export function checkDims(value: unknown, name: string, { positive = false } = {}): number[] {
  const allowed = positive ? 'positive integers' : 'non-negative integers';
  if (!Array.isArray(value) || !value.every((d) => Number.isSafeInteger(d) && d >= (positive ? 1 : 0))) {
    throw invalidArg(`${name} must be an array of ${allowed}, got ${show(value)}`);
  }
  return value as number[];
}

/** maxshape → addon dims (-1 = unlimited), checked against shape. */
export function checkMaxshape(value: unknown, shape: number[], name: string): number[] {
  if (!Array.isArray(value) || value.length !== shape.length) {
    throw invalidArg(`${name} must be an array of ${shape.length} entries (integers ≥ shape or null for unlimited), got ${show(value)}`);
  }
  return value.map((m, i) => {
    if (m === null) return -1;
    if (!Number.isSafeInteger(m) || m < shape[i]!) {
      throw invalidArg(`${name}[${i}] must be null (unlimited) or an integer ≥ shape[${i}] = ${shape[i]}, got ${show(m)}`);
    }
    return m as number;
  });
}

/** Bytes one element of `dtype` takes (fixed strings: their length); for sizing reads and chunks. */
export function elementBytes(dtype: Dtype): number {
  return typeof dtype === 'string' ? (ELEMENT_BYTES[dtype] ?? 8) : dtype.fixedString;
}

/** Chunk shape for resizable datasets without explicit chunks: at most ~1 MiB per chunk. */
function defaultChunks(shape: number[], maxshape: number[], dtype: string): number[] {
  const bytes = elementBytes(dtype as Dtype);
  const chunks = shape.map((d, i) => Math.max(1, d > 0 ? d : maxshape[i]! > 0 ? Math.min(maxshape[i]!, 1024) : 1024));
  while (chunks.reduce((a, b) => a * b, 1) * bytes > 1 << 20) {
    const largest = chunks.indexOf(Math.max(...chunks));
    chunks[largest] = Math.ceil(chunks[largest]! / 2);
  }
  return chunks;
}

export function toNativeSpec(spec: DatasetSpec, name = 'spec'): NativeDatasetSpec {
  if (typeof spec !== 'object' || spec === null) throw invalidArg(`${name} must be an object, got ${show(spec)}`);
  const dtype = dtypeCode(spec.dtype, `${name}.dtype`);
  const shape = checkDims(spec.shape, `${name}.shape`);
  const out: NativeDatasetSpec = { dtype, shape };
  if (spec.maxshape !== undefined) out.maxshape = checkMaxshape(spec.maxshape, shape, `${name}.maxshape`);
  if (spec.chunks !== undefined) {
    out.chunks = checkDims(spec.chunks, `${name}.chunks`, { positive: true });
    if (out.chunks.length !== shape.length || shape.length === 0) {
      throw invalidArg(`${name}.chunks must have ${shape.length} entries like ${name}.shape (and a scalar cannot be chunked), got ${show(spec.chunks)}`);
    }
  } else if (out.maxshape && out.maxshape.some((m, i) => m !== shape[i])) {
    out.chunks = defaultChunks(shape, out.maxshape, dtype);
  }
  if (spec.fillValue !== undefined) out.fillValue = checkFill(spec.fillValue, dtype, `${name}.fillValue`);
  if (spec.reserveSpace !== undefined && spec.reserveSpace !== false) {
    if (spec.reserveSpace !== true) throw invalidArg(`${name}.reserveSpace must be a boolean, got ${show(spec.reserveSpace)}`);
    const other = out.chunks ? 'chunks or a maxshape other than shape' : out.fillValue !== undefined ? 'fillValue' : undefined;
    if (other) throw invalidArg(`${name}.reserveSpace cannot be combined with ${name}.${other}: reserved space is contiguous and never filled`);
    if (dtype === 'string') throw invalidArg(`${name}.reserveSpace needs a dtype of fixed size, got 'string' (variable-length)`);
    out.reserveSpace = true;
  }
  if (spec.neverFill !== undefined && spec.neverFill !== false) {
    if (spec.neverFill !== true) throw invalidArg(`${name}.neverFill must be a boolean, got ${show(spec.neverFill)}`);
    if (out.chunks) throw invalidArg(`${name}.neverFill cannot be combined with ${name}.chunks or a maxshape other than shape: it is for contiguous datasets`);
    out.neverFill = true;
  }
  return out;
}

function checkFill(value: unknown, dtype: string, name: string): AttributeValue {
  const isString = dtype === 'string' || dtype.startsWith('S');
  const ok = isString ? typeof value === 'string' : ['number', 'bigint', 'boolean'].includes(typeof value);
  if (!ok) throw invalidArg(`${name} must be ${isString ? 'a string' : 'a number, bigint or boolean'} for dtype ${dtype}, got ${show(value)}`);
  return value as AttributeValue;
}

const INT64_MAX = (1n << 63n) - 1n;

/** Data → a typed array or string[] for the addon; numbers are converted to the dataset type by HDF5. */
export function toNativeData(data: DataInput, name = 'data'): NativeData {
  if (ArrayBuffer.isView(data)) {
    if (data instanceof DataView) throw invalidArg(`${name} must be a typed array, not a DataView`);
    return data;
  }
  switch (typeof data) {
    case 'number':
      return Float64Array.of(data);
    case 'bigint':
      return data > INT64_MAX ? BigUint64Array.of(data) : BigInt64Array.of(data);
    case 'boolean':
      return Uint8Array.of(data ? 1 : 0);
    case 'string':
      return [data];
  }
  if (!Array.isArray(data)) {
    throw invalidArg(`${name} must be a typed array, an array of numbers/bigints/booleans/strings or a single value, got ${show(data)}`);
  }
  const arr = data as unknown[];
  if (arr.length === 0) return [];
  const kind = typeof arr[0];
  const bad = arr.findIndex((v) => typeof v !== kind);
  if (bad >= 0 || !['number', 'bigint', 'boolean', 'string'].includes(kind)) {
    const at = bad >= 0 ? bad : 0;
    throw invalidArg(`${name} must hold only numbers, only bigints, only booleans or only strings; ${name}[${at}] is ${show(arr[at])} (${typeof arr[at]})`);
  }
  if (kind === 'number') return Float64Array.from(arr as number[]);
  if (kind === 'boolean') return Uint8Array.from(arr as boolean[], (b) => (b ? 1 : 0));
  if (kind === 'string') return arr as string[];
  const big = arr as bigint[];
  return big.some((b) => b > INT64_MAX) ? BigUint64Array.from(big) : BigInt64Array.from(big);
}

export function checkSelection(sel: Selection | undefined, name = 'selection'): Selection | undefined {
  if (sel === undefined) return undefined;
  if (typeof sel !== 'object' || sel === null) throw invalidArg(`${name} must be { start, count }, got ${show(sel)}`);
  const start = checkDims(sel.start, `${name}.start`);
  const count = checkDims(sel.count, `${name}.count`);
  if (start.length !== count.length) {
    throw invalidArg(`${name}.start and ${name}.count must have the same length, got ${show(start)} and ${show(count)}`);
  }
  return { start, count };
}

function unlimitedCounts(value: unknown, rank: number, name: string): number[] {
  if (!Array.isArray(value) || value.length !== rank || !value.every((c) => c === 'unlimited' || (Number.isSafeInteger(c) && c >= 0))) {
    throw invalidArg(`${name} must be an array of ${rank} non-negative integers or 'unlimited', got ${show(value)}`);
  }
  return value.map((c) => (c === 'unlimited' ? -1 : (c as number)));
}

export function toNativeVirtualSpec(spec: VirtualDatasetSpec): NativeVirtualSpec {
  if (typeof spec !== 'object' || spec === null) throw invalidArg(`spec must be an object, got ${show(spec)}`);
  const dtype = dtypeCode(spec.dtype, 'spec.dtype');
  const shape = checkDims(spec.shape, 'spec.shape');
  const out: NativeVirtualSpec = { dtype, shape, mappings: [] };
  if (spec.maxshape !== undefined) out.maxshape = checkMaxshape(spec.maxshape, shape, 'spec.maxshape');
  if (spec.fillValue !== undefined) {
    if (typeof spec.fillValue !== 'number') throw invalidArg(`spec.fillValue must be a number, got ${show(spec.fillValue)}`);
    out.fillValue = spec.fillValue;
  }
  if (!Array.isArray(spec.mappings)) throw invalidArg(`spec.mappings must be an array, got ${show(spec.mappings)}`);
  spec.mappings.forEach((m, i) => {
    const at = `spec.mappings[${i}]`;
    if (typeof m !== 'object' || m === null || typeof m.virtual !== 'object' || typeof m.source !== 'object') {
      throw invalidArg(`${at} must be { virtual, file, dataset, source }, got ${show(m)}`);
    }
    const vstart = checkDims(m.virtual.start, `${at}.virtual.start`);
    if (vstart.length !== shape.length) throw invalidArg(`${at}.virtual.start must have ${shape.length} entries like spec.shape, got ${show(vstart)}`);
    const sshape = checkDims(m.source.shape, `${at}.source.shape`);
    const nm: NativeMapping = {
      vstart,
      vcount: unlimitedCounts(m.virtual.count, shape.length, `${at}.virtual.count`),
      file: checkPath(m.file, `${at}.file`),
      dataset: checkPath(m.dataset, `${at}.dataset`),
      sshape,
    };
    if (m.source.maxshape !== undefined) nm.smaxshape = checkMaxshape(m.source.maxshape, sshape, `${at}.source.maxshape`);
    if (m.source.selection !== undefined) {
      nm.sstart = checkDims(m.source.selection.start, `${at}.source.selection.start`);
      nm.scount = unlimitedCounts(m.source.selection.count, sshape.length, `${at}.source.selection.count`);
      if (nm.sstart.length !== sshape.length) throw invalidArg(`${at}.source.selection.start must have ${sshape.length} entries, got ${show(nm.sstart)}`);
    }
    out.mappings.push(nm);
  });
  return out;
}

/** A typed array's dtype, by its tag (works across realms, unlike instanceof). */
const TYPED_ARRAY_DTYPES: Record<string, string> = {
  Float64Array: 'float64',
  Float32Array: 'float32',
  Int8Array: 'int8',
  Int16Array: 'int16',
  Int32Array: 'int32',
  BigInt64Array: 'int64',
  Uint8Array: 'uint8',
  Uint8ClampedArray: 'uint8',
  Uint16Array: 'uint16',
  Uint32Array: 'uint32',
  BigUint64Array: 'uint64',
};

/**
 * An attribute for the addon: a scalar as it is (the addon picks its dtype), an array as 1-D
 * values with their dtype (typed array: its own; number[] float64; bigint[] int64 or uint64;
 * boolean[] bool; string[] UTF-8 strings; [] float64, as numpy's default).
 */
export function toNativeAttribute(value: unknown, name: string): { value: AttributeValue | NativeData; dtype?: string } {
  if (!Array.isArray(value) && !ArrayBuffer.isView(value)) return { value: checkAttributeValue(value, name) };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const dtype = TYPED_ARRAY_DTYPES[Object.prototype.toString.call(value).slice(8, -1)];
    if (dtype !== undefined) return { value, dtype };
  }
  if (Array.isArray(value) && value.length === 0) return { value: new Float64Array(0), dtype: 'float64' };
  const data = toNativeData(value as DataInput, name);
  if (Array.isArray(value) && typeof value[0] === 'boolean') return { value: data, dtype: 'bool' };
  if (Array.isArray(data)) return { value: data, dtype: 'string' };
  return { value: data, dtype: TYPED_ARRAY_DTYPES[Object.prototype.toString.call(data).slice(8, -1)] };
}

export function checkAttributeValue(value: unknown, name: string): AttributeValue {
  if (['number', 'bigint', 'boolean', 'string'].includes(typeof value)) return value as AttributeValue;
  throw invalidArg(`${name} must be a number, bigint, boolean or string, got ${show(value)}`);
}
