// @acme-ts/core/dashboard: the live run dashboard (server, run snapshot, live tracker).
export { DashboardServer, startDashboard } from './dashboard-server';
export type { DashboardOptions } from './dashboard-server';
export { DashboardError } from './dashboard-error';
export { RunCatalog } from './run-catalog';
export type { CatalogEntry } from './run-catalog';
export { readRunSnapshot, shellWord } from './run-snapshot';
export type { FailedCall, RunSnapshot, RunState } from './run-snapshot';
export { buildTimeline, callIntervals, durationHistogram, TIMELINE_CALL_LIMIT } from './call-timeline';
export type { Histogram, Timeline, TimelineCall, TimelineLane } from './call-timeline';
export { LiveFileTracker, livePath, LIVE_FILE } from './live-tracker';
export type { LiveState, LiveTracker } from './live-tracker';
export { loadWorkerDescriber } from './worker-report';
export type { DescribeWorkers, WorkerLine, WorkerReport } from './worker-report';
export { RunDashboard } from './run-dashboard';
export { resolveDashboardSetting } from './dashboard-setting';
export type { DashboardSetting, ResolvedDashboardSetting } from './dashboard-setting';
