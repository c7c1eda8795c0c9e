// What the running client adds to its run folder's records for a dashboard: `.acme-ts/live.json`
// (how many workers, which calls are running since when, the client's memory), rewritten at
// most once a second and only while a dashboard is enabled (options.dashboard / --dashboard).
// A run without a dashboard creates no tracker and pays nothing. The tracker sees the run
// through the backend's events (wrapEvents), so ParallelMap needs only two lines for it.

import { join } from 'node:path';
import type { ExecutionEvents } from '../backend';
import { metaDir, writeFileAtomically } from '../run-folder';

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
   * Calls running now with their start (epoch ms), for a backend that reports starts; no
   * backend does since the contract reports settled batches only, so readers take it as absent.
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
    return {
      ...events,
      onSettled: (batch) => {
        const { taskIDs, ok } = batch;
        this.settled += taskIDs.length;
        if (ok) for (let k = 0; k < ok.length; k++) if (ok[k] === 0) this.failed++;
        this.dirty = true;
        events.onSettled(batch);
      },
    };
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
      memory: { rss: m.rss, heapUsed: m.heapUsed, external: m.external },
    };
  }

  private write(): void {
    this.dirty = false;
    try {
      writeFileAtomically(livePath(this.outputDir), JSON.stringify(this.state()) + '\n');
    } catch {
      // A removed folder or a full disk: the dashboard shows less; the run itself goes on.
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.write();
  }
}
