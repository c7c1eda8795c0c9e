// Issue 20: the named resultShape (`{ spectrum: [null, 3], mean: [null] }`) stacks keys of the
// returned object, one dataset per key with its own dtype; the other keys stay per call. Files
// are checked with h5py (h5dump), and read back with openResults.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ComputeError, OptionError, ParallelMap, openResults, range } from '@acme-ts/core';
import { h5dump } from './support/h5';
import { quiet, TASKS, useWorkDir } from './support/run-fixtures';
import { acme, python } from './fixtures/cli-harness';

const workDir = useWorkDir('e2e-named-result-shape');
const named = { resultShape: { spectrum: [null, 3], mean: [null] }, resultDtype: { spectrum: 'float32' } } as const;
const compKeys = (dump: Record<string, unknown>) => Object.keys(dump).filter((k) => /^\/comp_\d+$/.test(k));
// Default mode: comp_i/<key> is an external link to the payload file's dataset.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const target = (entry: any) => (entry?.kind === 'external-link' ? entry.resolved : entry);

describe.each([
  ['default', false],
  ['singleFile', true],
])('%s mode', (mode, singleFile) => {
  test('one stacked dataset per key (its own dtype), the other keys per call; a failed call leaves its slots unfilled; resume with only, then all', async () => {
    const outputDir = path.join(workDir(), `sweep-${mode}`);
    const marker = path.join(workDir(), `fixed-${mode}`);
    const pmap = new ParallelMap(`${TASKS}#sweepFailOdd`, [range(4), marker], { ...quiet, ...named, singleFile, outputDir });
    const error = (await pmap.compute().catch((e: unknown) => e)) as ComputeError;
    await pmap.close();
    expect(error).toBeInstanceOf(ComputeError);
    expect(error.failures.map((f) => f.taskID)).toEqual([1, 3]);
    const container = path.join(outputDir, 'sweepFailOdd.h5');
    let dump = h5dump(container);
    expect(dump['/spectrum']).toMatchObject({ dtype: 'float32', shape: [4, 3], virtual: !singleFile });
    expect(dump['/spectrum'].values).toEqual([
      [0, 0, 0],
      [null, null, null],
      [2, 4, 6],
      [null, null, null],
    ]); // NaN, as JSON
    expect(dump['/mean']).toMatchObject({ dtype: 'float64', shape: [4], values: [0, null, 1, null] });
    if (!singleFile)
      expect(dump['/spectrum'].sources.map((s: { file: string }) => s.file)).toEqual([
        'sweepFailOdd_payload/sweepFailOdd_0.h5',
        'sweepFailOdd_payload/sweepFailOdd_2.h5',
      ]);
    expect(compKeys(dump)).toEqual(['/comp_0', '/comp_2']);
    // The unstacked keys, nested objects as groups; the stacked ones are not repeated per call.
    expect(target(dump['/comp_2/sd'])).toMatchObject({ dtype: 'float64', shape: [], values: 0.2 });
    expect(
      python(`with h5py.File('sweepFailOdd.h5') as f: print(f['comp_2/fit/slope'][()], f['comp_2/fit/ok'][()], f['comp_2/fit/ok'].dtype)`, outputDir),
    ).toBe('2.0 True bool\n');
    expect(dump['/comp_2/spectrum']).toBeUndefined();
    expect(dump['/comp_2/mean']).toBeUndefined();

    fs.writeFileSync(marker, '');
    const one = ParallelMap.resume(outputDir, { ...quiet, only: [1] });
    await one.compute();
    await one.close();
    expect(h5dump(container)['/mean'].values).toEqual([0, 0.5, 1, null]);
    const rest = ParallelMap.resume(outputDir, quiet);
    await rest.compute();
    await rest.close();
    dump = h5dump(container);
    expect(dump['/spectrum'].values).toEqual([
      [0, 0, 0],
      [1, 2, 3],
      [2, 4, 6],
      [3, 6, 9],
    ]);
    expect(dump['/mean'].values).toEqual([0, 0.5, 1, 1.5]);
    expect(compKeys(dump)).toHaveLength(4);
    expect(python(`with h5py.File('sweepFailOdd.h5') as f: print(f['comp_3/fit/slope'][()])`, outputDir)).toBe('3.0\n');

    using results = openResults(container);
    expect(results.dataset('spectrum')).toMatchObject({ dtype: 'float32', shape: [4, 3] });
    expect(Array.from(results.dataset('mean').data as Float64Array)).toEqual([0, 0.5, 1, 1.5]);
    expect(Object.keys(results.call(3).datasets).sort()).toEqual(['fit/ok', 'fit/slope', 'sd']);

    // Another shape in the same folder is another run: refused, naming what differs.
    const other = new ParallelMap(`${TASKS}#sweepFailOdd`, [range(4), marker], { ...quiet, singleFile, outputDir, resultShape: { spectrum: [null, 3] } });
    const refused = (await other.compute().catch((e: unknown) => e)) as OptionError;
    await other.close();
    expect(refused).toBeInstanceOf(OptionError);
    expect(refused.message).toContain('resultShape {"mean":[null],"spectrum":[null,3]} there, {"spectrum":[null,3]} here');
  });

  test('per-call errors: a non-object, a missing stacked key, a stacked value of another shape; the other calls are stored', async () => {
    const picky = function picky(x: number) {
      if (x === 1) return 42;
      if (x === 2) return { mean: 1 };
      if (x === 3) return { spectrum: [1, 2], mean: 1 };
      return { spectrum: [x, x, x], mean: x };
    };
    const outputDir = path.join(workDir(), `picky-${mode}`);
    await using pmap = new ParallelMap(picky, [[0, 1, 2, 3]], { ...quiet, ...named, singleFile, outputDir });
    const error = (await pmap.compute().catch((e: unknown) => e)) as ComputeError;
    expect(error.failures.map((f) => [f.taskID, f.message])).toEqual([
      [1, 'call 1 returned 42, but options.resultShape stacks the keys spectrum, mean of a returned object: return an object like { spectrum: … }'],
      [2, 'call 2 returned an object without the key "spectrum" that options.resultShape stacks (its keys: mean)'],
      [3, 'call 3 returned spectrum of shape [2], but options.resultShape.spectrum expects [3] per call'],
    ]);
    const dump = h5dump(pmap.resultsContainer!);
    expect(dump['/spectrum'].values).toEqual([
      [0, 0, 0],
      [null, null, null],
      [null, null, null],
      [null, null, null],
    ]);
    expect(compKeys(dump)).toEqual([]); // call 0 returned only stacked keys
  });

  test('an unlimited dimension per key: its extent is the longest result', async () => {
    const trace = function trace(x: number) {
      return { trace: Float64Array.from({ length: x + 1 }, (_, i) => i), last: x };
    };
    await using pmap = new ParallelMap(trace, [[0, 2, 1]], {
      ...quiet,
      singleFile,
      outputDir: path.join(workDir(), `trace-${mode}`),
      resultShape: { trace: [null, Infinity] },
    });
    await pmap.compute();
    const dump = h5dump(pmap.resultsContainer!);
    expect(dump['/trace'].shape).toEqual([3, 3]);
    expect(dump['/trace'].values[1]).toEqual([0, 1, 2]);
    expect(target(dump['/comp_1/last']).values).toBe(2);
  });
});

test('singleFile, many tiny calls of one structure (packed batches): each stacked key fills its slots, the rest goes to comp_i', async () => {
  const tiny = function tiny(x: number) {
    return { v: Float64Array.of(x, -x), m: x, s: 2 * x };
  };
  await using pmap = new ParallelMap(tiny, [Array.from({ length: 300 }, (_, i) => i)], {
    ...quiet,
    singleFile: true,
    outputDir: path.join(workDir(), 'packed'),
    resultShape: { v: [null, 2], m: [null] },
    resultDtype: 'int32',
  });
  await pmap.compute();
  const dump = h5dump(pmap.resultsContainer!);
  expect(dump['/v']).toMatchObject({ dtype: 'int32', shape: [300, 2] });
  expect(dump['/m']).toMatchObject({ dtype: 'int32', shape: [300] });
  expect(dump['/v'].values[137]).toEqual([137, -137]);
  expect(dump['/m'].values[299]).toBe(299);
  expect(compKeys(dump)).toHaveLength(300);
  expect(dump['/comp_137/s'].values).toBe(274);
});

test("in memory: one stacked array per key and each call's other keys (nothing dropped); a call that does not fit fails alone", async () => {
  await using pmap = new ParallelMap(`${TASKS}#sweepFailOdd`, [[0, 2, 4], path.join(workDir(), 'no-marker')], {
    ...quiet,
    writeWorkerResults: false,
    resultShape: { spectrum: [null, 3], mean: [null] },
    resultDtype: { mean: 'float16' },
  });
  const result = await pmap.compute();
  expect(result.stacked.spectrum).toEqual({ dtype: 'float64', shape: [3, 3], data: Float64Array.of(0, 0, 0, 2, 4, 6, 4, 8, 12) });
  expect(result.stacked.mean).toEqual({ dtype: 'float16', shape: [3], data: Float32Array.of(0, 1, 2) });
  expect(result.rest).toEqual([
    { sd: 0, fit: { slope: 0, ok: false } },
    { sd: 0.2, fit: { slope: 2, ok: true } },
    { sd: 0.4, fit: { slope: 4, ok: true } },
  ]);

  const wrong = function wrong(x: number) {
    return x === 1 ? { spectrum: 'abc' } : { spectrum: [x, x] };
  };
  await using bad = new ParallelMap(wrong, [[0, 1]], { ...quiet, writeWorkerResults: false, resultShape: { spectrum: [null, 2] } });
  const error = (await bad.compute().catch((e: unknown) => e)) as ComputeError;
  expect(error.failures.map((f) => [f.taskID, f.message])).toEqual([[1, 'call 1 returned spectrum as strings, which cannot be stacked into dtype float64']]);
});

test('the dry run describes what the named resultShape makes of its call', async () => {
  const infos: string[] = [];
  const logger = { info: (m: string) => infos.push(m), warn: () => {}, error: () => {} };
  await using pmap = new ParallelMap(`${TASKS}#sweepFailOdd`, [[2, 4], 'no-marker'], {
    ...named,
    nWorkers: 1,
    logger,
    dryrun: true,
    outputDir: path.join(workDir(), 'dryrun'),
  });
  await pmap.compute();
  expect(infos.find((m) => m.startsWith('Dry-run: call'))).toMatch(
    /^Dry-run: call [01] returned the stacked keys spectrum \[3\] → spectrum \(2, 3\) float32, mean \[\] → mean \(2,\) float64; per call \(comp_i\): sd, fit$/,
  );
});

test('acme-ts run --result-shape with a JSON object of keys, --result-dtype per key; rerun completes it', async () => {
  const work = workDir();
  const marker = path.join(work, 'cli-fixed');
  const shape = JSON.stringify({ spectrum: [null, 3], mean: [null] });
  const r = await acme(
    [
      'run',
      `${TASKS}#sweepFailOdd`,
      'range:0:4',
      JSON.stringify(marker),
      '--result-shape',
      shape,
      '--result-dtype',
      '{"spectrum":"float32"}',
      '-o',
      'cli-named',
      '--n-workers',
      '2',
    ],
    {
      cwd: work,
    },
  );
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('call 1 (error): RangeError: odd input 1');
  fs.writeFileSync(marker, '');
  const rerun = await acme(['rerun', 'cli-named', '--n-workers', '1'], { cwd: work });
  expect(rerun.code).toBe(0);
  const dump = h5dump(path.join(work, 'cli-named', 'sweepFailOdd.h5'));
  expect(dump['/spectrum']).toMatchObject({
    dtype: 'float32',
    shape: [4, 3],
    values: [
      [0, 0, 0],
      [1, 2, 3],
      [2, 4, 6],
      [3, 6, 9],
    ],
  });
  expect(target(dump['/comp_3/sd']).values).toBe(0.3);

  // In memory: the stacked arrays by key and each call's other keys, as JSON.
  const memory = await acme(['run', `${TASKS}#sweepFailOdd`, '[0,2]', '1', '--result-shape', shape, '--no-write-worker-results', '-q'], { cwd: work });
  expect(memory.code).toBe(0);
  expect(JSON.parse(memory.stdout)).toEqual({
    stacked: { spectrum: { dtype: 'float64', shape: [2, 3], data: [0, 0, 0, 2, 4, 6] }, mean: { dtype: 'float64', shape: [2], data: [0, 1] } },
    rest: [
      { sd: 0, fit: { slope: 0, ok: false } },
      { sd: 0.2, fit: { slope: 2, ok: true } },
    ],
  });

  const bad = await acme(['run', `${TASKS}#sweepFailOdd`, 'range:0:2', '1', '--result-shape', '{"spectrum": [3]}'], { cwd: work });
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain("--result-shape's key spectrum must contain exactly one null (the dimension along which calls are stacked), got [3]");
});
