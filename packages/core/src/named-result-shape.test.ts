import { ResultLayoutError } from './errors';
import { encodeNamedResult, stackNamedResults, stackedKeys } from './named-result-shape';

const keys = stackedKeys({ spectrum: [null, 3], mean: [null] }, { spectrum: 'float32', mean: 'float64' });

describe('encodeNamedResult: one call of the named resultShape', () => {
  test('the object as named datasets, the stacked keys in their dtype', () => {
    const encoded = encodeNamedResult(0, { spectrum: [1, 2, 3], mean: 2, fit: { slope: 1n } }, keys);
    expect(encoded).toEqual({
      ok: true,
      datasets: [
        { name: 'spectrum', dtype: 'float32', shape: [3], data: Float64Array.of(1, 2, 3) },
        { name: 'mean', dtype: 'float64', shape: [], data: Float64Array.of(2) },
        { name: 'fit/slope', dtype: 'int64', shape: [], data: BigInt64Array.of(1n) },
      ],
    });
  });

  test('an unlimited dimension takes any length', () => {
    const trace = stackedKeys({ trace: [null, Infinity] }, 'float64');
    expect(encodeNamedResult(0, { trace: new Float64Array(7) }, trace)).toMatchObject({ ok: true });
  });

  test.each<[string, unknown, string]>([
    ['a number', 5, 'call 4 returned 5, but options.resultShape stacks the keys spectrum, mean of a returned object: return an object like { spectrum: … }'],
    [
      'an array',
      [1, 2, 3],
      'call 4 returned [1, 2, 3], but options.resultShape stacks the keys spectrum, mean of a returned object: return an object like { spectrum: … }',
    ],
    ['an ndarray', { data: [1, 2, 3], shape: [3] }, 'call 4 returned an ndarray ({ data, shape }), but options.resultShape stacks'],
    [
      'a missing key',
      { spectrum: [1, 2, 3], sd: 1 },
      'call 4 returned an object without the key "mean" that options.resultShape stacks (its keys: spectrum, sd)',
    ],
    ['an undefined key', { spectrum: [1, 2, 3], mean: undefined }, 'call 4 returned an object without the key "mean"'],
    ['another shape', { spectrum: [1, 2], mean: 1 }, 'call 4 returned spectrum of shape [2], but options.resultShape.spectrum expects [3] per call'],
    [
      'a scalar where a vector is stacked',
      { spectrum: 1, mean: 1 },
      'call 4 returned spectrum of shape [], but options.resultShape.spectrum expects [3] per call',
    ],
    [
      'an object as a stacked key',
      { spectrum: { a: 1 }, mean: 1 },
      'call 4 returned spectrum as an object; a stacked key holds a number, an array or an ndarray',
    ],
    ['strings', { spectrum: ['a', 'b', 'c'], mean: 1 }, 'call 4 returned spectrum as strings, which cannot be stacked into dtype float32'],
    ['a value HDF5 cannot hold', { spectrum: [1, 2, 3], mean: null }, 'call 4 returned mean as a value HDF5 cannot hold: null cannot be stored in HDF5'],
    [
      'complex into a real dtype',
      { spectrum: { dtype: 'complex128', shape: [3], data: new Float64Array(6) }, mean: 1 },
      'call 4 returned spectrum as complex128, which cannot be stacked into the real dtype float32 without dropping the imaginary parts; set options.resultDtype.spectrum to complex64 or complex128',
    ],
  ])('%s fails the call', (_label, value, message) => {
    let error: unknown;
    try {
      encodeNamedResult(4, value, keys);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ResultLayoutError);
    expect((error as Error).message).toContain(message);
  });

  test('another key HDF5 cannot hold: not storable (serialized whole, as without resultShape)', () => {
    expect(encodeNamedResult(0, { spectrum: [1, 2, 3], mean: 1, extra: new Map() }, keys)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('extra: '),
    });
  });
});

describe('stackNamedResults: in memory', () => {
  test("one stack per key along its null axis, each call's other keys in rest", () => {
    const columns = stackedKeys({ pair: [2, null], n: [null] }, { pair: 'int32', n: 'float16' });
    const result = stackNamedResults(
      [
        { pair: [1, 2], n: 0.1, label: 'a' },
        { pair: Int8Array.of(3, 4), n: 2 },
      ],
      columns,
    );
    expect(result.stacked.pair).toEqual({ dtype: 'int32', shape: [2, 2], data: Int32Array.of(1, 3, 2, 4) });
    expect(result.stacked.n!.dtype).toBe('float16');
    expect(Array.from(result.stacked.n!.data as Float32Array)).toEqual([0.0999755859375, 2]);
    expect(result.rest).toEqual([{ label: 'a' }, {}]);
    expect(Object.isFrozen(result.rest[1])).toBe(true);
  });
});
