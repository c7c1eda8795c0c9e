// writeFileAtomic's file images against libhdf5 over random structures: for each, a file
// written from an image and the same values written by libhdf5 (fileImages: false) must read
// identically in h5py and have the same bytes but for the modification times.
// Seeded: a failure names its seed; FILE_IMAGES_SEED=<seed> repeats that run.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FILE_IMAGES_ENV, fileImageStats, writeFileAtomic } from './index';
import type { DatasetWrite, TypedArray } from './index';
import { h5dumps, tempDir } from './__fixtures__/h5check';

const dir = tempDir('images-random');
const file = (name: string) => path.join(dir, name);

/** mulberry32: a small seeded generator, uniform in [0, 1). */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The dtypes an image can hold (values in the dtype's own typed array), with their numpy names.
const DTYPES = {
  float64: { numpy: 'float64', make: (n: number) => new Float64Array(n) },
  float32: { numpy: 'float32', make: (n: number) => new Float32Array(n) },
  int8: { numpy: 'int8', make: (n: number) => new Int8Array(n) },
  int16: { numpy: 'int16', make: (n: number) => new Int16Array(n) },
  int32: { numpy: 'int32', make: (n: number) => new Int32Array(n) },
  int64: { numpy: 'int64', make: (n: number) => new BigInt64Array(n) },
  uint8: { numpy: 'uint8', make: (n: number) => new Uint8Array(n) },
  uint16: { numpy: 'uint16', make: (n: number) => new Uint16Array(n) },
  uint32: { numpy: 'uint32', make: (n: number) => new Uint32Array(n) },
  uint64: { numpy: 'uint64', make: (n: number) => new BigUint64Array(n) },
} as const;
type ImageDtype = keyof typeof DTYPES;
const NAMES = ['result_0', 'result_1', 'x', 'données', 'a b', 'Z9'];

/** Random bytes as values: every bit pattern of the dtype (NaNs, -0, extremes) can come up. */
function fill(array: TypedArray, random: () => number): void {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(random() * 256);
  // Infinity has no JSON form in the h5py dump; a NaN of any payload reads as null.
  if (array instanceof Float64Array || array instanceof Float32Array) {
    for (let i = 0; i < array.length; i++) if (array[i] === Infinity || array[i] === -Infinity) array[i] = 0.5;
  }
}

function randomStructure(random: () => number): { dtype: ImageDtype; shape: number[]; name: string }[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const names = [...NAMES].sort(() => random() - 0.5).slice(0, 1 + Math.floor(random() * 4));
  return names.map((name) => {
    const rank = Math.floor(random() * 4);
    // Mostly small, sometimes large (up to ≈ 100 KiB in rank 1, ≈ 2 MiB in rank 2: values of
    // 64 KiB or more are written from the typed array, not kept in the image), sometimes empty
    // (no image then).
    const large = () => (rank === 1 && random() < 0.2 ? 12000 : rank === 2 && random() < 0.1 ? 500 : 6);
    const extent = () => (random() < 0.05 ? 0 : 1 + Math.floor(random() * large()));
    return { name, dtype: pick(Object.keys(DTYPES) as ImageDtype[]), shape: Array.from({ length: rank }, extent) };
  });
}

function writes(structure: ReturnType<typeof randomStructure>, random: () => number, leadingSlash: boolean): DatasetWrite[] {
  return structure.map(({ name, dtype, shape }) => {
    const data = DTYPES[dtype].make(shape.reduce((a, b) => a * b, 1));
    fill(data, random);
    return { path: leadingSlash ? `/${name}` : name, dtype, shape, data };
  });
}

/** The seconds in little-endian uint32 at `at` of both files lie in [t0, t1]: a modification time. */
function isTime(a: Buffer, b: Buffer, at: number, t0: number, t1: number): boolean {
  if (at < 0 || at + 4 > a.length) return false;
  const x = a.readUInt32LE(at),
    y = b.readUInt32LE(at);
  return x >= t0 && x <= t1 && y >= t0 && y <= t1;
}

/** Offsets where the files differ and which are not inside a 4-byte time. */
function differencesButTimes(fa: string, fb: string, t0: number, t1: number): number[] {
  const a = fs.readFileSync(fa),
    b = fs.readFileSync(fb);
  if (a.length !== b.length) return [-1];
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    if (![0, 1, 2, 3].some((k) => isTime(a, b, i - k, t0, t1))) out.push(i);
  }
  return out;
}

describe("files written from images equal libhdf5's (randomized)", () => {
  test('random dtypes, shapes and names: h5py reads both identically; bytes equal but for times', () => {
    const seed = process.env.FILE_IMAGES_SEED ? Number(process.env.FILE_IMAGES_SEED) : Date.now() % 2 ** 32;
    const random = generator(seed);
    try {
      const t0 = Math.floor(Date.now() / 1000);
      const pairs: { image: string; libhdf5: string; imaged: boolean }[] = [];
      for (let s = 0; s < 150; s++) {
        const structure = randomStructure(random);
        const slash = random() < 0.3;
        // Two files through libhdf5, the second kept as the image; the third from it.
        writeFileAtomic(file(`s${s}_0.h5`), writes(structure, random, slash));
        writeFileAtomic(file(`s${s}_1.h5`), writes(structure, random, slash));
        const values = writes(structure, random, slash);
        const before = fileImageStats().filesWritten;
        writeFileAtomic(file(`s${s}_image.h5`), values);
        const fromImage = fileImageStats().filesWritten - before;
        writeFileAtomic(file(`s${s}_libhdf5.h5`), values, undefined, { fileImages: false });
        expect(fileImageStats().filesWritten - before).toBe(fromImage);
        // An image holds a structure with none of its datasets empty and at most 256 KiB of
        // bytes besides the values of 64 KiB or more (written from the typed array): values
        // below 64 KiB and libhdf5's few KiB of metadata.
        const kept = values.reduce((sum, d) => sum + ((d.data as TypedArray).byteLength < 64 * 1024 ? (d.data as TypedArray).byteLength : 0), 0);
        const empty = values.some((d) => (d.data as TypedArray).length === 0);
        if (empty || kept > 256 * 1024) expect({ structure: s, fromImage }).toEqual({ structure: s, fromImage: 0 });
        else if (kept <= 248 * 1024) expect({ structure: s, fromImage }).toEqual({ structure: s, fromImage: 1 });
        const imaged = fromImage === 1;
        pairs.push({ image: file(`s${s}_image.h5`), libhdf5: file(`s${s}_libhdf5.h5`), imaged });
      }
      const t1 = Math.ceil(Date.now() / 1000);
      expect(pairs.filter((p) => p.imaged).length).toBeGreaterThan(80);
      const dumps = h5dumps(pairs.flatMap((p) => [p.image, p.libhdf5]));
      pairs.forEach((p, k) => {
        expect(dumps[2 * k]).toEqual(dumps[2 * k + 1]);
        expect({ file: p.image, differences: differencesButTimes(p.image, p.libhdf5, t0, t1) }).toEqual({ file: p.image, differences: [] });
      });
    } catch (err) {
      (err as Error).message = `FILE_IMAGES_SEED=${seed}: ${(err as Error).message}`;
      throw err;
    }
  });

  test('values come back as written (dtypes as numpy names them)', () => {
    const random = generator(7);
    const structure = Object.keys(DTYPES).map((dtype, k) => ({ name: `d${k}`, dtype: dtype as ImageDtype, shape: [2, 3] }));
    for (let k = 0; k < 2; k++) writeFileAtomic(file(`all_${k}.h5`), writes(structure, random, false));
    const values = writes(structure, random, false);
    writeFileAtomic(file('all_image.h5'), values);
    const [dump] = h5dumps([file('all_image.h5')]);
    values.forEach((d, k) => {
      const expected = Array.from(d.data as ArrayLike<number | bigint>, (v) =>
        typeof v === 'bigint' ? (v > 2n ** 53n || v < -(2n ** 53n) ? String(v) : Number(v)) : Number.isNaN(v) ? null : v,
      );
      expect(dump![`/d${k}`]).toMatchObject({ dtype: DTYPES[structure[k]!.dtype].numpy, shape: [2, 3] });
      expect(dump![`/d${k}`].values.flat()).toEqual(expected);
    });
  });

  test('the switch: opts.fileImages false and ACME_TS_HDF5_FILE_IMAGES=off write through libhdf5', () => {
    const ds: DatasetWrite[] = [{ path: 'v', dtype: 'float64', shape: [2], data: Float64Array.of(1, 2) }];
    const before = fileImageStats().filesWritten;
    for (let k = 0; k < 4; k++) writeFileAtomic(file(`off_${k}.h5`), ds, undefined, { fileImages: false });
    expect(fileImageStats().filesWritten).toBe(before);
    expect(() => writeFileAtomic(file('bad.h5'), ds, undefined, { fileImages: 'no' as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG', message: expect.stringMatching(/opts.fileImages must be a boolean/) }),
    );
    const dist = path.join(__dirname, '..', 'dist', 'index.js');
    const script = `const h = require(${JSON.stringify(dist)});
      for (let k = 0; k < 4; k++) h.writeFileAtomic(${JSON.stringify(dir)} + '/env_' + k + '.h5', [{ path: 'v', dtype: 'int32', shape: [1], data: Int32Array.of(k) }]);
      console.log(JSON.stringify(h.fileImageStats()));`;
    const run = (value: string) =>
      execFileSync(process.execPath, ['-e', script], { env: { ...process.env, [FILE_IMAGES_ENV]: value }, encoding: 'utf8', stdio: 'pipe' });
    expect(JSON.parse(run('off'))).toEqual({ images: 0, filesWritten: 0 });
    // Also for values of 64 KiB or more (written from the typed array when images are on).
    const large = script.replace('Int32Array.of(k)', 'new Int32Array(20000).fill(k)').replace('shape: [1]', 'shape: [20000]');
    const runLarge = (value: string) =>
      execFileSync(process.execPath, ['-e', large], { env: { ...process.env, [FILE_IMAGES_ENV]: value }, encoding: 'utf8', stdio: 'pipe' });
    expect(JSON.parse(runLarge('off'))).toEqual({ images: 0, filesWritten: 0 });
    expect(JSON.parse(runLarge('on'))).toEqual({ images: 1, filesWritten: 2 });
    expect(JSON.parse(run('on'))).toEqual({ images: 1, filesWritten: 2 });
    expect(() => run('nope')).toThrow(/ACME_TS_HDF5_FILE_IMAGES must be on, off, 1, 0, true or false, got "nope"/);
  });
});
