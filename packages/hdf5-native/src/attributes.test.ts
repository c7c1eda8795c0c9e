// Array attributes: h5py writes them (ACME's and users' files hold them), getAttributes must
// return them, not drop them (issue 14); setAttribute writes them as h5py reads them.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { H5File } from './index';
import { h5dump, PYTHON, tempDir } from './__fixtures__/h5check';

const dir = tempDir('attributes');
const file = (name: string) => path.join(dir, name);
const tag = (x: unknown) => Object.prototype.toString.call(x).slice(8, -1);

describe('array attributes', () => {
  test('written by h5py, read back with their values and types (numpy gives the expected values)', () => {
    const f = file('h5py-attrs.h5');
    const script = `import h5py, numpy as np, sys
with h5py.File(sys.argv[1], 'w') as f:
    g = f.create_group('g')
    a = g.attrs
    a['f64'] = np.array([1.5, -2.25, 1e300])
    a['f32'] = np.array([0.1, 3.0], dtype=np.float32)
    a['f16'] = np.array([0.1, 65504], dtype=np.float16)
    a['i8'] = np.array([-128, 127], dtype=np.int8)
    a['i64'] = np.array([-2**63, 2**53 + 1], dtype=np.int64)
    a['u64'] = np.array([2**64 - 1], dtype=np.uint64)
    a['u16'] = np.arange(6, dtype=np.uint16).reshape(2, 3)
    a['b'] = np.array([True, False, True])
    a['s'] = ['ab', 'ü€']
    a['fixed'] = np.array([b'xy', b'z'], dtype='S2')
    a['one'] = np.array([7.0])
    a['scalar'] = 3
    a['empty'] = np.zeros(0)
    a['sstr'] = 'just a string'
    f['ascii'] = np.array([b'xy', b'z'], dtype='S2')
`;
    execFileSync(PYTHON, ['-c', script, f]);
    using h = H5File.open(f);
    const attrs = h.getAttributes('/g');
    // The values numpy holds (float32/float16 exact in a Float32Array).
    expect(Array.from(attrs.f64 as Float64Array)).toEqual([1.5, -2.25, 1e300]);
    expect(tag(attrs.f64)).toBe('Float64Array');
    expect(Array.from(attrs.f32 as Float32Array)).toEqual([Math.fround(0.1), 3]);
    expect(tag(attrs.f32)).toBe('Float32Array');
    expect(Array.from(attrs.f16 as Float32Array)).toEqual([0.0999755859375, 65504]);
    expect(Array.from(attrs.i8 as Int8Array)).toEqual([-128, 127]);
    expect(tag(attrs.i8)).toBe('Int8Array');
    expect(Array.from(attrs.i64 as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 53n + 1n]);
    expect(Array.from(attrs.u64 as BigUint64Array)).toEqual([2n ** 64n - 1n]);
    expect(Array.from(attrs.u16 as Uint16Array)).toEqual([0, 1, 2, 3, 4, 5]); // 2×3, C order
    expect(attrs.b).toEqual([true, false, true]);
    expect(attrs.s).toEqual(['ab', 'ü€']);
    expect(attrs.fixed).toEqual(['xy', 'z']);
    expect(Array.from(attrs.one as Float64Array)).toEqual([7]); // shape (1,) is an array in h5py too
    expect(attrs.scalar).toBe(3n); // numpy's int64
    expect(Array.from(attrs.empty as Float64Array)).toEqual([]);
    expect(attrs.sstr).toBe('just a string');
    // h5py's bytes are ASCII strings, which libhdf5 does not convert to UTF-8: read as stored.
    expect(h.read('/ascii').data).toEqual(['xy', 'z']);
  });

  test('setAttribute writes arrays h5py reads with their dtypes; they round-trip', () => {
    const f = file('ours.h5');
    {
      using h = H5File.create(f);
      h.createGroup('/g');
      h.setAttribute('/g', 'f32', Float32Array.of(0.5, 1.5));
      h.setAttribute('/g', 'nums', [1, 2.5]);
      h.setAttribute('/g', 'bigs', [-3n, 4n]);
      h.setAttribute('/g', 'u8', Uint8Array.of(1, 255));
      h.setAttribute('/g', 'bools', [true, false]);
      h.setAttribute('/g', 'strs', ['a', 'bé']);
      h.setAttribute('/g', 'none', []);
      h.setAttribute('/g', 'n', 2);
    }
    const d = h5dump(f);
    expect(d['/g'].attrs).toEqual({ f32: [0.5, 1.5], nums: [1, 2.5], bigs: [-3, 4], u8: [1, 255], bools: [true, false], strs: ['a', 'bé'], none: [], n: 2 });
    const types = execFileSync(
      PYTHON,
      [
        '-c',
        `import h5py, sys
with h5py.File(sys.argv[1], 'r') as f:
    print(' '.join(f'{k}:{v.dtype}:{v.shape}' for k, v in sorted(f['g'].attrs.items()) if hasattr(v, 'shape')))`,
        f,
      ],
      { encoding: 'utf8' },
    ).trim();
    expect(types).toBe('bigs:int64:(2,) bools:bool:(2,) f32:float32:(2,) n:float64:() none:float64:(0,) nums:float64:(2,) strs:object:(2,) u8:uint8:(2,)');
    using h = H5File.open(f);
    const back = h.getAttributes('/g');
    expect(back.bools).toEqual([true, false]);
    expect(back.strs).toEqual(['a', 'bé']);
    expect(Array.from(back.bigs as BigInt64Array)).toEqual([-3n, 4n]);
    expect(tag(back.u8)).toBe('Uint8Array');
  });

  test('a malformed array attribute is ERR_INVALID_ARG', () => {
    using h = H5File.create(file('bad.h5'));
    expect(() => h.setAttribute('/', 'mixed', [1, 'a'] as unknown as number[])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
    expect(() => h.setAttribute('/', 'obj', { a: 1 } as unknown as number)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG' }));
  });
});

describe('create({ largeRootAttributes })', () => {
  test('the root takes attributes over 64 KiB (h5py reads them); its links stay listed by name as before', () => {
    const big = Float64Array.from({ length: 20000 }, (_, i) => i / 4);
    const plain = file('plain-root.h5');
    {
      using h = H5File.create(plain, { overwrite: true });
      expect(() => h.setAttribute('/', 'x', big)).toThrow(/object header message is too large/);
    }
    const f = file('large-root.h5');
    {
      using h = H5File.create(f, { overwrite: true, largeRootAttributes: true });
      h.setAttribute('/', 'x', big);
      h.setAttribute('/', 'label', 'sweep');
      for (const i of [0, 1, 10, 2]) h.createGroup(`comp_${i}`);
    }
    const dump = h5dump(f);
    expect(dump['/'].attrs.x).toHaveLength(20000);
    expect((dump['/'].attrs.x as number[])[19999]).toBe(19999 / 4);
    expect(dump['/'].attrs.label).toBe('sweep');
    using h = H5File.open(f);
    expect(h.list('/').map((e) => e.name)).toEqual(['comp_0', 'comp_1', 'comp_10', 'comp_2']);
    expect(Array.from(h.getAttributes('/').x as Float64Array)).toEqual(Array.from(big));
  });
});

describe('writeRows attribute columns', () => {
  test("row r's value becomes a scalar attribute of group r (h5py reads float64, int64 and bool)", () => {
    const f = file('rows-attrs.h5');
    {
      using h = H5File.create(f, { overwrite: true });
      h.writeRows({ prefix: 'comp_', numbers: [4, 9] }, [
        { name: 'mean', dtype: 'float64', shape: [], data: Float64Array.of(0.5, 1.5) },
        { name: 'mu', dtype: 'float64', shape: [], data: Float64Array.of(-1, 2), attribute: true },
        { name: 'n', dtype: 'int64', shape: [], data: BigInt64Array.of(-3n, 2n ** 62n), attribute: true },
        { name: 'flag', dtype: 'bool', shape: [], data: Uint8Array.of(1, 0), attribute: true },
      ]);
      expect(() => h.writeRows(['x'], [{ name: 'a', dtype: 'float64', shape: [1], data: Float64Array.of(1), attribute: true }])).toThrow(
        /shape must be \[\] for an attribute column/,
      );
    }
    const d = h5dump(f);
    expect(d['/comp_4'].attrs).toEqual({ mu: -1, n: -3, flag: true });
    expect(d['/comp_9'].attrs).toEqual({ mu: 2, n: String(2n ** 62n), flag: false });
    expect(d['/comp_9/mean'].values).toBe(1.5);
    expect(d['/comp_9/mu']).toBeUndefined();
  });
});
