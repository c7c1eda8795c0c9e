import { mkdtempSync, rmSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { H5File, type DatasetWrite } from '@acme-ts/hdf5-native';
import { broadcast, distributeArguments, split } from './arguments';
import { assembleArguments, splitCallArguments } from './call-arguments';
import { datasetRows, isDatasetRows, RowReader } from './dataset-rows';
import { InputFileError } from './errors';
import { inputTable } from './input-table';
import { argumentsFingerprint } from './run-fingerprint';
import { argumentsFromStore, storedArguments, type StoredArguments } from './run-manifest';
import { serializeArguments } from './run-store';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'acme-dataset-rows-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeFile(name: string, datasets: DatasetWrite[]): string {
  const file = join(dir, name);
  const h5 = H5File.create(file, { overwrite: true });
  h5.writeDatasets(datasets);
  h5.close();
  return file;
}

const matrix = (rows: number, columns: number) => Float64Array.from({ length: rows * columns }, (_, i) => i);

describe('datasetRows: a dataset split by rows, read where the call runs', () => {
  test('reads only metadata; row i is the element (1-D) or {data, shape} of the row (N-D), as a split {data, shape} array gives', () => {
    const file = writeFile('d.h5', [
      { path: '/m', dtype: 'float64', shape: [4, 3], data: matrix(4, 3) },
      { path: '/i', dtype: 'int64', shape: [3], data: [5n, 6n, 7n] },
      { path: '/s', dtype: 'string', shape: [2], data: ['ä', 'bc'] },
      { path: '/b', dtype: 'bool', shape: [2], data: [true, false] },
    ]);
    const m = datasetRows(file, '/m');
    expect(isDatasetRows(m)).toBe(true);
    expect(m.length).toBe(4);
    expect(m.source).toMatchObject({ file, dataset: '/m', dtype: 'float64', shape: [4, 3], size: statSync(file).size });
    const reader = new RowReader();
    expect(reader.row(m.source, 2)).toEqual({ data: Float64Array.of(6, 7, 8), shape: [3] });
    expect(m[3]).toEqual({ data: Float64Array.of(9, 10, 11), shape: [3] });
    // The same value a split in-memory {data, shape} of shape [n, 1] gives its calls.
    const column = writeFile('c.h5', [{ path: '/c', dtype: 'float32', shape: [3, 1], data: Float32Array.of(1, 2, 3) }]);
    const eager = distributeArguments([{ data: Float32Array.of(1, 2, 3), shape: [3, 1] }], undefined, 'auto').positional[0]!;
    expect(eager.mode === 'split' && eager.values[1]).toEqual(reader.row(datasetRows(column, '/c').source, 1));
    expect([0, 1, 2].map((i) => reader.row(datasetRows(file, '/i').source, i))).toEqual([5n, 6n, 7n]);
    expect([0, 1].map((i) => reader.row(datasetRows(file, '/s').source, i))).toEqual(['ä', 'bc']);
    expect([0, 1].map((i) => reader.row(datasetRows(file, '/b').source, i))).toEqual([true, false]);
  });

  test('rows across block boundaries, in any order; consecutive reads grow from 64 KiB to 1 MiB blocks, a jump starts small again', () => {
    const n = 300_000;
    const file = writeFile('big.h5', [{ path: '/x', dtype: 'float64', shape: [n], data: Float64Array.from({ length: n }, (_, i) => i * 0.5) }]);
    const { source } = datasetRows(file, '/x');
    const opens = jest.spyOn(H5File, 'open');
    try {
      const reader = new RowReader();
      for (let i = 0; i < n; i++) if (reader.row(source, i) !== i * 0.5) throw new Error(`row ${i}`);
      // 8192 + 16384 + 32768 + 65536 + 131072 rows, then the last 46048: one file open each.
      expect(opens).toHaveBeenCalledTimes(6);
      opens.mockClear();
      for (const i of [n - 1, 0, 131071, 131072, 262143, 262144, 5, n - 2]) expect(reader.row(source, i)).toBe(i * 0.5);
      expect(opens).toHaveBeenCalledTimes(5); // n - 1 is in the last block read, 131072 in 131071's, 262144 in 262143's
      expect(() => reader.row(source, n)).toThrow(/internal: row 300000 of .*big\.h5:\/x does not exist \(it has 300000 rows\)/);
    } finally {
      opens.mockRestore();
    }
  });

  test("a row is the call's own copy: changing it does not change what a later call (a retry) gets", () => {
    const { source } = datasetRows(writeFile('d.h5', [{ path: '/m', dtype: 'float64', shape: [2, 2], data: matrix(2, 2) }]), '/m');
    const reader = new RowReader();
    (reader.row(source, 0) as { data: Float64Array }).data[0] = 99;
    expect(reader.row(source, 0)).toEqual({ data: Float64Array.of(0, 1), shape: [2] });
  });

  test('refused with the file or dataset named: missing file, missing dataset, a scalar, complex', () => {
    const file = writeFile('d.h5', [
      { path: '/scalar', dtype: 'float64', shape: [], data: 1 },
      { path: '/z', dtype: 'complex128', shape: [1], data: Float64Array.of(1, 2) },
    ]);
    expect(() => datasetRows(join(dir, 'none.h5'), '/x')).toThrow(`the HDF5 file ${join(dir, 'none.h5')} (dataset /x) does not exist`);
    expect(() => datasetRows(file, '/x')).toThrow(`the HDF5 file ${file} has no dataset /x`);
    expect(() => datasetRows(file, '/scalar')).toThrow(/is a scalar: it has no rows to split/);
    expect(() => datasetRows(file, '/z')).toThrow(/is complex \(complex128\)/);
    expect(() => datasetRows(file, 'x')).toThrow(/dataset must be an absolute path inside the file such as "\/x"/);
  });

  test('a file removed or changed after the input was made fails the read, naming file and dataset and the fix', () => {
    const file = writeFile('d.h5', [{ path: '/m', dtype: 'float64', shape: [4, 3], data: matrix(4, 3) }]);
    const { source } = datasetRows(file, '/m');
    const before = statSync(file);
    writeFile('d.h5', [{ path: '/m', dtype: 'float64', shape: [5, 3], data: matrix(5, 3) }]);
    const caught = (() => {
      try {
        new RowReader().row(source, 0);
      } catch (error) {
        return error as InputFileError;
      }
    })();
    expect(caught).toBeInstanceOf(InputFileError);
    expect(caught).toMatchObject({ code: 'ERR_ACME_INPUT_FILE', file, dataset: '/m' });
    expect(caught!.message).toMatch(
      /^the input file .*d\.h5 \(dataset \/m\) changed after the run recorded it \(size \d+ → \d+ bytes, modified .* → .*\).*start a new run/,
    );
    // Same size and time (a copy made with cp -p): the dataset's shape still tells.
    const sameSize = writeFile('d.h5', [{ path: '/m', dtype: 'float64', shape: [3, 4], data: matrix(3, 4) }]);
    utimesSync(sameSize, before.atime, before.mtime);
    const restamped = { ...source, size: statSync(file).size, mtimeNs: statSync(file, { bigint: true }).mtimeNs.toString() };
    expect(() => new RowReader().row(restamped, 0)).toThrow(
      `the input dataset /m of ${file} changed after the run recorded it: it was float64 [4, 3], it is float64 [3, 4]`,
    );
    rmSync(file);
    expect(() => new RowReader().row(source, 1)).toThrow(
      `the HDF5 file ${file} (dataset /m) no longer exists: it was removed or moved after the run recorded it`,
    );
  });
});

describe('datasetRows in the argument rules', () => {
  test('split when its length is the number of calls: its source travels to the runner, no payload; the runner reads call i its row', () => {
    const file = writeFile('d.h5', [{ path: '/m', dtype: 'float64', shape: [3, 2], data: matrix(3, 2) }]);
    const d = distributeArguments([datasetRows(file, '/m'), [10, 20, 30]], undefined, 'auto');
    expect(d.nInputs).toBe(3);
    const call = splitCallArguments(d);
    expect(call.splits[0]).toEqual({ target: { positional: 0 }, rows: expect.objectContaining({ file, dataset: '/m', shape: [3, 2] }) });
    expect(call.payloadFor(1)).toBe(20);
    const assembly = assembleArguments(call);
    expect(assembly.argumentsOf(1, call.payloadFor(1))).toEqual([{ data: Float64Array.of(2, 3), shape: [2] }, 20]);
    // Alone, it is the sole argument computed from the taskID (like a range), with no payloads.
    const alone = splitCallArguments(distributeArguments([datasetRows(file, '/m')], undefined, 'auto'));
    expect(alone.payloadSource).toBeUndefined();
    expect(assembleArguments(alone).soleArgument?.rows?.dataset).toBe('/m');
    expect(assembleArguments(alone).splitValues(2, undefined)).toEqual([{ data: Float64Array.of(4, 5), shape: [2] }]);
  });

  test('broadcast (another length, or broadcast()): the whole dataset, as an h5: input reads it', () => {
    const file = writeFile('d.h5', [
      { path: '/m', dtype: 'float64', shape: [2, 2], data: matrix(2, 2) },
      { path: '/v', dtype: 'int32', shape: [2], data: Int32Array.of(4, 5) },
    ]);
    const d = distributeArguments([datasetRows(file, '/m'), [1, 2, 3]], { v: broadcast(datasetRows(file, '/v')) }, 3);
    expect(d.positional[0]).toEqual({ mode: 'broadcast', value: { data: matrix(2, 2), shape: [2, 2] } });
    expect(d.keyword.v).toEqual({ mode: 'broadcast', value: Int32Array.of(4, 5) });
    expect(() => distributeArguments([split(datasetRows(file, '/m')), [1, 2, 3]], undefined, 3)).toThrow(
      /marked split\(\) but has 2 elements, not nInputs = 3/,
    );
  });

  test("the input table names its source instead of reading it (never an argument's name)", () => {
    const file = writeFile('d.h5', [{ path: '/m', dtype: 'float64', shape: [2, 2], data: matrix(2, 2) }]);
    const d = distributeArguments([datasetRows(file, '/m'), [1, 2], 5], undefined, 'auto');
    const table = inputTable(d, ['rows', 'x', 'rows_source']);
    expect(table.attributes).toEqual({ x: Float64Array.of(1, 2), rows_source: 5 });
    expect(table.skipped).toEqual([
      `rows: its rows are read by the workers from ${file}:/m (named by rows_source)`,
      'rows_source: another argument has its name',
    ]);
    expect(inputTable(d, ['rows', 'x', 'y']).attributes).toEqual({ x: Float64Array.of(1, 2), y: 5, rows_source: `${file}:/m` });
  });

  test("arguments.v8 records its source: a changed file changes the fingerprint, and a resumed run's is refused", () => {
    const file = writeFile('d.h5', [{ path: '/m', dtype: 'float64', shape: [2, 2], data: matrix(2, 2) }]);
    const fingerprint = () => argumentsFingerprint(serializeArguments(storedArguments(distributeArguments([datasetRows(file, '/m')], undefined, 'auto'))));
    const stored = storedArguments(distributeArguments([datasetRows(file, '/m')], undefined, 'auto'));
    expect(stored.positional[0]).toEqual({ mode: 'split', rows: expect.objectContaining({ file, dataset: '/m' }) });
    const first = fingerprint();
    expect(fingerprint()).toBe(first);
    const resumed = argumentsFromStore(stored as StoredArguments).args[0];
    expect(distributeArguments([resumed], undefined, 'auto').nInputs).toBe(2);
    const later = new Date(statSync(file).mtimeMs + 5000);
    utimesSync(file, later, later);
    expect(fingerprint()).not.toBe(first);
    expect(() => argumentsFromStore(stored as StoredArguments)).toThrow(/changed after the run recorded it/);
  });
});
