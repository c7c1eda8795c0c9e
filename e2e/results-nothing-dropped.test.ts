// Issue 14, "nothing dropped, nothing unrounded": what compute() returns in memory equals what
// h5py reads from the same run written to files, and complex results are numpy complex.
import * as path from 'node:path';
import { ParallelMap, range, type StackedResults } from '@acme-ts/core';
import { h5dump } from './support/h5';
import { TASKS, quiet, useWorkDir } from './support/run-fixtures';

const workDir = useWorkDir('e2e-nothing-dropped');
const out = (name: string) => path.join(workDir(), name);
const flat = (values: unknown): unknown[] => (Array.isArray(values) ? values.flatMap(flat) : [values]);

describe('in memory with resultShape', () => {
  test("several return values: the stacked array and every call's further return values (h5py reads the same from files)", async () => {
    const opts = { ...quiet, resultShape: [null, 10, 9] };
    await using memory = new ParallelMap(`${TASKS}#matconstruct_multi`, [range(6)], { ...opts, writeWorkerResults: false });
    const r = (await memory.compute()) as StackedResults;
    await using files = new ParallelMap(`${TASKS}#matconstruct_multi`, [range(6)], { ...opts, outputDir: out('multi') });
    await files.compute();
    const dump = h5dump(files.resultsContainer!);
    expect(r).toMatchObject({ dtype: 'float64', shape: [6, 10, 9] });
    expect(Array.from(r.data as Float64Array)).toEqual(flat(dump['/result_0'].values));
    expect(r.extra).toHaveLength(6);
    for (let k = 0; k < 6; k++) {
      expect(r.extra[k]).toHaveLength(2);
      expect(r.extra[k]![0]).toBe(dump[`/comp_${k}/result_1`].resolved.values);
      expect(Array.from(r.extra[k]![1] as Float64Array)).toEqual(dump[`/comp_${k}/result_2`].resolved.values);
    }
  });

  test("float16: numpy's float16 values (as h5py reads the float16 files), not float32-rounded ones", async () => {
    const opts = { ...quiet, resultShape: [null, 10, 9], resultDtype: 'float16' as const };
    await using memory = new ParallelMap(`${TASKS}#matconstruct`, [range(5)], { ...opts, writeWorkerResults: false });
    const r = (await memory.compute()) as StackedResults;
    await using files = new ParallelMap(`${TASKS}#matconstruct`, [range(5)], { ...opts, outputDir: out('f16') });
    await files.compute();
    const fromH5py = flat(h5dump(files.resultsContainer!)['/result_0'].values) as number[];
    expect(Object.prototype.toString.call(r.data)).toBe('[object Float32Array]');
    expect(Array.from(r.data as Float32Array)).toEqual(fromH5py);
    // What was returned before: float32 rounding, which differs from half precision almost everywhere.
    const exact = Array.from({ length: 5 * 90 }, (_, n) => Math.fround(Math.cos(Math.floor(n / 90) + Math.floor((n % 90) / 9) * (n % 9)) / 3));
    expect(exact.filter((x, n) => x !== fromH5py[n]).length).toBeGreaterThan(400);
  });
});

describe("complex results (h5py's compound {r, i}, read by h5py as numpy complex)", () => {
  // Shipped to the workers by source: returns complex128 values re and im interleaved.
  const waves = function waves(k: number) {
    return { dtype: 'complex128', shape: [2], data: Float64Array.of(k, -k, 0.5 * k, 1) };
  };

  test('resultDtype complex128: virtual dataset, single file and in memory agree', async () => {
    const opts = { ...quiet, resultShape: [null, 2], resultDtype: 'complex128' as const };
    const expected = [0, 1, 2, 3].map((k) => [
      [k, -k],
      [0.5 * k, 1],
    ]);
    for (const singleFile of [false, true]) {
      await using pmap = new ParallelMap(waves, [range(4)], { ...opts, singleFile, outputDir: out(`c128-${singleFile}`) });
      await pmap.compute();
      expect(h5dump(pmap.resultsContainer!)['/result_0']).toMatchObject({ dtype: 'complex128', shape: [4, 2], virtual: !singleFile, values: expected });
    }
    await using memory = new ParallelMap(waves, [range(4)], { ...opts, writeWorkerResults: false });
    const r = (await memory.compute()) as StackedResults;
    expect(r).toMatchObject({ dtype: 'complex128', shape: [4, 2] });
    expect(Array.from(r.data as Float64Array)).toEqual(flat(expected));
  });

  test('real results into resultDtype complex64 get imaginary parts 0; a complex return value without resultShape is a complex dataset', async () => {
    await using real = new ParallelMap(`${TASKS}#matconstruct`, [range(3)], {
      ...quiet,
      resultShape: [null, 10, 9],
      resultDtype: 'complex64',
      outputDir: out('c64'),
    });
    await real.compute();
    const vds = h5dump(real.resultsContainer!)['/result_0'];
    expect(vds).toMatchObject({ dtype: 'complex64', shape: [3, 10, 9] });
    expect(vds.values[2][3][4]).toEqual([Math.fround(Math.cos(2 + 12) / 3), 0]);
    await using plain = new ParallelMap(waves, [range(2)], { ...quiet, outputDir: out('c-plain') });
    await plain.compute();
    expect(h5dump(plain.resultsContainer!)['/comp_1/result_0']).toMatchObject({
      dtype: 'complex128',
      shape: [2],
      values: [
        [1, -1],
        [0.5, 1],
      ],
    });
  });
});
