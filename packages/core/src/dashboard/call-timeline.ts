// The run's calls on a time axis, from its status records alone: a record says when the
// client learned of the outcome (`at`) and how long the call ran (`durationMs`), so it ran
// from at − duration to at. Calls reported together (one batch: one status line, or records
// with the same `at`) ran one after another on one worker, so they are chained backwards
// from `at`. Backends do not report which worker ran a call: calls are packed into lanes (a
// lane is a worker slot: calls in one lane never overlap), unless the backend's worker
// descriptions name each call's worker (SLURM: its array task).

import type { CallRecord } from '../run-store';

export interface TimelineCall {
  taskID: number;
  /** ms since the timeline's t0. */
  start: number;
  end: number;
  ok: boolean;
}

export interface TimelineLane {
  name: string;
  calls: TimelineCall[];
}

export interface Timeline {
  /** Epoch ms of the earliest call start. */
  t0: number;
  /** ms from t0 to the latest call end. */
  span: number;
  lanes: TimelineLane[];
  /** Calls left out to keep the page light (the earliest ones). */
  omitted: number;
  /** Epoch ms of the earliest start of all calls, drawn or not (0 without calls). */
  firstStart: number;
}

/** Calls drawn at most; a longer run shows its latest calls. */
export const TIMELINE_CALL_LIMIT = 4000;

interface Interval {
  taskID: number;
  start: number;
  end: number;
  ok: boolean;
}

/** Each record as an interval in epoch ms; records without a duration take none (a point). */
export function callIntervals(records: Iterable<CallRecord>): Interval[] {
  const byAt = new Map<string, CallRecord[]>();
  for (const r of records) {
    if (r.reason === 'aborted') continue;
    const group = byAt.get(r.at);
    if (group) group.push(r);
    else byAt.set(r.at, [r]);
  }
  const intervals: Interval[] = [];
  for (const [at, group] of byAt) {
    let end = Date.parse(at);
    if (!Number.isFinite(end)) continue;
    // One batch: its calls ran in taskID order, the last one ended at `at`.
    group.sort((a, b) => b.taskID - a.taskID);
    for (const r of group) {
      const duration = Math.max(0, r.durationMs ?? 0);
      intervals.push({ taskID: r.taskID, start: end - duration, end, ok: r.state === 'done' });
      end -= duration;
    }
  }
  return intervals.sort((a, b) => a.start - b.start || a.taskID - b.taskID);
}

/** Packs intervals into the fewest lanes where none overlap (earliest-free lane first). */
function packLanes(intervals: Interval[]): Interval[][] {
  const lanes: Interval[][] = [];
  const laneEnds: number[] = [];
  for (const iv of intervals) {
    // Slack: a worker's next call starts where its last one ended, but the reconstructed times
    // carry the delivery jitter of the outcome messages (a few ms, or a fifth of a short call).
    const slack = Math.max(2, 0.2 * (iv.end - iv.start));
    let best = -1;
    for (let k = 0; k < laneEnds.length; k++) {
      if (laneEnds[k]! <= iv.start + slack && (best < 0 || laneEnds[k]! > laneEnds[best]!)) best = k;
    }
    if (best < 0) {
      lanes.push([]);
      laneEnds.push(0);
      best = lanes.length - 1;
    }
    lanes[best]!.push(iv);
    laneEnds[best] = Math.max(laneEnds[best]!, iv.end);
  }
  return lanes;
}

/**
 * The timeline of `records`. `workerOf` names the worker of a call when the backend knows it
 * (one lane per worker); the other calls are packed into anonymous lanes.
 */
export function buildTimeline(records: Iterable<CallRecord>, workerOf?: (taskID: number) => string | undefined, limit = TIMELINE_CALL_LIMIT): Timeline {
  let intervals = callIntervals(records);
  const firstStart = intervals.length > 0 ? intervals[0]!.start : 0;
  const omitted = Math.max(0, intervals.length - limit);
  if (omitted > 0) intervals = intervals.slice(intervals.length - limit);
  if (intervals.length === 0) return { t0: 0, span: 0, lanes: [], omitted, firstStart };
  const t0 = intervals[0]!.start;
  let last = t0;
  for (const iv of intervals) last = Math.max(last, iv.end);
  const named = new Map<string, Interval[]>();
  const anonymous: Interval[] = [];
  for (const iv of intervals) {
    const worker = workerOf?.(iv.taskID);
    if (worker === undefined) anonymous.push(iv);
    else if (named.has(worker)) named.get(worker)!.push(iv);
    else named.set(worker, [iv]);
  }
  const relative = (ivs: Interval[]): TimelineCall[] => ivs.map((iv) => ({ taskID: iv.taskID, start: iv.start - t0, end: iv.end - t0, ok: iv.ok }));
  const lanes: TimelineLane[] = [...named.entries()]
    .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
    .map(([name, ivs]) => ({ name, calls: relative(ivs) }));
  packLanes(anonymous).forEach((ivs, k) => lanes.push({ name: `lane ${k + 1}`, calls: relative(ivs) }));
  return { t0, span: last - t0, lanes, omitted, firstStart };
}

export interface Histogram {
  /** Bin k holds durations in [edges[k], edges[k+1]) ms (the last bin includes its upper edge). */
  edges: number[];
  counts: number[];
}

/** Durations in `bins` equal bins from the shortest to the longest. */
export function durationHistogram(durationsMs: readonly number[], bins = 24): Histogram {
  if (durationsMs.length === 0) return { edges: [], counts: [] };
  let lo = Infinity;
  let hi = -Infinity;
  for (const d of durationsMs) {
    lo = Math.min(lo, d);
    hi = Math.max(hi, d);
  }
  if (hi === lo) return { edges: [lo, lo + 1], counts: [durationsMs.length] };
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, k) => lo + k * width);
  const counts = new Array<number>(bins).fill(0);
  for (const d of durationsMs) counts[Math.min(bins - 1, Math.floor((d - lo) / width))]!++;
  return { edges, counts };
}
