// Issue 20 §3: a large `h5:` input split along its first axis is read by each worker (the rows
// of its calls), not loaded in the client: the client runs under a heap smaller than the file,
// and its peak memory stays below the file's size. Results and inputs checked with h5py.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ComputeError, ParallelMap, datasetRows } from '@acme-ts/core';
import { tempDir } from './support/h5';
import { acme, python, TASKS } from './fixtures/cli-harness';

const PEAK_RSS = path.join(__dirname, 'fixtures', 'peak-rss.js');
const ROWS = 400;
const COLUMNS = 131072; // 1 MiB of float64 per row: 400 MiB in all

let work: string;
beforeAll(() => {
  work = tempDir('dataset-rows');
  // Written a block of rows at a time: row r holds r + j/COLUMNS.
  python(
    [
      "with h5py.File('big.h5', 'w') as f:",
      `    x = f.create_dataset('x', (${ROWS}, ${COLUMNS}), dtype='f8')`,
      `    for r in range(0, ${ROWS}, 50):`,
      `        x[r:r + 50] = np.arange(r, r + 50)[:, None] + np.arange(${COLUMNS})[None, :] / ${COLUMNS}`,
    ].join('\n'),
    work,
  );
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('split:h5:big.h5:/x (400 MiB) runs one call per row with a 64 MB heap, the client never holding the file; results checked with h5py', async () => {
  const bytes = fs.statSync(path.join(work, 'big.h5')).size;
  expect(bytes).toBeGreaterThan(400 * 2 ** 20);
  const peakFile = path.join(work, 'peak-rss');
  const r = await acme(['run', `${TASKS}#sumOfRow`, 'split:h5:big.h5:/x', '-o', 'sums', '--n-workers', '2'], {
    cwd: work,
    env: { NODE_OPTIONS: `--max-old-space-size=64 --require ${PEAK_RSS}`, ACME_TEST_PEAK_RSS_FILE: peakFile },
  });
  expect([r.code, r.stdout]).toEqual([0, expect.stringContaining(`${ROWS} calls: ${ROWS} done, 0 failed`)]);
  // The client's process (its worker threads included) never held the file: 120–170 MB at its
  // peak here, as with 200 rows (≈ 86 MB any run of 2 workers takes; the rest is rows each
  // worker's V8 has yet to collect); read whole, the file alone would be 420 MB.
  const peakBytes = Number(fs.readFileSync(peakFile, 'utf8')) * 1024;
  expect(peakBytes).toBeLessThan(bytes * 0.6);
  const check = python(
    [
      'import json',
      "with h5py.File('big.h5') as src, h5py.File('sums/sumOfRow.h5') as f:",
      "    sums = {int(k.split('_')[1]): float(f[k]['result_0'][0]) for k in f}",
      `    expected = np.concatenate([src['x'][r:r + 50].sum(axis=1) for r in range(0, ${ROWS}, 50)])`,
      `    print(json.dumps({'n': len(sums), 'worst': max(abs(sums[i] - expected[i]) / expected[i].clip(1) for i in range(${ROWS})), 'source': f.attrs['row_source'], 'names': sorted(f.attrs.keys())}))`,
    ].join('\n'),
    work,
  );
  const result = JSON.parse(check) as { n: number; worst: number; source: string; names: string[] };
  expect(result).toEqual({ n: ROWS, worst: expect.any(Number), source: `${path.join(work, 'big.h5')}:/x`, names: ['row_source'] });
  expect(result.worst).toBeLessThan(1e-12);
}, 60000);

test("a file removed before the workers read it fails each call, naming file and dataset; one changed since a run started is that run's no more", async () => {
  python("with h5py.File('small.h5', 'w') as f:\n    f['m'] = np.arange(6.).reshape(3, 2)", work);
  const file = path.join(work, 'small.h5');
  const outputDir = path.join(work, 'small-run');
  const sumOfRow = `${TASKS}#sumOfRow`;
  const first = new ParallelMap(sumOfRow, [datasetRows(file, '/m')], { verbose: false, nWorkers: 2, outputDir });
  try {
    expect(await first.compute()).toHaveLength(3);
  } finally {
    await first.close();
  }
  // Rewritten after the run: the same command is another run (the fingerprint covers the file).
  python("with h5py.File('small.h5', 'w') as f:\n    f['m'] = np.arange(6.).reshape(3, 2) * 2", work);
  const again = new ParallelMap(sumOfRow, [datasetRows(file, '/m')], { verbose: false, nWorkers: 2, outputDir });
  await expect(again.compute().finally(() => again.close())).rejects.toThrow(/already holds another run .*the arguments differ/);
  // The resumed run reads its recorded source again: refused, naming the file.
  expect(() => ParallelMap.resume(outputDir)).toThrow(`the input file ${file} (dataset /m) changed after the run recorded it`);

  const gone = new ParallelMap(sumOfRow, [datasetRows(file, '/m')], { verbose: false, nWorkers: 2, writeWorkerResults: false });
  fs.rmSync(file);
  const error = await gone.compute().then(
    () => undefined,
    (e: unknown) => e,
  );
  await gone.close();
  expect(error).toBeInstanceOf(ComputeError);
  expect((error as ComputeError).failures.map((f) => [f.taskID, f.name, f.message])).toEqual(
    [0, 1, 2].map((i) => [
      i,
      'InputFileError',
      expect.stringContaining(`the HDF5 file ${file} (dataset /m) no longer exists: it was removed or moved after the run recorded it`),
    ]),
  );
});

test("1-D rows: call i gets element i; each payload file's root records it, the container's root names the source (h5py)", async () => {
  python("with h5py.File('v.h5', 'w') as f:\n    f['v'] = np.array([3.0, -6.0, 9.0, 12.0])", work);
  const outputDir = path.join(work, 'v-run');
  const pmap = new ParallelMap(`${TASKS}#randout`, [datasetRows(path.join(work, 'v.h5'), '/v')], { verbose: false, nWorkers: 2, outputDir });
  try {
    await pmap.compute();
  } finally {
    await pmap.close();
  }
  const read = python(
    [
      'import json',
      "with h5py.File('v-run/randout.h5') as f:",
      "    print(json.dumps({'results': [float(f[f'comp_{i}']['result_0'][0]) for i in range(4)], 'inputs': [float(f[f'comp_{i}'].attrs['x']) for i in range(4)], 'root': {k: str(v) for k, v in f.attrs.items()}}))",
    ].join('\n'),
    work,
  );
  expect(JSON.parse(read)).toEqual({ results: [1, -18, 3, 4], inputs: [3, -6, 9, 12], root: { x_source: `${path.join(work, 'v.h5')}:/v` } });
});
