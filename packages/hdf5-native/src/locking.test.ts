import { spawn, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { writeFileAtomic, libraryInfo } from './index';
import { PYTHON, tempDir } from './__fixtures__/h5check';

const DIST = path.join(__dirname, '..', 'dist', 'index.js');

// HDF5_USE_FILE_LOCKING is read by libhdf5 itself when a file is opened.
test('file locking: a reader of a file held open for writing fails by default and succeeds with HDF5_USE_FILE_LOCKING=FALSE', async () => {
  const dir = tempDir('locking');
  const file = path.join(dir, 'held.h5');
  writeFileAtomic(file, [{ path: '/x', dtype: 'int32', shape: [1], data: [5] }]);
  const holder = spawn(process.execPath, ['-e', `
    const { H5File } = require(${JSON.stringify(DIST)});
    const h = H5File.open(${JSON.stringify(file)}, { write: true });
    console.log('ready');
    process.stdin.on('data', () => { h.close(); process.exit(0); });
  `], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
      holder.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
    const reader = (env: NodeJS.ProcessEnv) =>
      spawnSync(process.execPath, ['-e', `
        const { H5File, libraryInfo } = require(${JSON.stringify(DIST)});
        try { const h = H5File.open(${JSON.stringify(file)}); console.log(libraryInfo().fileLocking, h.read('/x').data[0]); h.close(); }
        catch (e) { console.log(libraryInfo().fileLocking, e.code, e.message.includes('unable to lock file')); }
      `], { env, encoding: 'utf8' }).stdout.trim();
    const { HDF5_USE_FILE_LOCKING: _, ...baseEnv } = process.env;
    expect(reader(baseEnv)).toBe('on ERR_HDF5 true');
    expect(reader({ ...baseEnv, HDF5_USE_FILE_LOCKING: 'FALSE' })).toBe('off 5');
    const py = (env: NodeJS.ProcessEnv) =>
      spawnSync(PYTHON, ['-c', 'import h5py,sys\ntry:\n print(h5py.File(sys.argv[1],"r")["x"][0])\nexcept OSError as e:\n print("locked")', file], { env, encoding: 'utf8' }).stdout.trim();
    expect(py(baseEnv)).toBe('locked');
    expect(py({ ...baseEnv, HDF5_USE_FILE_LOCKING: 'FALSE' })).toBe('5');
  } finally {
    holder.stdin.write('close\n');
  }
  expect(libraryInfo().fileLocking).toBe(process.env.HDF5_USE_FILE_LOCKING === 'FALSE' ? 'off' : 'on');
});
