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

  it('offers the typed array of each dtype and refuses bad shapes and dtypes', () => {
    expect(freshResultArray([2, 3], 'uint16').data).toBeInstanceOf(Uint16Array);
    expect(freshResultArray([2], 'int64').data).toBeInstanceOf(BigInt64Array);
    expect(freshResultArray([0]).data.length).toBe(0);
    expect(() => freshResultArray([-1])).toThrow(/non-negative integers/);
    expect(() => freshResultArray([2], 'complex64' as never)).toThrow(/dtype must be one of/);
  });
});
