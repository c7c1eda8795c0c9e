import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { H5File, writeFileAtomic, libraryInfo } from './index';
import type { Dtype } from './index';
import { h5dump, PYTHON, tempDir, type Dump } from './__fixtures__/h5check';

const dir = tempDir('datasets');
const file = (name: string) => path.join(dir, name);

describe('datasets of every dtype, checked with h5py', () => {
  const f = file('dtypes.h5');
  const numeric: [Dtype, string, number[]][] = [
    ['float64', 'float64', [1.5, -2.25, 1e300]],
    ['float32', 'float32', [1.5, -2.25, Math.fround(3.0e38)]],
    ['int8', 'int8', [-128, 0, 127]],
    ['int16', 'int16', [-32768, 1, 32767]],
    ['int32', 'int32', [-2147483648, 2, 2147483647]],
    ['int64', 'int64', [-(2 ** 53), 3, 2 ** 53]],
    ['uint8', 'uint8', [0, 1, 255]],
    ['uint16', 'uint16', [0, 2, 65535]],
    ['uint32', 'uint32', [0, 3, 4294967295]],
    ['uint64', 'uint64', [0, 4, 2 ** 53]],
  ];

  beforeAll(() => {
    using h = H5File.create(f);
    for (const [dtype, , values] of numeric) {
      h.createDataset(`/num/${dtype}`, { dtype, shape: [3] });
      h.write(`/num/${dtype}`, values);
    }
    h.createDataset('/f16', { dtype: 'float16', shape: [2, 3] });
    h.write('/f16', Float64Array.of(3.9991, 255.99, 1e-6, 65504, -0.1, 6e-8));
    h.createDataset('/f16scalar', { dtype: 'float16', shape: [] });
    h.write('/f16scalar', 0.333);
    h.createDataset('/bool', { dtype: 'bool', shape: [4] });
    h.write('/bool', [true, false, false, true]);
    h.createDataset('/str', { dtype: 'string', shape: [3] });
    h.write('/str', ['plain', 'Grüße ✓', '']);
    h.createDataset('/fixed', { dtype: { fixedString: 6 }, shape: [2] });
    h.write('/fixed', ['abc', 'abcdef']);
    h.createDataset('/big', { dtype: 'int64', shape: [2] });
    h.write('/big', [-(2n ** 63n), 2n ** 63n - 1n]);
    h.createDataset('/ubig', { dtype: 'uint64', shape: [1] });
    h.write('/ubig', [2n ** 64n - 1n]);
    h.createDataset('/scalar', { dtype: 'float64', shape: [] });
    h.write('/scalar', 42.5);
    h.createDataset('/sscalar', { dtype: 'string', shape: [] });
    h.write('/sscalar', 'ünï');
    h.createDataset('/conv', { dtype: 'int32', shape: [2, 2] });
    h.write('/conv', Float64Array.of(1, 2, 3, 4));
    h.createDataset('/rank3', { dtype: 'float32', shape: [2, 3, 4] });
    h.write(
      '/rank3',
      Float32Array.from({ length: 24 }, (_, i) => i),
    );
    h.createDataset('/empty', { dtype: 'float64', shape: [0, 5] });
  });

  let dump: Dump;
  beforeAll(() => {
    dump = h5dump(f);
  });

  test.each(numeric)('%s', (dtype, npDtype, values) => {
    const d = dump[`/num/${dtype}`];
    expect(d.dtype).toBe(npDtype);
    expect(d.shape).toEqual([3]);
    expect(d.values.map((v: unknown) => Number(v))).toEqual(values);
  });

  test('float16 rounds like numpy and reads back as Float32Array', () => {
    expect(dump['/f16'].dtype).toBe('float16');
    expect(dump['/f16'].shape).toEqual([2, 3]);
    // numpy: np.float16([3.9991, 255.99, 1e-6, 65504, -0.1, 6e-8])
    const expected = [4.0, 256.0, 1.0132789611816406e-6, 65504.0, -0.0999755859375, 5.960464477539063e-8];
    expect(dump['/f16'].values.flat()).toEqual(expected);
    expect(dump['/f16scalar'].values).toBeCloseTo(0.333, 3);
    expect(dump['/f16scalar'].shape).toEqual([]);
    using h = H5File.open(f);
    const r = h.read('/f16');
    expect(r.dtype).toBe('float16');
    // typed arrays made by the addon come from the outer realm under jest: compare by tag
    expect(Object.prototype.toString.call(r.data)).toBe('[object Float32Array]');
    expect(Array.from(r.data as Float32Array)).toEqual(expected.map(Math.fround));
  });

  test('bool, strings, big integers, scalars', () => {
    expect(dump['/bool'].dtype).toBe('bool');
    expect(dump['/bool'].values).toEqual([true, false, false, true]);
    expect(dump['/str'].dtype).toBe('object');
    expect(dump['/str'].values).toEqual(['plain', 'Grüße ✓', '']);
    expect(dump['/fixed'].dtype).toBe('|S6');
    expect(dump['/fixed'].values).toEqual(['abc', 'abcdef']);
    expect(dump['/big'].values).toEqual([String(-(2n ** 63n)), String(2n ** 63n - 1n)]);
    expect(dump['/ubig'].values).toEqual([String(2n ** 64n - 1n)]);
    expect(dump['/scalar']).toMatchObject({ shape: [], values: 42.5 });
    expect(dump['/sscalar']).toMatchObject({ shape: [], values: 'ünï' });
    expect(dump['/conv']).toMatchObject({
      dtype: 'int32',
      values: [
        [1, 2],
        [3, 4],
      ],
    });
    expect(dump['/rank3'].values[1][2]).toEqual([20, 21, 22, 23]);
    expect(dump['/empty'].shape).toEqual([0, 5]);
  });

  test('our reader returns the same values and dtypes', () => {
    using h = H5File.open(f);
    expect(h.read('/bool')).toEqual({ dtype: 'bool', shape: [4], data: [true, false, false, true] });
    expect(h.read('/str').data).toEqual(['plain', 'Grüße ✓', '']);
    expect(h.read('/fixed')).toEqual({ dtype: { fixedString: 6 }, shape: [2], data: ['abc', 'abcdef'] });
    expect(h.read('/big').data).toEqual(BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n));
    expect(h.read('/ubig').data).toEqual(BigUint64Array.of(2n ** 64n - 1n));
    expect(h.read('/scalar')).toEqual({ dtype: 'float64', shape: [], data: Float64Array.of(42.5) });
    expect(h.read('/num/uint16').data).toEqual(Uint16Array.of(0, 2, 65535));
    expect(h.read('/empty').data).toEqual(new Float64Array(0));
    expect(h.info('/rank3')).toEqual({ dtype: 'float32', shape: [2, 3, 4], maxshape: [2, 3, 4], layout: 'contiguous' });
  });
});

describe('fill values, hyperslabs, chunking, resize', () => {
  test('fill values and hyperslab write/read', () => {
    const f = file('slab.h5');
    {
      using h = H5File.create(f);
      h.createDataset('/a', { dtype: 'int32', shape: [4, 5], fillValue: -1 });
      h.write('/a', [7, 8, 9, 10], { start: [1, 2], count: [2, 2] });
      h.createDataset('/h', { dtype: 'float16', shape: [3], fillValue: 0.1 });
      h.createDataset('/s', { dtype: 'string', shape: [2], fillValue: 'n/a' });
      h.write('/s', ['x'], { start: [1], count: [1] });
      h.createDataset('/b', { dtype: 'bool', shape: [2], fillValue: true });
      expect(h.read('/a', { start: [1, 2], count: [2, 3] })).toEqual({
        dtype: 'int32',
        shape: [2, 3],
        data: Int32Array.of(7, 8, -1, 9, 10, -1),
      });
    }
    const d = h5dump(f);
    expect(d['/a'].fillvalue).toBe(-1);
    expect(d['/a'].values).toEqual([
      [-1, -1, -1, -1, -1],
      [-1, -1, 7, 8, -1],
      [-1, -1, 9, 10, -1],
      [-1, -1, -1, -1, -1],
    ]);
    expect(d['/h'].values).toEqual([0.0999755859375, 0.0999755859375, 0.0999755859375]);
    expect(d['/s'].values).toEqual(['n/a', 'x']);
    expect(d['/b'].values).toEqual([true, true]);
  });

  test('chunked, unlimited maxshape, resize and append', () => {
    const f = file('grow.h5');
    {
      using h = H5File.create(f);
      h.createDataset('/g', { dtype: 'float64', shape: [0, 3], maxshape: [null, 3], chunks: [4, 3] });
      h.createDataset('/auto', { dtype: 'float32', shape: [2], maxshape: [null] });
      for (let i = 0; i < 5; i++) {
        h.resize('/g', [i + 1, 3]);
        h.write('/g', [i, i + 0.5, -i], { start: [i, 0], count: [1, 3] });
      }
      expect(h.info('/g')).toEqual({ dtype: 'float64', shape: [5, 3], maxshape: [null, 3], chunks: [4, 3], layout: 'chunked' });
      expect(h.info('/auto').layout).toBe('chunked');
    }
    const d = h5dump(f);
    expect(d['/g']).toMatchObject({ shape: [5, 3], maxshape: [null, 3], chunks: [4, 3] });
    expect(d['/g'].values[4]).toEqual([4, 4.5, -4]);
    expect(d['/auto'].maxshape).toEqual([null]);
  });
});

describe('files, groups, listing, attributes', () => {
  test('create exclusive vs overwrite, open r / r+, groups, list, exists, remove', () => {
    const f = file('groups.h5');
    {
      using h = H5File.create(f);
      h.createGroup('/a/b/c');
      h.createDataset('/a/x', { dtype: 'uint8', shape: [1] });
      h.createSoftLink('/a/soft', '/a/x');
      h.flush();
      expect(h.list('/a')).toEqual([
        { name: 'b', kind: 'group' },
        { name: 'soft', kind: 'soft-link', target: { path: '/a/x' } },
        { name: 'x', kind: 'dataset' },
      ]);
      expect(h.exists('/a/b/c')).toBe(true);
      expect(h.exists('/a/b/nope')).toBe(false);
      expect(h.exists('/nope/deeper')).toBe(false);
      expect(h.exists('/a/x/not-a-group')).toBe(false);
    }
    expect(() => H5File.create(f)).toThrow(expect.objectContaining({ code: 'ERR_HDF5', message: expect.stringContaining('overwrite') }));
    {
      using h = H5File.open(f, { write: true });
      expect(h.writable).toBe(true);
      h.remove('/a/b');
      expect(h.list('/a').map((e) => e.name)).toEqual(['soft', 'x']);
    }
    {
      using h = H5File.open(f);
      expect(h.writable).toBe(false);
      expect(h.list('/')).toEqual([{ name: 'a', kind: 'group' }]);
    }
    using h = H5File.create(f, { overwrite: true });
    expect(h.list()).toEqual([]);
    h.close();
    h.close();
    expect(h.closed).toBe(true);
  });

  test('attributes on the file, groups and datasets', () => {
    const f = file('attrs.h5');
    {
      using h = H5File.create(f);
      h.createGroup('/g');
      h.createDataset('/g/d', { dtype: 'float64', shape: [1] });
      h.setAttribute('/', 'version', '1.0 ✓');
      h.setAttribute('/', 'n', 3);
      h.setAttribute('/g', 'flag', true);
      h.setAttribute('/g/d', 'big', 2n ** 40n);
      h.setAttribute('/g/d', 'x', 0.5);
      h.setAttribute('/g/d', 'x', 1.5); // replaces
      expect(h.getAttributes('/g/d')).toEqual({ big: 2n ** 40n, x: 1.5 });
      expect(h.getAttributes('/')).toEqual({ n: 3, version: '1.0 ✓' });
    }
    const d = h5dump(f);
    expect(d['/'].attrs).toEqual({ version: '1.0 ✓', n: 3 });
    expect(d['/g'].attrs).toEqual({ flag: true });
    expect(d['/g/d'].attrs).toEqual({ big: 2 ** 40, x: 1.5 });
  });

  test('writeFileAtomic writes datasets and root attributes, leaves no temporary file', () => {
    const f = file('atomic.h5');
    writeFileAtomic(
      f,
      [
        { path: '/result_0', dtype: 'float64', shape: [2, 2], data: Float64Array.of(1, 2, 3, 4) },
        { path: '/grp/s', dtype: 'string', shape: [], data: 'héllo' },
        { path: '/h', dtype: 'float16', shape: [1], data: [3.9991] },
      ],
      { taskID: 7, host: 'x' },
    );
    const d = h5dump(f);
    expect(d['/result_0'].values).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(d['/grp/s'].values).toBe('héllo');
    expect(d['/h'].values).toEqual([4]);
    expect(d['/'].attrs).toEqual({ taskID: 7, host: 'x' });
    expect(
      require('node:fs')
        .readdirSync(dir)
        .filter((n: string) => n.includes('.tmp-')),
    ).toEqual([]);
    // a failing write leaves neither the file nor a temporary one
    const g = file('atomic-bad.h5');
    expect(() => writeFileAtomic(g, [{ path: '/a', dtype: 'int8', shape: [3], data: [1, 2] }])).toThrow(/has 2 elements/);
    expect(
      require('node:fs')
        .readdirSync(dir)
        .filter((n: string) => n.startsWith('atomic-bad')),
    ).toEqual([]);
  });

  test('writeDatasets creates groups and datasets and writes them in one call, into an open file', () => {
    const f = file('many.h5');
    const h5 = H5File.create(f);
    h5.writeDatasets([
      { path: 'comp_0/result_0', dtype: 'float64', shape: [1], data: [0.5] },
      { path: 'comp_1/result_0', dtype: 'int32', shape: [2], data: Int32Array.of(7, 8) },
      { path: 'comp_1/result_1', dtype: 'string', shape: [], data: 'ok' },
    ]);
    expect(() => h5.writeDatasets([{ path: 'comp_1/result_0', dtype: 'int8', shape: [1], data: [1] }])).toThrow(/comp_1\/result_0/);
    h5.close();
    const d = h5dump(f);
    expect(d['/comp_0/result_0']).toMatchObject({ dtype: 'float64', values: [0.5] });
    expect(d['/comp_1/result_0']).toMatchObject({ dtype: 'int32', values: [7, 8] });
    expect(d['/comp_1/result_1'].values).toBe('ok');
  });

  test('writeRows: one group per row with a dataset per column, as writeDatasets would write them', () => {
    const f = file('rows.h5');
    const h5 = H5File.create(f);
    h5.writeRows(
      ['comp_3', 'comp_4'],
      [
        { name: 'result_0', dtype: 'float64', shape: [], data: Float64Array.of(0.5, -1) },
        { name: 'result_1', dtype: 'int16', shape: [2, 2], data: Int16Array.of(1, 2, 3, 4, 5, 6, 7, 8) },
        { name: 'result_2', dtype: 'float16', shape: [1], data: Float32Array.of(0.333, 65504) },
        { name: 'result_3', dtype: 'bool', shape: [2], data: Uint8Array.of(1, 0, 0, 1) },
      ],
    );
    // The row that fails is named; the rows before it are complete.
    let failure: unknown;
    try {
      h5.writeRows(['comp_5', 'comp_3', 'comp_6'], [{ name: 'result_0', dtype: 'float64', shape: [], data: Float64Array.of(5, 3, 6) }]);
    } catch (err) {
      failure = err;
    }
    expect(failure).toMatchObject({ name: 'Hdf5RowError', code: 'ERR_HDF5', row: 1, message: expect.stringContaining("cannot create group 'comp_3'") });
    expect(() => h5.writeRows(['comp_7'], [{ name: 'result_0', dtype: 'float64', shape: [2], data: Float64Array.of(1) }])).toThrow(
      'columns[0].data must hold 1 rows of 2 elements (2), got 1',
    );
    expect(() => h5.writeRows(['comp_7'], [{ name: 'result_0', dtype: 'string', shape: [], data: Float64Array.of(1) }])).toThrow(
      /columns\[0\]\.dtype must be a dtype of numbers/,
    );
    h5.close();
    const d = h5dump(f);
    expect(d['/comp_3/result_0']).toMatchObject({ dtype: 'float64', shape: [], values: 0.5 });
    expect(d['/comp_4/result_0']).toMatchObject({ dtype: 'float64', values: -1 });
    expect(d['/comp_4/result_1']).toMatchObject({
      dtype: 'int16',
      shape: [2, 2],
      values: [
        [5, 6],
        [7, 8],
      ],
    });
    expect(d['/comp_4/result_2']).toMatchObject({ dtype: 'float16', values: [65504] });
    expect(d['/comp_3/result_3']).toMatchObject({ dtype: 'bool', values: [true, false] });
    expect(d['/comp_5/result_0'].values).toBe(5);
    expect(
      Object.keys(d)
        .filter((k) => /^\/comp_\d+$/.test(k))
        .sort(),
    ).toEqual(['/comp_3', '/comp_4', '/comp_5']);
  });

  test('writeRows with numbered groups: prefix + number per row, the same checks and errors', () => {
    const f = file('rows-numbered.h5');
    const h5 = H5File.create(f);
    h5.writeRows({ prefix: 'comp_', numbers: Float64Array.of(10, 2, 9007199254740992) }, [
      { name: 'result_0', dtype: 'int32', shape: [2], data: Int32Array.of(1, 2, 3, 4, 5, 6) },
    ]);
    h5.writeRows({ prefix: 'runs/r', numbers: [0, 1] }, [{ name: 'x', dtype: 'float64', shape: [], data: Float64Array.of(7, 8) }]);
    let failure: unknown;
    try {
      h5.writeRows({ prefix: 'comp_', numbers: [11, 2, 12] }, [{ name: 'result_0', dtype: 'int32', shape: [2], data: new Int32Array(6) }]);
    } catch (err) {
      failure = err;
    }
    expect(failure).toMatchObject({ name: 'Hdf5RowError', row: 1, message: expect.stringContaining("cannot create group 'comp_2'") });
    expect(() => h5.writeRows({ prefix: 'comp_', numbers: [1.5] }, [])).toThrow('groups.numbers[0] must be an integer from 0 to 2^53, got 1.5');
    expect(() => h5.writeRows({ prefix: 'comp_', numbers: [-1] }, [])).toThrow('groups.numbers[0] must be an integer from 0 to 2^53, got -1');
    expect(() => h5.writeRows({ prefix: '', numbers: [1] }, [])).toThrow(/groups\.prefix/);
    expect(() => h5.writeRows({ prefix: 'c', numbers: [1, 2] }, [{ name: 'x', dtype: 'float64', shape: [], data: Float64Array.of(1) }])).toThrow(
      'columns[0].data must hold 2 rows of 1 elements (2), got 1',
    );
    h5.close();
    const d = h5dump(f);
    expect(d['/comp_10/result_0']).toMatchObject({ dtype: 'int32', values: [1, 2] });
    expect(d['/comp_2/result_0']).toMatchObject({ values: [3, 4] });
    expect(d['/comp_9007199254740992/result_0']).toMatchObject({ values: [5, 6] });
    expect(d['/runs/r1/x'].values).toBe(8);
    expect(d['/comp_11/result_0']).toMatchObject({ values: [0, 0] });
    expect(
      Object.keys(d)
        .filter((k) => /^\/comp_\d+$/.test(k))
        .sort(),
    ).toEqual(['/comp_10', '/comp_11', '/comp_2', '/comp_9007199254740992']);
  });

  test('libraryInfo', () => {
    expect(libraryInfo()).toEqual({ version: expect.stringMatching(/^1\.\d+\.\d+$/), threadsafe: true, fileLocking: 'on' });
  });
});

test('rawDataOffset: a contiguous dataset written is in the file at its offset before the file is closed; no offset for chunked or unwritten data', () => {
  const f = file('raw-offset.h5');
  using h = H5File.create(f);
  const big = Float64Array.from({ length: 1 << 18 }, (_, i) => i * 0.5 - 7); // 2 MiB, above libhdf5's sieve buffer
  h.writeDatasets([{ path: 'comp_3/result_0', dtype: 'float64', shape: [512, 512], data: big }]);
  const small = Int16Array.of(1, -2, 3);
  h.createDataset('small', { dtype: 'int16', shape: [3] });
  expect(h.rawDataOffset('small')).toBeUndefined(); // allocated at its first write
  h.write('small', small);
  h.createDataset('chunked', { dtype: 'float64', shape: [4], chunks: [2] });
  h.write('chunked', Float64Array.of(1, 2, 3, 4));
  expect(h.rawDataOffset('chunked')).toBeUndefined();
  // Read by plain file I/O while libhdf5 still holds the file open: the bytes went to the file.
  const readAt = (offset: number, bytes: number) => {
    const out = Buffer.alloc(bytes);
    const fd = fs.openSync(f, 'r');
    try {
      expect(fs.readSync(fd, out, 0, bytes, offset)).toBe(bytes);
    } finally {
      fs.closeSync(fd);
    }
    return out;
  };
  const at = h.rawDataOffset('comp_3/result_0')!;
  expect(at).toBeGreaterThan(0);
  expect(readAt(at, big.byteLength).equals(Buffer.from(big.buffer))).toBe(true);
  expect(h.rawDataOffset('small')).toBeGreaterThan(0);
  expect(() => h.rawDataOffset('missing')).toThrow(/missing/);
  h.close();
  // h5py reads the same values (i * 0.5 - 7 at flat index i).
  const check =
    'import sys, h5py, numpy as np; d = h5py.File(sys.argv[1], "r")["comp_3/result_0"][()]; print(d.shape == (512, 512) and np.array_equal(d.ravel(), np.arange(512 * 512) * 0.5 - 7))';
  expect(execFileSync(PYTHON, ['-c', check, f], { encoding: 'utf8' }).trim()).toBe('True');
});

test('typed arrays over a SharedArrayBuffer are written like any other (writeDatasets, write, writeRows, writeFileAtomic)', () => {
  const shared = new Float64Array(new SharedArrayBuffer(8 * 6), 8, 4);
  shared.set([1.5, -2, 3.25, 4]);
  const f = file('shared.h5');
  const h = H5File.create(f);
  h.writeDatasets([{ path: 'a', dtype: 'float64', shape: [2, 2], data: shared }]);
  h.createDataset('b', { dtype: 'float64', shape: [4] });
  h.write('b', shared);
  h.writeRows({ prefix: 'comp_', numbers: [0, 1] }, [{ name: 'result_0', dtype: 'float64', shape: [2], data: shared }]);
  h.close();
  const atomic = file('shared-atomic.h5');
  writeFileAtomic(atomic, [{ path: 'result_0', dtype: 'int16', shape: [3], data: new Int16Array(new SharedArrayBuffer(6)).fill(-7) }]);
  const d = h5dump(f);
  expect(d['/a'].values).toEqual([
    [1.5, -2],
    [3.25, 4],
  ]);
  expect(d['/b'].values).toEqual([1.5, -2, 3.25, 4]);
  expect(d['/comp_1/result_0'].values).toEqual([3.25, 4]);
  expect(h5dump(atomic)['/result_0'].values).toEqual([-7, -7, -7]);
});

test('reserveSpace: the dataset has its place at creation, nothing is written there, and bytes written at rawDataOffset by another writer are its values once moved (moveLink)', () => {
  const f = file('reserved.h5');
  const h = H5File.create(f);
  h.createDataset('reserve/r0', { dtype: 'float64', shape: [512, 512], reserveSpace: true });
  h.createDataset('reserve/r1', { dtype: 'int16', shape: [3], reserveSpace: true });
  const at = h.rawDataOffset('reserve/r0')!;
  expect(at).toBeGreaterThan(0);
  expect(h.rawDataOffset('reserve/r1')).toBeGreaterThan(0);
  expect(h.info('reserve/r0').layout).toBe('contiguous');
  // Never filled: the reserved 2 MiB take no disk blocks until they are written (a sparse file).
  h.flush();
  expect(fs.statSync(f).blocks * 512).toBeLessThan(512 * 512 * 8);
  const values = Float64Array.from({ length: 512 * 512 }, (_, i) => i * 0.25 - 3);
  const fd = fs.openSync(f, 'r+');
  try {
    fs.writeSync(fd, values, 0, values.byteLength, at);
  } finally {
    fs.closeSync(fd);
  }
  h.moveLink('reserve/r0', 'comp_7/result_0');
  h.remove('reserve');
  expect(h.rawDataOffset('comp_7/result_0')).toBe(at);
  expect(h.read('comp_7/result_0').data).toEqual(values);
  h.close();
  const check =
    'import sys, h5py, numpy as np; f = h5py.File(sys.argv[1], "r"); d = f["comp_7/result_0"][()]; print(list(f.keys()), d.shape == (512, 512) and np.array_equal(d.ravel(), np.arange(512 * 512) * 0.25 - 3))';
  expect(execFileSync(PYTHON, ['-c', check, f], { encoding: 'utf8' }).trim()).toBe("['comp_7'] True");
});

test('reserveSpace and moveLink: bad input is named', () => {
  using h = H5File.create(file('reserved-bad.h5'));
  expect(() => h.createDataset('a', { dtype: 'float64', shape: [4], chunks: [2], reserveSpace: true })).toThrow(
    'spec.reserveSpace cannot be combined with spec.chunks or a maxshape other than shape: reserved space is contiguous and never filled',
  );
  expect(() => h.createDataset('a', { dtype: 'float64', shape: [4], fillValue: 0, reserveSpace: true })).toThrow(
    'spec.reserveSpace cannot be combined with spec.fillValue',
  );
  expect(() => h.createDataset('a', { dtype: 'string', shape: [4], reserveSpace: true })).toThrow(
    "spec.reserveSpace needs a dtype of fixed size, got 'string'",
  );
  expect(() => h.createDataset('a', { dtype: 'float64', shape: [4], reserveSpace: 1 as never })).toThrow('spec.reserveSpace must be a boolean, got 1');
  expect(() => h.moveLink('missing', 'b')).toThrow(/cannot move 'missing' to 'b'/);
});

test('neverFill: libhdf5 allocates the contiguous dataset at its first write without writing the fill value elsewhere; the fill value is still recorded', () => {
  const f = file('never-fill.h5');
  const h = H5File.create(f);
  h.createDataset('stack', { dtype: 'float64', shape: [4, 512, 512], fillValue: NaN, neverFill: true });
  h.createDataset('filled', { dtype: 'float64', shape: [4, 512, 512], fillValue: NaN });
  const slot = new Float64Array(512 * 512).fill(7);
  h.write('stack', slot, { start: [2, 0, 0], count: [1, 512, 512] });
  h.flush();
  // One 2 MiB slot on disk, not the 8 MiB dataset (the sparse rest reads as zeros).
  expect(fs.statSync(f).blocks * 512).toBeLessThan(4 * 2 ** 20);
  h.write('filled', slot, { start: [2, 0, 0], count: [1, 512, 512] });
  h.flush();
  expect(fs.statSync(f).blocks * 512).toBeGreaterThan(8 * 2 ** 20);
  expect(() => h.createDataset('c', { dtype: 'float64', shape: [4], chunks: [2], neverFill: true })).toThrow(
    'spec.neverFill cannot be combined with spec.chunks or a maxshape other than shape: it is for contiguous datasets',
  );
  h.close();
  const check = 'import sys, h5py, numpy as np; d = h5py.File(sys.argv[1], "r")["stack"]; print(np.isnan(d.fillvalue), d[2, 5, 5], d[0, 5, 5])';
  expect(execFileSync(PYTHON, ['-c', check, f], { encoding: 'utf8' }).trim()).toBe('True 7.0 0.0');
});
