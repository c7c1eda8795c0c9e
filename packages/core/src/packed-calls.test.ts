import { packStoredCalls, unpackCall } from './packed-calls';
import type { StoredCall } from './call-runner';

const call = (x: number, extra: Partial<StoredCall> = {}): StoredCall => ({
  stored: 'hdf5',
  names: ['result_0', 'result_1'],
  datasets: [
    { name: 'result_0', dtype: 'float64', shape: [2], data: Float64Array.of(x, -x) },
    { name: 'result_1', dtype: 'int32', shape: [], data: Int32Array.of(x) },
  ],
  ...extra,
});

test('calls of one structure pack by column and unpack to the same datasets', () => {
  const calls = [call(1), call(2), call(3)];
  const packed = packStoredCalls([...calls, 'not counted'], 3)!;
  expect(packed.count).toBe(3);
  expect(packed.columns.map((c) => [c.name, c.dtype, c.shape])).toEqual([
    ['result_0', 'float64', [2]],
    ['result_1', 'int32', []],
  ]);
  expect(packed.columns[0]!.data).toEqual(Float64Array.of(1, -1, 2, -2, 3, -3));
  expect(packed.columns[1]!.data).toEqual(Int32Array.of(1, 2, 3));
  for (let k = 0; k < 3; k++) expect(unpackCall(packed, k)).toEqual(calls[k]!.datasets);
});

test('anything else is not packed', () => {
  const other = (c: StoredCall, change: (d: NonNullable<StoredCall['datasets']>) => void) => {
    const copy = { ...c, datasets: c.datasets!.map((d) => ({ ...d })) };
    change(copy.datasets);
    return copy;
  };
  const cases: unknown[][] = [
    [call(1)], // one call: nothing to gain
    [call(1), call(2, { path: '/x/f_2.h5' })], // a payload file
    [call(1), other(call(2), (d) => (d[0]!.shape = [1, 2]))],
    [call(1), other(call(2), (d) => (d[1]!.dtype = 'int64'))],
    [call(1), other(call(2), (d) => (d[1]!.name = 'result_9'))],
    [call(1), other(call(2), (d) => (d[1]!.data = Uint32Array.of(2)))],
    [call(1), other(call(2), (d) => d.pop())],
    [call(1), { stored: 'hdf5', datasets: [{ name: 'result_0', dtype: 'string', shape: [], data: ['a'] }] }],
    [call(1), undefined],
    [
      { stored: 'hdf5', datasets: [{ name: 'result_0', dtype: 'float64', shape: [1000], data: new Float64Array(1000) }] },
      { stored: 'hdf5', datasets: [{ name: 'result_0', dtype: 'float64', shape: [1000], data: new Float64Array(1000) }] },
    ], // 8 KB per call
  ];
  for (const values of cases) expect(packStoredCalls(values, values.length)).toBeUndefined();
});
