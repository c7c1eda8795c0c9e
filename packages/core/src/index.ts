// @acme-ts/core: the user's API — ParallelMap, its options and results, reading a run's files.
// Backends import `@acme-ts/core/backend`; acme-ts's own packages their internals from
// `@acme-ts/core/internal` (no promise of stability to anyone else).

export { ParallelMap } from './parallel-map';
export type { ComputeResult, CallResult, ParallelMapInit, ResumeOverrides } from './parallel-map';
export { RETRY_REASONS, DEFAULT_RETRY_ON, DEFAULT_BACKOFF_MS } from './retries';
export type { RetriesOption, RetryReason } from './retries';
export type { ParallelMapOptions, ResultDtypeName, RunProgress } from './options';
export { split, broadcast, range, isRange } from './arguments';
export type { Range } from './arguments';
export { datasetRows, isDatasetRows } from './dataset-rows';
export type { DatasetRows, DatasetRowsSource } from './dataset-rows';
export type { FunctionInput, UserFunction } from './function-ref';
export { taskContext } from './task-context';
export type { TaskContext } from './task-context';
export { ndarray } from './result-encoding';
export type { Dtype as ResultDtype, NdArray, NumericArray, NumericDtype, StackedArray, StackedResults } from './result-encoding';
export type { NamedStackedResults } from './named-result-shape';
export type { ResultArrayDtype, ResultArrayFactory, ResultArrayTypes } from './result-buffers';
export { complexArray } from './complex';
export type { ComplexArray, ComplexDtype } from './complex';
export { autoOutputDir, timestamp } from './run-folder';
export { openResults, readSerializedResult, ResultsContainer } from './results-reader';
export type { CallResults, StoredArray } from './results-reader';
export { readManifest, readCallRecords, readCallHistory, hasManifest } from './run-store';
export { runStatus, readRunJobs } from './run-status';
export type { RetriedCall, RunJobs, RunStatus, StoredCallInfo } from './run-status';
export type { RunManifest, CallRecord } from './run-store';
export type { ExecutionBackend } from './backend';
export { loadConfig, findConfigFile, ConfigError, CONFIG_FILE_NAME } from './config';
export type { AcmeConfig, LoadedConfig } from './config';
export type { UserLogger } from './logger';
export {
  AcmeError,
  OptionError,
  ArgumentDistributionError,
  ArgumentBindingError,
  FunctionReferenceError,
  ResultLayoutError,
  TaskContextError,
  ComputeError,
  StorageError,
  InputFileError,
} from './errors';
export type { CallFailure, CoreErrorCode } from './errors';
export type { SlurmSettings, SlurmRetrySettings } from './slurm-settings';
