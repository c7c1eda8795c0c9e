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
    // Large files (over 256 KiB of values) are all values: never from an image.
    for (let k = 0; k < 3; k++)
      writeFileAtomic(file(`large_${k}.h5`), [{ path: 'v', dtype: 'float64', shape: [40000], data: new Float64Array(40000).fill(k) }]);
    expect(fileImageStats().filesWritten).toBe(before);
    expect(h5dump(file('large_2.h5'))['/v'].values.slice(0, 2)).toEqual([2, 2]);
    // Another shape is another structure; one written once is not kept (varying shapes cost nothing).
    const images = fileImageStats().images;
    writeFileAtomic(file('once.h5'), [{ path: 'v', dtype: 'float64', shape: [5], data: new Float64Array(5) }]);
    expect(fileImageStats().images).toBe(images);
    for (let k = 0; k < 3; k++) writeFileAtomic(file(`shape_${k}.h5`), [{ path: 'v', dtype: 'float64', shape: [3, 1], data: Float64Array.of(k, 2, 1) }]);
    expect(fileImageStats().filesWritten).toBe(before + 1);
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
});
