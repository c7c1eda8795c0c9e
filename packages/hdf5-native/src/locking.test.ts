import { spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import * as path from 'node:path';
import { H5File, writeFileAtomic, libraryInfo, SMALL_METADATA_CACHE_BYTES } from './index';
import { h5dump, PYTHON, tempDir } from './__fixtures__/h5check';

const DIST = path.join(__dirname, '..', 'dist', 'index.js');

// HDF5_USE_FILE_LOCKING is read by libhdf5 itself when a file is opened.
test('file locking: a reader of a file held open for writing fails by default and succeeds with HDF5_USE_FILE_LOCKING=FALSE', async () => {
  const dir = tempDir('locking');
  const file = path.join(dir, 'held.h5');
  writeFileAtomic(file, [{ path: '/x', dtype: 'int32', shape: [1], data: [5] }]);
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `
    const { H5File } = require(${JSON.stringify(DIST)});
    const h = H5File.open(${JSON.stringify(file)}, { write: true });
    console.log('ready');
    process.stdin.on('data', () => { h.close(); process.exit(0); });
  `,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
      holder.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
    const reader = (env: NodeJS.ProcessEnv) =>
      spawnSync(
        process.execPath,
        [
          '-e',
          `
        const { H5File, libraryInfo } = require(${JSON.stringify(DIST)});
        try { const h = H5File.open(${JSON.stringify(file)}); console.log(libraryInfo().fileLocking, h.read('/x').data[0]); h.close(); }
        catch (e) { console.log(libraryInfo().fileLocking, e.code, e.message.includes('unable to lock file')); }
      `,
        ],
        { env, encoding: 'utf8' },
      ).stdout.trim();
    const { HDF5_USE_FILE_LOCKING: _, ...baseEnv } = process.env;
    expect(reader(baseEnv)).toBe('on ERR_HDF5 true');
    expect(reader({ ...baseEnv, HDF5_USE_FILE_LOCKING: 'FALSE' })).toBe('off 5');
    const py = (env: NodeJS.ProcessEnv) =>
      spawnSync(PYTHON, ['-c', 'import h5py,sys\ntry:\n print(h5py.File(sys.argv[1],"r")["x"][0])\nexcept OSError as e:\n print("locked")', file], {
        env,
        encoding: 'utf8',
      }).stdout.trim();
    expect(py(baseEnv)).toBe('locked');
    expect(py({ ...baseEnv, HDF5_USE_FILE_LOCKING: 'FALSE' })).toBe('5');
  } finally {
    holder.stdin.write('close\n');
  }
  expect(libraryInfo().fileLocking).toBe(process.env.HDF5_USE_FILE_LOCKING === 'FALSE' ? 'off' : 'on');
});

test('open({ inMemory }): the file changes on disk only at close(), and stays locked meanwhile', async () => {
  const dir = tempDir('in-memory');
  const file = path.join(dir, 'mem.h5');
  writeFileAtomic(file, [{ path: '/x', dtype: 'int32', shape: [1], data: [5] }]);
  const sizeBefore = statSync(file).size;
  const h = H5File.open(file, { write: true, inMemory: true });
  // 5000 groups: ≈ 7 MB, more than libhdf5's metadata cache, so a file on disk would grow now.
  const numbers = Float64Array.from({ length: 5000 }, (_, i) => i);
  h.writeRows({ prefix: 'comp_', numbers }, [{ name: 'result_0', dtype: 'float64', shape: [], data: numbers.map((i) => i + 0.5) }]);
  expect(statSync(file).size).toBe(sizeBefore);
  const { HDF5_USE_FILE_LOCKING: _, ...baseEnv } = process.env;
  // Another writer is refused (a client checks a run's copies this way: see core's container.ts).
  const other = spawnSync(
    process.execPath,
    [
      '-e',
      `
    try { require(${JSON.stringify(DIST)}).H5File.open(${JSON.stringify(file)}, { write: true }); console.log('opened'); }
    catch (e) { console.log(e.message.includes('unable to lock the file') ? 'locked' : e.message); }
  `,
    ],
    { env: baseEnv, encoding: 'utf8' },
  ).stdout.trim();
  expect(other).toBe('locked');
  // Read past the lock: the file on disk is still as it was.
  expect(
    Object.keys(h5dump(file, { env: { ...baseEnv, HDF5_USE_FILE_LOCKING: 'FALSE' } }))
      .filter((k) => k !== '/')
      .sort(),
  ).toEqual(['/x']);
  h.close();
  expect(statSync(file).size).toBeGreaterThan(5000 * 1000);
  const read = spawnSync(
    PYTHON,
    ['-c', 'import h5py,sys\nf = h5py.File(sys.argv[1], "r")\nprint(len(f), f["comp_1/result_0"][()], f["comp_4999/result_0"][()], f["x"][0])', file],
    { encoding: 'utf8' },
  );
  expect(read.stdout.trim()).toBe('5001 1.5 4999.5 5');
  expect(() => H5File.open(file, { inMemory: 'yes' } as never)).toThrow('opts.inMemory must be a boolean, got yes');
});

test('open({ metadataCacheBytes }): the metadata cache starts there and still grows; h5py reads what was written', () => {
  const dir = tempDir('mdc');
  const file = path.join(dir, 'mdc.h5');
  writeFileAtomic(file, [{ path: '/x', dtype: 'int32', shape: [1], data: [5] }]);
  const plain = H5File.open(file);
  expect(plain.metadataCacheSize().maxBytes).toBe(2 * 2 ** 20); // libhdf5's default
  plain.close();
  const h = H5File.open(file, { write: true, inMemory: true, metadataCacheBytes: SMALL_METADATA_CACHE_BYTES });
  expect(h.metadataCacheSize().maxBytes).toBe(SMALL_METADATA_CACHE_BYTES);
  // A root group of 20000 links does not fit: the cache grows instead of thrashing.
  const numbers = Float64Array.from({ length: 20000 }, (_, i) => i);
  h.writeRows({ prefix: 'comp_', numbers }, [{ name: 'result_0', dtype: 'float64', shape: [], data: numbers.map((i) => i + 0.5) }]);
  expect(h.metadataCacheSize().maxBytes).toBeGreaterThan(SMALL_METADATA_CACHE_BYTES);
  h.close();
  const read = spawnSync(
    PYTHON,
    ['-c', 'import h5py,sys\nf = h5py.File(sys.argv[1], "r")\nprint(len(f), f["comp_0/result_0"][()], f["comp_19999/result_0"][()])', file],
    { encoding: 'utf8' },
  );
  expect(read.stdout.trim()).toBe('20001 0.5 19999.5');
  for (const bad of [1000, 2 ** 26, 4096.5, '1' as never]) {
    expect(() => H5File.open(file, { metadataCacheBytes: bad })).toThrow(
      `opts.metadataCacheBytes must be an integer from 4096 to 33554432 (32 MiB), got ${String(bad)}`,
    );
  }
  expect(() => H5File.open(file, { cache: 1 } as never)).toThrow('opts.cache is not an option; allowed: write, inMemory, metadataCacheBytes');
});
