import type { CallOutcome, SettledBatch } from './backend';
import { eachOutcome, forEachOutcome, settledCall } from './settled-batch';

function outcomesOf(batch: SettledBatch): CallOutcome[] {
  const outcomes: CallOutcome[] = [];
  forEachOutcome(batch, (outcome) => outcomes.push(outcome));
  return outcomes;
}

test('a single call goes into a batch of one and comes back as it was', () => {
  const done: CallOutcome = { taskID: 4, ok: true, value: { a: 1 }, durationMs: 12 };
  const failed: CallOutcome = { taskID: 5, ok: false, error: { name: 'Error', message: 'no' }, reason: 'timeout', durationMs: 3, logPath: '/l/5.err' };
  const untimed: CallOutcome = { taskID: 6, ok: true, value: 7 };
  for (const outcome of [done, failed, untimed]) expect(outcomesOf(settledCall(outcome))).toEqual([outcome]);
});

test('a batch reads call by call: ok flags, errors in place of values, one duration for each', () => {
  const batch: SettledBatch = {
    taskIDs: Float64Array.of(10, 11, 12),
    firstTaskID: 10,
    ok: Uint8Array.of(1, 0, 1),
    values: [20, { name: 'RangeError', message: 'odd' }, 24],
    durationsMs: 2,
  };
  expect(outcomesOf(batch)).toEqual([
    { taskID: 10, ok: true, value: 20, durationMs: 2 },
    { taskID: 11, ok: false, error: { name: 'RangeError', message: 'odd' }, reason: 'error', durationMs: 2 },
    { taskID: 12, ok: true, value: 24, durationMs: 2 },
  ]);
});

test('a batch that all succeeded needs no ok flags, values or durations', () => {
  const seen: number[] = [];
  eachOutcome((outcome) => seen.push(outcome.taskID))({ taskIDs: [1, 3] });
  expect(seen).toEqual([1, 3]);
  expect(outcomesOf({ taskIDs: [1], durationsMs: Float64Array.of(0.5) })).toEqual([{ taskID: 1, ok: true, value: undefined, durationMs: 0.5 }]);
});
