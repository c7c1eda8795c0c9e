/**
 * Element types. 'string' is variable-length UTF-8; { fixedString: n } is n bytes, NUL-padded.
 * complex64/complex128 are h5py's complex (a compound of float32/float64 fields r and i);
 * their values are interleaved (re0, im0, re1, im1, …) in a Float32Array/Float64Array.
 */
export type Dtype =
  | 'float64'
  | 'float32'
  | 'float16'
  | 'complex64'
  | 'complex128'
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'bool'
  | 'string'
  | { fixedString: number };

export type TypedArray =
  Float64Array | Float32Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

export type DataInput = TypedArray | number[] | bigint[] | boolean[] | string[] | number | bigint | boolean | string;

/** A hyperslab: `count` elements from `start` along every dimension. */
export interface Selection {
  start: number[];
  count: number[];
}

export interface DatasetSpec {
  dtype: Dtype;
  shape: number[];
  /** null = unlimited. A maxshape other than shape needs chunking; chunks are chosen if not given. */
  maxshape?: (number | null)[];
  chunks?: number[];
  fillValue?: number | bigint | boolean | string;
  /**
   * Contiguous storage allocated at creation and never filled: the dataset's bytes (at
   * `rawDataOffset`, in C order and the file's byte order) are whatever is written there later,
   * through this file or by another writer of the file at that offset. A dtype of fixed size;
   * not with `chunks`, a `maxshape` other than `shape`, or `fillValue`.
   */
  reserveSpace?: boolean;
  /**
   * libhdf5 does not write `fillValue` into the space it allocates for the dataset (a contiguous
   * one: all of it, at the first write): what is never written holds whatever the file held
   * there, so the writer fills such parts itself. The fill value is still recorded (readers
   * report it). Not with `chunks` or a `maxshape` other than `shape`.
   */
  neverFill?: boolean;
}

export interface DatasetWrite extends DatasetSpec {
  path: string;
  data: DataInput;
}

/** writeRows: groups named `prefix + numbers[r]` (e.g. comp_7), without a string per group. */
export interface NumberedGroups {
  prefix: string;
  /** Integers from 0 to 2^53. */
  numbers: ArrayLike<number>;
}

/** writeRows: one dataset per group, row r of `data` going to group r. */
export interface DatasetColumn {
  /** The dataset's name inside each group. */
  name: string;
  dtype: Dtype;
  /** One row's shape ([] for a scalar). */
  shape: number[];
  /** The rows back to back in C order: rows × prod(shape) elements. */
  data: TypedArray;
  /** true: each row's value is a scalar attribute `name` of its group (shape must be []), not a dataset. */
  attribute?: boolean;
}

export interface VirtualMapping {
  virtual: { start: number[]; count: (number | 'unlimited')[] };
  /** Source file name; a relative name resolves against the directory of the file holding the VDS. */
  file: string;
  dataset: string;
  source: {
    shape: number[];
    maxshape?: (number | null)[];
    selection?: { start: number[]; count: (number | 'unlimited')[] };
  };
}

export interface VirtualDatasetSpec {
  dtype: Dtype;
  shape: number[];
  maxshape?: (number | null)[];
  fillValue?: number;
  mappings: VirtualMapping[];
}

export type NodeKind = 'group' | 'dataset' | 'external-link' | 'soft-link' | 'other';

export interface NodeEntry {
  name: string;
  kind: NodeKind;
  /** For links: the target path, and for external links the file name as stored. */
  target?: { file?: string; path: string };
}

/**
 * Values of a read. Numbers come as the matching typed array (int64/uint64 as BigInt64Array /
 * BigUint64Array); float16 reads as Float32Array (exact); complex64/complex128 as a
 * Float32Array/Float64Array of 2·prod(shape) numbers, re and im interleaved (numpy's layout:
 * `np.frombuffer(data, np.complex128)`); bool as boolean[]; strings as string[].
 */
export interface ReadResult {
  dtype: Dtype;
  shape: number[];
  data: TypedArray | string[] | boolean[];
}

export interface DatasetInfo {
  dtype: Dtype;
  shape: number[];
  maxshape: (number | null)[];
  chunks?: number[];
  layout: 'contiguous' | 'chunked' | 'compact' | 'virtual';
  virtualSources?: { file: string; dataset: string }[];
}

/** A scalar attribute: number → float64, bigint → int64, boolean → bool, string → UTF-8 string. */
export type AttributeValue = number | bigint | boolean | string;

/**
 * An attribute as read (getAttributes): a scalar dataspace gives an AttributeValue (floats and
 * ≤ 32-bit integers as number, int64/uint64 as bigint); an array (any rank, flattened in C
 * order, as h5py's shape-(n,) and N-D attributes) gives the typed array of its dtype (as
 * ReadResult's data), boolean[] or string[].
 */
export type AttributeArray = TypedArray | boolean[] | string[];
export type AttributeReadValue = AttributeValue | AttributeArray;

/** What setAttribute takes: a scalar, or a 1-D array (number[] is stored as float64, bigint[] as int64). */
export type AttributeInput = AttributeValue | AttributeArray | number[] | bigint[];
