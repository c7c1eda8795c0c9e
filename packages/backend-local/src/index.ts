export { ThreadPool } from './thread-pool';
export type { CallOutcome, FailureReason, RunOptions, RunSummary } from './thread-pool';
export type { ThreadPoolOptions } from './options';
export type { Runner, RunnerModule } from './protocol';
export { BatchSizer } from './batch-sizer';
export type { BatchSizerOptions } from './batch-sizer';
export { ChildProcessTransport, WorkerThreadTransport, createChildProcessTransport, createWorkerThreadTransport } from './transport';
export type { WorkerExitInfo, WorkerTransport, WorkerTransportFactory, WorkerTransportInit } from './transport';
export {
  AbortError,
  InvalidTaskIDError,
  PoolClosedError,
  PoolOptionError,
  WorkerCrashLoopError,
  WorkerExitedError,
  WorkerStartupError,
} from './errors';
export { LocalBackend, createBackend } from './local-backend';
export type { LocalBackendOptions } from './local-backend';
