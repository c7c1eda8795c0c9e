import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { H5File, writeFileAtomic } from './index';
import { h5copyExpand, h5dump, PYTHON, tempDir } from './__fixtures__/h5check';

describe('external links', () => {
  test('relative targets resolve from another cwd; h5py copy(expand_external) gives regular datasets', () => {
    const dir = tempDir('elink');
    fs.mkdirSync(path.join(dir, 'f_payload'));
    for (let i = 0; i < 3; i++) {
      writeFileAtomic(path.join(dir, 'f_payload', `f_${i}.h5`), [{ path: '/result_0', dtype: 'float64', shape: [2], data: [i, i * 10] }]);
    }
    {
      using h = H5File.create(path.join(dir, 'f.h5'));
      for (let i = 0; i < 3; i++) h.createExternalLink(`/comp_${i}`, `f_payload/f_${i}.h5`, '/result_0');
      h.createExternalLink('/dangling', 'f_payload/missing.h5', '/x');
      expect(h.exists('/dangling')).toBe(true);
      expect(h.list('/')[0]).toEqual({ name: 'comp_0', kind: 'external-link', target: { file: 'f_payload/f_0.h5', path: '/result_0' } });
    }
    const elsewhere = tempDir('cwd');
    const d = h5dump(path.join(dir, 'f.h5'), { cwd: elsewhere });
    expect(d['/comp_2']).toMatchObject({ kind: 'external-link', file: 'f_payload/f_2.h5', target: '/result_0' });
    expect(d['/comp_2'].resolved.values).toEqual([2, 20]);
    expect(d['/dangling'].error).toBeDefined();
    // our own reader from another cwd (the file is opened by absolute path, the link is relative)
    const cwd = process.cwd();
    process.chdir(elsewhere);
    try {
      using h = H5File.open(path.join(dir, 'f.h5'));
      expect(Array.from(h.read('/comp_1').data as Float64Array)).toEqual([1, 10]);
    } finally {
      process.chdir(cwd);
    }
    {
      using h = H5File.open(path.join(dir, 'f.h5'), { write: true });
      h.remove('/dangling');
    }
    const copy = h5copyExpand(path.join(dir, 'f.h5'), path.join(elsewhere, 'copy.h5'), { cwd: elsewhere });
    expect(copy['/comp_1']).toMatchObject({ kind: 'dataset', dtype: 'float64', values: [1, 10] });
  });
});

/** Builds container + sources like ACME's VDS layout: K calls, each a 1-D result of any length. */
function buildVds(dir: string, lengths: number[], { sourcesFirst = false } = {}): void {
  fs.mkdirSync(path.join(dir, 'f_payload'), { recursive: true });
  const writeSources = () =>
    lengths.forEach((n, i) =>
      writeFileAtomic(path.join(dir, 'f_payload', `f_${i}.h5`), [
        { path: '/result_0', dtype: 'float64', shape: [n], maxshape: [null], data: Float64Array.from({ length: n }, (_, j) => i * 100 + j) },
      ]),
    );
  if (sourcesFirst) writeSources();
  {
    using h = H5File.create(path.join(dir, 'f.h5'), { libverLatest: true });
    h.createVirtualDataset('/result_0', {
      dtype: 'float64',
      shape: [lengths.length, 0],
      maxshape: [lengths.length, null],
      fillValue: -1,
      mappings: lengths.map((_, i) => ({
        virtual: { start: [i, 0], count: [1, 'unlimited'] },
        file: `f_payload/f_${i}.h5`,
        dataset: '/result_0',
        source: { shape: [0], maxshape: [null], selection: { start: [0], count: ['unlimited'] } },
      })),
    });
    expect(h.info('/result_0')).toMatchObject({ layout: 'virtual', maxshape: [lengths.length, null] });
    expect(h.info('/result_0').virtualSources![1]).toEqual({ file: 'f_payload/f_1.h5', dataset: '/result_0' });
  }
  if (!sourcesFirst) writeSources();
}

describe('virtual datasets', () => {
  test('unlimited VDS created before its sources shows their real length (h5py and ours)', () => {
    const dir = tempDir('vds');
    buildVds(dir, [3, 5, 2]);
    const d = h5dump(path.join(dir, 'f.h5'));
    expect(d['/result_0']).toMatchObject({ virtual: true, shape: [3, 5], maxshape: [3, null] });
    expect(d['/result_0'].values).toEqual([
      [0, 1, 2, -1, -1],
      [100, 101, 102, 103, 104],
      [200, 201, -1, -1, -1],
    ]);
    expect(d['/result_0'].sources[2]).toEqual({ file: 'f_payload/f_2.h5', dataset: '/result_0' });
    using h = H5File.open(path.join(dir, 'f.h5'));
    const r = h.read('/result_0', { start: [1, 3], count: [1, 2] });
    expect(Array.from(r.data as Float64Array)).toEqual([103, 104]);
    expect(h.info('/result_0').shape).toEqual([3, 5]);
  });

  test('fixed-shape VDS over 2-D sources', () => {
    const dir = tempDir('vds2');
    fs.mkdirSync(path.join(dir, 'p'));
    for (let i = 0; i < 2; i++) {
      writeFileAtomic(path.join(dir, 'p', `s${i}.h5`), [{ path: '/d', dtype: 'int32', shape: [2, 2], data: [i, i, i, i] }]);
    }
    {
      using h = H5File.create(path.join(dir, 'v.h5'), { libverLatest: true });
      h.createVirtualDataset('/v', {
        dtype: 'int32',
        shape: [2, 2, 2],
        mappings: [0, 1].map((i) => ({
          virtual: { start: [i, 0, 0], count: [1, 2, 2] },
          file: `p/s${i}.h5`,
          dataset: '/d',
          source: { shape: [2, 2] },
        })),
      });
    }
    const d = h5dump(path.join(dir, 'v.h5'));
    expect(d['/v'].values).toEqual([
      [
        [0, 0],
        [0, 0],
      ],
      [
        [1, 1],
        [1, 1],
      ],
    ]);
  });

  test('relocatable: the moved folder, opened from another cwd, reads the right values', () => {
    const base = tempDir('move');
    const before = path.join(base, 'run-a');
    buildVds(before, [2, 4], { sourcesFirst: true });
    const after = path.join(base, 'moved', 'run-b');
    fs.mkdirSync(path.dirname(after));
    fs.renameSync(before, after);
    const elsewhere = tempDir('move-cwd');
    const d = h5dump(path.join(after, 'f.h5'), { cwd: elsewhere });
    expect(d['/result_0'].shape).toEqual([2, 4]);
    expect(d['/result_0'].values).toEqual([
      [0, 1, -1, -1],
      [100, 101, 102, 103],
    ]);
    // h5dump (the C tool) agrees
    const text = execFileSync('h5dump', ['-d', '/result_0', path.join(after, 'f.h5')], { cwd: elsewhere, encoding: 'utf8' });
    expect(text).toMatch(/100, 101, 102, 103/);
  });

  test('a VDS in a file created without libverLatest also works (libhdf5 1.10 raises the format version itself)', () => {
    const dir = tempDir('vds-old');
    writeFileAtomic(path.join(dir, 's.h5'), [{ path: '/d', dtype: 'float64', shape: [2], data: [5, 6] }]);
    {
      using h = H5File.create(path.join(dir, 'v.h5'));
      h.createVirtualDataset('/v', {
        dtype: 'float64',
        shape: [2],
        mappings: [{ virtual: { start: [0], count: [2] }, file: 's.h5', dataset: '/d', source: { shape: [2] } }],
      });
    }
    expect(h5dump(path.join(dir, 'v.h5'))['/v']).toMatchObject({ virtual: true, values: [5, 6] });
  });
});

test('python check helper is the Debian interpreter with h5py', () => {
  expect(execFileSync(PYTHON, ['-c', 'import h5py; print(h5py.version.hdf5_version)'], { encoding: 'utf8' }).trim()).toMatch(/^1\.10/);
});
