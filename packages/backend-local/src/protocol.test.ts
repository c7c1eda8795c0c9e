import { ValueCollector } from './protocol';

function collect(values: unknown[], count = values.length) {
  const collector = new ValueCollector(values.length);
  values.forEach((value, i) => collector.set(i, value));
  const transfers = new Set<ArrayBuffer>();
  return { taken: collector.take(0, count, transfers), transfers };
}

describe('ValueCollector', () => {
  it('packs numbers into a transferable Float64Array', () => {
    const { taken, transfers } = collect([1, 2.5, -0, NaN]);
    expect(taken).toBeInstanceOf(Float64Array);
    expect([...(taken as Float64Array)]).toEqual([1, 2.5, -0, NaN]);
    expect([...transfers]).toEqual([(taken as Float64Array).buffer]);
  });

  it('leaves out all-undefined values', () => {
    expect(collect([undefined, undefined]).taken).toBeUndefined();
  });

  it('keeps mixed values (numbers, then other kinds) in order in a plain array', () => {
    expect(collect([1, 2, 'three', { four: 4 }]).taken).toEqual([1, 2, 'three', { four: 4 }]);
    expect(collect([1, undefined, 3]).taken).toEqual([1, undefined, 3]);
    expect(collect([undefined, 2, 3]).taken).toEqual([undefined, 2, 3]);
    expect(collect(['a', 2]).taken).toEqual(['a', 2]);
    expect(collect([undefined, null]).taken).toEqual([undefined, null]);
  });

  it('returns only the values of the calls that ran', () => {
    expect([...(collect([1, 2, 3], 2).taken as Float64Array)]).toEqual([1, 2]);
    expect(collect([1, 'b', 3], 2).taken).toEqual([1, 'b']);
    expect(collect([1, 2], 0).taken).toBeUndefined();
  });
});
