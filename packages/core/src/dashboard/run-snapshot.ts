// Everything the dashboard shows about one run, read from the run folder alone: runStatus()
// (so its counts are `acme-ts status`'s), the status records (durations, timeline), the
// manifest (options, function, backend), client.json (the live client, or the one a kill
// left behind), live.json (what a client with a dashboard adds) and the backend's worker
// report. A finished or killed run renders from the same files as a running one.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runStatus } from '../run-status';
import { metaDir } from '../run-folder';
import { encodeShape, readCallRecords, type CallRecord } from '../run-store';
import type { RunClient } from '../run-lock';
import type { CallFailure } from '../errors';
import { buildTimeline, durationHistogram, type Histogram, type Timeline } from './call-timeline';
import { LIVE_FILE, type LiveState } from './live-tracker';
import type { WorkerLine, WorkerReport } from './worker-report';

export type RunState = 'running' | 'finished' | 'incomplete' | 'stopped';

/** A failed call as the page shows it: core's CallFailure (log path relative to the run folder) and when. */
export interface FailedCall extends CallFailure {
  at: string;
  durationMs?: number;
}

export interface RunSnapshot {
  outputDir: string;
  function: string;
  /** `<module>#<export>`, or "inline function" for a shipped source. */
  functionRef: string;
  /** The shipped function's source, when it is one. */
  functionSource?: string;
  nInputs: number;
  backend: string;
  createdAt: string;
  container: string | null;
  /** The run's log file (relative to the run folder), if one is there. */
  logFile: string | null;
  options: Record<string, unknown>;
  /**
   * running: a client computes it now; finished: every call done; incomplete: calls failed or
   * missing and no client; stopped: its client died without releasing the run (killed).
   */
  state: RunState;
  counts: { done: number; failed: number; running: number | null; pending: number; missing: number; journaled: number };
  /**
   * Where `running` comes from: the backend reported call starts, or it is the client's workers
   * (concurrency, at most the calls left), or unknown (a client without a dashboard).
   */
  runningSource: 'reported' | 'workers' | 'unknown' | 'none';
  client: RunClient | null;
  /** The client a kill left in client.json (state "stopped"). */
  deadClient: RunClient | null;
  live: LiveState | null;
  throughput: { recent: number | null; overall: number | null };
  etaSeconds: number | null;
  /** Settled calls over time: [seconds since the first start, cumulative count]. */
  progress: [number[], number[]];
  timeline: Timeline;
  histogram: Histogram;
  failed: FailedCall[];
  failedOmitted: number;
  workers: WorkerLine[];
  workersNote: string | null;
  rerunCommand: string | null;
  updatedAt: string;
}

const FAILED_LIMIT = 200;
const PROGRESS_POINTS = 300;
const RECENT_WINDOW_MS = 30_000;

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** A word the shell takes as is, else single-quoted. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function newestLogFile(outputDir: string, funcName: string): string | null {
  let best: { name: string; mtime: number } | undefined;
  for (const name of readdirSync(outputDir)) {
    if (!name.startsWith(`ACME_${funcName}_`) || !name.endsWith('.log')) continue;
    const mtime = statSync(join(outputDir, name)).mtimeMs;
    if (!best || mtime > best.mtime) best = { name, mtime };
  }
  return best?.name ?? null;
}

/** A path the records name, relative to the run folder when inside it (else kept, and never served). */
function insideRun(outputDir: string, path: string | undefined): string | undefined {
  if (!path) return undefined;
  const rel = relative(outputDir, path);
  return rel.startsWith('..') || rel === '' ? path : rel;
}

function progressSeries(records: CallRecord[], t0: number): [number[], number[]] {
  const ends = records
    .filter((r) => r.reason !== 'aborted')
    .map((r) => Date.parse(r.at))
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const xs: number[] = [];
  const ys: number[] = [];
  const step = Math.max(1, Math.ceil(ends.length / PROGRESS_POINTS));
  for (let k = step - 1; k < ends.length; k += step) {
    xs.push((ends[k]! - t0) / 1000);
    ys.push(k + 1);
  }
  if (ends.length > 0 && ys[ys.length - 1] !== ends.length) {
    xs.push((ends[ends.length - 1]! - t0) / 1000);
    ys.push(ends.length);
  }
  return [xs, ys];
}

/** The dashboard's view of the run in `outputDir`; `workers` is the backend's report, if any. */
export function readRunSnapshot(outputDir: string, workers?: WorkerReport): RunSnapshot {
  const status = runStatus(outputDir);
  const dir = status.outputDir;
  const m = status.manifest;
  const records = [...readCallRecords(dir).values()];
  const live = status.client ? (readJson<LiveState>(join(metaDir(dir), LIVE_FILE)) ?? null) : null;
  const liveIsCurrent = live !== null && status.client !== undefined && live.pid === status.client.pid;
  const leftClient = status.client ? undefined : readJson<RunClient>(join(metaDir(dir), 'client.json'));

  const nMissing = status.missing.length;
  let running: number | null = 0;
  let runningSource: RunSnapshot['runningSource'] = 'none';
  let pending = 0;
  let missing = nMissing;
  if (status.client) {
    missing = 0;
    running = liveIsCurrent ? (live!.running ? live!.running.length : Math.min(live!.concurrency, nMissing)) : null;
    runningSource = !liveIsCurrent ? 'unknown' : live!.running ? 'reported' : 'workers';
    pending = nMissing - (running ?? 0);
  }
  const complete = status.done.length === m.nInputs && status.journaled === 0;
  const state: RunState = status.client ? 'running' : complete ? 'finished' : leftClient ? 'stopped' : 'incomplete';

  // While a client runs, the timeline, progress and throughput are its session's (a rerun hours
  // after the first attempt would squeeze its calls into a corner); durations are all calls'.
  const sessionStart = status.client ? Date.parse(status.client.since) : -Infinity;
  const session = status.client ? records.filter((r) => Date.parse(r.at) >= sessionStart) : records;
  const timeline = buildTimeline(session, workers?.callWorkers ? (id) => workers.callWorkers!.get(id) : undefined);
  const durations = records.filter((r) => r.state === 'done' && typeof r.durationMs === 'number').map((r) => r.durationMs!);
  const ends = session.map((r) => Date.parse(r.at)).filter(Number.isFinite);
  const now = Date.now();
  // Loops, not Math.max(...ends): a run has up to 2³⁰ records, more than a call's arguments.
  let firstEnd = Infinity;
  let lastEnd: number | undefined;
  for (const t of ends) {
    firstEnd = Math.min(firstEnd, t);
    lastEnd = Math.max(lastEnd ?? t, t);
  }
  const recent = ends.filter((t) => t > now - RECENT_WINDOW_MS).length;
  const t0 = timeline.lanes.length > 0 ? timeline.firstStart : ends.length ? firstEnd : now;
  const overallSpan = lastEnd !== undefined ? (lastEnd - t0) / 1000 : 0;
  // Over the last 30 s, or since the first call when the run is younger.
  const window = Math.min(RECENT_WINDOW_MS, now - t0);
  const throughput = {
    recent: status.client && window > 0 ? recent / (window / 1000) : null,
    overall: overallSpan > 0 ? session.length / overallSpan : null,
  };
  const rate = throughput.recent || throughput.overall;
  const etaSeconds = status.client && rate ? nMissing / rate : null;

  const failed = status.failed.slice(0, FAILED_LIMIT).map((r) => ({
    taskID: r.taskID,
    name: r.error?.name ?? 'Error',
    message: r.error?.message ?? '',
    ...(r.error?.stack ? { stack: r.error.stack } : {}),
    reason: r.reason ?? 'unknown',
    ...(r.logPath ? { logPath: insideRun(dir, r.logPath) } : {}),
    at: r.at,
    ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
  }));

  const f = m.functionRef;
  return {
    outputDir: dir,
    function: m.funcName,
    functionRef: f.kind === 'module' ? `${f.module}#${f.exportName}` : 'inline function (source shipped to the workers)',
    ...(f.kind === 'source' ? { functionSource: f.source } : {}),
    nInputs: m.nInputs,
    backend: status.client?.backend ?? m.backend,
    createdAt: m.createdAt,
    container: status.containerPath ?? null,
    logFile: newestLogFile(dir, m.funcName),
    options: {
      storage: m.storage,
      singleFile: m.singleFile,
      ...(m.resultShape ? { resultShape: encodeShape(m.resultShape) } : {}),
      resultDtype: m.resultDtype,
      ...(m.timeoutMs !== undefined ? { timeoutMs: m.timeoutMs } : {}),
      ...(m.backendOptions ? { backendOptions: m.backendOptions } : {}),
      ...(m.functionVersions ? { functionVersions: m.functionVersions.length } : {}),
    },
    state,
    counts: { done: status.done.length, failed: status.failed.length, running, pending, missing, journaled: status.journaled },
    runningSource,
    client: status.client ?? null,
    deadClient: leftClient ?? null,
    live: liveIsCurrent ? live : null,
    throughput,
    etaSeconds,
    progress: progressSeries(session, t0),
    timeline,
    histogram: durationHistogram(durations),
    failed,
    failedOmitted: Math.max(0, status.failed.length - FAILED_LIMIT),
    workers: workers?.workers ?? laneWorkers(timeline, status.client !== undefined, now),
    workersNote:
      workers?.note ??
      (records.length > 0
        ? "The local backend does not report which thread ran a call: each line is a worker slot reconstructed from the calls' start and end times (calls in one slot never overlap)."
        : null),
    rerunCommand: complete || status.client ? null : `acme-ts rerun ${shellWord(dir)}`,
    updatedAt: new Date().toISOString(),
  };
}

/** Without a backend report: one line per timeline lane, busy while its last call ended recently. */
function laneWorkers(timeline: Timeline, live: boolean, now: number): WorkerLine[] {
  return timeline.lanes.map((lane) => {
    const last = lane.calls[lane.calls.length - 1];
    const lastEnd = last ? timeline.t0 + last.end : 0;
    const busyMs = lane.calls.reduce((s, c) => s + (c.end - c.start), 0);
    const idleFor = (now - lastEnd) / 1000;
    return {
      name: lane.name,
      state: !live ? 'ended' : idleFor < 5 ? 'busy' : `idle ${idleFor.toFixed(0)} s`,
      calls: lane.calls.length,
      reason: `busy ${(busyMs / 1000).toFixed(1)} s`,
    };
  });
}
