// What the running client adds to its run folder's records for a dashboard: `.acme-ts/live.json`
// (how many workers, which calls are running since when, the client's memory), rewritten at
// most once a second and only while a dashboard is enabled (options.dashboard / --dashboard).
// A run without a dashboard creates no tracker and pays nothing. The tracker sees the run
// through the backend's events (wrapEvents), so ParallelMap needs only two lines for it.

import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionEvents, CallOutcome } from '../backend';
import { metaDir } from '../run-store';

/** The content of `.acme-ts/live.json`. */
export interface LiveState {
  pid: number;
  /** ISO time of this write. */
  updatedAt: string;
  /** ISO time the tracked execution started. */
  startedAt: string;
  backend: string;
  /** Calls the backend runs at once (worker threads, or SLURM array tasks at once). */
  concurrency: number;
  /** Calls this client hands the backend in this execution. */
  submitted: number;
  settled: number;
  failed: number;
  /**
   * Calls running now with their start (epoch ms), when the backend reports starts
   * (ExecutionEvents.onStart); absent when it does not.
   */
  running?: { taskID: number; since: number }[];
  /** The client process's memory (bytes); worker threads share it (local backend). */
  memory: { rss: number; heapUsed: number; external: number };
}

/** The few hooks a run feeds; the integrator re-attaches them to ParallelMap's callbacks. */
export interface LiveTracker {
  /** Wraps the backend's events so the tracker sees every start and outcome. */
  wrapEvents(events: ExecutionEvents): ExecutionEvents;
  /** Writes the final state and stops the timer. */
  stop(): void;
}

export const LIVE_FILE = 'live.json';
const WRITE_INTERVAL_MS = 1000;

export function livePath(outputDir: string): string {
  return join(metaDir(outputDir), LIVE_FILE);
}

/** A tracker that rewrites `.acme-ts/live.json` at most once a second while the run goes on. */
export class LiveFileTracker implements LiveTracker {
  private readonly startedAt = new Date().toISOString();
  private settled = 0;
  private failed = 0;
  private readonly running = new Map<number, number>();
  private startsReported = false;
  private dirty = true;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly outputDir: string,
    private readonly info: { backend: string; concurrency: number; submitted: number },
  ) {
    this.write();
    this.timer = setInterval(() => this.dirty && this.write(), WRITE_INTERVAL_MS).unref();
  }

  wrapEvents(events: ExecutionEvents): ExecutionEvents {
    const settle = (taskID: number, ok: boolean) => {
      this.settled++;
      if (!ok) this.failed++;
      if (this.startsReported) this.running.delete(taskID);
    };
    const settleMany = (taskIDs: ArrayLike<number>) => {
      if (this.startsReported) for (let i = 0; i < taskIDs.length; i++) this.running.delete(taskIDs[i]!);
      this.settled += taskIDs.length;
      this.dirty = true;
    };
    const wrapped: ExecutionEvents = {
      ...events,
      onStart: (taskID) => {
        this.startsReported = true;
        this.running.set(taskID, Date.now());
        this.dirty = true;
        events.onStart?.(taskID);
      },
      onOutcome: (outcome: CallOutcome) => {
        settle(outcome.taskID, outcome.ok);
        this.dirty = true;
        events.onOutcome(outcome);
      },
    };
    if (events.onSuccesses) {
      const inner = events.onSuccesses.bind(events);
      wrapped.onSuccesses = (taskIDs, values, firstTaskID) => {
        settleMany(taskIDs);
        inner(taskIDs, values, firstTaskID);
      };
    }
    if (events.onStoredBatch) {
      const inner = events.onStoredBatch.bind(events);
      wrapped.onStoredBatch = (taskIDs, calls, durationsMs) => {
        settleMany(taskIDs);
        inner(taskIDs, calls, durationsMs);
      };
    }
    return wrapped;
  }

  private state(): LiveState {
    const m = process.memoryUsage();
    return {
      pid: process.pid,
      updatedAt: new Date().toISOString(),
      startedAt: this.startedAt,
      backend: this.info.backend,
      concurrency: this.info.concurrency,
      submitted: this.info.submitted,
      settled: this.settled,
      failed: this.failed,
      ...(this.startsReported ? { running: [...this.running].map(([taskID, since]) => ({ taskID, since })) } : {}),
      memory: { rss: m.rss, heapUsed: m.heapUsed, external: m.external },
    };
  }

  private write(): void {
    this.dirty = false;
    const path = livePath(this.outputDir);
    const tmp = `${path}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, JSON.stringify(this.state()) + '\n');
      renameSync(tmp, path);
    } catch {
      // A removed folder or a full disk: the dashboard shows less; the run itself goes on.
      rmSync(tmp, { force: true });
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.write();
  }
}
