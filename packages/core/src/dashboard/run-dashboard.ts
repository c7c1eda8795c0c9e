// The dashboard of a run that ParallelMap computes (options.dashboard): one server for the
// ParallelMap's life (a second compute() reuses it; close() stops it), and a live tracker
// per compute(). The only seam ParallelMap needs: open it once the run folder is known, wrap
// the backend's events with `track`, and `endExecution()` / `close()`.

import type { ExecutionEvents } from '../backend';
import { DashboardServer } from './dashboard-server';
import type { ResolvedDashboardSetting } from './dashboard-setting';
import { LiveFileTracker, type LiveTracker } from './live-tracker';

export interface ExecutionInfo {
  backend: string;
  concurrency: number;
  /** Calls handed to the backend. */
  submitted: number;
}

export class RunDashboard {
  private tracker?: LiveTracker;

  private constructor(
    readonly outputDir: string,
    readonly server: DashboardServer,
  ) {}

  /** Serves `outputDir` and announces the URL (setting.onStart, else `announce`). */
  static async open(outputDir: string, setting: ResolvedDashboardSetting, announce: (message: string) => void): Promise<RunDashboard> {
    // Unref'd: a library run's dashboard does not keep the process alive after the work is done.
    const server = (await DashboardServer.start(outputDir, { port: setting.port })).unref();
    if (setting.onStart) setting.onStart(server.url);
    else announce(`Dashboard: ${server.url}`);
    return new RunDashboard(outputDir, server);
  }

  /** The backend's events, seen by a fresh live tracker for this execution. */
  track(events: ExecutionEvents, info: ExecutionInfo): ExecutionEvents {
    this.tracker?.stop();
    this.tracker = new LiveFileTracker(this.outputDir, info);
    return this.tracker.wrapEvents(events);
  }

  endExecution(): void {
    this.tracker?.stop();
    this.tracker = undefined;
  }

  async close(): Promise<void> {
    this.endExecution();
    await this.server.close();
  }
}
