// ParallelMap end to end on worker threads: every mode of the seed document, checked with
// h5py (not with our own reader).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ParallelMap, openResults, readSerializedResult, range } from '@acme-ts/core';
import { h5dump, h5copyExpand } from './support/h5';
import { TASKS, quiet, useWorkDir } from './support/run-fixtures';

const workDir = useWorkDir('e2e-modes');

function out(name: string): string {
  return path.join(workDir(), name);
}

describe('default mode: container of external links to one payload file per call', () => {
  test('the seed example this_func(a, b, c) over 50 triplets', async () => {
    const n = 50;
    const a = Array.from({ length: n }, (_, i) => i);
    const b = Array.from({ length: n }, (_, i) => 2 * i);
    const c = Array.from({ length: n }, (_, i) => -i);
    await using pmap = new ParallelMap(`${TASKS}#this_func`, [a, b, c], { ...quiet, outputDir: out('this_func') });
    const results = (await pmap.compute()) as string[];
    expect(results).toHaveLength(n);
    expect(results[33]).toBe(path.join(out('this_func'), 'this_func_payload', 'this_func_33.h5'));
    expect(pmap.resultsContainer).toBe(path.join(out('this_func'), 'this_func.h5'));

    const dump = h5dump(pmap.resultsContainer!);
    const roots = Object.keys(dump).filter((k) => /^\/comp_\d+$/.test(k));
    expect(roots).toHaveLength(n);
    expect(dump['/comp_33']).toMatchObject({ kind: 'external-link', file: 'this_func_payload/this_func_33.h5', target: '/' });

    const payload = h5dump(results[33]!);
    expect(Object.keys(payload).sort()).toEqual(['/', '/result_0', '/result_1', '/result_2']);
    expect(payload['/result_0']).toMatchObject({ dtype: 'float64', shape: [2], values: [33, 66] });
    expect(payload['/result_1']).toMatchObject({ dtype: 'int32', shape: [3], values: [66, -33, 33] });
    expect(payload['/result_2']).toMatchObject({ dtype: 'float64', shape: [1], values: [33 * 66 * -33] });
  });

  test('h5py copy(expand_external=True) of the container gives regular datasets, from another cwd', async () => {
    await using pmap = new ParallelMap(`${TASKS}#randout`, [[1, -2, 3]], { ...quiet, outputDir: out('randout-copy') });
    await pmap.compute();
    const copy = h5copyExpand(pmap.resultsContainer!, out('randout-copy.h5'), { cwd: '/' });
    expect(copy['/comp_1']).toMatchObject({ kind: 'group' });
    expect(copy['/comp_1/result_0']).toMatchObject({ dtype: 'float64', shape: [1], values: [-6], virtual: false });
    expect(copy['/comp_2/result_0'].values).toEqual([1]);
  });

  test('ACME names: an automatic ACME_YYYYMMDD-hhmmss-ffffff folder in the cwd, log file beside the results', async () => {
    const cwd = process.cwd();
    process.chdir(workDir());
    try {
      await using pmap = new ParallelMap(`${TASKS}#randout`, [[5, 6]], quiet);
      await pmap.compute();
      expect(path.basename(pmap.outputDir!)).toMatch(/^ACME_\d{8}-\d{6}-\d{6}$/);
      expect(path.dirname(pmap.outputDir!)).toBe(fs.realpathSync(workDir()));
      const logs = fs.readdirSync(pmap.outputDir!).filter((f) => /^ACME_randout_\d{8}-\d{6}\.log$/.test(f));
      expect(logs).toHaveLength(1);
      expect(fs.readFileSync(path.join(pmap.outputDir!, logs[0]!), 'utf8')).toContain('Preparing 2 parallel calls');
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('singleFile: one container with real groups', () => {
  test("the seed's randout example (scaled down): results = [container], groups comp_i", async () => {
    const n = 500;
    const x = Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
    await using pmap = new ParallelMap(`${TASKS}#randout`, [x], { ...quiet, singleFile: true, outputDir: out('randout-sf') });
    const results = await pmap.compute();
    expect(results).toEqual([path.join(out('randout-sf'), 'randout.h5')]);
    expect(fs.existsSync(path.join(out('randout-sf'), 'randout_payload'))).toBe(false);
    const dump = h5dump(pmap.resultsContainer!);
    for (const i of [0, 1, 250, 499]) {
      const expected = x[i]! > 0 ? x[i]! / 3 : x[i]! * 3;
      expect(dump[`/comp_${i}`]).toMatchObject({ kind: 'group' });
      expect(dump[`/comp_${i}/result_0`].values[0]).toBeCloseTo(expected, 12);
    }
    expect(Object.keys(dump).filter((k) => /^\/comp_\d+$/.test(k))).toHaveLength(n);
  });

  test('a value HDF5 cannot hold goes to <out>/<f>_<i>.v8 beside the container (no payload folder), as the README says; a re-run keeps it', async () => {
    const outputDir = out('sf-fallback');
    const opts = { ...quiet, singleFile: true, outputDir };
    const f = (x: number) => (x === 1 ? new Map([['x', x]]) : x * 2);
    await using pmap = new ParallelMap(f, [[0, 1, 2]], opts);
    await pmap.compute();
    const fallback = path.join(outputDir, 'f_1.v8');
    expect(readSerializedResult(fallback)).toEqual(new Map([['x', 1]]));
    expect(fs.existsSync(path.join(outputDir, 'f_payload'))).toBe(false);
    const dump = h5dump(path.join(outputDir, 'f.h5'));
    expect(
      Object.keys(dump)
        .filter((k) => /^\/comp_\d+$/.test(k))
        .sort(),
    ).toEqual(['/comp_0', '/comp_2']);
    const mtime = fs.statSync(fallback).mtimeMs;
    await using again = new ParallelMap(f, [[0, 1, 2]], opts);
    const ran: number[] = [];
    for await (const r of again.results()) ran.push(r.taskID);
    expect(ran).toEqual([]);
    expect(fs.statSync(fallback).mtimeMs).toBe(mtime);
  });
});

describe('resultShape: stacking into one (virtual) dataset', () => {
  const K = 200;
  test('matconstruct with resultShape [null, 10, 9]: a relocatable virtual dataset (200, 10, 9) float64', async () => {
    await using pmap = new ParallelMap(`${TASKS}#matconstruct`, [range(K)], { ...quiet, resultShape: [null, 10, 9], outputDir: out('mat') });
    await pmap.compute();
    const dump = h5dump(pmap.resultsContainer!);
    expect(Object.keys(dump)).toEqual(['/', '/result_0']);
    const vds = dump['/result_0'];
    expect(vds).toMatchObject({ virtual: true, dtype: 'float64', shape: [K, 10, 9] });
    expect(vds.sources[56]).toEqual({ file: 'matconstruct_payload/matconstruct_56.h5', dataset: 'result_0' });
    expect(vds.values[56][3][4]).toBeCloseTo(Math.cos(56 + 12) / 3, 12);

    // Move the whole folder, read from another cwd: same values (ACME reads zeros here).
    const moved = out('mat-moved');
    fs.renameSync(out('mat'), moved);
    const after = h5dump(path.join(moved, 'matconstruct.h5'), { cwd: '/' });
    expect(after['/result_0'].values[56][3][4]).toBeCloseTo(Math.cos(56 + 12) / 3, 12);
    expect(after['/result_0'].values[199][9][8]).toBeCloseTo(Math.cos(199 + 72) / 3, 12);
  });

  test('matconstruct_multi: result_0 virtual, the other return values as comp_i/result_k', async () => {
    await using pmap = new ParallelMap(`${TASKS}#matconstruct_multi`, [range(K)], { ...quiet, resultShape: [null, 10, 9], outputDir: out('multi') });
    await pmap.compute();
    const dump = h5dump(pmap.resultsContainer!);
    const keys = Object.keys(dump).filter((k) => k.split('/').length === 2);
    expect(keys).toHaveLength(K + 1 + 1); // '/', result_0, comp_0..comp_199
    expect(dump['/result_0']).toMatchObject({ virtual: true, shape: [K, 10, 9] });
    expect(dump['/comp_56/result_1']).toMatchObject({ kind: 'external-link', file: 'matconstruct_multi_payload/matconstruct_multi_56.h5', target: 'result_1' });
    expect(dump['/comp_56/result_1'].resolved).toMatchObject({ shape: [], values: 56 });
    expect(dump['/comp_56/result_2'].resolved.shape).toEqual([9]);
    expect(dump['/comp_56/result_0']).toBeUndefined();
  });

  test('resultDtype float16: the virtual dataset reads as numpy float16 with correctly rounded values', async () => {
    await using pmap = new ParallelMap(`${TASKS}#matconstruct`, [range(5)], {
      ...quiet,
      resultShape: [null, 10, 9],
      resultDtype: 'float16',
      outputDir: out('mat16'),
    });
    await pmap.compute();
    const vds = h5dump(pmap.resultsContainer!)['/result_0'];
    expect(vds.dtype).toBe('float16');
    // float16 has an 11-bit significand: the stored value is within 2^-11 (relative) of the exact one.
    const exact = Math.cos(3 + 12) / 3;
    expect(Math.abs(vds.values[3][3][4] - exact)).toBeLessThanOrEqual(Math.abs(exact) * 2 ** -11);
  });

  test('in memory with resultShape and float16: one stacked array in call order', async () => {
    await using pmap = new ParallelMap(`${TASKS}#matconstruct`, [range(5)], {
      ...quiet,
      resultShape: [null, 10, 9],
      resultDtype: 'float16',
      writeWorkerResults: false,
    });
    const stacked = (await pmap.compute()) as { dtype: string; shape: number[]; data: ArrayLike<number> };
    expect(stacked.dtype).toBe('float16');
    expect(stacked.shape).toEqual([5, 10, 9]);
    expect(stacked.data[4 * 90 + 3 * 9 + 4]).toBeCloseTo(Math.cos(4 + 12) / 3, 3);
  });

  test('Infinity: unlimited dimension resolved from the real data, as VDS and as single file', async () => {
    const make = `function channels(k) {
      const n = 1234 + k; // each call a different length: the longest one sets the extent
      const data = new Float64Array(10 * n);
      for (let c = 0; c < 10; c++) for (let s = 0; s < n; s++) data[c * n + s] = k + c / 10;
      return { data, shape: [10, n] };
    }`;
    const fn = new Function(`return (${make})`)();
    for (const singleFile of [false, true]) {
      await using pmap = new ParallelMap(fn, [[0, 1, 2, 3]], { ...quiet, resultShape: [null, 10, Infinity], singleFile, outputDir: out(`inf-${singleFile}`) });
      await pmap.compute();
      const ds = h5dump(pmap.resultsContainer!)['/result_0'];
      expect(ds).toMatchObject({ shape: [4, 10, 1237], maxshape: [4, 10, null], virtual: !singleFile });
      expect(ds.values[2][5][1235]).toBeCloseTo(2.5, 12);
      // Past a shorter call's own length: the fill value (NaN for floats: never a plausible 0).
      expect(ds.values[0][0][1236]).toBeNull();
    }
  });
});

describe('resultShape + singleFile with many small calls (written a batch at a time)', () => {
  const K = 200;
  test('one regular result_0 in call order, the other return values as comp_i/result_k groups', async () => {
    await using pmap = new ParallelMap(`${TASKS}#matconstruct_multi`, [range(K)], {
      ...quiet,
      resultShape: [null, 10, 9],
      singleFile: true,
      outputDir: out('multi-sf'),
    });
    expect(await pmap.compute()).toEqual([pmap.resultsContainer]);
    const dump = h5dump(pmap.resultsContainer!);
    expect(dump['/result_0']).toMatchObject({ virtual: false, dtype: 'float64', shape: [K, 10, 9] });
    for (const k of [0, 56, 57, 199]) {
      expect(dump['/result_0'].values[k][3][4]).toBeCloseTo(Math.cos(k + 12) / 3, 12);
      expect(dump[`/comp_${k}/result_1`]).toMatchObject({ kind: 'dataset', shape: [], values: k });
      expect(dump[`/comp_${k}/result_2`].shape).toEqual([9]);
    }
    expect(Object.keys(dump).filter((key) => /^\/comp_\d+$/.test(key))).toHaveLength(K);
  });

  test('stacking dimension last, and an unlimited dimension every call fills alike', async () => {
    const triple = function triple(k: number) {
      return Float64Array.of(k, 10 * k, 100 * k);
    };
    await using last = new ParallelMap(triple, [range(K)], { ...quiet, resultShape: [3, null], singleFile: true, outputDir: out('last-sf') });
    await last.compute();
    const byColumn = h5dump(last.resultsContainer!)['/result_0'];
    expect(byColumn.shape).toEqual([3, K]);
    expect([0, 1, 2].map((i) => byColumn.values[i][123])).toEqual([123, 1230, 12300]);
    await using unlimited = new ParallelMap(triple, [range(K)], {
      ...quiet,
      resultShape: [null, Infinity],
      resultDtype: 'int32',
      singleFile: true,
      outputDir: out('inf-sf'),
    });
    await unlimited.compute();
    const grown = h5dump(unlimited.resultsContainer!)['/result_0'];
    expect(grown).toMatchObject({ dtype: 'int32', shape: [K, 3], maxshape: [K, null] });
    expect(grown.values[199]).toEqual([199, 1990, 19900]);
  });
});

describe('serialized results (ACME write_pickle)', () => {
  test('one .v8 file per call holding the raw value; no container', async () => {
    const fn = function sparse(k: number) {
      return new Map<string, unknown>([
        ['diag', [k, k, k]],
        ['n', 3],
      ]);
    };
    await using pmap = new ParallelMap(fn, [[1, 2, 3, 4]], { ...quiet, serializeResults: true, outputDir: out('ser') });
    const results = (await pmap.compute()) as string[];
    expect(results).toEqual([0, 1, 2, 3].map((i) => path.join(out('ser'), `sparse_${i}.v8`)));
    expect(pmap.resultsContainer).toBeUndefined();
    expect(readSerializedResult(results[2]!)).toEqual(
      new Map<string, unknown>([
        ['diag', [3, 3, 3]],
        ['n', 3],
      ]),
    );
  });

  test('emergency fallback: a value HDF5 cannot hold is serialized, without ACME name collisions; the container stays valid', async () => {
    const fn = function mixed(k: number) {
      return k % 5 === 0 ? new Map([['label', `call ${k}`]]) : k;
    };
    await using pmap = new ParallelMap(fn, [range(16)], { ...quiet, outputDir: out('fallback') });
    const results = (await pmap.compute()) as string[];
    // ACME's rstrip('.h5') would name call 5 and call 15 "mixed_.pickle" / "mixed_1.pickle".
    expect(results[5]).toBe(path.join(out('fallback'), 'mixed_payload', 'mixed_5.v8'));
    expect(results[15]).toBe(path.join(out('fallback'), 'mixed_payload', 'mixed_15.v8'));
    expect(readSerializedResult(results[15]!)).toEqual(new Map([['label', 'call 15']]));
    const dump = h5dump(pmap.resultsContainer!);
    expect(dump['/comp_5']).toBeUndefined();
    expect(dump['/comp_6']).toMatchObject({ kind: 'external-link' });
    expect(dump['/comp_6'].error).toBeUndefined();
  });
});

describe('in memory (writeWorkerResults: false)', () => {
  test('a function exported by an ES module', async () => {
    const esm = path.join(__dirname, 'fixtures', 'esm-tasks.mjs');
    await using pmap = new ParallelMap(`${esm}#tripleWithID`, [[1, 2, 3]], { ...quiet, writeWorkerResults: false });
    expect(await pmap.compute()).toEqual([3, 6.1, 9.2]);
  });

  test('values in call order; tuples stay arrays', async () => {
    const fn = (x: number, y: number) => [x, x * y];
    await using pmap = new ParallelMap(fn, [range(6), 10], { ...quiet, writeWorkerResults: false });
    expect(await pmap.compute()).toEqual([0, 1, 2, 3, 4, 5].map((x) => [x, 10 * x]));
  });

  test('taskContext() (or `this`) tells the call index in every mode, without a range argument or an import', async () => {
    // Written as plain JS source, as a user would: a shipped function gets `taskContext` from the
    // loader (no require of @acme-ts/core, which need not resolve from the workers' cwd).
    const seeded = new Function('return function seeded(x) { return x * 1000 + taskContext().taskID + 100 * (this.taskID !== taskContext().taskID); }')();
    await using mem = new ParallelMap(seeded, [3], { ...quiet, nInputs: 4, writeWorkerResults: false });
    expect(await mem.compute()).toEqual([3000, 3001, 3002, 3003]);
    await using files = new ParallelMap(seeded, [3], { ...quiet, nInputs: 4, singleFile: true, outputDir: out('ctx') });
    await files.compute();
    expect(h5dump(files.resultsContainer!)['/comp_2/result_0'].values).toEqual([3002]);
  });

  test('concurrency overlaps async calls in a worker; each keeps its taskContext() across its awaits', async () => {
    const waiting = new Function(
      'return async function waiting(x) { const before = taskContext().taskID; await new Promise((r) => setTimeout(r, 150)); return [x, before, taskContext().taskID]; }',
    )();
    const started = performance.now();
    await using pmap = new ParallelMap(waiting, [range(12)], { ...quiet, nWorkers: 1, concurrency: 6, writeWorkerResults: false });
    expect(await pmap.compute()).toEqual(Array.from({ length: 12 }, (_, i) => [i, i, i]));
    // 2 rounds of 150 ms on one worker (one call at a time: 1800 ms).
    expect(performance.now() - started).toBeLessThan(1200);
  });

  test('results() yields each call as it settles', async () => {
    await using pmap = new ParallelMap(`${TASKS}#slowSquare`, [range(6), 5], { ...quiet, writeWorkerResults: false });
    const seen: [number, unknown][] = [];
    for await (const r of pmap.results()) seen.push([r.taskID, r.value]);
    expect(seen.sort((a, b) => a[0] - b[0])).toEqual([0, 1, 2, 3, 4, 5].map((i) => [i, i * i]));
  });
});

describe('reading results back in TypeScript', () => {
  test('openResults follows external links and virtual datasets', async () => {
    await using pmap = new ParallelMap(`${TASKS}#matconstruct_multi`, [range(3)], { ...quiet, resultShape: [null, 10, 9], outputDir: out('read') });
    await pmap.compute();
    using results = openResults(pmap.resultsContainer!);
    expect(results.taskIDs()).toEqual([0, 1, 2]);
    const stacked = results.dataset('result_0');
    expect(stacked.shape).toEqual([3, 10, 9]);
    expect(stacked.data[2 * 90 + 9 + 1]).toBeCloseTo(Math.cos(2 + 1) / 3, 12);
    expect(Array.from(results.call(1).datasets.result_1!.data as ArrayLike<number>)).toEqual([1]);
  });
});
