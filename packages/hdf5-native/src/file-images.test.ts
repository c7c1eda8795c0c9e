// writeFileAtomic's file images: from the third file of a structure on, files are the bytes
// libhdf5 wrote for the second one, with their own values and time. Checked with h5py, h5dump and byte comparisons.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { fileImageStats, writeFileAtomic } from './index';
import type { DatasetWrite } from './index';
import { h5dump, PYTHON, tempDir } from './__fixtures__/h5check';

const dir = tempDir('images');
const file = (name: string) => path.join(dir, name);

/** Modification time h5py reports for each named dataset of `f` (seconds). */
function mtimes(f: string, names: string[]): number[] {
  const script = `import h5py, sys, json
with h5py.File(sys.argv[1], 'r') as f:
    print(json.dumps([h5py.h5g.get_objinfo(f[n].id).mtime for n in sys.argv[2:]]))`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, f, ...names], { encoding: 'utf8' }));
}

/** libhdf5's own h5dump of the structure (properties, no values), without the file name. */
function structure(f: string): string {
  return execFileSync('h5dump', ['-p', '-H', f], { encoding: 'utf8' }).split('\n').slice(1).join('\n');
}

function differingOffsets(a: string, b: string): number[] {
  const x = fs.readFileSync(a),
    y = fs.readFileSync(b);
  expect(y.length).toBe(x.length);
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) out.push(i);
  return out;
}

const temporaries = () => fs.readdirSync(dir).filter((n) => n.includes('.tmp-'));

describe('writeFileAtomic from file images', () => {
  const call = (k: number): DatasetWrite[] => [
    { path: 'result_0', dtype: 'float64', shape: [1], data: Float64Array.of(2 * k + 0.5) },
    { path: '/result_1', dtype: 'int32', shape: [2, 3], data: Int32Array.of(k, -1, 2, 3, 4, 2 ** 31 - 1) },
    { path: 'result_2', dtype: 'uint64', shape: [], data: BigUint64Array.of(2n ** 64n - 1n - BigInt(k)) },
  ];

  test('later files of a structure are a file libhdf5 wrote, with their own values and time', () => {
    const before = fileImageStats();
    const t0 = Math.floor(Date.now() / 1000);
    for (let k = 0; k < 6; k++) writeFileAtomic(file(`s_${k}.h5`), call(k));
    const t1 = Math.ceil(Date.now() / 1000);
    // The first two files are libhdf5's; the other four come from the second one's image.
    expect(fileImageStats().filesWritten - before.filesWritten).toBe(4);
    for (let k = 0; k < 6; k++) {
      const d = h5dump(file(`s_${k}.h5`));
      expect(Object.keys(d).sort()).toEqual(['/', '/result_0', '/result_1', '/result_2']);
      expect(d['/result_0']).toMatchObject({ dtype: 'float64', shape: [1], values: [2 * k + 0.5] });
      expect(d['/result_1']).toMatchObject({
        dtype: 'int32',
        shape: [2, 3],
        values: [
          [k, -1, 2],
          [3, 4, 2 ** 31 - 1],
        ],
      });
      expect(d['/result_2']).toMatchObject({ dtype: 'uint64', shape: [], values: String(2n ** 64n - 1n - BigInt(k)) });
      for (const t of mtimes(file(`s_${k}.h5`), ['result_0', 'result_1', 'result_2'])) {
        expect(t).toBeGreaterThanOrEqual(t0);
        expect(t).toBeLessThanOrEqual(t1);
      }
    }
    expect(structure(file('s_5.h5'))).toBe(structure(file('s_0.h5')));
    // The second file's values again, from its own image: the same bytes as libhdf5's file but
    // for the times (4 bytes each, equal when both were written in the same second). Not the
    // first file's: libhdf5 leaves uninitialised heap bytes in unused parts of metadata blocks,
    // which differ between two of its files once the process's heap has been used (a full suite).
    writeFileAtomic(file('s_1_again.h5'), call(1));
    const diff = differingOffsets(file('s_1.h5'), file('s_1_again.h5'));
    expect(diff.length).toBeLessThanOrEqual(12);
    expect(temporaries()).toEqual([]);
  });

  test('a stale time is replaced: a file written seconds after the image has its own time', async () => {
    const ds: DatasetWrite[] = [{ path: 'late', dtype: 'float32', shape: [2], data: Float32Array.of(1, 2) }];
    writeFileAtomic(file('late_0a.h5'), ds);
    writeFileAtomic(file('late_0.h5'), ds);
    await new Promise((r) => setTimeout(r, 2100));
    const before = fileImageStats().filesWritten;
    const t0 = Math.floor(Date.now() / 1000);
    writeFileAtomic(file('late_1.h5'), ds);
    expect(fileImageStats().filesWritten).toBe(before + 1);
    const [first] = mtimes(file('late_0.h5'), ['late']);
    const [second] = mtimes(file('late_1.h5'), ['late']);
    expect(second).toBeGreaterThanOrEqual(t0);
    expect(second! - first!).toBeGreaterThanOrEqual(2);
  });

  test("root attributes of numbers and bigints (a call's inputs) are patched in like values; the bytes are libhdf5's but for the times", () => {
    const ds = (k: number): DatasetWrite[] => [{ path: 'mean', dtype: 'float64', shape: [], data: Float64Array.of(k / 3) }];
    const attrs = (k: number) => ({ mu: k * 0.25 - 1, 'n é': BigInt(k) - 2n ** 40n });
    const before = fileImageStats().filesWritten;
    for (let k = 0; k < 5; k++) writeFileAtomic(file(`in_${k}.h5`), ds(k), attrs(k));
    expect(fileImageStats().filesWritten - before).toBe(3);
    writeFileAtomic(file('in_4-libhdf5.h5'), ds(4), attrs(4), { fileImages: false });
    for (let k = 0; k < 5; k++) {
      const d = h5dump(file(`in_${k}.h5`));
      expect(d['/'].attrs).toEqual({ mu: k * 0.25 - 1, 'n é': k - 2 ** 40 });
      expect(d['/mean'].values).toBe(k / 3);
    }
    // Only the dataset's 4-byte modification time may differ.
    const diff = differingOffsets(file('in_4.h5'), file('in_4-libhdf5.h5'));
    expect(diff.length === 0 || diff[diff.length - 1]! - diff[0]! < 4).toBe(true);
    // Another attribute name or kind is another structure: libhdf5 writes it.
    const n = fileImageStats().filesWritten;
    writeFileAtomic(file('in_other.h5'), ds(1), { mu: 1n, 'n é': 2n });
    writeFileAtomic(file('in_str.h5'), ds(1), { mu: 1, 'n é': 'x' });
    expect(fileImageStats().filesWritten).toBe(n);
    expect(h5dump(file('in_other.h5'))['/'].attrs).toEqual({ mu: 1, 'n é': 2 });
  });

  test("values of 64 KiB or more are written from the typed array, not kept: the bytes are libhdf5's but for the times", () => {
    // Large values in a shared buffer at an offset (as taskContext().resultArray() lends them),
    // a large int32 dataset, a small one and root attributes.
    const shared = new Float64Array(new SharedArrayBuffer(8 * (300 * 300 + 3)), 8 * 3, 300 * 300);
    const ds = (k: number): DatasetWrite[] => {
      shared.forEach((_, i) => (shared[i] = k * 1e6 + i + 0.25));
      const ints = new Int32Array(70000).map((_, i) => i * (k + 1) - 35000);
      return [
        { path: 'result_0', dtype: 'float64', shape: [300, 300], data: shared },
        { path: 'small', dtype: 'uint16', shape: [3], data: Uint16Array.of(k, 1, 65535) },
        { path: 'result_1', dtype: 'int32', shape: [70000], data: ints },
      ];
    };
    const before = fileImageStats().filesWritten;
    const t0 = Math.floor(Date.now() / 1000);
    for (let k = 0; k < 4; k++) writeFileAtomic(file(`big_${k}.h5`), ds(k), { x: k / 7, n: BigInt(k) });
    writeFileAtomic(file('big_3-libhdf5.h5'), ds(3), { x: 3 / 7, n: 3n }, { fileImages: false });
    const t1 = Math.ceil(Date.now() / 1000);
    expect(fileImageStats().filesWritten - before).toBe(2);
    // The same layout as libhdf5 chose (contiguous, late allocation, the same offsets).
    expect(structure(file('big_3.h5'))).toBe(structure(file('big_3-libhdf5.h5')));
    expect(structure(file('big_3.h5'))).toMatch(/CONTIGUOUS[\s\S]*H5D_ALLOC_TIME_LATE/);
    const a = fs.readFileSync(file('big_3.h5')),
      b = fs.readFileSync(file('big_3-libhdf5.h5'));
    expect(a.length).toBe(b.length);
    for (const at of differingOffsets(file('big_3.h5'), file('big_3-libhdf5.h5'))) {
      // Only inside 4-byte times of both files.
      const inTime = [0, 1, 2, 3].some((k) => at - k >= 0 && [a, b].every((f) => f.readUInt32LE(at - k) >= t0 && f.readUInt32LE(at - k) <= t1));
      expect({ at, inTime }).toEqual({ at, inTime: true });
    }
    // h5py: big_3 reads as libhdf5's file; a few values of big_2 and big_3.
    const script = `import h5py, sys, json, numpy as np
def summary(name):
    with h5py.File(name, 'r') as f:
        r0, r1 = f['result_0'][()], f['result_1'][()]
        return {'attrs': {k: float(v) for k, v in f.attrs.items()}, 'small': f['small'][()].tolist(), 'r0': [r0.shape, float(r0[0, 0]), float(r0[299, 299])],
                'r1': [r1.dtype.name, int(r1[0]), int(r1[1]), int(r1[69999])]}
with h5py.File(sys.argv[1], 'r') as a, h5py.File(sys.argv[2], 'r') as b:
    same = sorted(a) == sorted(b) and all(np.array_equal(a[n][()], b[n][()]) and a[n].dtype == b[n].dtype for n in a) and dict(a.attrs) == dict(b.attrs)
print(json.dumps({'same': same, 'files': [summary(n) for n in sys.argv[3:]]}))`;
    const seen = JSON.parse(
      execFileSync(PYTHON, ['-c', script, file('big_3.h5'), file('big_3-libhdf5.h5'), file('big_2.h5'), file('big_3.h5')], { encoding: 'utf8' }),
    );
    expect(seen.same).toBe(true);
    [2, 3].forEach((k, j) =>
      expect(seen.files[j]).toEqual({
        attrs: { x: k / 7, n: k },
        small: [k, 1, 65535],
        r0: [[300, 300], k * 1e6 + 0.25, k * 1e6 + 89999.25],
        r1: ['int32', -35000, k + 1 - 35000, 69999 * (k + 1) - 35000],
      }),
    );
    const dumps = [file('big_3.h5'), file('big_3-libhdf5.h5')].map((f) =>
      execFileSync('h5dump', [f], { encoding: 'utf8', maxBuffer: 1 << 28 })
        .split('\n')
        .slice(1)
        .join('\n'),
    );
    expect(dumps[0] === dumps[1]).toBe(true);
    expect(temporaries()).toEqual([]);
  });

  test('what an image cannot hold still goes through libhdf5, also after an image of the same names exists', () => {
    const ds = (data: Float64Array | Float32Array | number[]): DatasetWrite[] => [{ path: 'v', dtype: 'float64', shape: [3], data }];
    writeFileAtomic(file('conv_0.h5'), ds(Float64Array.of(1, 2, 3)));
    writeFileAtomic(file('conv_00.h5'), ds(Float64Array.of(1, 2, 3)));
    const before = fileImageStats().filesWritten;
    // Converted by libhdf5 (float32 values into a float64 dataset), strings, bools, groups, string attributes.
    writeFileAtomic(file('conv_1.h5'), ds(Float32Array.of(0.5, 1.5, 2.5)));
    writeFileAtomic(file('str.h5'), [{ path: 's', dtype: 'string', shape: [2], data: ['a', 'bé'] }]);
    writeFileAtomic(file('bool.h5'), [{ path: 'b', dtype: 'bool', shape: [2], data: [true, false] }]);
    writeFileAtomic(file('nested.h5'), [{ path: 'g/v', dtype: 'float64', shape: [3], data: Float64Array.of(4, 5, 6) }]);
    for (const k of [0, 1, 2]) writeFileAtomic(file(`attrs_${k}.h5`), ds(Float64Array.of(7, 8, 9)), { label: `call ${k}` });
    expect(fileImageStats().filesWritten).toBe(before);
    expect(h5dump(file('conv_1.h5'))['/v'].values).toEqual([0.5, 1.5, 2.5]);
    expect(h5dump(file('str.h5'))['/s'].values).toEqual(['a', 'bé']);
    expect(h5dump(file('bool.h5'))['/b'].values).toEqual([true, false]);
    expect(h5dump(file('nested.h5'))['/g/v'].values).toEqual([4, 5, 6]);
    expect(h5dump(file('attrs_2.h5'))['/'].attrs).toEqual({ label: 'call 2' });
    // A wrong element count is still refused (by libhdf5's path), leaving no file.
    expect(() => writeFileAtomic(file('bad.h5'), ds(Float64Array.of(1, 2)))).toThrow(/has 2 elements/);
    expect(fs.existsSync(file('bad.h5'))).toBe(false);
    // Over 256 KiB of values below 64 KiB each: the image would be too large, libhdf5's path.
    const medium = (k: number): DatasetWrite[] =>
      [0, 1, 2, 3, 4].map((j) => ({ path: `m${j}`, dtype: 'float64', shape: [7000], data: new Float64Array(7000).fill(k) }));
    for (let k = 0; k < 3; k++) writeFileAtomic(file(`medium_${k}.h5`), medium(k));
    expect(fileImageStats().filesWritten).toBe(before);
    expect(h5dump(file('medium_2.h5'))['/m4'].values.slice(0, 2)).toEqual([2, 2]);
    // Values of 64 KiB or more are not kept in the image (written from the typed array).
    for (let k = 0; k < 3; k++)
      writeFileAtomic(file(`large_${k}.h5`), [{ path: 'v', dtype: 'float64', shape: [40000], data: new Float64Array(40000).fill(k) }]);
    expect(fileImageStats().filesWritten).toBe(before + 1);
    expect(h5dump(file('large_2.h5'))['/v'].values.slice(0, 2)).toEqual([2, 2]);
    // Another shape is another structure; one written once is not kept (varying shapes cost nothing).
    const images = fileImageStats().images;
    writeFileAtomic(file('once.h5'), [{ path: 'v', dtype: 'float64', shape: [5], data: new Float64Array(5) }]);
    expect(fileImageStats().images).toBe(images);
    for (let k = 0; k < 3; k++) writeFileAtomic(file(`shape_${k}.h5`), [{ path: 'v', dtype: 'float64', shape: [3, 1], data: Float64Array.of(k, 2, 1) }]);
    expect(fileImageStats().filesWritten).toBe(before + 2);
    expect(h5dump(file('shape_2.h5'))['/v']).toMatchObject({ shape: [3, 1], values: [[2], [2], [1]] });
    expect(temporaries()).toEqual([]);
  });

  test('a file written from an image is complete or absent: a missing folder fails and leaves nothing', () => {
    const ds: DatasetWrite[] = [{ path: 'x', dtype: 'int16', shape: [1], data: Int16Array.of(7) }];
    writeFileAtomic(file('x_0.h5'), ds);
    writeFileAtomic(file('x_00.h5'), ds);
    const before = fileImageStats().filesWritten;
    expect(() => writeFileAtomic(path.join(dir, 'nodir', 'x_1.h5'), ds)).toThrow(/the folder .*nodir\/ does not exist.*No such file or directory/);
    // An existing file is replaced whole.
    fs.writeFileSync(file('x_2.h5'), 'not hdf5');
    writeFileAtomic(file('x_2.h5'), ds);
    expect(fileImageStats().filesWritten).toBe(before + 1);
    expect(h5dump(file('x_2.h5'))['/x'].values).toEqual([7]);
    expect(temporaries()).toEqual([]);
  });

  test('the second file becomes the image also when it is written just after a second began', () => {
    // glibc's time() lags the clock libhdf5 stamps with by up to a tick right after a second
    // begins: a file stamped then looked written in the future, and was not kept as the image.
    for (let attempt = 0; attempt < 2; attempt++) {
      const ds: DatasetWrite[] = [{ path: `tick${attempt}`, dtype: 'uint16', shape: [1], data: Uint16Array.of(attempt) }];
      const second = Math.floor(Date.now() / 1000);
      while (Math.floor(Date.now() / 1000) === second) {
        // the next second
      }
      writeFileAtomic(file(`tick${attempt}_0.h5`), ds);
      writeFileAtomic(file(`tick${attempt}_1.h5`), ds);
      const before = fileImageStats().filesWritten;
      writeFileAtomic(file(`tick${attempt}_2.h5`), ds);
      expect(fileImageStats().filesWritten).toBe(before + 1);
    }
  });

  test('each worker thread keeps its own images; files written at once are all valid', async () => {
    const dist = path.join(__dirname, '..', 'dist', 'index.js');
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { writeFileAtomic, fileImageStats } = require(workerData.dist);
      for (let i = 0; i < 200; i++)
        writeFileAtomic(workerData.dir + '/w' + workerData.id + '_' + i + '.h5',
          [{ path: 'result_0', dtype: 'float64', shape: [2], data: Float64Array.of(workerData.id, i) }]);
      parentPort.postMessage(fileImageStats());`;
    const stats = await Promise.all(
      [0, 1, 2].map(
        (id) =>
          new Promise<{ filesWritten: number }>((resolve, reject) => {
            const w = new Worker(source, { eval: true, workerData: { dist, dir, id } });
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    expect(stats.map((s) => s.filesWritten)).toEqual([198, 198, 198]);
    for (const id of [0, 1, 2]) for (const i of [0, 1, 199]) expect(h5dump(file(`w${id}_${i}.h5`))['/result_0'].values).toEqual([id, i]);
    expect(temporaries()).toEqual([]);
  });

  test('two worker threads write large files from images at once: all complete and valid', async () => {
    const dist = path.join(__dirname, '..', 'dist', 'index.js');
    const source = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { writeFileAtomic, fileImageStats } = require(workerData.dist);
      const data = new Float64Array(200 * 200);
      for (let i = 0; i < 30; i++) {
        data.fill(workerData.id * 1000 + i);
        writeFileAtomic(workerData.dir + '/wl' + workerData.id + '_' + i + '.h5', [{ path: 'result_0', dtype: 'float64', shape: [200, 200], data }]);
      }
      parentPort.postMessage(fileImageStats());`;
    const stats = await Promise.all(
      [0, 1].map(
        (id) =>
          new Promise<{ filesWritten: number }>((resolve, reject) => {
            const w = new Worker(source, { eval: true, workerData: { dist, dir, id } });
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    expect(stats.map((s) => s.filesWritten)).toEqual([28, 28]);
    for (const id of [0, 1])
      for (const i of [0, 2, 29]) {
        const v = h5dump(file(`wl${id}_${i}.h5`))['/result_0'].values;
        expect([v.length, v[0][0], v[199][199]]).toEqual([200, id * 1000 + i, id * 1000 + i]);
      }
    expect(temporaries()).toEqual([]);
  });
});
