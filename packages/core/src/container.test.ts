import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMALL_METADATA_CACHE_BYTES, type H5File } from '@acme-ts/hdf5-native';
import { h5dump } from '../../hdf5-native/src/__fixtures__/h5check';
import { createContainer, recoverSingleFileRun, SingleFileWriter } from './container';
import { planLayout, type RunLayout } from './layout';
import { packStoredCalls } from './packed-calls';
import { h5pyHoldsLargeCall, largeCall } from './__fixtures__/large-calls';
import type { EncodedDataset } from './result-encoding';
import { isDataInCopy, readJournal, ResultJournal } from './result-journal';
import { readCallRecords, StatusLog } from './run-store';

let outputDir: string;
beforeEach(() => {
  outputDir = mkdtempSync(join(tmpdir(), 'acme-container-'));
});
afterEach(() => rmSync(outputDir, { recursive: true, force: true }));

// The writer's open copy, to check how it was opened.
const copyOf = (writer: SingleFileWriter) => (writer as unknown as { file: H5File }).file;

const singleFileLayout = () => planLayout({ funcName: 'f', nInputs: 10, outputDir, mode: 'hdf5', singleFile: true, resultDtype: 'float64' });
const packed = (...xs: number[]) =>
  packStoredCalls(
    xs.map((x) => ({ stored: 'hdf5', datasets: [{ name: 'result_0', dtype: 'float64', shape: [1], data: Float64Array.of(2 * x) }] })),
    xs.length,
  )!;

test('singleFile writer: packed calls, a refused one fails alone, the copy replaces the container at close', () => {
  const layout = singleFileLayout();
  createContainer(layout);
  const journal = new ResultJournal(outputDir);
  const writer = new SingleFileWriter(layout.containerPath!, layout.stacks, journal);
  expect(writer.writeRows([0, 1, 2], packed(0, 1, 2))).toEqual(new Map());
  // comp_2 exists already (libhdf5 refuses it); the calls around it are written.
  const refused = writer.writeRows([3, 2, 4], packed(3, 2, 4));
  expect([...refused.keys()]).toEqual([1]);
  expect(refused.get(1)!.message).toMatch(/cannot create group 'comp_2'/);
  writer.write(5, [{ name: 'result_0', dtype: 'string', shape: [], data: ['five'] }]);
  // Until close() the container is untouched.
  expect(Object.keys(h5dump(layout.containerPath!)).filter((k) => k.startsWith('/comp_'))).toEqual([]);
  writer.close();
  const dump = h5dump(layout.containerPath!);
  expect([0, 1, 2, 3, 4].map((i) => dump[`/comp_${i}/result_0`].values)).toEqual([[0], [2], [4], [6], [8]]);
  expect(dump['/comp_5/result_0'].values).toBe('five');
  expect(readdirSync(outputDir).filter((f) => f.includes('.writing-'))).toEqual([]);
  // The journal holds exactly what the container took.
  expect([...readJournal(journal.path)].map((c) => c.taskID)).toEqual([0, 1, 2, 3, 4, 5]);
  writer.discardJournal();
});

test('singleFile writer: the copy is held in memory up to its limit, then written to disk and continued there', () => {
  const layout = singleFileLayout();
  createContainer(layout);
  const copy = `${layout.containerPath}.writing-${process.pid}`;
  const sizeAtStart = statSync(layout.containerPath!).size;
  // Room for the container and about two more calls.
  const writer = new SingleFileWriter(layout.containerPath!, layout.stacks, undefined, { inMemoryLimit: sizeAtStart + 2 * 1536 + 100 });
  // In memory and on disk, from a small metadata cache: many small groups are written faster.
  expect(copyOf(writer).metadataCacheSize().maxBytes).toBe(SMALL_METADATA_CACHE_BYTES);
  writer.writeRows([0, 1], packed(0, 1));
  expect(writer.inMemory).toBe(true);
  expect(statSync(copy).size).toBe(sizeAtStart);
  writer.writeRows([2, 3], packed(2, 3));
  expect(writer.inMemory).toBe(false);
  expect(copyOf(writer).metadataCacheSize().maxBytes).toBe(SMALL_METADATA_CACHE_BYTES);
  // Written back when it left memory: the copy on disk holds calls 0-3 (read past our lock).
  const { HDF5_USE_FILE_LOCKING: _, ...env } = process.env;
  expect(
    Object.keys(h5dump(copy, { env: { ...env, HDF5_USE_FILE_LOCKING: 'FALSE' } }))
      .filter((k) => k.endsWith('result_0'))
      .sort(),
  ).toEqual(['/comp_0/result_0', '/comp_1/result_0', '/comp_2/result_0', '/comp_3/result_0']);
  writer.writeRows([4, 6], packed(4, 6));
  writer.write(5, [{ name: 'result_0', dtype: 'float64', shape: [1], data: Float64Array.of(10) }]);
  writer.close();
  const dump = h5dump(layout.containerPath!);
  expect([0, 1, 2, 3, 4, 5, 6].map((i) => dump[`/comp_${i}/result_0`].values)).toEqual([[0], [2], [4], [6], [8], [10], [12]]);
});

test("recoverSingleFileRun: a dead client's journal goes into the container, with done records", () => {
  const layout = singleFileLayout();
  createContainer(layout);
  // On disk (limit 0): this test's "dead" client is still open in this process, and a copy held
  // in memory keeps its lock against the same process's next open (a file descriptor of its own).
  const writer = new SingleFileWriter(layout.containerPath!, layout.stacks, new ResultJournal(outputDir), { inMemoryLimit: 0 });
  writer.writeRows([4, 7], packed(4, 7));
  writer.flushJournal();
  writer.write(9, [{ name: 'result_0', dtype: 'float64', shape: [1], data: Float64Array.of(18) }]); // buffered only: lost
  // The client dies here: no close(). Its copy is left, and the container is as it began.
  const status = new StatusLog(outputDir, 'next-client');
  expect(recoverSingleFileRun(layout, status)).toBe(2);
  const dump = h5dump(layout.containerPath!);
  expect(
    Object.keys(dump)
      .filter((k) => /^\/comp_\d+$/.test(k))
      .sort(),
  ).toEqual(['/comp_4', '/comp_7']);
  expect(dump['/comp_7/result_0'].values).toEqual([14]);
  expect([...readCallRecords(outputDir).values()].map((r) => [r.taskID, r.state])).toEqual([
    [4, 'done'],
    [7, 'done'],
  ]);
  expect(readdirSync(join(outputDir, '.acme-ts', 'journal'))).toEqual([]);
  expect(readdirSync(outputDir).filter((f) => f.includes('.writing-'))).toEqual([]);
  expect(recoverSingleFileRun(layout, status)).toBe(0);
});

test('recoverSingleFileRun with resultShape: journaled slots of the stacked dataset are written again', () => {
  const layout = planLayout({ funcName: 'f', nInputs: 4, outputDir, mode: 'hdf5', singleFile: true, resultShape: [null, 2], resultDtype: 'float32' });
  createContainer(layout);
  const writer = new SingleFileWriter(layout.containerPath!, layout.stacks, new ResultJournal(outputDir), { inMemoryLimit: 0 }); // on disk: see above
  writer.write(2, [
    { name: 'result_0', dtype: 'float32', shape: [2], data: Float32Array.of(1.5, -1.5) },
    { name: 'result_1', dtype: 'string', shape: [], data: ['two'] },
  ]);
  writer.flushJournal();
  // The client dies before close().
  expect(recoverSingleFileRun(layout, new StatusLog(outputDir, 'next-client'))).toBe(1);
  const dump = h5dump(layout.containerPath!);
  expect(dump['/result_0']).toMatchObject({ dtype: 'float32', shape: [4, 2] });
  expect((dump['/result_0'].values as number[][])[2]).toEqual([1.5, -1.5]);
  expect(dump['/comp_2/result_1'].values).toBe('two');
});

test('recoverSingleFileRun with the named resultShape: journaled keys go to their stacked datasets again, the others to comp_i', () => {
  const layout = namedSingleFileLayout({ spectrum: [null, 2], mean: [null, Infinity] }, { spectrum: 'float32', mean: 'int16' });
  createContainer(layout);
  const writer = new SingleFileWriter(layout.containerPath!, layout.stacks, new ResultJournal(outputDir), { inMemoryLimit: 0 });
  writer.write(1, [
    { name: 'spectrum', dtype: 'float32', shape: [2], data: Float64Array.of(0.5, 1.5) },
    { name: 'mean', dtype: 'int16', shape: [3], data: Float64Array.of(7, 8, 9) },
    { name: 'fit/ok', dtype: 'bool', shape: [], data: [true] },
  ]);
  writer.flushJournal();
  // The client dies before close().
  expect(recoverSingleFileRun(layout, new StatusLog(outputDir, 'next-client'))).toBe(1);
  const dump = h5dump(layout.containerPath!);
  expect(dump['/spectrum']).toMatchObject({
    dtype: 'float32',
    shape: [3, 2],
    values: [
      [null, null],
      [0.5, 1.5],
      [null, null],
    ],
  });
  expect(dump['/mean']).toMatchObject({ dtype: 'int16', shape: [3, 3], maxshape: [3, null] });
  expect((dump['/mean'].values as number[][])[1]).toEqual([7, 8, 9]);
  expect(dump['/comp_1/fit/ok'].values).toBe(true);
  expect(dump['/comp_1/spectrum']).toBeUndefined();
});

test('singleFile writer with resultShape: packed calls fill their slots a run of taskIDs at a time; a refused slot fails its call alone', () => {
  const layout = planLayout({ funcName: 'f', nInputs: 6, outputDir, mode: 'hdf5', singleFile: true, resultShape: [null, 2], resultDtype: 'float32' });
  createContainer(layout);
  const journal = new ResultJournal(outputDir);
  const writer = new SingleFileWriter(layout.containerPath!, layout.stacks, journal);
  const pairs = (...xs: number[]) =>
    packStoredCalls(
      xs.map((x) => ({
        stored: 'hdf5',
        datasets: [
          { name: 'result_0', dtype: 'float64', shape: [2], data: Float64Array.of(x, -x) },
          { name: 'result_1', dtype: 'int32', shape: [], data: Int32Array.of(10 * x) },
        ],
      })),
      xs.length,
    )!;
  // Two runs of consecutive taskIDs: 0-1 and 4-5.
  expect(writer.writeRows([0, 1, 4, 5], pairs(0, 1, 4, 5))).toEqual(new Map());
  // Slot 7 is past the dataset's 6: that call fails, call 2 and 3 are written.
  const refused = writer.writeRows([2, 7, 3], pairs(2, 7, 3));
  expect([...refused.keys()]).toEqual([1]);
  writer.close();
  const dump = h5dump(layout.containerPath!);
  expect(dump['/result_0']).toMatchObject({ dtype: 'float32', shape: [6, 2] });
  expect(dump['/result_0'].values).toEqual([
    [0, -0],
    [1, -1],
    [2, -2],
    [3, -3],
    [4, -4],
    [5, -5],
  ]);
  expect([0, 1, 2, 3, 4, 5].map((i) => dump[`/comp_${i}/result_1`].values)).toEqual([0, 10, 20, 30, 40, 50]);
  expect(dump['/comp_7']).toBeUndefined();
  expect([...readJournal(journal.path)].map((c) => c.taskID).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  writer.discardJournal();
});

test('recoverSingleFileRun: a copy another process holds open (a living writer, any host) makes the run busy', async () => {
  const layout = singleFileLayout();
  createContainer(layout);
  const copy = `${layout.containerPath}.writing-999999`;
  copyFileSync(layout.containerPath!, copy);
  // libhdf5 locks a file opened for writing (flock), held in memory too; the child keeps it open
  // as a running client does (see SingleFileWriter).
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const f = require('@acme-ts/hdf5-native').H5File.open(${JSON.stringify(copy)}, { write: true, inMemory: true }); console.log('open'); setTimeout(() => f.close(), 20000);`,
    ],
    {
      cwd: __dirname,
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.once('data', () => resolve());
      holder.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
    expect(() => recoverSingleFileRun(layout, new StatusLog(outputDir, 'next-client'))).toThrow(
      expect.objectContaining({ code: 'ERR_ACME_RUN_BUSY', message: expect.stringContaining(copy) }),
    );
  } finally {
    holder.kill();
    await new Promise((resolve) => holder.once('exit', resolve));
  }
  // Once its writer is gone the copy is a dead one's, and removed.
  expect(recoverSingleFileRun(layout, new StatusLog(outputDir, 'next-client'))).toBe(0);
  expect(readdirSync(outputDir).filter((f) => f.includes('.writing-'))).toEqual([]);
});

test('singleFile writer: a copy whose stacked result_0 will outgrow the in-memory limit is on disk from the start', () => {
  // 100 calls of 1000 float64 = 800 kB of stacked data: libhdf5 allocates it whole at the first slot.
  const layout = planLayout({ funcName: 'f', nInputs: 100, outputDir, mode: 'hdf5', singleFile: true, resultShape: [null, 1000], resultDtype: 'float64' });
  createContainer(layout);
  const size = statSync(layout.containerPath!).size;
  const small = new SingleFileWriter(layout.containerPath!, layout.stacks, undefined, { inMemoryLimit: size + 800_000 + 4096 });
  expect(small.inMemory).toBe(true);
  small.close();
  const big = new SingleFileWriter(layout.containerPath!, layout.stacks, undefined, { inMemoryLimit: size + 800_000 - 4096 });
  expect(big.inMemory).toBe(false);
  big.write(3, [{ name: 'result_0', dtype: 'float64', shape: [1000], data: new Float64Array(1000).fill(3) }]);
  big.close();
  expect((h5dump(layout.containerPath!)['/result_0'].values as number[][])[3]![999]).toBe(3);
});

test("singleFile writer: large datasets are journaled by where libhdf5 wrote them in the copy; recovery reads them back from a dead client's copy exactly", () => {
  const layout = singleFileLayout();
  createContainer(layout);
  const journal = new ResultJournal(outputDir);
  const writer = new SingleFileWriter(layout.containerPath!, layout.stacks, journal);
  writer.writeRows([0, 1], packed(0, 1));
  expect(writer.inMemory).toBe(true);
  writer.write(3, largeCall(3));
  // On disk from the first large dataset on: the journal names places in the copy's file.
  expect(writer.inMemory).toBe(false);
  writer.write(8, largeCall(8));
  writer.flushJournal();
  // Places, not the 2 × 3 MiB of data; the small dataset by value.
  expect(statSync(journal.path).size).toBeLessThan(4096);
  const journaled = [...readJournal(journal.path)];
  expect(journaled.map((c) => c.taskID)).toEqual([0, 1, 3, 8]);
  expect(journaled[3]!.datasets.map((d) => isDataInCopy(d.data))).toEqual([true, false, true]);
  // The client dies here: no close(). The next client reads the bytes from the dead one's copy.
  const status = new StatusLog(outputDir, 'next-client');
  expect(recoverSingleFileRun(layout, status)).toBe(4);
  for (const taskID of [3, 8]) expect(h5pyHoldsLargeCall(layout.containerPath!, taskID)).toBe('True');
  const small = 'import sys, h5py; print(list(h5py.File(sys.argv[1], "r")["comp_1/result_0"][()]))';
  expect(execFileSync('/usr/bin/python3', ['-c', small, layout.containerPath!], { encoding: 'utf8' }).trim()).toBe('[2.0]');
  expect([...readCallRecords(outputDir).values()].map((r) => [r.taskID, r.state])).toEqual([
    [0, 'done'],
    [1, 'done'],
    [3, 'done'],
    [8, 'done'],
  ]);
  // The copy went only after the journal that named it.
  expect(readdirSync(join(outputDir, '.acme-ts', 'journal'))).toEqual([]);
  expect(readdirSync(outputDir).filter((f) => f.includes('.writing-'))).toEqual([]);
});

test('recoverSingleFileRun, large datasets journaled by reference: a copy that replaced the container is read there; bytes found nowhere fail their call, never claim it', () => {
  const layout = singleFileLayout();
  createContainer(layout);
  // A client that died after its copy replaced the container, before it removed its journal.
  const writer = new SingleFileWriter(layout.containerPath!, layout.stacks, new ResultJournal(outputDir));
  writer.write(3, largeCall(3));
  writer.close();
  expect(recoverSingleFileRun(layout, new StatusLog(outputDir, 'next-client'))).toBe(1);
  expect(h5pyHoldsLargeCall(layout.containerPath!, 3)).toBe('True');
  expect(readCallRecords(outputDir).get(3)).toMatchObject({ state: 'done' });

  // A copy removed by hand: call 5's bytes are nowhere, so it is computed again.
  const lost = new SingleFileWriter(layout.containerPath!, layout.stacks, new ResultJournal(outputDir));
  lost.write(5, largeCall(5));
  lost.flushJournal();
  rmSync(`${layout.containerPath}.writing-${process.pid}`);
  expect(recoverSingleFileRun(layout, new StatusLog(outputDir, 'third-client'))).toBe(0);
  expect(readCallRecords(outputDir).get(5)).toMatchObject({
    state: 'failed',
    reason: 'unknown',
    error: { message: expect.stringContaining('could not be recovered') },
  });
  expect(h5pyHoldsLargeCall(layout.containerPath!, 3)).toBe('True');
  expect(existsSync(join(outputDir, '.acme-ts', 'journal'))).toBe(true);
  expect(readdirSync(join(outputDir, '.acme-ts', 'journal'))).toEqual([]);
});

test("singleFile writer: the copy takes the container's place without a rename over it; a client that died in between leaves the copy to become the container", () => {
  const layout = singleFileLayout();
  createContainer(layout);
  const writer = new SingleFileWriter(layout.containerPath!, layout.stacks, undefined, { inMemoryLimit: 0 });
  writer.writeRows([1, 2], packed(1, 2));
  // A rename over an existing file makes ext4 write the whole renamed file back first.
  const renames: [string, string, boolean][] = [];
  const fs = require('node:fs') as typeof import('node:fs');
  const realRename = fs.renameSync;
  jest.spyOn(fs, 'renameSync').mockImplementation((from, to) => {
    renames.push([String(from), String(to), existsSync(to)]);
    realRename(from, to);
  });
  try {
    writer.close();
  } finally {
    jest.restoreAllMocks();
  }
  const container = layout.containerPath!;
  expect(renames).toEqual([
    [container, `${container}.replaced-${process.pid}`, false],
    [`${container}.writing-${process.pid}`, container, false],
  ]);
  expect(readdirSync(outputDir).filter((f) => f.startsWith('f.h5.'))).toEqual([]);
  expect(Object.keys(h5dump(container)).filter((k) => /^\/comp_\d+$/.test(k))).toEqual(['/comp_1', '/comp_2']);

  // Died between the two renames: the closed copy becomes the container (not a fresh skeleton).
  copyFileSync(container, `${container}.writing-4242`);
  renameSync(container, `${container}.replaced-4242`);
  expect(createContainer(layout)).toBe(false);
  expect(Object.keys(h5dump(container)).filter((k) => /^\/comp_\d+$/.test(k))).toEqual(['/comp_1', '/comp_2']);
  // Died after them: the old container stepped aside is removed, the one in place stays.
  copyFileSync(container, `${container}.replaced-4243`);
  expect(createContainer(layout)).toBe(false);
  expect(readdirSync(outputDir).filter((f) => f.startsWith('f.h5.'))).toEqual([]);
  expect(Object.keys(h5dump(container)).filter((k) => /^\/comp_\d+$/.test(k))).toEqual(['/comp_1', '/comp_2']);
});

test('singleFile writer with resultShape: a large slot of the stacked result_0 is journaled by where it lies in the copy; recovery reads it from a dead copy, or from the container it replaced', () => {
  const layout = planLayout({ funcName: 'f', nInputs: 4, outputDir, mode: 'hdf5', singleFile: true, resultShape: [null, 512, 512], resultDtype: 'float64' });
  createContainer(layout);
  const call = (taskID: number): EncodedDataset[] => [
    { name: 'result_0', dtype: 'float64', shape: [512, 512], data: slotBlock(taskID) },
    { name: 'result_1', dtype: 'int32', shape: [], data: Int32Array.of(taskID) },
  ];
  expect(journalPlaces(layout, [2, 1], call)).toEqual([
    [true, false],
    [true, false],
  ]);
  // The client dies: no close().
  expect(recoverSingleFileRun(layout, new StatusLog(outputDir, 'next-client'))).toBe(2);
  const slots = (file: string) =>
    execFileSync(
      '/usr/bin/python3',
      [
        '-c',
        [
          'import sys, h5py, numpy as np',
          'f = h5py.File(sys.argv[1], "r"); d = f["result_0"]; i = np.arange(1 << 18) * 0.25',
          'print([bool(np.array_equal(d[t].ravel(), t * 1000 + i)) if f"comp_{t}" in f else bool(np.isnan(d[t]).all()) for t in range(4)], d.shape)',
        ].join('\n'),
        file,
      ],
      { encoding: 'utf8' },
    ).trim();
  expect(slots(layout.containerPath!)).toBe('[True, True, True, True] (4, 512, 512)');

  // A client that died after its copy replaced the container: the slot is read from the container.
  const closing = new SingleFileWriter(layout.containerPath!, layout.stacks, new ResultJournal(outputDir));
  closing.write(3, call(3));
  closing.close();
  expect(recoverSingleFileRun(layout, new StatusLog(outputDir, 'third-client'))).toBe(1);
  expect(readCallRecords(outputDir).get(3)).toMatchObject({ state: 'done' });
  expect(slots(layout.containerPath!)).toBe('[True, True, True, True] (4, 512, 512)');
});

test('singleFile writer with a named resultShape: large slots of each stacked key are journaled by where they lie in the copy, and recovered into their own datasets', () => {
  const layout = namedSingleFileLayout({ spectrum: [null, 512, 512], mean: [null] }, 'float64');
  createContainer(layout);
  const call = (taskID: number): EncodedDataset[] => [
    { name: 'mean', dtype: 'float64', shape: [], data: Float64Array.of(taskID + 0.5) },
    { name: 'spectrum', dtype: 'float64', shape: [512, 512], data: slotBlock(taskID) },
    { name: 'note', dtype: 'int32', shape: [], data: Int32Array.of(taskID) },
  ];
  // Only the 2 MiB slots by reference, wherever the key stands in the call's datasets.
  expect(journalPlaces(layout, [2, 0], call)).toEqual([
    [false, true, false],
    [false, true, false],
  ]);
  // The client dies: no close().
  expect(recoverSingleFileRun(layout, new StatusLog(outputDir, 'next-client'))).toBe(2);
  const read = execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      [
        'import sys, h5py, numpy as np',
        'f = h5py.File(sys.argv[1], "r"); s = f["spectrum"]; i = np.arange(1 << 18) * 0.25',
        'print([bool(np.array_equal(s[t].ravel(), t * 1000 + i)) for t in (0, 2)], bool(np.isnan(s[1]).all()), list(f["mean"][()]), int(f["comp_2/note"][()]))',
      ].join('\n'),
      layout.containerPath!,
    ],
    { encoding: 'utf8' },
  ).trim();
  expect(read).toBe('[True, True] True [0.5, nan, 2.5] 2');
});

/** A 512 × 512 float64 slot (2 MiB: journaled by reference) of values taskID·1000 + 0.25·i. */
function slotBlock(taskID: number): Float64Array {
  return Float64Array.from({ length: 1 << 18 }, (_, i) => taskID * 1000 + i * 0.25);
}

/**
 * Writes `taskIDs`' calls through a journaled writer that is never closed (its client dies),
 * checks the journal holds places, not data, and returns which datasets it holds by place.
 */
function journalPlaces(layout: RunLayout, taskIDs: number[], call: (taskID: number) => EncodedDataset[]): boolean[][] {
  const journal = new ResultJournal(outputDir);
  const writer = new SingleFileWriter(layout.containerPath!, layout.stacks, journal);
  for (const taskID of taskIDs) writer.write(taskID, call(taskID));
  writer.flushJournal();
  expect(statSync(journal.path).size).toBeLessThan(4096);
  return [...readJournal(journal.path)].map((c) => c.datasets.map((d) => isDataInCopy(d.data)));
}

/** singleFile mode, 3 calls, with a named resultShape. */
function namedSingleFileLayout(resultShape: Record<string, (number | null)[]>, resultDtype: Parameters<typeof planLayout>[0]['resultDtype']): RunLayout {
  return planLayout({ funcName: 'f', nInputs: 3, outputDir, mode: 'hdf5', singleFile: true, resultShape, resultDtype });
}
