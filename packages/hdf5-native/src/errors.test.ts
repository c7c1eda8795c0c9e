import * as path from 'node:path';
import { H5File, Hdf5Error, writeFileAtomic } from './index';
import type { Dtype } from './index';
import { tempDir } from './__fixtures__/h5check';

const dir = tempDir('errors');

function thrown(fn: () => unknown): Hdf5Error {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(Hdf5Error);
    return err as Hdf5Error;
  }
  throw new Error('expected a throw');
}

describe('bad input gives a typed error that says what was wrong', () => {
  const f = path.join(dir, 'e.h5');
  let h: H5File;
  beforeAll(() => {
    h = H5File.create(f);
    h.createDataset('/d', { dtype: 'float64', shape: [2, 3] });
    h.createDataset('/s', { dtype: 'string', shape: [1] });
  });
  afterAll(() => h.close());

  test('unknown dtype', () => {
    const e = thrown(() => h.createDataset('/x', { dtype: 'complex256' as Dtype, shape: [1] }));
    expect(e.code).toBe('ERR_INVALID_ARG');
    expect(e.message).toMatch(/spec\.dtype must be one of float64.*got "complex256"/);
    expect(thrown(() => h.createDataset('/x', { dtype: { fixedString: 0 }, shape: [1] })).message).toMatch(/fixedString must be a positive integer, got 0/);
  });

  test('data length differs from the shape product', () => {
    const e = thrown(() => h.write('/d', [1, 2, 3]));
    expect(e.code).toBe('ERR_INVALID_ARG');
    expect(e.message).toBe("data for '/d' has 3 elements but the dataset shape [2,3] holds 6");
    expect(thrown(() => writeFileAtomic(path.join(dir, 'w.h5'), [{ path: '/a', dtype: 'int8', shape: [2, 2], data: [1] }])).message).toMatch(
      /has 1 elements but the dataset shape \[2,2\] holds 4/,
    );
  });

  test('writeDatasets and writeFileAtomic check each dataset like createDataset and write', () => {
    const w = (d: Record<string, unknown>) =>
      thrown(() => h.writeDatasets([{ path: '/ok', dtype: 'float64', shape: [1], data: Float64Array.of(1), ...d } as never]));
    expect(w({ path: 'a\0b' }).message).toMatch(/datasets\[0\]\.path must not contain a NUL byte/);
    expect(w({ path: '' }).message).toMatch(/datasets\[0\]\.path must be a non-empty string/);
    expect(w({ dtype: 'complex256' }).message).toMatch(/datasets\[0\]\.dtype must be one of float64.*got "complex256"/);
    expect(w({ shape: [-1] }).message).toMatch(/datasets\[0\]\.shape must be an array of non-negative integers, got \[-1\]/);
    expect(w({ shape: [1.5] }).message).toMatch(/datasets\[0\]\.shape must be an array of non-negative integers/);
    expect(w({ data: new DataView(new ArrayBuffer(8)) }).message).toMatch(/datasets\[0\]\.data must be a typed array, not a DataView/);
    expect(w({ maxshape: [0] }).message).toMatch(/datasets\[0\]\.maxshape\[0\] must be null \(unlimited\) or an integer ≥ shape\[0\] = 1, got 0/);
    expect(thrown(() => h.writeDatasets([null as never])).message).toMatch(/datasets\[0\] must be an object, got null/);
    expect(thrown(() => writeFileAtomic(path.join(dir, 'w2.h5'), [{ path: '/a', dtype: 'int9' as Dtype, shape: [1], data: Int8Array.of(1) }])).message).toMatch(
      /datasets\[0\]\.dtype must be one of/,
    );
    expect(h.exists('/ok')).toBe(false);
  });

  test('hyperslab out of range or of the wrong rank', () => {
    const e = thrown(() => h.write('/d', [1, 2], { start: [1, 2], count: [1, 2] }));
    expect(e.code).toBe('ERR_INVALID_ARG');
    expect(e.message).toMatch(/selection start \[1,2\] count \[1,2\] is out of range for '\/d' with shape \[2,3\]/);
    expect(thrown(() => h.read('/d', { start: [0], count: [1] })).message).toMatch(/must have 2 dimensions/);
    expect(thrown(() => h.read('/d', { start: [-1, 0], count: [1, 1] })).message).toMatch(
      /selection\.start must be an array of non-negative integers, got \[-1,0\]/,
    );
  });

  test('wrong kind of data, mixed arrays, bad shapes', () => {
    expect(thrown(() => h.write('/s', [1])).message).toMatch(/must be strings for a string dataset/);
    expect(thrown(() => h.write('/d', ['a', 'b', 'c', 'd', 'e', 'f'])).message).toMatch(
      /must be numbers, bigints or booleans for a float64 dataset, got strings/,
    );
    expect(thrown(() => h.write('/d', [1, 'x'] as unknown as number[])).message).toMatch(/data\[1\] is "x" \(string\)/);
    expect(thrown(() => h.createDataset('/y', { dtype: 'int8', shape: [1.5] })).message).toMatch(
      /spec\.shape must be an array of non-negative integers, got \[1\.5\]/,
    );
    expect(thrown(() => h.createDataset('/y', { dtype: 'int8', shape: [2], maxshape: [1] })).message).toMatch(
      /spec\.maxshape\[0\] must be null \(unlimited\) or an integer ≥ shape\[0\] = 2, got 1/,
    );
    h.createDataset('/y', { dtype: { fixedString: 2 }, shape: [1] });
    expect(thrown(() => h.write('/y', ['abc'])).message).toMatch(/data for '\/y'\[0\] is 3 bytes in UTF-8, longer than the fixedString size 2/);
    expect(thrown(() => h.resize('/d', [3, 3])).message).toBe("shape [3,3] exceeds the maxshape [2,3] of '/d'");
  });

  test('missing objects carry the HDF5 error stack', () => {
    const e = thrown(() => h.read('/nope'));
    expect(e.code).toBe('ERR_HDF5');
    expect(e.message).toMatch(/cannot open dataset '\/nope'; HDF5 error stack:[\s\S]*doesn't exist/);
  });

  test('a name with a NUL byte', () => {
    const e = thrown(() => h.createGroup('/a\0b'));
    expect(e.code).toBe('ERR_INVALID_ARG');
    expect(e.message).toMatch(/path must not contain a NUL byte/);
    expect(thrown(() => H5File.create(path.join(dir, 'x\0.h5'))).code).toBe('ERR_INVALID_ARG');
    expect(thrown(() => h.setAttribute('/', 'n\0', 1)).message).toMatch(/name must not contain a NUL byte/);
  });

  test('write to a read-only file', () => {
    using r = H5File.open(f);
    const e = thrown(() => r.write('/d', [1, 2, 3, 4, 5, 6]));
    expect(e.code).toBe('ERR_HDF5_READONLY');
    expect(e.message).toMatch(/open it with \{ write: true \}/);
  });

  test('use after close', () => {
    const c = H5File.create(path.join(dir, 'closed.h5'));
    c.close();
    c.close();
    const e = thrown(() => c.write('/d', 1));
    expect(e.code).toBe('ERR_HDF5_CLOSED');
    expect(thrown(() => c.list()).code).toBe('ERR_HDF5_CLOSED');
  });

  test('non-existent folder, missing file, bad options', () => {
    const e = thrown(() => H5File.create(path.join(dir, 'no', 'such', 'dir', 'f.h5')));
    expect(e.code).toBe('ERR_HDF5');
    expect(e.message).toMatch(
      /cannot create HDF5 file .*no\/such\/dir\/f\.h5' \(the folder .*no\/such\/dir\/ does not exist\)[\s\S]*No such file or directory/,
    );
    expect(thrown(() => H5File.open(path.join(dir, 'missing.h5'))).message).toMatch(/cannot open HDF5 file .* for reading[\s\S]*No such file/);
    expect(thrown(() => writeFileAtomic(path.join(dir, 'nodir', 'f.h5'), [])).message).toMatch(
      /the folder .*nodir\/ does not exist[\s\S]*No such file or directory/,
    );
    // A file that exists is the other cause, and the message says so.
    H5File.create(path.join(dir, 'exists.h5')).close();
    expect(thrown(() => H5File.create(path.join(dir, 'exists.h5'))).message).toMatch(/it may already exist; pass overwrite: true to replace it/);
    expect(thrown(() => H5File.open(f, { wirte: true } as never)).message).toBe('opts.wirte is not an option; allowed: write, inMemory, metadataCacheBytes');
  });
});
