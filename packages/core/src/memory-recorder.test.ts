import { Logger } from './logger';
import { MemoryRecorder, MemoryResults } from './memory-recorder';
import type { CallResult } from './result-recorder';

const quiet = () => new Logger({ verbose: false, write: () => {} });

test('records batches in place, keeps values across recorders, and names what is missing', () => {
  const memory = new MemoryResults(6);
  const recorder = new MemoryRecorder(memory, quiet());
  const told: CallResult[] = [];
  recorder.listener = (result) => told.push(result);
  recorder.record({ taskIDs: Float64Array.of(0, 1, 2), firstTaskID: 0, values: Float64Array.of(0, 2, 4) });
  recorder.record({ taskIDs: [4, 5], ok: [1, 0], values: [{ x: 8 }, { name: 'Error', message: 'boom' }], durationsMs: [1, 2] });
  expect(memory.values).toEqual([0, 2, 4, undefined, { x: 8 }, undefined]);
  expect(recorder.nDone).toBe(4);
  expect(recorder.failures).toEqual([{ taskID: 5, name: 'Error', message: 'boom', reason: 'error' }]);
  expect(told.map((r) => [r.taskID, r.ok])).toEqual([
    [0, true],
    [1, true],
    [2, true],
    [4, true],
    [5, false],
  ]);
  expect(Array.from(recorder.pending())).toEqual([3, 5]);
  expect(recorder.nMissing).toBe(2);
  // A later compute() records into the same values.
  const again = new MemoryRecorder(memory, quiet());
  again.record({ taskIDs: [3, 5], values: [6, 10] });
  expect(again.results()).toBe(memory.values);
  expect(memory.values).toEqual([0, 2, 4, 6, { x: 8 }, 10]);
  expect(again.pending()).toHaveLength(0);
});

test('stacks the values with resultShape', () => {
  const recorder = new MemoryRecorder(new MemoryResults(2), quiet(), { resultShape: [null, 2], resultDtype: 'float64' });
  recorder.record({ taskIDs: [0, 1], values: [Float64Array.of(1, 2), Float64Array.of(3, 4)] });
  expect(recorder.results()).toMatchObject({ shape: [2, 2] });
});
