// Issue 20: results as a JavaScript user returns them (a plain object → named datasets), read
// back by h5py and by openResults, in the default, singleFile and in-memory modes.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { ComputeError, ParallelMap, openResults, range, readSerializedResult } from '@acme-ts/core';
import { fileImageStats } from '@acme-ts/hdf5-native';
import { h5dump, PYTHON } from './support/h5';
import { quiet, useWorkDir } from './support/run-fixtures';

const workDir = useWorkDir('e2e-object-results');
const out = (name: string) => path.join(workDir(), name);

// Shipped to the workers by source.
const sweep = function sweep(mu: number, { sigma }: { sigma: number }) {
  return { mean: mu, sd: sigma * mu, stats: { n: 3n, converged: mu > 1, label: `mu=${mu}` }, spectrum: Float32Array.of(mu, 2 * mu) };
};

describe('a returned plain object: one dataset per key, nested objects as groups', () => {
  test.each([
    ['default', false],
    ['singleFile', true],
  ])('%s mode: h5py reads comp_i/mean, comp_i/stats/label; openResults too', async (_mode, singleFile) => {
    await using pmap = new ParallelMap(sweep, [[1, 2, 3]], { ...quiet, kwargs: { sigma: 0.5 }, singleFile, outputDir: out(`sweep-${singleFile}`) });
    await pmap.compute();
    const dump = h5dump(pmap.resultsContainer!);
    for (const [i, mu] of [1, 2, 3].entries()) {
      expect(dump[`/comp_${i}/mean`]).toMatchObject({ dtype: 'float64', shape: [], values: mu });
      expect(dump[`/comp_${i}/sd`]).toMatchObject({ dtype: 'float64', shape: [], values: 0.5 * mu });
      expect(dump[`/comp_${i}/stats`]).toMatchObject({ kind: 'group' });
      expect(dump[`/comp_${i}/stats/n`]).toMatchObject({ dtype: 'int64', values: 3 });
      expect(dump[`/comp_${i}/stats/converged`]).toMatchObject({ dtype: 'bool', values: mu > 1 });
      expect(dump[`/comp_${i}/stats/label`]).toMatchObject({ values: `mu=${mu}` });
      expect(dump[`/comp_${i}/spectrum`]).toMatchObject({ dtype: 'float32', shape: [2], values: [mu, 2 * mu] });
    }
    using results = openResults(pmap.resultsContainer!);
    const call = results.call(2).datasets;
    expect(Object.keys(call).sort()).toEqual(['mean', 'sd', 'spectrum', 'stats/converged', 'stats/label', 'stats/n']);
    expect(call.mean).toMatchObject({ dtype: 'float64', shape: [] });
    expect(Array.from(call.mean!.data as Float64Array)).toEqual([3]);
    expect(call['stats/label']!.data).toEqual(['mu=3']);
  });

  test('singleFile, many tiny calls of one structure (packed batches): every call has its named datasets', async () => {
    const stats = function stats(x: number) {
      return { mean: x, sd: 2 * x, n: Int32Array.of(x) };
    };
    await using pmap = new ParallelMap(stats, [Array.from({ length: 300 }, (_, i) => i)], { ...quiet, singleFile: true, outputDir: out('packed') });
    await pmap.compute();
    using results = openResults(pmap.resultsContainer!);
    expect(results.taskIDs()).toHaveLength(300);
    for (const taskID of [0, 137, 299]) {
      const d = results.call(taskID).datasets;
      expect([d.mean!.data[0], d.sd!.data[0], d.n!.data[0]]).toEqual([taskID, 2 * taskID, taskID]);
      expect(d.n!.dtype).toBe('int32');
    }
  });

  test('in memory: the objects as returned', async () => {
    await using pmap = new ParallelMap(sweep, [[1, 2]], { ...quiet, kwargs: { sigma: 1 }, writeWorkerResults: false });
    expect(await pmap.compute()).toEqual([
      { mean: 1, sd: 1, stats: { n: 3n, converged: false, label: 'mu=1' }, spectrum: Float32Array.of(1, 2) },
      { mean: 2, sd: 2, stats: { n: 3n, converged: true, label: 'mu=2' }, spectrum: Float32Array.of(2, 4) },
    ]);
  });

  test('a key HDF5 cannot name fails the call, naming the key; a value HDF5 cannot hold is serialized with a warning', async () => {
    const badKey = function badKey(x: number) {
      return x === 1 ? { 'a/b': x } : { a: x };
    };
    await using bad = new ParallelMap(badKey, [[0, 1, 2]], { ...quiet, outputDir: out('bad-key') });
    const error = (await bad.compute().catch((e: unknown) => e)) as ComputeError;
    expect(error).toBeInstanceOf(ComputeError);
    expect(error.failures).toHaveLength(1);
    expect(error.failures[0]).toMatchObject({
      taskID: 1,
      message: expect.stringContaining(`key "a/b" cannot name an HDF5 dataset: '/' separates HDF5 path components`),
    });
    expect(h5dump(bad.resultsContainer!)['/comp_2/a']).toMatchObject({ values: 2 });

    const withMap = function withMap(x: number) {
      return { mean: x, extra: new Map([['x', x]]) };
    };
    const warnings: string[] = [];
    const warn = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.join(' ')));
    const errs = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: unknown) => (warnings.push(String(chunk)), true));
    try {
      await using fallback = new ParallelMap(withMap, [[1, 2]], { ...quiet, outputDir: out('fallback') });
      const paths = (await fallback.compute()) as string[];
      expect(paths[1]).toBe(path.join(out('fallback'), 'withMap_payload', 'withMap_1.v8'));
      expect(readSerializedResult(paths[1]!)).toEqual({ mean: 2, extra: new Map([['x', 2]]) });
    } finally {
      warn.mockRestore();
      errs.mockRestore();
    }
    expect(warnings.join('\n')).toMatch(/call 1: HDF5 cannot hold the value \(extra: a Map has no HDF5 equivalent/);
  });
});

describe("inputs beside the results: the container's root attributes", () => {
  // The README's three lines, in call order.
  const pairs = (container: string) =>
    JSON.parse(
      execFileSync(
        PYTHON,
        [
          '-c',
          `import h5py, json, sys
with h5py.File(sys.argv[1]) as f:
    calls = sorted(f, key=lambda k: int(k[5:]))                      # comp_0, comp_1, comp_2, … (call order)
    pairs = [(float(f.attrs["mu"][int(k[5:])]), float(f[k]["mean"][()])) for k in calls]
    print(json.dumps({"pairs": pairs, "acme": {k: float(f[k]["mean"][()]) for k in f}, "sigma": float(f.attrs["sigma"])}))
`,
          container,
        ],
        { encoding: 'utf8' },
      ),
    ) as { pairs: [number, number][]; acme: Record<string, number>; sigma: number };

  test.each([
    ['default', false],
    ['singleFile', true],
  ])('%s mode: f.attrs["mu"][i] is call i\'s input; ACME\'s idiom still reads every comp_i', async (_mode, singleFile) => {
    const mus = Array.from({ length: 12 }, (_, i) => i + 1);
    await using pmap = new ParallelMap(sweep, [mus], { ...quiet, kwargs: { sigma: 0.5 }, singleFile, outputDir: out(`inputs-${singleFile}`) });
    await pmap.compute();
    const read = pairs(pmap.resultsContainer!);
    expect(read.pairs).toEqual(mus.map((mu) => [mu, mu]));
    using results = openResults(pmap.resultsContainer!);
    const inputs = results.inputs();
    expect(Array.from(inputs.mu as Float64Array)).toEqual(mus);
    expect(inputs.sigma).toBe(0.5);
    expect(Object.keys(read.acme)).toHaveLength(12);
    expect(read.sigma).toBe(0.5);
  });

  test('a sweep of 20000 calls: its input column (160 KB) is one attribute', async () => {
    const twice = function twice(x: number) {
      return { mean: 2 * x };
    };
    await using pmap = new ParallelMap(twice, [range(20000)], { ...quiet, singleFile: true, outputDir: out('inputs-large') });
    await pmap.compute();
    const read = JSON.parse(
      execFileSync(
        PYTHON,
        [
          '-c',
          'import h5py, json, sys\nwith h5py.File(sys.argv[1]) as f: print(json.dumps([f.attrs["x"].shape, float(f.attrs["x"][19999]), float(f["comp_19999"]["mean"][()])]))',
          pmap.resultsContainer!,
        ],
        { encoding: 'utf8' },
      ),
    );
    expect(read).toEqual([[20000], 19999, 39998]);
  });
});

describe("inputs beside the results: each call's split inputs as attributes of its results", () => {
  test("default mode: the payload file's root (later files still written from a file image)", async () => {
    const scaled = function scaled(mu: number, n: bigint, tag: string, { sigma }: { sigma: number }) {
      return { mean: mu * sigma, n };
    };
    const mus = Array.from({ length: 40 }, (_, i) => i / 4);
    const before = fileImageStats().filesWritten;
    await using pmap = new ParallelMap(scaled, [mus, mus.map((_, i) => BigInt(i)), 'fixed'], {
      ...quiet,
      kwargs: { sigma: 2 },
      outputDir: out('per-call-default'),
    });
    const payloads = (await pmap.compute()) as string[];
    expect(fileImageStats().filesWritten - before).toBeGreaterThan(30);
    const dump = h5dump(payloads[37]!);
    expect(dump['/'].attrs).toEqual({ mu: 37 / 4, n: 37 });
    expect(dump['/mean'].values).toBe(37 / 2);
    // The broadcast inputs are on the container's root only.
    expect(h5dump(pmap.resultsContainer!)['/'].attrs).toMatchObject({ tag: 'fixed', sigma: 2 });
  });

  test("singleFile: comp_i has no attributes (the root's table, in the same file, has the inputs)", async () => {
    const only = function only(x: number) {
      return { mean: x };
    };
    await using packed = new ParallelMap(only, [range(50)], { ...quiet, singleFile: true, outputDir: out('per-call-packed') });
    await packed.compute();
    const dump = h5dump(packed.resultsContainer!);
    expect(dump['/comp_7'].attrs).toEqual({});
    expect((dump['/'].attrs.x as number[])[7]).toBe(7);
  });
});
