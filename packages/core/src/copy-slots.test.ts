import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { h5pyHoldsLargeCall, largeCall } from './__fixtures__/large-calls';
import { createContainer, recoverSingleFileRun, SingleFileWriter } from './container';
import { N_COPY_SLOTS, writeIntoCopySlot, writeIntoStackSlot, type CopySlotTable } from './copy-slots';
import { planLayout } from './layout';
import type { EncodedDataset } from './result-encoding';
import { isDataInCopy, readJournal, ResultJournal, type JournaledDataset } from './result-journal';
import { StatusLog } from './run-store';
import type { H5File } from '@acme-ts/hdf5-native';

let outputDir: string;
beforeEach(() => {
  outputDir = mkdtempSync(join(tmpdir(), 'acme-copy-slots-'));
});
afterEach(() => rmSync(outputDir, { recursive: true, force: true }));

function slotWriter() {
  const layout = planLayout({ funcName: 'f', nInputs: 10, outputDir, mode: 'hdf5', singleFile: true, resultDtype: 'float64' });
  createContainer(layout);
  const journal = new ResultJournal(outputDir);
  const writer = new SingleFileWriter(layout.containerPath!, layout.stacks, journal, { copySlots: true });
  return { layout, journal, writer, table: writer.copySlots!.forRunners };
}

/** What a worker's runner sends for call `taskID` (largeCall): its datasets, those it could write into a slot as DataInCopy. */
function workerCall(table: CopySlotTable, taskID: number): JournaledDataset[] {
  return largeCall(taskID).map((d) => {
    const inCopy = ArrayBuffer.isView(d.data) && d.data.byteLength >= 1 << 20 ? writeIntoCopySlot(table, d) : undefined;
    return inCopy ? { ...d, data: inCopy } : d;
  });
}
const placed = (call: JournaledDataset[]) => call.map((d) => isDataInCopy(d.data));

test('workers write large results of the run’s first kind into reserved datasets; the host links them and journals their places; nothing reserved is left in the container', () => {
  const { layout, writer, table } = slotWriter();
  // No kind before the first large result: the worker sends its data.
  expect(placed(workerCall(table, 9))).toEqual([false, false, false]);
  writer.write(0, largeCall(0));
  expect(writer.copySlots!.kind).toEqual({ dtype: 'float64', shape: [512, 512] });
  // Reserved as many as calls are to come.
  writer.reserveSlots(3);
  const calls = [1, 2, 3].map((t) => workerCall(table, t));
  // result_0 (the kind) went into slots; result_2 (int16, 1 MiB) is of another kind.
  for (const call of calls) expect(placed(call)).toEqual([true, false, false]);
  // Every reserved slot claimed: the next worker sends its data.
  expect(placed(workerCall(table, 4))).toEqual([false, false, false]);
  calls.forEach((call, k) => writer.write(k + 1, call));
  // Two more reserved and never written: the container does not keep them.
  writer.reserveSlots(2);
  writer.close();
  writer.discardJournal();
  for (const t of [0, 1, 2, 3]) expect(h5pyHoldsLargeCall(layout.containerPath!, t)).toBe('True');
  const keys = 'import sys, h5py; print(sorted(h5py.File(sys.argv[1], "r").keys()))';
  expect(execFileSync('/usr/bin/python3', ['-c', keys, layout.containerPath!], { encoding: 'utf8' }).trim()).toBe("['comp_0', 'comp_1', 'comp_2', 'comp_3']");
  // 4 calls of 3 MiB, and their metadata: the space reserved last was given back.
  expect(statSync(layout.containerPath!).size).toBeLessThan(4 * 3 * 2 ** 20 + 2 ** 16);
});

test('a slot written by a worker is journaled by its place: a client that dies leaves it to be recovered from its copy, exactly', () => {
  const { layout, journal, writer, table } = slotWriter();
  writer.write(0, largeCall(0));
  writer.reserveSlots(5);
  const call = workerCall(table, 5);
  expect(placed(call)).toEqual([true, false, false]);
  writer.write(5, call);
  writer.flushJournal();
  const journaled = [...readJournal(journal.path)];
  expect(journaled.map((c) => [c.taskID, placed(c.datasets)])).toEqual([
    [0, [true, false, true]],
    [5, [true, false, true]],
  ]);
  // The client dies here (no close): the next one reads the bytes from the dead copy.
  expect(recoverSingleFileRun(layout, new StatusLog(outputDir, 'next-client'))).toBe(2);
  for (const t of [0, 5]) expect(h5pyHoldsLargeCall(layout.containerPath!, t)).toBe('True');
  expect(readdirSync(outputDir).filter((f) => f.includes('.writing-'))).toEqual([]);
});

test('a call whose write fails leaves its slot to be reserved again (same place, rewritten by the next worker); a place no worker claimed is refused', () => {
  const { layout, writer, table } = slotWriter();
  writer.write(0, largeCall(0));
  writer.reserveSlots(1);
  const call = workerCall(table, 7);
  const bad: EncodedDataset = { name: 'bad', dtype: 'float64', shape: [2], data: Float64Array.of(1) };
  expect(() => writer.write(7, [...call, bad])).toThrow(/bad/);
  const firstPlace = (call[0]!.data as { offset: number }).offset;
  writer.reserveSlots(1);
  const again = workerCall(table, 7);
  expect((again[0]!.data as { offset: number }).offset).toBe(firstPlace);
  writer.write(7, again);
  // Bytes somebody claims to have written where no claimed slot is: an internal error, loudly.
  const forged = { ...again[0]!, data: { ...(again[0]!.data as object), offset: 12345 } } as JournaledDataset;
  expect(() => writer.write(8, [forged])).toThrow(/internal: comp_8\/result_0 names bytes at 12345 of .*, which is no slot a worker claimed/);
  writer.close();
  writer.discardJournal();
  for (const t of [0, 7]) expect(h5pyHoldsLargeCall(layout.containerPath!, t)).toBe('True');
});

test('reserved ahead: no more than the calls to come, the table’s slots, and 64 MiB (at least two)', () => {
  const { writer } = slotWriter();
  writer.write(0, largeCall(0));
  writer.reserveSlots(0);
  expect(writer.copySlots!.nReserved).toBe(0);
  writer.reserveSlots(2);
  expect(writer.copySlots!.nReserved).toBe(2);
  writer.reserveSlots(100);
  expect(writer.copySlots!.nReserved).toBe(N_COPY_SLOTS);
  writer.close();
  writer.discardJournal();

  rmSync(outputDir, { recursive: true, force: true });
  outputDir = mkdtempSync(join(tmpdir(), 'acme-copy-slots-'));
  const big = slotWriter();
  const huge: EncodedDataset = { name: 'result_0', dtype: 'float64', shape: [5000, 1000], data: new Float64Array(5e6) }; // 40 MB
  big.writer.write(0, [huge]);
  big.writer.reserveSlots(100);
  expect(big.writer.copySlots!.nReserved).toBe(2);
  big.writer.close();
  big.writer.discardJournal();
});

test('resultShape: once its first slot allocated the stack, workers write their slots in place; slots no call wrote read NaN; a slot claimed elsewhere is refused', () => {
  const layout = planLayout({ funcName: 'f', nInputs: 6, outputDir, mode: 'hdf5', singleFile: true, resultShape: [null, 512, 512], resultDtype: 'float64' });
  createContainer(layout);
  const writer = new SingleFileWriter(layout.containerPath!, layout.stacks, new ResultJournal(outputDir), { copySlots: true });
  const table = writer.copySlots!.forRunners;
  expect(table.stacks).toEqual(['result_0']);
  const slab = (t: number): EncodedDataset => ({
    name: 'result_0',
    dtype: 'float64',
    shape: [512, 512],
    data: Float64Array.from({ length: 1 << 18 }, (_, i) => t + i),
  });
  // Not allocated yet: nothing published, the worker sends its data.
  expect(writeIntoStackSlot(table, 1, slab(1))).toBeUndefined();
  writer.write(0, [slab(0)]);
  const at = writer.copySlots!.stackPlace('result_0')!;
  expect(at.slotBytes).toBe(2 * 2 ** 20);
  for (const t of [1, 3, 5]) {
    const inCopy = writeIntoStackSlot(table, t, slab(t))!;
    expect(inCopy.offset).toBe(at.offset + t * at.slotBytes);
    writer.write(t, [{ ...slab(t), data: inCopy }]);
  }
  // Another slot's place for call 2: refused, loudly.
  const elsewhere = writeIntoStackSlot(table, 4, slab(2))!;
  expect(() => writer.write(2, [{ ...slab(2), data: elsewhere }])).toThrow(
    /internal: slot 2 of result_0 names bytes at \d+ of .*, which is not where that slot lies/,
  );
  writer.close();
  writer.discardJournal();
  const check = [
    'import sys, h5py, numpy as np',
    'd = h5py.File(sys.argv[1], "r")["result_0"]; i = np.arange(1 << 18)',
    'print([bool(np.array_equal(d[t].ravel(), t + i)) for t in (0, 1, 3, 5)], [bool(np.isnan(d[t]).all()) for t in (2, 4)])',
  ].join('\n');
  // Call 4's bytes were written (by the refused "call 2") but no call 4 was recorded: NaN.
  expect(execFileSync('/usr/bin/python3', ['-c', check, layout.containerPath!], { encoding: 'utf8' }).trim()).toBe('[True, True, True, True] [True, True]');
});

test('reserving fails (here: its group’s name taken): the writer says why once, reserves no more, and goes on writing what the workers send', () => {
  const { layout, writer, table } = slotWriter();
  writer.write(0, largeCall(0));
  (writer as unknown as { file: H5File }).file.createDataset('/.acme-reserved', { dtype: 'int8', shape: [1] });
  expect(writer.reserveSlots(3)?.message).toMatch(/acme-reserved\/slot_0/);
  expect(writer.reserveSlots(3)).toBeUndefined();
  expect(writer.copySlots!.nReserved).toBe(0);
  const call = workerCall(table, 1);
  expect(placed(call)).toEqual([false, false, false]);
  writer.write(1, call);
  writer.close();
  writer.discardJournal();
  for (const t of [0, 1]) expect(h5pyHoldsLargeCall(layout.containerPath!, t)).toBe('True');
});
