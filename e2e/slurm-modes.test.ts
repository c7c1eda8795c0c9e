// Every ParallelMap mode of the seed document on the SLURM test cluster produces the same
// files as the local backend: both run folders are read with h5py and compared file by file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ParallelMap, datasetRows, range, readSerializedResult } from '@acme-ts/core';
import { H5File } from '@acme-ts/hdf5-native';
import { tempDir } from './support/h5';
import { TASKS, dumpRunFolder, serializedFiles, startCluster, submittedJobIds, waitUntilNoLiveJobs } from './fixtures/slurm-support';

const local = { verbose: false, nWorkers: 2 } as const;
const slurm = { verbose: false, backend: 'slurm', slurm: { nWorkers: 8 } } as const;

let work: string;
beforeAll(() => {
  startCluster();
  work = tempDir('e2e-slurm-modes');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Runs the same ParallelMap locally and on SLURM; returns both folders and both return values. */
async function both(label: string, func: ConstructorParameters<typeof ParallelMap>[0], args: unknown[], options: Record<string, unknown>) {
  const dirs = { local: path.join(work, `${label}-local`), slurm: path.join(work, `${label}-slurm`) };
  await using a = new ParallelMap(func, args, { ...local, ...options, outputDir: dirs.local });
  const localResult = await a.compute();
  await using b = new ParallelMap(func, args, { ...slurm, ...options, outputDir: dirs.slurm } as never);
  const slurmResult = await b.compute();
  // The run went through SLURM (an array was submitted), and its tasks end on their own.
  const jobs = submittedJobIds(dirs.slurm);
  expect(jobs.length).toBeGreaterThan(0);
  expect(await waitUntilNoLiveJobs(jobs)).toEqual([]);
  return { dirs, localResult, slurmResult, relative: (r: unknown) => JSON.stringify(r).split(dirs.slurm).join('<out>').split(dirs.local).join('<out>') };
}

test('default mode: this_func(a, b, c), container of external links and one payload file per call', async () => {
  const n = 12;
  const args = [range(n), Array.from({ length: n }, (_, i) => 2 * i), Array.from({ length: n }, (_, i) => -i)];
  const run = await both('default', `${TASKS}#this_func`, args, {});
  expect(run.relative(run.slurmResult)).toBe(run.relative(run.localResult));
  const l = dumpRunFolder(run.dirs.local);
  const s = dumpRunFolder(run.dirs.slurm);
  expect(Object.keys(s).sort()).toEqual(Object.keys(l).sort());
  expect(Object.keys(s)).toHaveLength(n + 1);
  expect(s).toEqual(l);
  expect(s['this_func_payload/this_func_7.h5']!['/result_1']).toMatchObject({ dtype: 'int32', values: [14, -7, 7] });
});

test('singleFile: randout over 40 inputs, groups comp_i in one container', async () => {
  const x = Array.from({ length: 40 }, (_, i) => Math.sin(i) * 3);
  const run = await both('single', `${TASKS}#randout`, [x], { singleFile: true });
  expect(run.relative(run.slurmResult)).toBe(run.relative(run.localResult));
  const s = dumpRunFolder(run.dirs.slurm);
  expect(Object.keys(s)).toEqual(['randout.h5']);
  expect(s).toEqual(dumpRunFolder(run.dirs.local));
});

test('resultShape: virtual dataset, with an extra return value, and float16', async () => {
  const mat = await both('vds', `${TASKS}#matconstruct`, [range(10)], { resultShape: [null, 10, 9] });
  expect(dumpRunFolder(mat.dirs.slurm)).toEqual(dumpRunFolder(mat.dirs.local));
  const multi = await both('multi', `${TASKS}#matconstruct_multi`, [range(6)], { resultShape: [null, 10, 9] });
  const s = dumpRunFolder(multi.dirs.slurm);
  expect(s).toEqual(dumpRunFolder(multi.dirs.local));
  expect(s['matconstruct_multi.h5']!['/result_0']).toMatchObject({ shape: [6, 10, 9], virtual: true });
  const f16 = await both('f16', `${TASKS}#matconstruct`, [range(5)], { resultShape: [null, 10, 9], resultDtype: 'float16' });
  const d = dumpRunFolder(f16.dirs.slurm);
  expect(d).toEqual(dumpRunFolder(f16.dirs.local));
  expect(d['matconstruct.h5']!['/result_0'].dtype).toBe('float16');
});

test('resultShape with Infinity (an unlimited dimension), as VDS and as single file', async () => {
  const fn = new Function(`return (function channels(k) {
    const n = 20 + k;
    const data = new Float64Array(3 * n);
    for (let c = 0; c < 3; c++) for (let s = 0; s < n; s++) data[c * n + s] = k + c / 10 + s;
    return { data, shape: [3, n] };
  })`)();
  for (const singleFile of [false, true]) {
    const run = await both(`inf-${singleFile}`, fn, [[0, 1, 2, 3]], { resultShape: [null, 3, Infinity], singleFile });
    const s = dumpRunFolder(run.dirs.slurm);
    expect(s).toEqual(dumpRunFolder(run.dirs.local));
    expect(s['channels.h5']!['/result_0']).toMatchObject({ shape: [4, 3, 23], maxshape: [4, 3, null], virtual: !singleFile });
  }
});

test('serializeResults: the same .v8 files; the emergency fallback too', async () => {
  const sparse = function sparse(k: number) {
    return new Map<string, unknown>([
      ['diag', [k, k, k]],
      ['n', 3],
    ]);
  };
  const ser = await both('ser', sparse, [[1, 2, 3, 4]], { serializeResults: true });
  expect(run2rel(ser.slurmResult, ser.dirs.slurm)).toEqual(run2rel(ser.localResult, ser.dirs.local));
  expect(serializedFiles(ser.dirs.slurm)).toEqual(serializedFiles(ser.dirs.local));
  expect(readSerializedResult((ser.slurmResult as string[])[2]!)).toEqual(
    new Map<string, unknown>([
      ['diag', [3, 3, 3]],
      ['n', 3],
    ]),
  );

  const mixed = function mixed(k: number) {
    return k % 5 === 0 ? new Map([['label', `call ${k}`]]) : k;
  };
  const fb = await both('fallback', mixed, [range(11)], {});
  expect(serializedFiles(fb.dirs.slurm)).toEqual(serializedFiles(fb.dirs.local));
  expect(dumpRunFolder(fb.dirs.slurm)).toEqual(dumpRunFolder(fb.dirs.local));
});

test('in memory: the same values (tuples, stacked float16), and no scratch folder left in the cwd', async () => {
  const cwd = process.cwd();
  process.chdir(work);
  try {
    const fn = (x: number, y: number) => [x, x * y];
    await using a = new ParallelMap(fn, [range(9), 10], { ...local, writeWorkerResults: false });
    await using b = new ParallelMap(fn, [range(9), 10], { ...slurm, writeWorkerResults: false } as never);
    expect(await b.compute()).toEqual(await a.compute());
    const opts = { resultShape: [null, 10, 9], resultDtype: 'float16', writeWorkerResults: false } as const;
    await using c = new ParallelMap(`${TASKS}#matconstruct`, [range(5)], { ...local, ...opts });
    await using d = new ParallelMap(`${TASKS}#matconstruct`, [range(5)], { ...slurm, ...opts } as never);
    const [l, s] = [await c.compute(), await d.compute()];
    expect(s).toEqual(l);
    expect(fs.readdirSync(work).filter((f) => f.startsWith('.acme-ts-slurm-'))).toEqual([]);
  } finally {
    process.chdir(cwd);
  }
});

test("dataset rows: each array task reads its calls' rows from the file, the files the same as locally", async () => {
  const file = path.join(work, 'rows.h5');
  const h5 = H5File.create(file);
  h5.writeDatasets([{ path: '/m', dtype: 'float64', shape: [12, 3], data: Float64Array.from({ length: 36 }, (_, i) => i) }]);
  h5.close();
  const rowTotal = function rowTotal(row: { data: Float64Array }) {
    let total = 0;
    for (const v of row.data) total += v;
    return total;
  };
  const run = await both('rows', rowTotal, [datasetRows(file, '/m')], {});
  const s = dumpRunFolder(run.dirs.slurm);
  expect(s).toEqual(dumpRunFolder(run.dirs.local));
  const totals = Array.from({ length: 12 }, (_, i) => (s['rowTotal.h5']![`/comp_${i}/result_0`] as { values: number[] }).values[0]);
  expect(totals).toEqual(Array.from({ length: 12 }, (_, i) => 9 * i + 3));
});

function run2rel(result: unknown, dir: string): unknown {
  return (result as string[]).map((p) => path.relative(dir, p));
}
