import * as path from 'node:path';
import { callNative, Hdf5Error, invalidArg } from './errors';
import { native, type NativeDatasetWrite, type NativeFile } from './native';
import {
  checkAttributeValue,
  checkDims,
  checkPath,
  checkSelection,
  dtypeFromCode,
  isSimpleDtype,
  toNativeAttribute,
  toNativeData,
  toNativeSpec,
  toNativeVirtualSpec,
} from './convert';
import type {
  AttributeInput,
  AttributeReadValue,
  AttributeValue,
  DataInput,
  DatasetColumn,
  DatasetInfo,
  DatasetSpec,
  DatasetWrite,
  NodeEntry,
  NumberedGroups,
  ReadResult,
  Selection,
  TypedArray,
  VirtualDatasetSpec,
} from './types';

/** Options `allowed` are booleans, except those in `checked` (validated by the caller). */
function checkOptions(opts: unknown, name: string, allowed: string[], checked: string[] = []): Record<string, unknown> {
  if (opts === undefined) return {};
  if (typeof opts !== 'object' || opts === null) throw invalidArg(`${name} must be an object, got ${String(opts)}`);
  for (const [key, value] of Object.entries(opts)) {
    if (!allowed.includes(key) && !checked.includes(key)) throw invalidArg(`${name}.${key} is not an option; allowed: ${[...allowed, ...checked].join(', ')}`);
    if (value !== undefined && !checked.includes(key) && typeof value !== 'boolean') throw invalidArg(`${name}.${key} must be a boolean, got ${String(value)}`);
  }
  return opts as Record<string, unknown>;
}

/**
 * A metadata cache to start from when writing many small groups: 5000 groups of one dataset
 * each, in memory, take 65–70 ms from it against 85–90 ms from libhdf5's 2 MiB (50000: 0.7 s
 * against 0.77–1.0 s). The cache still grows when it is too small; a fixed cache this small
 * would not, and would thrash on a large root group (50000 groups: 5.4 s).
 */
export const SMALL_METADATA_CACHE_BYTES = 128 * 1024;
const MAX_METADATA_CACHE_BYTES = 32 * 2 ** 20; // libhdf5's default maximum

/** opts.metadataCacheBytes: 0 (libhdf5's default) when absent. */
function checkCacheBytes(bytes: unknown): number {
  if (bytes === undefined) return 0;
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 4096 || bytes > MAX_METADATA_CACHE_BYTES) {
    throw invalidArg(`opts.metadataCacheBytes must be an integer from 4096 to ${MAX_METADATA_CACHE_BYTES} (32 MiB), got ${String(bytes)}`);
  }
  return bytes;
}

/**
 * An open HDF5 file. Every method is one synchronous call into libhdf5 (serialized process-wide).
 * Paths inside the file are HDF5 paths ("/group/dataset"); intermediate groups are created.
 */
export class H5File {
  /** Absolute path of the file. */
  readonly path: string;
  readonly writable: boolean;
  #handle: NativeFile | null;

  private constructor(handle: NativeFile, filePath: string, writable: boolean) {
    this.#handle = handle;
    this.path = filePath;
    this.writable = writable;
  }

  /**
   * Creates a file. overwrite false (default): fail if it exists. libverLatest is needed for
   * virtual datasets. largeRootAttributes: the root group may hold attributes over 64 KiB (it
   * tracks their creation order, as h5py's track_order does, which gives it an object header
   * that stores attributes densely; its links are stored as before).
   */
  static create(filePath: string, opts?: { overwrite?: boolean; libverLatest?: boolean; largeRootAttributes?: boolean }): H5File {
    const o = checkOptions(opts, 'opts', ['overwrite', 'libverLatest', 'largeRootAttributes']);
    const abs = path.resolve(checkPath(filePath, 'path'));
    const handle = callNative(() => native.createFile(abs, o.overwrite === true, o.libverLatest === true, o.largeRootAttributes === true));
    return new H5File(handle, abs, true);
  }

  /**
   * Opens an existing file read-only, or read-write with { write: true }. { inMemory: true }
   * holds the whole file in memory (libhdf5's core driver; the file on disk stays locked) and
   * writes it back at close(): many small writes cost no system call each.
   * { metadataCacheBytes } is where libhdf5's adaptive metadata cache starts (default 2 MiB; it
   * grows when too small): writing many small groups is faster from a small one (see
   * SMALL_METADATA_CACHE_BYTES).
   */
  static open(filePath: string, opts?: { write?: boolean; inMemory?: boolean; metadataCacheBytes?: number }): H5File {
    const o = checkOptions(opts, 'opts', ['write', 'inMemory'], ['metadataCacheBytes']);
    const cacheBytes = checkCacheBytes(o.metadataCacheBytes);
    const abs = path.resolve(checkPath(filePath, 'path'));
    const handle = callNative(() => native.openFile(abs, o.write === true, o.inMemory === true, cacheBytes));
    return new H5File(handle, abs, o.write === true);
  }

  get closed(): boolean {
    return this.#handle === null;
  }

  #open(): NativeFile {
    if (this.#handle === null) throw new Hdf5Error('ERR_HDF5_CLOSED', `the HDF5 file ${this.path} is closed`);
    return this.#handle;
  }

  #writable(what: string): NativeFile {
    const handle = this.#open();
    if (!this.writable) {
      throw new Hdf5Error('ERR_HDF5_READONLY', `cannot ${what}: ${this.path} is open read-only; open it with { write: true }`);
    }
    return handle;
  }

  createGroup(groupPath: string): void {
    const p = checkPath(groupPath, 'path');
    const h = this.#writable(`create group '${p}'`);
    callNative(() => h.createGroup(p));
  }

  /** Children of a group (default "/"), in creation order when the group tracks it, else by name. */
  list(groupPath = '/'): NodeEntry[] {
    const p = checkPath(groupPath, 'path');
    const h = this.#open();
    return callNative(() => h.list(p)) as NodeEntry[];
  }

  /** Whether a link exists at the path (a dangling external link counts). */
  exists(objectPath: string): boolean {
    const p = checkPath(objectPath, 'path');
    const h = this.#open();
    if (p === '/') return true;
    return callNative(() => h.exists(p));
  }

  /** Removes the link (the object's space is not reclaimed, as in HDF5). */
  remove(objectPath: string): void {
    const p = checkPath(objectPath, 'path');
    const h = this.#writable(`remove '${p}'`);
    callNative(() => h.remove(p));
  }

  /** Moves the link `from` to `to` (creating the groups `to` lacks): the object keeps its place in the file. */
  moveLink(from: string, to: string): void {
    const f = checkPath(from, 'from');
    const t = checkPath(to, 'to');
    const h = this.#writable(`move '${f}' to '${t}'`);
    callNative(() => h.moveLink(f, t));
  }

  createDataset(datasetPath: string, spec: DatasetSpec): void {
    const p = checkPath(datasetPath, 'path');
    const nspec = toNativeSpec(spec);
    const h = this.#writable(`create dataset '${p}'`);
    callNative(() => h.createDataset(p, nspec));
  }

  /** Creates several datasets (with intermediate groups) and writes their data: one native call. */
  writeDatasets(datasets: DatasetWrite[]): void {
    const items = toNativeWrites(datasets);
    const h = this.#writable('write datasets');
    callNative(() => h.writeDatasets(items));
  }

  /**
   * For each of `groups` (row r): creates the group and in it one dataset per column holding row
   * r of the column's data (a column with `attribute: true`: a scalar attribute of the group) —
   * one native call for many groups of the same structure. Throws
   * Hdf5RowError at the first row that fails (`row`; the groups before it are complete).
   * `groups` is an array of paths, or `{ prefix, numbers }` for groups prefix + numbers[r].
   */
  writeRows(groups: string[] | NumberedGroups, columns: DatasetColumn[]): void {
    const nativeGroups = toNativeGroups(groups);
    const nRows = Array.isArray(nativeGroups) ? nativeGroups.length : nativeGroups.numbers.length;
    if (!Array.isArray(columns)) throw invalidArg(`columns must be an array, got ${String(columns)}`);
    const cols = columns.map((c, k) => {
      const what = `columns[${k}]`;
      if (typeof c !== 'object' || c === null) throw invalidArg(`${what} must be an object, got ${String(c)}`);
      const name = checkPath(c.name, `${what}.name`);
      if (typeof c.dtype !== 'string' || !isSimpleDtype(c.dtype) || c.dtype === 'string') {
        throw invalidArg(`${what}.dtype must be a dtype of numbers (float64 … uint64, float16, complex64, complex128) or bool, got ${String(c.dtype)}`);
      }
      const shape = checkDims(c.shape, `${what}.shape`);
      if (!ArrayBuffer.isView(c.data) || c.data instanceof DataView) throw invalidArg(`${what}.data must be a typed array`);
      const rowLength = shape.reduce((a, b) => a * b, 1);
      // Complex rows: real numbers, or twice as many interleaved (re, im).
      const interleaved = (c.dtype === 'complex64' || c.dtype === 'complex128') && c.data.length === 2 * rowLength * nRows;
      if (c.data.length !== rowLength * nRows && !interleaved) {
        throw invalidArg(`${what}.data must hold ${nRows} rows of ${rowLength} elements (${nRows * rowLength}), got ${c.data.length}`);
      }
      if (c.attribute !== undefined && typeof c.attribute !== 'boolean') throw invalidArg(`${what}.attribute must be a boolean, got ${String(c.attribute)}`);
      if (c.attribute && shape.length > 0) throw invalidArg(`${what}.shape must be [] for an attribute column, got [${shape.join(', ')}]`);
      return c.attribute ? { name, dtype: c.dtype as string, shape, data: c.data, attribute: true } : { name, dtype: c.dtype as string, shape, data: c.data };
    });
    const h = this.#writable('write rows');
    callNative(() => h.writeRows(nativeGroups, cols));
  }

  /** Writes the whole dataset, or a hyperslab. Numbers are converted to the dataset's type. */
  write(datasetPath: string, data: DataInput, selection?: Selection): void {
    const p = checkPath(datasetPath, 'path');
    const values = toNativeData(data);
    const sel = checkSelection(selection);
    const h = this.#writable(`write '${p}'`);
    callNative(() => h.write(p, values, sel?.start, sel?.count));
  }

  read(datasetPath: string, selection?: Selection): ReadResult {
    const p = checkPath(datasetPath, 'path');
    const sel = checkSelection(selection);
    const h = this.#open();
    const r = callNative(() => h.read(p, sel?.start, sel?.count));
    const dtype = dtypeFromCode(r.dtype);
    const data = dtype === 'bool' ? Array.from(r.data as Uint8Array, (b) => b !== 0) : (r.data as TypedArray | string[]);
    return { dtype, shape: r.shape, data };
  }

  info(datasetPath: string): DatasetInfo {
    const p = checkPath(datasetPath, 'path');
    const h = this.#open();
    const i = callNative(() => h.info(p));
    return { ...i, dtype: dtypeFromCode(i.dtype) };
  }

  /**
   * Where a contiguous dataset's raw data starts in the file (H5Dget_offset): its bytes lie there
   * in C order, in the file's byte order. Undefined for chunked, compact, virtual or external
   * datasets and for a contiguous one not written yet (libhdf5 allocates its space at the first write).
   */
  rawDataOffset(datasetPath: string): number | undefined {
    const p = checkPath(datasetPath, 'path');
    const h = this.#open();
    const offset = callNative(() => h.rawDataOffset(p));
    return offset < 0 ? undefined : offset;
  }

  /** Changes the extent of a chunked dataset within its maxshape. */
  resize(datasetPath: string, shape: number[]): void {
    const p = checkPath(datasetPath, 'path');
    const dims = checkDims(shape, 'shape');
    const h = this.#writable(`resize '${p}'`);
    callNative(() => h.resize(p, dims));
  }

  /** A relative `file` resolves against the directory of this file when the link is followed. */
  createExternalLink(linkPath: string, file: string, objectPath: string): void {
    const p = checkPath(linkPath, 'path');
    const f = checkPath(file, 'file');
    const o = checkPath(objectPath, 'objectPath');
    const h = this.#writable(`create external link '${p}'`);
    callNative(() => h.createExternalLink(p, f, o));
  }

  createSoftLink(linkPath: string, target: string): void {
    const p = checkPath(linkPath, 'path');
    const t = checkPath(target, 'target');
    const h = this.#writable(`create soft link '${p}'`);
    callNative(() => h.createSoftLink(p, t));
  }

  /** Needs a file created with libverLatest. Sources need not exist yet (they read as fill value). */
  createVirtualDataset(datasetPath: string, spec: VirtualDatasetSpec): void {
    const p = checkPath(datasetPath, 'path');
    const nspec = toNativeVirtualSpec(spec);
    const h = this.#writable(`create virtual dataset '${p}'`);
    callNative(() => h.createVirtualDataset(p, nspec));
  }

  /**
   * Attribute on a group, dataset or the file ("/"); replaces an existing one. A scalar:
   * number → float64, bigint → int64, boolean → h5py bool, string → variable-length UTF-8.
   * An array → a 1-D attribute: a typed array of its own dtype, number[] float64, bigint[]
   * int64 (uint64 above its range), boolean[] bool, string[] strings.
   */
  setAttribute(objectPath: string, name: string, value: AttributeInput): void {
    const p = checkPath(objectPath, 'path');
    const n = checkPath(name, 'name');
    const v = toNativeAttribute(value, 'value');
    const h = this.#writable(`set attribute '${n}' on '${p}'`);
    callNative(() => h.setAttribute(p, n, v.value, v.dtype));
  }

  /**
   * All attributes h5py would show: scalars as AttributeValue, arrays (any rank, flattened in C
   * order) as the typed array of their dtype, boolean[] or string[] (see AttributeReadValue).
   * Attributes of types without an acme-ts dtype are skipped.
   */
  getAttributes(objectPath: string): Record<string, AttributeReadValue> {
    const p = checkPath(objectPath, 'path');
    const h = this.#open();
    return callNative(() => h.getAttributes(p)) as Record<string, AttributeReadValue>;
  }

  /** libhdf5's metadata cache for this file now: its current maximum (it adapts), bytes used, entries. */
  metadataCacheSize(): { maxBytes: number; usedBytes: number; entries: number } {
    const h = this.#open();
    return callNative(() => h.metadataCacheSize());
  }

  flush(): void {
    const h = this.#open();
    callNative(() => h.flush());
  }

  /** Closes the file; closing twice is harmless. */
  close(): void {
    const h = this.#handle;
    if (h === null) return;
    this.#handle = null;
    callNative(() => h.close());
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * The environment's switch for writeFileAtomic's file images, read once when this module loads
 * (writeFileAtomic is called per payload file; reading process.env each time would cost more
 * than some of those files). `ACME_TS_HDF5_FILE_IMAGES=off` (or `0`, `false`) turns them off.
 */
export const FILE_IMAGES_ENV = 'ACME_TS_HDF5_FILE_IMAGES';
const fileImagesFromEnv = parseFileImagesEnv(process.env[FILE_IMAGES_ENV]);

function parseFileImagesEnv(value: string | undefined): boolean | string {
  if (value === undefined || value === '') return true;
  const v = value.trim().toLowerCase();
  if (['on', '1', 'true'].includes(v)) return true;
  if (['off', '0', 'false'].includes(v)) return false;
  return `${FILE_IMAGES_ENV} must be on, off, 1, 0, true or false, got ${JSON.stringify(value)}`;
}

/** writeFileAtomic's options. */
export interface WriteFileAtomicOptions {
  /**
   * false: always write through libhdf5, never from a file image (see writeFileAtomic). Default:
   * the environment variable ACME_TS_HDF5_FILE_IMAGES (on unless off/0/false).
   */
  fileImages?: boolean;
}

/**
 * One native call: creates `<path>.tmp-<pid>-<rand>` exclusively, writes all datasets and root
 * attributes, closes it and renames it into place, so a file that exists is complete.
 *
 * File images (a shortcut, on by default): from the third file of a structure in this thread on
 * (same root-level dataset names, dtypes and shapes, values in the dtype's own typed array, no
 * attributes), files are the bytes libhdf5 wrote for the second one with the new values and
 * time patched in, without libhdf5's per-file set-up; values of 64 KiB or more are written
 * straight from their typed array (not kept in the image), outside the libhdf5 lock, so threads
 * write large files in parallel. `opts.fileImages: false` or
 * ACME_TS_HDF5_FILE_IMAGES=off turns it off.
 */
export function writeFileAtomic(filePath: string, datasets: DatasetWrite[], attributes?: Record<string, AttributeValue>, opts?: WriteFileAtomicOptions): void {
  const o = checkOptions(opts, 'opts', ['fileImages']);
  const abs = path.resolve(checkPath(filePath, 'path'));
  const items = toNativeWrites(datasets);
  const attrs = Object.entries(attributes ?? {}).map(
    ([k, v]) => [checkPath(k, 'attribute name'), checkAttributeValue(v, `attributes.${k}`)] as [string, AttributeValue],
  );
  let useImages = o.fileImages as boolean | undefined;
  if (useImages === undefined) {
    if (typeof fileImagesFromEnv === 'string') throw invalidArg(fileImagesFromEnv);
    useImages = fileImagesFromEnv;
  }
  callNative(() => native.writeFileAtomic(abs, items, attrs, useImages));
}

/**
 * writeFileAtomic's file images in this thread: structures kept (at most 8), and files written
 * from one instead of through libhdf5.
 */
export function fileImageStats(): { images: number; filesWritten: number } {
  return native.fileImageStats();
}

/**
 * The values a float16 dataset stores for `values` (each rounded to the nearest half, ties to
 * even, as numpy's astype(float16) and the addon's float16 writes round), in a Float32Array,
 * which holds every half value exactly. Node 20 has no Float16Array.
 */
export function roundToFloat16(values: Float64Array | Float32Array | number[]): Float32Array {
  const data = toNativeData(values, 'values');
  if (!isFloatArray(data)) {
    throw invalidArg(`values must be a Float64Array, Float32Array or number[], got ${Object.prototype.toString.call(values)}`);
  }
  return native.roundToFloat16(data as Float64Array | Float32Array);
}

/** Float64Array/Float32Array from another realm (instanceof fails there). */
function isFloatArray(data: unknown): boolean {
  const tag = Object.prototype.toString.call(data);
  return tag === '[object Float64Array]' || tag === '[object Float32Array]';
}

/** libhdf5 version, whether it is thread-safe, and the file locking HDF5_USE_FILE_LOCKING selects. */
export function libraryInfo(): { version: string; threadsafe: boolean; fileLocking: string } {
  return native.libraryInfo();
}

function toNativeGroups(groups: string[] | NumberedGroups): string[] | { prefix: string; numbers: Float64Array } {
  if (Array.isArray(groups)) {
    for (let r = 0; r < groups.length; r++) {
      const g: unknown = groups[r];
      if (typeof g !== 'string' || g.length === 0 || g.includes('\0')) checkPath(g, `groups[${r}]`);
    }
    return groups;
  }
  if (typeof groups !== 'object' || groups === null) {
    throw invalidArg(`groups must be an array of group paths or { prefix, numbers }, got ${String(groups)}`);
  }
  const prefix = checkPath(groups.prefix, 'groups.prefix');
  const { numbers } = groups;
  if (numbers === null || typeof numbers !== 'object' || typeof numbers.length !== 'number') {
    throw invalidArg(`groups.numbers must be an array or typed array of integers, got ${String(numbers)}`);
  }
  const asFloat64 = numbers instanceof Float64Array ? numbers : Float64Array.from(numbers);
  for (let r = 0; r < asFloat64.length; r++) {
    const n = asFloat64[r]!;
    if (!(n >= 0 && n <= 2 ** 53 && Math.floor(n) === n)) throw invalidArg(`groups.numbers[${r}] must be an integer from 0 to 2^53, got ${n}`);
  }
  return { prefix, numbers: asFloat64 };
}

function toNativeWrites(datasets: DatasetWrite[]): NativeDatasetWrite[] {
  if (!Array.isArray(datasets)) throw invalidArg(`datasets must be an array, got ${String(datasets)}`);
  const out = new Array<NativeDatasetWrite>(datasets.length);
  for (let i = 0; i < datasets.length; i++) {
    const d = datasets[i];
    // The usual write (a typed array into a fixed-shape dataset) is checked without building
    // the names of error messages; anything else takes the full checks, which explain errors.
    if (isPlainWrite(d)) {
      out[i] = { path: d.path, dtype: d.dtype as string, shape: d.shape, data: d.data as ArrayBufferView };
      continue;
    }
    if (typeof d !== 'object' || d === null) throw invalidArg(`datasets[${i}] must be an object, got ${String(d)}`);
    out[i] = {
      ...toNativeSpec(d, `datasets[${i}]`),
      path: checkPath(d.path, `datasets[${i}].path`),
      data: toNativeData(d.data, `datasets[${i}].data`),
    };
  }
  return out;
}

/** What toNativeSpec, checkPath and toNativeData accept unchanged: a typed array into a simple dtype, no options. */
function isPlainWrite(d: DatasetWrite): boolean {
  if (typeof d !== 'object' || d === null) return false;
  const { path: p, dtype, shape, data } = d;
  if (typeof p !== 'string' || p.length === 0 || p.includes('\0')) return false;
  if (typeof dtype !== 'string' || !isSimpleDtype(dtype)) return false;
  if (!Array.isArray(shape)) return false;
  for (let k = 0; k < shape.length; k++) if (!(Number.isSafeInteger(shape[k]) && shape[k]! >= 0)) return false;
  if (d.maxshape !== undefined || d.chunks !== undefined || d.fillValue !== undefined) return false;
  return ArrayBuffer.isView(data) && !(data instanceof DataView);
}
