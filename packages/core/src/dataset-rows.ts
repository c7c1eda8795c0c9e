// Issue 20 §3: a large HDF5 dataset as a split input without loading it in the client.
// `datasetRows(file, dataset)` reads only the dataset's metadata; it is split like an Array of
// its rows (call i gets row i: the element of a 1-D dataset, `{data, shape}` of an N-D one's
// row), and each worker reads its calls' rows itself (call-arguments.ts), a block of consecutive
// rows per read. What travels to the workers and into the run folder is the source below: the
// file's path, the dataset and the file's size and modification time, which a reader checks at
// every open, so a file that changed after the run recorded it fails the call, naming it.

import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Dtype, H5File } from '@acme-ts/hdf5-native';
import { AcmeError, ArgumentDistributionError, InputFileError } from './errors';
import { hdf5 } from './hdf5';

/** Where a split input's rows come from: plain data (it crosses to workers and into arguments.v8). */
export interface DatasetRowsSource {
  /** Absolute path of the HDF5 file. */
  file: string;
  /** Path of the dataset inside it. */
  dataset: string;
  dtype: Dtype;
  shape: number[];
  /** The file's size in bytes and modification time (ns, decimal) when the input was made. */
  size: number;
  mtimeNs: string;
}

/** A dataset's rows as a lazy split input (see datasetRows). */
export interface DatasetRows extends ArrayLike<unknown> {
  readonly source: DatasetRowsSource;
  /** The dataset's first extent: the number of rows. */
  readonly length: number;
}

const ROWS_BRAND = Symbol.for('acme-ts.datasetRows');

/**
 * A block read holds at least one row and otherwise about this many bytes: the first, and again
 * after a jump, FIRST_BLOCK_BYTES (a SLURM chunk's or a retry's scattered calls read little they
 * do not use); each block that continues the previous one twice as many, up to MAX_BLOCK_BYTES.
 */
const FIRST_BLOCK_BYTES = 1 << 16;
const MAX_BLOCK_BYTES = 1 << 20;

/**
 * The rows of `dataset` in the HDF5 file `file` (relative to the current directory) as a split
 * input: call i gets row i, read by the worker that runs it. Reads the dataset's metadata now
 * (its dtype and shape), none of its data. Broadcast (its length is not the number of calls, or
 * `broadcast()`), the whole dataset is read in the client instead, as an Array would be sent.
 */
export function datasetRows(file: string, dataset: string): DatasetRows {
  if (typeof file !== 'string' || file === '') throw new ArgumentDistributionError(`datasetRows(file, dataset): file must be a file name, got ${String(file)}`);
  if (typeof dataset !== 'string' || !dataset.startsWith('/'))
    throw new ArgumentDistributionError(`datasetRows(file, dataset): dataset must be an absolute path inside the file such as "/x", got ${String(dataset)}`);
  const absolute = resolve(file);
  const identity = fileIdentity(absolute, dataset, 'does not exist');
  const source = withOpenFile(absolute, dataset, (h5) => {
    if (!h5.exists(dataset)) throw new InputFileError(absolute, dataset, `the HDF5 file ${absolute} has no dataset ${dataset}`);
    const info = h5.info(dataset);
    return { file: absolute, dataset, dtype: info.dtype, shape: info.shape, ...identity };
  });
  if (source.shape.length === 0)
    throw new InputFileError(absolute, dataset, `${absolute}:${dataset} is a scalar: it has no rows to split; read it and pass the value`);
  if (source.dtype === 'complex64' || source.dtype === 'complex128')
    throw new InputFileError(
      absolute,
      dataset,
      `${absolute}:${dataset} is complex (${source.dtype}): datasetRows reads real, integer, bool and string datasets`,
    );
  return rowsOf(source);
}

/**
 * The same input again from its recorded source (a resumed run's arguments.v8), refused when
 * the file is no longer the one recorded: the run's stored calls came from that content.
 */
export function reopenDatasetRows(source: DatasetRowsSource): DatasetRows {
  checkSource(source);
  return rowsOf(source);
}

export function isDatasetRows(value: unknown): value is DatasetRows {
  return value !== null && typeof value === 'object' && (value as Record<symbol, unknown>)[ROWS_BRAND] === true;
}

/** The whole dataset, as an `h5:` input is read (1-D: its array, N-D: `{data, shape}`). */
export function readWholeDataset(source: DatasetRowsSource): unknown {
  const result = openChecked(source, (h5) => h5.read(source.dataset));
  return result.shape.length === 1 ? result.data : { data: result.data, shape: result.shape };
}

/** Bytes the dataset's data takes (strings of variable length counted as 16 each). */
export function datasetBytes(source: Pick<DatasetRowsSource, 'dtype' | 'shape'>): number {
  const element = typeof source.dtype === 'string' ? (source.dtype === 'string' ? 16 : hdf5().elementBytes(source.dtype)) : source.dtype.fixedString;
  return source.shape.reduce((n, extent) => n * extent, element);
}

/**
 * Reads rows for one process or worker: a block of consecutive rows per file open (a worker's
 * calls are mostly consecutive), one block kept per source. The file is opened per block, not
 * held open: an open handle would keep libhdf5's lock on it in the client's process (worker
 * threads share it) after the run.
 */
export class RowReader {
  readonly #blocks = new Map<string, { first: number; count: number; data: ArrayLike<unknown> & { slice(a: number, b: number): unknown } }>();
  /** Per source: the row after the last read, and the bytes the next read may take. */
  readonly #next = new Map<string, { index: number; bytes: number }>();

  row(source: DatasetRowsSource, index: number): unknown {
    const key = `${source.file}\0${source.dataset}`;
    let block = this.#blocks.get(key);
    if (!block || index < block.first || index >= block.first + block.count) {
      if (!Number.isInteger(index) || index < 0 || index >= source.shape[0]!)
        throw new AcmeError('ERR_ACME_INTERNAL', `internal: row ${index} of ${source.file}:${source.dataset} does not exist (it has ${source.shape[0]} rows)`);
      const rowShape = source.shape.slice(1);
      const next = this.#next.get(key);
      const bytes = next?.index === index ? Math.min(MAX_BLOCK_BYTES, 2 * next.bytes) : FIRST_BLOCK_BYTES;
      const perBlock = Math.max(1, Math.floor(bytes / Math.max(1, datasetBytes({ dtype: source.dtype, shape: rowShape }))));
      const count = Math.min(perBlock, source.shape[0]! - index);
      const read = openChecked(source, (h5) => h5.read(source.dataset, { start: [index, ...rowShape.map(() => 0)], count: [count, ...rowShape] }));
      this.#next.set(key, { index: index + count, bytes });
      // A row read alone (a large one) is given to the call as it is: no copy, and nothing kept
      // (the worker's memory is then one row).
      if (count === 1 && rowShape.length > 0) return { data: read.data, shape: rowShape };
      block = { first: index, count, data: read.data as never };
      this.#blocks.set(key, block);
    }
    const k = index - block.first;
    if (source.shape.length === 1) return block.data[k];
    const rowShape = source.shape.slice(1);
    const rowSize = rowShape.reduce((n, extent) => n * extent, 1);
    // A copy: a call that changes its row must not change a later call's (a retry's) row.
    return { data: block.data.slice(k * rowSize, (k + 1) * rowSize), shape: rowShape };
  }
}

/** Row access by index in the client (e.g. valueFor): correct, not fast. */
const clientReader = new RowReader();

function rowsOf(source: DatasetRowsSource): DatasetRows {
  const length = source.shape[0]!;
  const target = { [ROWS_BRAND]: true, source, length };
  return new Proxy(target, {
    get(obj, key, receiver) {
      if (typeof key === 'string' && /^(0|[1-9]\d*)$/.test(key)) {
        const index = Number(key);
        return index < length ? clientReader.row(source, index) : undefined;
      }
      return Reflect.get(obj, key, receiver);
    },
  }) as unknown as DatasetRows;
}

function fileIdentity(file: string, dataset: string, missing: string): { size: number; mtimeNs: string } {
  try {
    const stat = statSync(file, { bigint: true });
    return { size: Number(stat.size), mtimeNs: stat.mtimeNs.toString() };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputFileError(
      file,
      dataset,
      code === 'ENOENT' ? `the HDF5 file ${file} (dataset ${dataset}) ${missing}` : `cannot read ${file} (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
}

function withOpenFile<T>(file: string, dataset: string, use: (h5: H5File) => T): T {
  let h5: H5File | undefined;
  try {
    h5 = hdf5().H5File.open(file);
    return use(h5);
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw new InputFileError(file, dataset, `cannot read ${dataset} from ${file} (${(error as Error).message.split('\n')[0]})`, { cause: error });
  } finally {
    h5?.close();
  }
}

const AFTER_START = 'after the run recorded it';
const FIX = 'put the file back as it was, or start a new run (a new outputDir) to use it as it is now';

/** Opens the source's file after checking it is the recorded one. */
function openChecked<T>(source: DatasetRowsSource, use: (h5: H5File) => T): T {
  checkIdentity(source);
  return withOpenFile(source.file, source.dataset, (h5) => {
    const info = h5.exists(source.dataset) ? h5.info(source.dataset) : undefined;
    if (!info || JSON.stringify(info.dtype) !== JSON.stringify(source.dtype) || info.shape.join() !== source.shape.join()) {
      const now = info ? `${describe(info.dtype)} [${info.shape.join(', ')}]` : 'no such dataset';
      throw new InputFileError(
        source.file,
        source.dataset,
        `the input dataset ${source.dataset} of ${source.file} changed ${AFTER_START}: it was ${describe(source.dtype)} [${source.shape.join(', ')}], it is ${now}; ${FIX}`,
      );
    }
    return use(h5);
  });
}

function checkIdentity(source: DatasetRowsSource): void {
  const now = fileIdentity(source.file, source.dataset, `no longer exists: it was removed or moved ${AFTER_START}; ${FIX}`);
  if (now.size !== source.size || now.mtimeNs !== source.mtimeNs) {
    throw new InputFileError(
      source.file,
      source.dataset,
      `the input file ${source.file} (dataset ${source.dataset}) changed ${AFTER_START} (size ${source.size} → ${now.size} bytes, modified ${isoTime(source.mtimeNs)} → ${isoTime(now.mtimeNs)}): its rows may differ from those other calls got; ${FIX}`,
    );
  }
}

/** The identity and the dataset's dtype and shape checked now (a resumed run's source). */
function checkSource(source: DatasetRowsSource): void {
  openChecked(source, () => undefined);
}

function describe(dtype: Dtype): string {
  return typeof dtype === 'string' ? dtype : `S${dtype.fixedString}`;
}

function isoTime(ns: string): string {
  return new Date(Number(BigInt(ns) / 1000000n)).toISOString();
}
