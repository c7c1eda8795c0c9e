import { complexArray } from './complex';
import { ResultLayoutError } from './errors';
import { allocateStack, encodeResult, ndarray, placeInStack, stackResults, type EncodedResult } from './result-encoding';

function datasets(result: EncodedResult) {
  if (!result.ok) throw new Error('not ok: ' + result.reason);
  return result.datasets;
}

function reason(result: EncodedResult): string {
  if (result.ok) throw new Error('unexpectedly ok');
  return result.reason;
}

describe('encodeResult, unstacked (ACME §2.2)', () => {
  test('a scalar return becomes result_0 of shape [1]', () => {
    expect(datasets(encodeResult(18, { stacked: false }))).toEqual([{ name: 'result_0', dtype: 'float64', shape: [1], data: Float64Array.of(18) }]);
    expect(datasets(encodeResult(true, { stacked: false }))).toEqual([{ name: 'result_0', dtype: 'bool', shape: [1], data: [true] }]);
    expect(datasets(encodeResult('abc', { stacked: false }))).toEqual([{ name: 'result_0', dtype: 'string', shape: [1], data: ['abc'] }]);
    expect(datasets(encodeResult(7n, { stacked: false }))).toEqual([{ name: 'result_0', dtype: 'int64', shape: [1], data: BigInt64Array.of(7n) }]);
  });
  test('a tuple of scalars of one kind merges into one 1-D dataset', () => {
    expect(datasets(encodeResult([1, 2, 3], { stacked: false }))).toEqual([{ name: 'result_0', dtype: 'float64', shape: [3], data: Float64Array.of(1, 2, 3) }]);
    expect(datasets(encodeResult([2n ** 63n], { stacked: false }))).toEqual([
      { name: 'result_0', dtype: 'uint64', shape: [1], data: BigUint64Array.of(2n ** 63n) },
    ]);
    expect(datasets(encodeResult([], { stacked: false }))).toEqual([{ name: 'result_0', dtype: 'float64', shape: [0], data: new Float64Array(0) }]);
  });
  test('mixed scalar kinds become one dataset per element (ACME crashes, §6.9)', () => {
    expect(datasets(encodeResult([1, 'abc'], { stacked: false }))).toEqual([
      { name: 'result_0', dtype: 'float64', shape: [], data: Float64Array.of(1) },
      { name: 'result_1', dtype: 'string', shape: [], data: ['abc'] },
    ]);
  });
  test('a tuple with arrays: one dataset per element, scalars of shape []', () => {
    expect(datasets(encodeResult([Float64Array.of(1, 2, 3), 2, Int32Array.of(0, 1)], { stacked: false }))).toEqual([
      { name: 'result_0', dtype: 'float64', shape: [3], data: Float64Array.of(1, 2, 3) },
      { name: 'result_1', dtype: 'float64', shape: [], data: Float64Array.of(2) },
      { name: 'result_2', dtype: 'int32', shape: [2], data: Int32Array.of(0, 1) },
    ]);
  });
  test('TypedArrays keep their dtype; Uint8ClampedArray is uint8 without copying', () => {
    const clamped = Uint8ClampedArray.of(1, 255);
    const [dataset] = datasets(encodeResult(clamped, { stacked: false }));
    expect(dataset).toEqual({ name: 'result_0', dtype: 'uint8', shape: [2], data: Uint8Array.of(1, 255) });
    expect((dataset.data as Uint8Array).buffer).toBe(clamped.buffer);
    expect(datasets(encodeResult(Float32Array.of(1.5), { stacked: false }))[0].dtype).toBe('float32');
    expect(datasets(encodeResult(BigUint64Array.of(1n), { stacked: false }))[0].dtype).toBe('uint64');
  });
  test('ndarrays and nested rectangular arrays are N-D', () => {
    expect(datasets(encodeResult(ndarray(Int16Array.of(1, 2, 3, 4, 5, 6), [2, 3]), { stacked: false }))).toEqual([
      { name: 'result_0', dtype: 'int16', shape: [2, 3], data: Int16Array.of(1, 2, 3, 4, 5, 6) },
    ]);
    expect(datasets(encodeResult(ndarray([1, 2], [2, 1]), { stacked: false }))[0]).toEqual({
      name: 'result_0',
      dtype: 'float64',
      shape: [2, 1],
      data: Float64Array.of(1, 2),
    });
    expect(
      datasets(
        encodeResult(
          [
            [
              [1, 2],
              [3, 4],
            ],
            'x',
          ],
          { stacked: false },
        ),
      ),
    ).toEqual([
      { name: 'result_0', dtype: 'float64', shape: [2, 2], data: Float64Array.of(1, 2, 3, 4) },
      { name: 'result_1', dtype: 'string', shape: [], data: ['x'] },
    ]);
    expect(datasets(encodeResult([[Float32Array.of(1, 2), Float32Array.of(3, 4)]], { stacked: false }))[0]).toEqual({
      name: 'result_0',
      dtype: 'float64',
      shape: [2, 2],
      data: Float64Array.of(1, 2, 3, 4),
    });
  });
  test('values HDF5 cannot hold give a reason', () => {
    expect(reason(encodeResult(null, { stacked: false }))).toBe('return value: null cannot be stored in HDF5');
    expect(reason(encodeResult(undefined, { stacked: false }))).toBe('return value: undefined cannot be stored in HDF5');
    expect(reason(encodeResult([{ a: 1 }, 2], { stacked: false }))).toBe(
      'return value 0: an object has no HDF5 equivalent (only numbers, bigints, booleans, strings, TypedArrays, ndarrays and rectangular arrays of them can be stored, and plain objects of them returned as the whole value)',
    );
    expect(reason(encodeResult(new Map(), { stacked: false }))).toMatch(/^return value: a Map has no HDF5 equivalent/);
    expect(reason(encodeResult([1, () => 1], { stacked: false }))).toBe('return value 1: a function cannot be stored in HDF5');
    expect(reason(encodeResult([[[1, 2], [3]]], { stacked: false }))).toBe('return value 0: nested arrays are ragged (not rectangular); expected shape [2, 2]');
    expect(reason(encodeResult([[[1, 'a']]], { stacked: false }))).toBe('return value 0: nested arrays mix number and string values');
    expect(reason(encodeResult([2n ** 64n], { stacked: false }))).toBe('bigint values outside the int64 and uint64 ranges cannot be stored in HDF5');
    expect(reason(encodeResult({ data: [1, 2, 3], shape: [2] }, { stacked: false }))).toBe('return value: ndarray shape [2] holds 2 elements, but data has 3');
    expect(reason(encodeResult({ data: Float64Array.of(1, 2, 3, 4), shape: [2, 2], stride: [1, 2], offset: 0 }, { stacked: false }))).toBe(
      'return value: ndarray is a strided or offset view; copy it into a C-contiguous array first',
    );
  });
});

describe('encodeResult, stacked (ACME §2.4)', () => {
  test('no merging: a scalar is shape [], tuple elements are separate datasets', () => {
    expect(datasets(encodeResult(5, { stacked: true, slotShape: [] }))).toEqual([{ name: 'result_0', dtype: 'float64', shape: [], data: Float64Array.of(5) }]);
    expect(datasets(encodeResult([5, 6], { stacked: true, slotShape: [] }))).toEqual([
      { name: 'result_0', dtype: 'float64', shape: [], data: Float64Array.of(5) },
      { name: 'result_1', dtype: 'float64', shape: [], data: Float64Array.of(6) },
    ]);
  });
  test('a plain Array matching the slot shape is one value', () => {
    expect(datasets(encodeResult([1, 2, 3], { stacked: true, slotShape: [3] }))).toEqual([
      { name: 'result_0', dtype: 'float64', shape: [3], data: Float64Array.of(1, 2, 3) },
    ]);
    expect(
      datasets(
        encodeResult(
          [
            [1, 2],
            [3, 4],
          ],
          { stacked: true, slotShape: [2, Infinity] },
        ),
      ),
    ).toHaveLength(1);
    // Not matching: a tuple.
    expect(datasets(encodeResult([Float64Array.of(1, 2, 3), 7], { stacked: true, slotShape: [3] })).map((d) => d.name)).toEqual(['result_0', 'result_1']);
  });
});

describe('stacking in memory', () => {
  test('stackResults places call i at slot i along the stacking dimension', () => {
    const stack = stackResults([Float64Array.of(1, 2), Float64Array.of(3, 4), Float64Array.of(5, 6)], [2, null], 'float32');
    expect(stack).toEqual({ dtype: 'float32', shape: [2, 3], data: Float32Array.of(1, 3, 5, 2, 4, 6), extra: [[], [], []] });
  });
  test('scalars with resultShape [null]; further return values are kept per call, as returned (issue 14)', () => {
    expect(
      stackResults(
        [
          [1, 10],
          [2, 20],
        ],
        [null],
        'int32',
      ),
    ).toEqual({ dtype: 'int32', shape: [2], data: Int32Array.of(1, 2), extra: [[10], [20]] });
    const slot = [1, 2, 3];
    const stack = stackResults([[slot, 'a', { any: 'value' }], slot], [null, 3], 'float64');
    expect(stack.data).toEqual(Float64Array.of(1, 2, 3, 1, 2, 3));
    expect(stack.extra).toEqual([['a', { any: 'value' }], []]);
    expect(() => stackResults([[]], [null], 'float64')).toThrow(
      'call 0 returned a value that cannot be stacked: return value 0: it returned no value for result_0',
    );
  });
  test('complex stacks: real results get imaginary parts 0, complex ones keep theirs; a real stack refuses complex values', () => {
    const z = { dtype: 'complex128', shape: [2], data: Float64Array.of(1, -1, 2, 0.5) };
    const stack = stackResults([Float64Array.of(3, 4), z], [null, 2], 'complex64');
    expect(stack).toMatchObject({ dtype: 'complex64', shape: [2, 2] });
    expect(stack.data).toEqual(Float32Array.of(3, 0, 4, 0, 1, -1, 2, 0.5));
    expect(stackResults([z], [2, null], 'complex128').data).toEqual(Float64Array.of(1, -1, 2, 0.5));
    expect(() => stackResults([z], [null, 2], 'float64')).toThrow(
      /result_0 of call 0 is complex128, which cannot be stacked into the real dtype float64 without dropping the imaginary parts/,
    );
  });
  test('int64 and bool targets convert', () => {
    expect(stackResults([2.7, -1], [null], 'int64').data).toEqual(BigInt64Array.of(2n, -1n));
    expect(stackResults([0, 3], [null], 'bool').data).toEqual(Uint8Array.of(0, 1));
  });
  test('a wrong shape names the call and both shapes', () => {
    expect(() =>
      stackResults(
        [
          [1, 2, 3],
          [1, 2],
        ],
        [null, 3],
        'float64',
      ),
    ).toThrow(new ResultLayoutError('result_0 of call 1 has shape [], but resultShape expects [3] per call'));
    const stack = allocateStack([2, 3], 'float64');
    expect(() => placeInStack(stack, 0, 0, { name: 'result_0', dtype: 'float64', shape: [2], data: Float64Array.of(1, 2) })).toThrow(
      'result_0 of call 0 has shape [2], but resultShape expects [3] per call',
    );
    expect(() => placeInStack(stack, 0, 2, { name: 'result_0', dtype: 'float64', shape: [3], data: new Float64Array(3) })).toThrow(
      'taskID must be an integer between 0 and 1, got 2',
    );
    expect(() => stackResults([{ a: 1 }], [null], 'float64')).toThrow(
      'call 0 returned a value that cannot be stacked: return value: an object has no HDF5 equivalent',
    );
  });
  test('size-1 dimensions are ignored when comparing shapes', () => {
    const stack = allocateStack([2, 3], 'float64');
    placeInStack(stack, 0, 1, { name: 'result_0', dtype: 'float64', shape: [1, 3], data: Float64Array.of(7, 8, 9) });
    expect(stack.data).toEqual(Float64Array.of(0, 0, 0, 7, 8, 9));
  });
  test('complex return values: {data, shape, dtype} with re and im interleaved; complexArray builds them', () => {
    expect(datasets(encodeResult(complexArray([1, 2], [3, 4]), { stacked: false }))).toEqual([
      { name: 'result_0', dtype: 'complex128', shape: [2], data: Float64Array.of(1, 3, 2, 4) },
    ]);
    expect(datasets(encodeResult({ dtype: 'complex64', shape: [1], data: [5, 6] }, { stacked: true }))).toEqual([
      { name: 'result_0', dtype: 'complex64', shape: [1], data: Float32Array.of(5, 6) },
    ]);
    expect(reason(encodeResult({ dtype: 'complex128', shape: [2], data: Float64Array.of(1, 2) }, { stacked: false }))).toBe(
      'return value: a complex128 ndarray of shape [2] needs 4 numbers (re and im interleaved), but data has 2',
    );
    expect(complexArray(Float64Array.of(1, 2, 3, 4), undefined, [2, 2], 'complex64')).toEqual({
      dtype: 'complex64',
      shape: [2, 2],
      data: Float32Array.of(1, 0, 2, 0, 3, 0, 4, 0),
    });
  });
  test('ndarray rejects a mismatching shape', () => {
    expect(() => ndarray([1, 2, 3], [2, 2])).toThrow('ndarray shape [2, 2] holds 4 elements, got data with 3');
  });
});

describe('encodeResult: a returned plain object is named datasets (issue 20)', () => {
  test('each key a dataset of its value, nested objects groups', () => {
    expect(
      datasets(
        encodeResult(
          {
            mean: 2,
            sd: 0.5,
            stats: { n: 3n, ok: true },
            spectrum: Float32Array.of(1, 2),
            grid: [
              [1, 2],
              [3, 4],
            ],
          },
          { stacked: false },
        ),
      ),
    ).toEqual([
      { name: 'mean', dtype: 'float64', shape: [], data: Float64Array.of(2) },
      { name: 'sd', dtype: 'float64', shape: [], data: Float64Array.of(0.5) },
      { name: 'stats/n', dtype: 'int64', shape: [], data: BigInt64Array.of(3n) },
      { name: 'stats/ok', dtype: 'bool', shape: [], data: [true] },
      { name: 'spectrum', dtype: 'float32', shape: [2], data: Float32Array.of(1, 2) },
      { name: 'grid', dtype: 'float64', shape: [2, 2], data: Float64Array.of(1, 2, 3, 4) },
    ]);
    // {data, shape} stays one N-D value, at the top and inside.
    expect(datasets(encodeResult({ data: [1, 2], shape: [2] }, { stacked: false }))[0]!.name).toBe('result_0');
    expect(datasets(encodeResult({ m: ndarray([1, 2, 3, 4], [2, 2]) }, { stacked: false }))).toEqual([
      { name: 'm', dtype: 'float64', shape: [2, 2], data: Float64Array.of(1, 2, 3, 4) },
    ]);
    expect(datasets(encodeResult(Object.assign(Object.create(null), { a: 'x' }), { stacked: false }))).toEqual([
      { name: 'a', dtype: 'string', shape: [], data: ['x'] },
    ]);
  });
  test('values HDF5 cannot hold, and empty objects, go to the serialized fallback with the key named', () => {
    expect(reason(encodeResult({ mean: 1, m: new Map() }, { stacked: false }))).toMatch(/^m: a Map has no HDF5/);
    expect(reason(encodeResult({ a: { b: null } }, { stacked: false }))).toMatch(/^a\/b: null/);
    expect(reason(encodeResult({}, { stacked: false }))).toMatch(/empty object/);
    expect(reason(encodeResult({ a: {} }, { stacked: false }))).toMatch(/a is an empty object/);
    // Class instances, Maps and objects inside a tuple are not named results.
    expect(
      encodeResult(
        new (class P {
          x = 1;
        })(),
        { stacked: false },
      ).ok,
    ).toBe(false);
    expect(encodeResult([{ a: 1 }, 2], { stacked: false }).ok).toBe(false);
    // resultShape stacks positional result_0: an object is not stacked.
    expect(encodeResult({ a: 1 }, { stacked: true }).ok).toBe(false);
  });
  test.each([
    ['a/b', "'/'"],
    ['', 'empty'],
    ['.', 'group itself'],
    ['x\u0000', 'control'],
    [' pad', 'white space'],
  ])('key %j is refused, named', (key, why) => {
    expect(() => encodeResult({ ok: 1, nested: { [key]: 2 } }, { stacked: false })).toThrow(ResultLayoutError);
    expect(() => encodeResult({ ok: 1, nested: { [key]: 2 } }, { stacked: false })).toThrow(
      new RegExp(`key ${JSON.stringify(`nested/${key}`).replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')} cannot name an HDF5 dataset: .*${why}`),
    );
  });
});
