// The packages as users get them: `npm pack` of every workspace, the tarballs installed into a
// fresh project outside the repository (offline, from npm's cache, which `npm ci` filled), and
// used there: a strict `module: nodenext` type check, ParallelMap from CommonJS and ESM in every
// storage mode (files compared with the repository's own run through h5py), the CLI, and the
// SLURM array task's entry. Needs the build (`npm test` runs scripts/setup.sh first).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { h5copyExpand, h5dump, tempDir } from './support/h5';
import { INSTALLED_FIXTURES, REPO, installPackedProject, installedThreadFacts, ok as okIn, readModeValues, run as runIn } from './support/installed';

const NODE = process.execPath;

let work: string;
let project: string;

const run = (command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) => runIn(command, args, { cwd: project, ...options });
const ok = (command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) => okIn(command, args, { cwd: project, ...options });

beforeAll(() => {
  work = tempDir('install');
  project = installPackedProject(work);
}, 300_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('the CLI answers --help and --version without loading core or libhdf5', () => {
  expect(ok('npx', ['acme-ts', '--help'])).toContain('acme-ts <command> [options]');
  expect(ok('npx', ['acme-ts', '--version']).trim()).toBe('0.1.0');
  // The modules the command loaded, listed as it exits.
  const listing = path.join(work, 'loaded.json');
  const preload = path.join(work, 'list-loaded.js');
  fs.writeFileSync(preload, `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(listing)}, JSON.stringify(Object.keys(require.cache))));`);
  ok(NODE, ['--require', preload, path.join(project, 'node_modules', '@acme-ts', 'cli', 'dist', 'bin.js'), '--help']);
  const files = JSON.parse(fs.readFileSync(listing, 'utf8')) as string[];
  expect(files.some((f) => f.endsWith('cli.js'))).toBe(true);
  // Of core only its two modules without imports that the command's definitions need: the error
  // base its errors extend and the retry reasons its --help lists.
  const light = ['errors.js', 'retry-reasons.js'].map((file) => path.join('core', 'dist', file));
  const heavy = files.filter((f) => f.includes('hdf5-native') || (f.includes(`${path.sep}core${path.sep}`) && !light.some((l) => f.endsWith(l))));
  expect(heavy).toEqual([]);
});

test('a strict module: nodenext project type-checks its imports of @acme-ts/core', () => {
  ok(NODE, [path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project]);
}, 120_000);

test('ParallelMap writes the same files as in the repository, in every mode; threads use the installed bundle', () => {
  // The same script once more with the repository's packages (NODE_PATH), from a folder of its own.
  const inRepo = path.join(work, 'repository-run');
  fs.mkdirSync(inRepo);
  for (const file of ['tasks.js', 'modes.cjs']) fs.copyFileSync(path.join(INSTALLED_FIXTURES, file), path.join(inRepo, file));
  ok(NODE, ['modes.cjs', 'out']);
  ok(NODE, ['modes.cjs', 'out'], { cwd: inRepo, env: { ...process.env, NODE_PATH: path.join(REPO, 'node_modules') } });

  const here = path.join(project, 'out');
  const there = path.join(inRepo, 'out');
  expect(h5copyExpand(path.join(here, 'default', 'mixed.h5'), path.join(work, 'a.h5'))).toEqual(
    h5copyExpand(path.join(there, 'default', 'mixed.h5'), path.join(work, 'b.h5')),
  );
  const single = h5dump(path.join(here, 'single', 'mixed.h5'));
  expect(single['/comp_4/result_3'].values).toBe('call 4');
  expect(single).toEqual(h5dump(path.join(there, 'single', 'mixed.h5')));
  const stacked = h5dump(path.join(here, 'shape', 'matrix.h5'));
  expect(stacked['/result_0'].shape).toEqual([5, 2, 3]);
  expect(stacked).toEqual(h5dump(path.join(there, 'shape', 'matrix.h5')));

  const values = readModeValues(here);
  expect(values.memory).toEqual(readModeValues(there).memory);
  expect(values.facts).toEqual(installedThreadFacts(project));
}, 120_000);

test('ParallelMap runs from an ES module', () => {
  expect(ok(NODE, ['esm.mjs']).trim()).toBe('[0,3,6]');
});

test('acme-ts run, status and inspect work from the installed command', () => {
  const bin = path.join(project, 'node_modules', '.bin', 'acme-ts');
  ok(bin, ['run', './tasks.js#matrix', 'range:3', '--result-shape', 'null,2,3', '-o', 'cli-run', '--quiet', '--no-logfile']);
  const status = JSON.parse(ok(bin, ['status', 'cli-run', '--json'])) as { complete: boolean; counts: Record<string, number> };
  expect(status).toMatchObject({ complete: true, counts: { done: 3, failed: 0, missing: 0 } });
  expect(ok(bin, ['inspect', 'cli-run/matrix.h5'])).toMatch(/result_0 +float64 +\(3, 2, 3\)/);
});

test("the SLURM array task's program loads from the installed packages", () => {
  // Without a submission it stops at its first check, after loading all its modules.
  const r = run(NODE, [path.join(project, 'node_modules', '@acme-ts', 'backend-slurm', 'dist', 'array-task.js')], { env: { PATH: process.env.PATH } });
  expect(r.stderr).toContain('acme-ts array task: needs ACME_TS_SLURM_SUBMISSION');
  expect(r.status).toBe(2);
});

test('without libhdf5 the install step names the packages to install and HDF5_DIR', () => {
  // A PATH with node but no pkg-config: no HDF5 can be found.
  const bin = path.join(work, 'bin-without-pkg-config');
  fs.mkdirSync(bin);
  fs.symlinkSync(NODE, path.join(bin, 'node'));
  const r = run(NODE, [path.join(project, 'node_modules', '@acme-ts', 'hdf5-native', 'scripts', 'install.js')], { env: { PATH: bin } });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('apt-get install libhdf5-dev');
  expect(r.stderr).toContain('dnf install hdf5-devel');
  expect(r.stderr).toContain('conda install -c conda-forge hdf5');
  expect(r.stderr).toContain('HDF5_DIR');
  expect(execFileSync(NODE, ['-p', "require('@acme-ts/hdf5-native').libraryInfo().version"], { cwd: project, encoding: 'utf8' })).toMatch(/^1\.\d+/);
});

test('npm rebuild with HDF5_DIR (a cluster module, conda) compiles against that prefix', () => {
  // A prefix of its own (include/ and lib/) that holds this machine's libhdf5.
  const pkgConfig = (...args: string[]) => execFileSync('pkg-config', [...args, 'hdf5'], { encoding: 'utf8' }).trim();
  const prefix = path.join(work, 'hdf5-module');
  fs.mkdirSync(prefix);
  fs.symlinkSync(pkgConfig('--cflags-only-I').replace(/^-I/, ''), path.join(prefix, 'include'));
  fs.symlinkSync(pkgConfig('--libs-only-L').replace(/^-L/, ''), path.join(prefix, 'lib'));
  ok('npm', ['rebuild', '@acme-ts/hdf5-native', '--loglevel=error'], { env: { ...process.env, HDF5_DIR: prefix } });
  const addon = path.join(project, 'node_modules', '@acme-ts', 'hdf5-native', 'build', 'Release', 'hdf5_native.node');
  expect(execFileSync('readelf', ['-d', addon], { encoding: 'utf8' })).toContain(`[${path.join(prefix, 'lib')}]`);
  expect(ok(NODE, ['-p', "require('@acme-ts/hdf5-native').libraryInfo().version"]).trim()).toMatch(/^1\.\d+/);
}, 180_000);
