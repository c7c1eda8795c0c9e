import type { CallRecord } from '../run-store';
import { buildTimeline, durationHistogram } from './call-timeline';

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms).toISOString();
const done = (taskID: number, endMs: number, durationMs: number): CallRecord => ({ taskID, state: 'done', at: at(endMs), durationMs });

test('calls that never overlap share a lane; overlapping ones get their own; a batch runs back to back', () => {
  const t = buildTimeline([done(0, 100, 100), done(1, 150, 150), done(2, 299, 149), done(3, 300, 100), done(4, 300, 100)]);
  // 3 and 4 were reported together (one `at`): 3 ran 100-200, 4 ran 200-300.
  const calls = new Map(t.lanes.flatMap((l) => l.calls.map((c) => [c.taskID, c] as const)));
  expect(calls.get(3)).toMatchObject({ start: 100, end: 200 });
  expect(calls.get(4)).toMatchObject({ start: 200, end: 300 });
  expect(t.lanes.map((l) => l.calls.map((c) => c.taskID))).toEqual([
    [0, 3, 4],
    [1, 2],
  ]);
  expect(t).toMatchObject({ span: 300, omitted: 0 });
});

test('named workers get a lane each; aborted calls are left out; a long run keeps its latest calls', () => {
  const records = [done(0, 10, 10), done(1, 20, 10), { taskID: 2, state: 'failed', at: at(30), reason: 'aborted' } as CallRecord];
  const t = buildTimeline(records, (id) => (id === 1 ? '77_1' : undefined));
  expect(t.lanes.map((l) => l.name)).toEqual(['77_1', 'lane 1']);
  const many = Array.from({ length: 50 }, (_, i) => done(i, 10 * (i + 1), 10));
  const cut = buildTimeline(many, undefined, 20);
  expect(cut.omitted).toBe(30);
  expect(cut.lanes[0]!.calls[0]!.taskID).toBe(30);
  expect(cut.firstStart).toBe(Date.UTC(2026, 0, 1));
});

test('duration histogram: equal bins from the shortest to the longest', () => {
  expect(durationHistogram([])).toEqual({ edges: [], counts: [] });
  expect(durationHistogram([5, 5])).toEqual({ edges: [5, 6], counts: [2] });
  const h = durationHistogram([0, 1, 2, 3, 10], 5);
  expect(h.edges).toEqual([0, 2, 4, 6, 8, 10]);
  expect(h.counts).toEqual([2, 2, 0, 0, 1]);
});
