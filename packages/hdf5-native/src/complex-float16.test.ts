// complex64/complex128 as h5py stores them (compound {r, i}), and float16 rounding as numpy's.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { H5File, roundToFloat16, writeFileAtomic } from './index';
import { h5dump, PYTHON, tempDir } from './__fixtures__/h5check';

const dir = tempDir('complex');
const file = (name: string) => path.join(dir, name);
const tag = (x: unknown) => Object.prototype.toString.call(x).slice(8, -1);
const python = (script: string, ...args: string[]) => execFileSync(PYTHON, ['-c', script, ...args], { encoding: 'utf8' });

describe('complex datasets', () => {
  test('written interleaved or as reals, h5py reads numpy complex; read back interleaved', () => {
    const f = file('c.h5');
    {
      using h = H5File.create(f);
      h.writeDatasets([
        { path: 'c128', dtype: 'complex128', shape: [2, 2], data: Float64Array.of(1, -1, 2.5, 0, 0, 3, -0.5, 1e300) },
        { path: 'c64', dtype: 'complex64', shape: [2], data: Float32Array.of(0.1, 0.2, 3, -4) },
        // Real numbers into a complex dataset: imaginary parts 0 (numpy's cast).
        { path: 'fromReal', dtype: 'complex128', shape: [3], data: [1, 2, 3] },
      ]);
      h.createDataset('filled', { dtype: 'complex64', shape: [2], fillValue: NaN });
      h.createDataset('rows', { dtype: 'complex128', shape: [4], maxshape: [null] });
      h.write('rows', Float64Array.of(5, 6), { start: [1], count: [1] });
    }
    const types = python(
      `import h5py, sys
with h5py.File(sys.argv[1], 'r') as f:
    print(' '.join(f'{k}:{f[k].dtype}' for k in sorted(f)))
    print(repr(f['c128'][()].tolist()), repr(f['filled'].fillvalue))`,
      f,
    )
      .trim()
      .split('\n');
    expect(types[0]).toBe('c128:complex128 c64:complex64 filled:complex64 fromReal:complex128 rows:complex128');
    expect(types[1]).toBe('[[(1-1j), (2.5+0j)], [3j, (-0.5+1e+300j)]] (nan+0j)');
    const d = h5dump(f);
    expect(d['/c64'].values).toEqual([
      [Math.fround(0.1), Math.fround(0.2)],
      [3, -4],
    ]);
    expect(d['/fromReal'].values).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    expect(d['/rows'].values).toEqual([
      [0, 0],
      [5, 6],
      [0, 0],
      [0, 0],
    ]);
    using h = H5File.open(f);
    const c128 = h.read('c128');
    expect(c128).toMatchObject({ dtype: 'complex128', shape: [2, 2] });
    expect(tag(c128.data)).toBe('Float64Array');
    expect(Array.from(c128.data as Float64Array)).toEqual([1, -1, 2.5, 0, 0, 3, -0.5, 1e300]);
    const c64 = h.read('c64', { start: [1], count: [1] });
    expect(tag(c64.data)).toBe('Float32Array');
    expect(Array.from(c64.data as Float32Array)).toEqual([3, -4]);
    expect(h.info('c64').dtype).toBe('complex64');
  });

  test("h5py's own complex files read back; a wrong element count or type is refused", () => {
    const f = file('h5py-c.h5');
    python(
      `import h5py, numpy as np, sys
with h5py.File(sys.argv[1], 'w') as f:
    f['z'] = np.array([1+2j, -3.5j], dtype=np.complex64)
    f['w'] = np.array(2-1j)`,
      f,
    );
    {
      using h = H5File.open(f);
      expect(Array.from(h.read('z').data as Float32Array)).toEqual([1, 2, -0, -3.5]); // Python's -3.5j is -0.0 - 3.5j
      expect(h.read('w')).toMatchObject({ dtype: 'complex128', shape: [] });
      expect(Array.from(h.read('w').data as Float64Array)).toEqual([2, -1]);
    }
    using h = H5File.create(file('bad.h5'));
    expect(() => h.writeDatasets([{ path: 'x', dtype: 'complex128', shape: [2], data: Float64Array.of(1, 2, 3) }])).toThrow(
      /has 3 elements but the dataset shape \[2\] holds 2 \(complex: as many real numbers, or twice as many interleaved re, im\)/,
    );
    expect(() => h.writeDatasets([{ path: 'y', dtype: 'complex64', shape: [1], data: Int32Array.of(1) }])).toThrow(
      /must be a Float64Array or Float32Array for a complex64 dataset/,
    );
  });

  test('writeRows and writeFileAtomic take complex columns', () => {
    const f = file('rows.h5');
    {
      using h = H5File.create(f);
      h.writeRows(['a', 'b'], [{ name: 'z', dtype: 'complex64', shape: [1], data: Float32Array.of(1, 2, 3, 4) }]);
      h.writeRows(['c', 'd'], [{ name: 'z', dtype: 'complex128', shape: [1], data: Float64Array.of(7, 8) }]);
    }
    const d = h5dump(f);
    expect([d['/a/z'].values, d['/b/z'].values, d['/c/z'].values, d['/d/z'].values]).toEqual([[[1, 2]], [[3, 4]], [[7, 0]], [[8, 0]]]);
    for (let k = 0; k < 3; k++) writeFileAtomic(file(`atomic_${k}.h5`), [{ path: 'z', dtype: 'complex128', shape: [1], data: Float64Array.of(k, -k) }]);
    expect(h5dump(file('atomic_2.h5'))['/z'].values).toEqual([[2, -2]]);
  });
});

/** An IEEE half's bits as the number they stand for. */
function halfBitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (exponent === 0 ? fraction * 2 ** -24 : (1 + fraction / 1024) * 2 ** (exponent - 15));
}

describe('roundToFloat16', () => {
  test("equals numpy's astype(float16), ties and subnormals included, from float64 and float32", () => {
    const values: number[] = [0, -0, 1, 65504, 65519.99, 65520, -1e6, NaN, Infinity, 6e-8, 3e-8, 2.98e-8, 1e-5, -1e-5, 0.1, 1 / 3, Math.PI];
    // Exact ties between neighbouring halves (round to even) and their neighbours.
    for (let k = 0; k < 64; k++) {
      const tie = 1 + (2 * k + 1) * 2 ** -11;
      values.push(tie, -tie, tie * 2 ** -14, tie * 2 ** 10, tie + 2 ** -40, tie - 2 ** -40);
    }
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 2000; i++) values.push((random() - 0.5) * 2 ** Math.floor(random() * 40 - 26));
    // The doubles travel as bytes (JSON would turn -0 into 0), the halves come back as their bits.
    const numpy = (input: number[], from: string): number[] => {
      const bits: number[] = JSON.parse(
        python(
          `import base64, json, sys, numpy as np
v = np.frombuffer(base64.b64decode(sys.argv[1]), dtype='<f8').astype(np.${from}).astype(np.float16)
print(json.dumps(v.view(np.uint16).tolist()))`,
          Buffer.from(Float64Array.from(input).buffer).toString('base64'),
        ),
      );
      return bits.map(halfBitsToNumber);
    };
    const ours = roundToFloat16(Float64Array.from(values));
    expect(tag(ours)).toBe('Float32Array');
    expect(Array.from(ours)).toEqual(numpy(values, 'float64'));
    expect(Array.from(roundToFloat16(Float32Array.from(values)))).toEqual(numpy(values, 'float32'));
    expect(() => roundToFloat16(Int32Array.of(1) as unknown as Float64Array)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
  });
});
