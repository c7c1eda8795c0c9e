import { ResultBufferPool, freshResultArray } from './result-buffers';

describe('ResultBufferPool', () => {
  it('lends a buffer again only after the result that held it was reclaimed', () => {
    const pool = new ResultBufferPool();
    const a = pool.resultArray([10, 20]);
    expect(a.shape).toEqual([10, 20]);
    expect(a.data).toBeInstanceOf(Float64Array);
    const b = pool.resultArray([10, 20]);
    expect(b.data.buffer).not.toBe(a.data.buffer);
    pool.reclaim([a.data]);
    const c = pool.resultArray([200]);
    expect(c.data.buffer).toBe(a.data.buffer);
    expect(pool.reused).toBe(1);
    // Of another size: a buffer of its own.
    expect(pool.resultArray([7], 'int32').data.buffer).not.toBe(b.data.buffer);
  });

  it("lendCopy: a copy in a buffer of its own, handed off for transfer while the original stays the caller's; a lent array is not copied again", () => {
    const pool = new ResultBufferPool();
    const own = Float64Array.from({ length: 1000 }, (_, i) => i / 3);
    const copy = pool.lendCopy(own);
    expect(copy).toBeInstanceOf(Float64Array);
    expect(copy.buffer).not.toBe(own.buffer);
    expect(copy).toEqual(own);
    const lent = pool.resultArray([4], 'int16').data;
    expect(pool.lendCopy(lent)).toBe(lent);
    const transfers = new Set<ArrayBuffer>();
    pool.handOff([{ stored: 'hdf5', datasets: [{ data: copy }, { data: own }, { data: lent }] }], transfers);
    expect([...transfers]).toEqual([copy.buffer, lent.buffer]);
    expect(own.length).toBe(1000);
  });

  it('takes back only buffers it lent, once each, and keeps a bounded number free', () => {
    const pool = new ResultBufferPool();
    const own = new Float64Array(8);
    pool.reclaim([own, 'not an array', { data: own }]);
    expect(pool.resultArray([8]).data.buffer).not.toBe(own.buffer);
    const lent = Array.from({ length: 10 }, () => pool.resultArray([4]).data);
    pool.reclaim(lent);
    pool.reclaim(lent);
    const again = new Set(Array.from({ length: 10 }, () => pool.resultArray([4]).data.buffer));
    expect(pool.reused).toBe(4);
    expect(again.size).toBe(10);
  });

  it('hands off the lent buffers among results leaving the worker (for transfer), once, and never takes them back', () => {
    const pool = new ResultBufferPool();
    const none = new Set<ArrayBuffer>();
    pool.handOff([{ data: new Float64Array(2) }], none);
    expect(none.size).toBe(0);
    const a = pool.resultArray([3]);
    const b = pool.resultArray([3]);
    const own = new Float64Array(3);
    const into = new Set<ArrayBuffer>();
    // As results travel: a value, a tuple, and a StoredCall's datasets.
    pool.handOff([a, [own, 1], { stored: 'hdf5', datasets: [{ name: 'result_0', data: b.data }] }], into);
    expect([...into]).toEqual([a.data.buffer, b.data.buffer]);
    pool.handOff([a, b], into);
    expect(into.size).toBe(2);
    pool.reclaim([a.data, b.data]);
    expect(pool.resultArray([3]).data.buffer).not.toBe(a.data.buffer);
    expect(pool.reused).toBe(0);
  });

  it('offers the typed array of each dtype and refuses bad shapes and dtypes', () => {
    // Typed by dtype: float64 unless given.
    const float64: Float64Array = new ResultBufferPool().resultArray([2]).data;
    const uint16: Uint16Array = freshResultArray([2, 3], 'uint16').data;
    expect(float64).toBeInstanceOf(Float64Array);
    expect(uint16).toBeInstanceOf(Uint16Array);
    expect(freshResultArray([2], 'int64').data).toBeInstanceOf(BigInt64Array);
    expect(freshResultArray([0]).data.length).toBe(0);
    expect(() => freshResultArray([-1])).toThrow(/non-negative integers/);
    expect(() => freshResultArray([2], 'complex64' as never)).toThrow(/dtype must be one of/);
  });
});
