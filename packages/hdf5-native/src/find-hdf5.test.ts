// Where the install step looks for libhdf5 (scripts/find-hdf5.js): HDF5_DIR first, then
// pkg-config (so PKG_CONFIG_PATH selects another installation).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './__fixtures__/h5check';

const SCRIPT = path.join(__dirname, '..', 'scripts', 'find-hdf5.js');
const dir = tempDir('find-hdf5');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function flags(which: 'cflags' | 'libs', env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [SCRIPT, which], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

test('HDF5_DIR: its include/ and lib64/ (or lib/), linked with an rpath', () => {
  const prefix = path.join(dir, 'module-hdf5');
  fs.mkdirSync(path.join(prefix, 'include'), { recursive: true });
  fs.mkdirSync(path.join(prefix, 'lib64'));
  fs.writeFileSync(path.join(prefix, 'include', 'hdf5.h'), '');
  expect(flags('cflags', { HDF5_DIR: prefix }).stdout).toBe(`-I${prefix}/include`);
  expect(flags('libs', { HDF5_DIR: prefix }).stdout).toBe(`-L${prefix}/lib64 -lhdf5 -Wl,-rpath,${prefix}/lib64`);
});

test('HDF5_DIR without headers is an error naming it and the packages to install', () => {
  const r = flags('cflags', { HDF5_DIR: path.join(dir, 'nothing') });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain(`HDF5_DIR=${path.join(dir, 'nothing')} holds no include/hdf5.h`);
  expect(r.stderr).toContain('apt-get install libhdf5-dev');
});

test('pkg-config: the system hdf5 (Debian: the serial build), or the .pc file PKG_CONFIG_PATH points at', () => {
  const system = flags('cflags', {});
  expect(system.status).toBe(0);
  expect(system.stdout).toMatch(/^-I\/usr\/include\/hdf5\/serial$/);
  expect(flags('libs', {}).stdout).not.toContain('rpath'); // the loader finds /usr's libhdf5 itself
  const pcDir = path.join(dir, 'pkgconfig');
  fs.mkdirSync(pcDir);
  fs.writeFileSync(
    path.join(pcDir, 'hdf5.pc'),
    'prefix=/opt/hdf5-1.14\nName: hdf5\nDescription: HDF5\nVersion: 1.14.3\nCflags: -I${prefix}/include\nLibs: -L${prefix}/lib -lhdf5\n',
  );
  expect(flags('cflags', { PKG_CONFIG_PATH: pcDir }).stdout).toBe('-I/opt/hdf5-1.14/include');
  expect(flags('libs', { PKG_CONFIG_PATH: pcDir }).stdout).toBe('-L/opt/hdf5-1.14/lib -lhdf5 -Wl,-rpath,/opt/hdf5-1.14/lib');
});
