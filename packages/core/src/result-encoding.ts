/**
 * How a call's return value becomes HDF5 datasets `result_0`, `result_1`, … (ACME §2.2, §2.4).
 *
 * THE RULE
 * 1. A plain Array return value is ACME's tuple/list of return values; anything else (number,
 *    string, TypedArray, `{data, shape}` ndarray, …) is ONE return value, i.e. the tuple `[value]`.
 * 2. Unstacked modes (default, singleFile without resultShape): if every tuple element is a scalar
 *    of one kind — all numbers, all bigints, all booleans or all strings — the tuple becomes ONE 1-D
 *    dataset `result_0` (ACME's merging: `return 18` → `[18]` of shape [1]; `return [x, 2*x]` →
 *    shape [2]; `return []` → float64 shape [0]). Otherwise tuple element k becomes `result_k` with
 *    its own shape (a scalar element → shape []).
 *    Deviation (fix of ACME §6.9): a tuple mixing scalar kinds, e.g. `[1, "abc"]`, is stored as one
 *    dataset per element instead of failing.
 * 3. Stacked mode (resultShape): no merging; element k → `result_k`, scalars → shape []. Because JS
 *    has no tuple type, a plain Array whose (rectangular) shape equals the declared slot shape is
 *    taken as ONE value: with resultShape [null, 3], `return [1, 2, 3]` fills the slot (in ACME a
 *    returned list would be split into three return values and mis-fill the slot).
 * 4. Values: number → float64 (JS numbers are doubles; no int guessing, so a column never changes
 *    dtype between calls), bigint → int64 (uint64 if above the int64 range), boolean → bool,
 *    string → variable-length string, TypedArray → 1-D of its own dtype (Uint8ClampedArray → uint8),
 *    `{data, shape}` (see `ndarray()`) → N-D of the data's dtype (number[] data → float64),
 *    nested rectangular Arrays (as a tuple element) of one scalar kind → N-D (numbers → float64),
 *    `{data, shape, dtype: 'complex64' | 'complex128'}` → N-D complex (`data`: 2·prod(shape)
 *    numbers, re and im interleaved; see complexArray()).
 * 5. A plain object (not `{data, shape}`) returned as the whole value, in the unstacked modes,
 *    is named return values (acme-ts's own; ACME has only positional result_k): each key is a
 *    dataset of that name holding its value (rule 4; a scalar → shape []), a nested plain object
 *    a group of them (`{ stats: { mean } }` → `stats/mean`). A key that is not a safe HDF5 name
 *    throws a ResultLayoutError naming it (the call fails: renaming is the user's fix).
 * 6. Everything else — null, undefined, Maps, Sets, functions, Dates, ragged or mixed nested
 *    arrays, objects holding such values — is not storable: `{ ok: false, reason }`, and the
 *    caller falls back to serialization (ACME's emergency pickling).
 */
import { endianness } from 'node:os';
import { ResultLayoutError, describeValue } from './errors';
import { encodeComplex, isComplexDtype } from './complex';
import { hdf5 } from './hdf5';
import type { Dtype as Hdf5Dtype } from '@acme-ts/hdf5-native';

/** Dataset element types by name: @acme-ts/hdf5-native's (its fixed-length strings aside). */
export type Dtype = Extract<Hdf5Dtype, string>;

export type NumericDtype = Exclude<Dtype, 'string'>;

export type NumericArray =
  Float64Array | Float32Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export type DatasetData = NumericArray | string[] | boolean[];

export interface EncodedDataset {
  /** `result_k` */
  name: string;
  dtype: Dtype;
  /** [] for a scalar. */
  shape: number[];
  /** C order, `product(shape)` elements. */
  data: DatasetData;
}

/** The bytes a call's datasets hold (strings counted at 16 bytes each). */
export function encodedByteSize(datasets: EncodedDataset[]): number {
  let bytes = 0;
  for (const d of datasets) bytes += ArrayBuffer.isView(d.data) ? d.data.byteLength : 16 * d.data.length;
  return bytes;
}

export type EncodedResult = { ok: true; datasets: EncodedDataset[] } | { ok: false; reason: string };

/** An N-D array as plain data: C-order `data` with `shape` (numpy's layout). */
export interface NdArray<D extends ArrayLike<unknown> = NumericArray | number[]> {
  data: D;
  shape: number[];
}

/** Build an ndarray-like return value; checks that the shape matches the data. */
export function ndarray<D extends NumericArray | number[] | boolean[] | string[]>(data: D, shape: readonly number[]): NdArray<D> {
  if (!shape.every((extent) => Number.isInteger(extent) && extent >= 0)) {
    throw new ResultLayoutError(`ndarray shape must contain non-negative integers, got ${describeValue(shape)}`);
  }
  const size = product(shape);
  if (size !== data.length) {
    throw new ResultLayoutError(`ndarray shape [${shape.join(', ')}] holds ${size} elements, got data with ${data.length}`);
  }
  return { data, shape: [...shape] };
}

export function product(shape: readonly number[]): number {
  return shape.reduce((acc, extent) => acc * extent, 1);
}

type TypedArray = NumericArray | Uint8ClampedArray;

export function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

export function dtypeOfTypedArray(array: TypedArray): NumericDtype {
  if (array instanceof Float64Array) return 'float64';
  if (array instanceof Float32Array) return 'float32';
  if (array instanceof Int8Array) return 'int8';
  if (array instanceof Int16Array) return 'int16';
  if (array instanceof Int32Array) return 'int32';
  if (array instanceof BigInt64Array) return 'int64';
  if (array instanceof Uint8Array || array instanceof Uint8ClampedArray) return 'uint8';
  if (array instanceof Uint16Array) return 'uint16';
  if (array instanceof Uint32Array) return 'uint32';
  return 'uint64';
}

/** A Uint8ClampedArray is stored as uint8: same bytes, viewed without copying. */
function asNumericArray(array: TypedArray): NumericArray {
  return array instanceof Uint8ClampedArray ? new Uint8Array(array.buffer, array.byteOffset, array.length) : array;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

type ScalarKind = 'number' | 'bigint' | 'boolean' | 'string';

function scalarKind(value: unknown): ScalarKind | undefined {
  const kind = typeof value;
  return kind === 'number' || kind === 'bigint' || kind === 'boolean' || kind === 'string' ? kind : undefined;
}

/** Flat values of one scalar kind → (dtype, data), or a reason. */
function packScalars(kind: ScalarKind, values: unknown[]): { dtype: Dtype; data: DatasetData } | string {
  switch (kind) {
    case 'number':
      return { dtype: 'float64', data: Float64Array.from(values as number[]) };
    case 'boolean':
      return { dtype: 'bool', data: [...(values as boolean[])] };
    case 'string':
      return { dtype: 'string', data: [...(values as string[])] };
    case 'bigint': {
      const bigints = values as bigint[];
      if (bigints.every((b) => b >= INT64_MIN && b <= INT64_MAX)) return { dtype: 'int64', data: BigInt64Array.from(bigints) };
      if (bigints.every((b) => b >= 0n && b <= UINT64_MAX)) return { dtype: 'uint64', data: BigUint64Array.from(bigints) };
      return 'bigint values outside the int64 and uint64 ranges cannot be stored in HDF5';
    }
  }
}

function isNdArrayLike(value: unknown): value is { data: unknown; shape: unknown; stride?: unknown; offset?: unknown; dtype?: unknown } {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'data' in value && 'shape' in value;
}

/**
 * Shape of a nested rectangular Array whose leaves are scalars of one kind, with the flattened
 * leaves; a reason string when ragged or mixed. TypedArrays inside count as rows of numbers.
 */
function flattenNested(value: unknown[]): { shape: number[]; kind: ScalarKind | undefined; leaves: unknown[] } | string {
  const shape: number[] = [];
  const leaves: unknown[] = [];
  let kind: ScalarKind | undefined;
  // The shape is fixed by the first path down; every other node must agree with it.
  for (let node: unknown = value; Array.isArray(node) || isTypedArray(node); node = (node as ArrayLike<unknown>)[0]) {
    shape.push((node as ArrayLike<unknown>).length);
    if ((node as ArrayLike<unknown>).length === 0) break;
  }
  const visit = (node: unknown, depth: number): string | undefined => {
    if (depth === shape.length) {
      const leafKind = scalarKind(node);
      if (leafKind === undefined) return `nested arrays may only hold numbers, bigints, booleans or strings, found ${describeValue(node)}`;
      if (kind !== undefined && leafKind !== kind) return `nested arrays mix ${kind} and ${leafKind} values`;
      kind = leafKind;
      leaves.push(node);
      return undefined;
    }
    if (!(Array.isArray(node) || isTypedArray(node)) || (node as ArrayLike<unknown>).length !== shape[depth]) {
      return `nested arrays are ragged (not rectangular); expected shape [${shape.join(', ')}]`;
    }
    const items = node as ArrayLike<unknown>;
    for (let i = 0; i < items.length; i++) {
      const problem = visit(items[i], depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  };
  const problem = visit(value, 0);
  return problem ?? { shape, kind, leaves };
}

function cStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let step = 1;
  for (let dim = shape.length - 1; dim >= 0; dim--) {
    strides[dim] = step;
    step *= shape[dim];
  }
  return strides;
}

/** One return value → dataset contents, or a reason it is not storable. */
export function encodeValue(value: unknown): { dtype: Dtype; shape: number[]; data: DatasetData } | string {
  const kind = scalarKind(value);
  if (kind !== undefined) {
    const packed = packScalars(kind, [value]);
    return typeof packed === 'string' ? packed : { ...packed, shape: [] };
  }
  if (isTypedArray(value)) {
    return { dtype: dtypeOfTypedArray(value), shape: [value.length], data: asNumericArray(value) };
  }
  if (Array.isArray(value)) {
    if (value.length === 0) return { dtype: 'float64', shape: [0], data: new Float64Array(0) };
    const flat = flattenNested(value);
    if (typeof flat === 'string') return flat;
    if (flat.kind === undefined) return { dtype: 'float64', shape: flat.shape, data: new Float64Array(0) };
    const packed = packScalars(flat.kind, flat.leaves);
    return typeof packed === 'string' ? packed : { ...packed, shape: flat.shape };
  }
  if (isNdArrayLike(value)) {
    const { data, shape } = value;
    if (!Array.isArray(shape) || !shape.every((extent) => Number.isInteger(extent) && extent >= 0)) {
      return `ndarray shape must be an array of non-negative integers, got ${describeValue(shape)}`;
    }
    if (!(isTypedArray(data) || Array.isArray(data))) return `ndarray data must be a TypedArray or an Array, got ${describeValue(data)}`;
    if (isComplexDtype(value.dtype)) return encodeComplex(value.dtype, shape, data, product(shape));
    if (product(shape) !== data.length) {
      return `ndarray shape [${shape.join(', ')}] holds ${product(shape)} elements, but data has ${data.length}`;
    }
    // scijs-style ndarrays can be strided views; only C-contiguous ones map 1:1 onto a dataset.
    const stride = value.stride;
    const contiguous = cStrides(shape);
    const stridesMatch =
      stride === undefined ||
      (Array.isArray(stride) && stride.length === shape.length && stride.every((step, dim) => step === contiguous[dim] || shape[dim] <= 1));
    if (!stridesMatch || (value.offset !== undefined && value.offset !== 0)) {
      return 'ndarray is a strided or offset view; copy it into a C-contiguous array first';
    }
    if (isTypedArray(data)) return { dtype: dtypeOfTypedArray(data), shape: [...shape], data: asNumericArray(data) };
    const leafKind = data.length === 0 ? 'number' : scalarKind(data[0]);
    if (leafKind === undefined || !data.every((item) => typeof item === leafKind)) {
      return 'ndarray data must hold numbers, bigints, booleans or strings of one kind';
    }
    const packed = packScalars(leafKind, data);
    return typeof packed === 'string' ? packed : { ...packed, shape: [...shape] };
  }
  if (value === null || value === undefined) return `${value} cannot be stored in HDF5`;
  if (typeof value === 'function') return 'a function cannot be stored in HDF5';
  return `${describeValue(value)} has no HDF5 equivalent (only numbers, bigints, booleans, strings, TypedArrays, ndarrays and rectangular arrays of them can be stored, and plain objects of them returned as the whole value)`;
}

function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((extent, i) => extent === b[i] || b[i] === Infinity);
}

export interface EncodeOptions {
  /** resultShape mode: no merging of scalar tuples. */
  stacked: boolean;
  /**
   * Stacked mode only: resultShape without the stacking dimension (Infinity = any length). A plain
   * Array return value of exactly this shape is one value, not a tuple (rule 3).
   */
  slotShape?: readonly number[];
}

/** The return values a call's value stands for (rules 1 and 3). */
function tupleElements(value: unknown, options: EncodeOptions): unknown[] {
  if (options.stacked && Array.isArray(value) && options.slotShape !== undefined && options.slotShape.length > 0) {
    const whole = value.length === 0 ? undefined : flattenNested(value);
    if (whole !== undefined && typeof whole !== 'string' && shapesEqual(whole.shape, options.slotShape)) return [value];
  }
  return Array.isArray(value) ? value : [value];
}

/** How an error names return value k of `value` (its `count` return values). */
function returnValueLabel(value: unknown, k: number, count: number): string {
  return count === 1 && !Array.isArray(value) ? 'return value' : `return value ${k}`;
}

/** An object literal's kind of object (any realm), not a class instance, Map, array or ndarray. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || isTypedArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * Why `name` cannot name a dataset or group that h5py, MATLAB and h5dump address by it, or
 * undefined when it can: HDF5 splits paths at '/', '.' is the group itself, and control
 * characters (NUL ends a C string) do not survive every reader.
 */
export function unsafeHdf5Name(name: string): string | undefined {
  if (name.length === 0) return 'an empty name';
  if (name === '.' || name === '..') return `'${name}' names a group itself`;
  if (name.includes('/')) return "'/' separates HDF5 path components";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'it holds a control character';
  if (name.trim() !== name) return 'it starts or ends with white space';
  return undefined;
}

/** Rule 5: a plain object's keys → datasets (nested objects → groups), under `prefix`. */
function encodeNamed(object: Record<string, unknown>, prefix: string, datasets: EncodedDataset[]): string | undefined {
  const keys = Object.keys(object);
  if (keys.length === 0) return prefix === '' ? 'an empty object has no values to store' : `${prefix.slice(0, -1)} is an empty object`;
  for (const key of keys) {
    const problem = unsafeHdf5Name(key);
    if (problem !== undefined) {
      throw new ResultLayoutError(
        `the returned object's key ${JSON.stringify(prefix + key)} cannot name an HDF5 dataset: ${problem}; rename the key (letters, digits, '_', '-', ' ' and '.' are safe)`,
      );
    }
    const value = object[key];
    if (isPlainObject(value) && !isNdArrayLike(value)) {
      const reason = encodeNamed(value, `${prefix}${key}/`, datasets);
      if (reason !== undefined) return reason;
      continue;
    }
    const encoded = encodeValue(value);
    if (typeof encoded === 'string') return `${prefix}${key}: ${encoded}`;
    datasets.push({ name: prefix + key, ...encoded });
  }
  return undefined;
}

/** Map one call's return value to its datasets (see the rule at the top of this file). */
export function encodeResult(value: unknown, options: EncodeOptions): EncodedResult {
  if (!options.stacked && isPlainObject(value) && !isNdArrayLike(value)) {
    const datasets: EncodedDataset[] = [];
    const reason = encodeNamed(value, '', datasets);
    return reason === undefined ? { ok: true, datasets } : { ok: false, reason };
  }
  const elements = tupleElements(value, options);

  if (!options.stacked) {
    const kinds = new Set(elements.map(scalarKind));
    if (elements.length === 0) {
      return { ok: true, datasets: [{ name: 'result_0', dtype: 'float64', shape: [0], data: new Float64Array(0) }] };
    }
    const [onlyKind] = kinds;
    if (kinds.size === 1 && onlyKind !== undefined) {
      const packed = packScalars(onlyKind, elements);
      if (typeof packed === 'string') return { ok: false, reason: packed };
      return { ok: true, datasets: [{ name: 'result_0', dtype: packed.dtype, shape: [elements.length], data: packed.data }] };
    }
  }

  const datasets: EncodedDataset[] = [];
  for (let k = 0; k < elements.length; k++) {
    const encoded = encodeValue(elements[k]);
    if (typeof encoded === 'string') return { ok: false, reason: `${returnValueLabel(value, k, elements.length)}: ${encoded}` };
    datasets.push({ name: `result_${k}`, ...encoded });
  }
  return { ok: true, datasets };
}

// ----------------------------------------------------------------------------------------------
// In-memory stacking (writeWorkerResults false + resultShape)

export interface StackedArray {
  dtype: NumericDtype;
  shape: number[];
  /**
   * C order. float16 is held in a Float32Array (Node 20 has no Float16Array) holding the half
   * values exactly, rounded as numpy rounds; complex64/complex128 in a Float32Array/Float64Array
   * of 2·prod(shape) numbers, re and im interleaved; bool in a Uint8Array of 0/1.
   */
  data: NumericArray;
}

/**
 * What compute() returns in memory with resultShape: the stacked result_0 of every call, and
 * every call's further return values (ACME returns them after the stacked array, for call 0).
 */
export interface StackedResults extends StackedArray {
  /**
   * extra[i]: call i's return values after result_0 (result_1, …), as the function returned
   * them; an empty (frozen, shared) array for a call that returned only result_0.
   */
  extra: (readonly unknown[])[];
}

const NO_EXTRA: readonly unknown[] = Object.freeze([]);

/** Numbers per element of a stack of `dtype`: 2 for complex (re, im), else 1. */
function componentsOf(dtype: NumericDtype): number {
  return isComplexDtype(dtype) ? 2 : 1;
}

/** Dtypes whose bytes in the file differ from the typed array's (float16 is converted; bool and string are not plain numbers). */
const CONVERTED_IN_FILE = new Set<string>(['float16', 'bool', 'string']);

/**
 * Whether `d`'s typed array holds exactly the bytes its dataset holds in the file (a plain number
 * type in the array of its own dtype, on a little-endian host: hdf5-native's file types are).
 */
export function hasFileLayout(d: EncodedDataset): boolean {
  const { data } = d;
  return (
    ArrayBuffer.isView(data) &&
    !CONVERTED_IN_FILE.has(d.dtype) &&
    // By name: an array from another realm (a vm context, as under jest) has other constructors.
    data.constructor.name === allocateTypedArray(d.dtype as NumericDtype, 0).constructor.name &&
    endianness() === 'LE'
  );
}

/** `length` elements of `dtype` (complex: 2·length numbers, interleaved). */
export function allocateTypedArray(dtype: NumericDtype, length: number): NumericArray {
  switch (dtype) {
    case 'float64':
      return new Float64Array(length);
    case 'float32':
    case 'float16':
      return new Float32Array(length);
    case 'complex64':
      return new Float32Array(2 * length);
    case 'complex128':
      return new Float64Array(2 * length);
    case 'int8':
      return new Int8Array(length);
    case 'int16':
      return new Int16Array(length);
    case 'int32':
      return new Int32Array(length);
    case 'int64':
      return new BigInt64Array(length);
    case 'uint8':
    case 'bool':
      return new Uint8Array(length);
    case 'uint16':
      return new Uint16Array(length);
    case 'uint32':
      return new Uint32Array(length);
    case 'uint64':
      return new BigUint64Array(length);
  }
}

/** Zero-filled array of `shape` (resultShape with null replaced by nInputs; no Infinity). */
export function allocateStack(shape: readonly number[], dtype: NumericDtype): StackedArray {
  if (!shape.every((extent) => Number.isInteger(extent) && extent >= 0)) {
    throw new ResultLayoutError(`stacked shape must contain non-negative integers (no null or Infinity), got ${describeValue(shape)}`);
  }
  return { dtype, shape: [...shape], data: allocateTypedArray(dtype, product(shape)) };
}

function squeeze(shape: readonly number[]): number[] {
  return shape.filter((extent) => extent !== 1);
}

/** Converts one element to what `target`'s element type accepts (numpy-like unsafe cast). */
function converter(target: NumericDtype, taskID: number, name: string): (value: unknown) => number | bigint {
  if (target === 'bool') return (value) => (value === 0 || value === 0n || value === false ? 0 : 1);
  if (target === 'int64' || target === 'uint64') {
    return (value) => {
      if (typeof value === 'bigint') return value;
      const number = Number(value);
      if (!Number.isFinite(number)) {
        throw new ResultLayoutError(`${name} of call ${taskID} contains ${number}, which cannot be stored as ${target}`);
      }
      return BigInt(Math.trunc(number));
    };
  }
  return (value) => Number(value);
}

/**
 * Put call `taskID`'s stacked value (result_0, or a key of the named resultShape) into slot `taskID` along `stackingDim`. The dataset's shape must
 * equal the slot shape (the stack's shape without the stacking dimension); size-1 dimensions are
 * ignored in that comparison, as numpy's assignment does.
 */
export function placeInStack(stack: StackedArray, stackingDim: number, taskID: number, dataset: EncodedDataset): void {
  const slotShape = stack.shape.filter((_, dim) => dim !== stackingDim);
  const count = stack.shape[stackingDim];
  if (!Number.isInteger(taskID) || taskID < 0 || taskID >= count) {
    throw new ResultLayoutError(`taskID must be an integer between 0 and ${count - 1}, got ${describeValue(taskID)}`);
  }
  const expected = squeeze(slotShape);
  const actual = squeeze(dataset.shape);
  if (expected.length !== actual.length || !expected.every((extent, i) => extent === actual[i])) {
    throw new ResultLayoutError(
      `${dataset.name} of call ${taskID} has shape [${dataset.shape.join(', ')}], but resultShape expects [${slotShape.join(', ')}] per call`,
    );
  }
  if (dataset.dtype === 'string') {
    throw new ResultLayoutError(`${dataset.name} of call ${taskID} holds strings, which cannot be stacked into dtype ${stack.dtype}`);
  }
  const sourceParts = componentsOf(dataset.dtype as NumericDtype);
  const parts = componentsOf(stack.dtype);
  if (sourceParts > parts) {
    throw new ResultLayoutError(
      `${dataset.name} of call ${taskID} is ${dataset.dtype}, which cannot be stacked into the real dtype ${stack.dtype} without dropping the imaginary parts; set options.resultDtype to complex64 or complex128`,
    );
  }
  const outer = product(stack.shape.slice(0, stackingDim));
  const inner = product(stack.shape.slice(stackingDim + 1));
  const convert = converter(stack.dtype, taskID, dataset.name);
  let source = dataset.data as ArrayLike<unknown>;
  // Half precision rounded as the float16 files are (the addon's rounding, numpy's).
  if (stack.dtype === 'float16') source = hdf5().roundToFloat16(Float64Array.from(source as ArrayLike<number>, Number));
  const target = stack.data as unknown as { [index: number]: number | bigint };
  for (let block = 0; block < outer; block++) {
    const targetOffset = (block * count + taskID) * inner;
    const sourceOffset = block * inner;
    if (parts === 1) {
      for (let j = 0; j < inner; j++) target[targetOffset + j] = convert(source[sourceOffset + j]);
      continue;
    }
    // Complex stack: (re, im) pairs; a real source's imaginary parts are 0, as numpy casts.
    for (let j = 0; j < inner; j++) {
      const at = 2 * (targetOffset + j);
      const from = sourceParts * (sourceOffset + j);
      target[at] = convert(source[from]);
      target[at + 1] = sourceParts === 2 ? convert(source[from + 1]) : 0;
    }
  }
}

/**
 * In-memory resultShape mode: stack every call's raw return value (index = taskID) into one array.
 * `resultShape` is the option as given (its null is replaced by `values.length`; no Infinity);
 * each value's result_0 (the stacked rule) is placed in its slot, and its further return values
 * are kept, as returned, in `extra[taskID]`.
 */
export function stackResults(values: readonly unknown[], resultShape: readonly (number | null)[], dtype: NumericDtype): StackedResults {
  const stackingDim = resultShape.indexOf(null);
  if (stackingDim < 0 || resultShape.indexOf(null, stackingDim + 1) >= 0) {
    throw new ResultLayoutError(`resultShape must contain exactly one null, got ${describeValue(resultShape)}`);
  }
  const shape = resultShape.map((extent) => (extent === null ? values.length : extent));
  // float16: stacked exactly, then rounded in one native call (not one per call).
  const stack = allocateStack(shape, dtype === 'float16' ? 'float64' : dtype);
  const slotShape = shape.filter((_, dim) => dim !== stackingDim);
  const extra = new Array<readonly unknown[]>(values.length);
  values.forEach((value, taskID) => {
    const elements = tupleElements(value, { stacked: true, slotShape });
    const first = elements.length === 0 ? 'it returned no value for result_0' : encodeValue(elements[0]);
    if (typeof first === 'string') {
      throw new ResultLayoutError(`call ${taskID} returned a value that cannot be stacked: ${returnValueLabel(value, 0, elements.length)}: ${first}`);
    }
    placeInStack(stack, stackingDim, taskID, { name: 'result_0', ...first });
    extra[taskID] = elements.length > 1 ? elements.slice(1) : NO_EXTRA;
  });
  const data = dtype === 'float16' ? hdf5().roundToFloat16(stack.data as Float64Array) : stack.data;
  return { dtype, shape: stack.shape, data, extra };
}
