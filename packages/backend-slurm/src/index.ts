export { SlurmBackend, createBackend } from './slurm-backend';
export type { ClusterInfo } from './slurm-backend';
export { resolveSlurmOptions } from './backend-options';
export type { ResolvedSlurmOptions, SlurmBackendOptions } from './backend-options';
export { SlurmRunError } from './errors';
export type { SlurmRunErrorCode } from './errors';
export { LOG_DIR_NAME, SLURM_META_DIR, readSubmissions } from './submission-files';
export type { ArrayRecord, StatusLine, SubmissionRecord } from './submission-files';
export { SlurmCommandError, SlurmOptionError, describeValue } from './errors';
export type { SlurmCommandErrorCode } from './errors';
export {
  RESERVED_SBATCH_OPTIONS,
  formatTimeLimit,
  parseMemory,
  parseSlurmDuration,
  parseTimeLimit,
  validateExportNames,
  validateExtraOptions,
  validateJobName,
  validatePartition,
  validatePositiveInteger,
} from './sbatch-options';
export {
  FINAL_JOB_STATES,
  buildSbatchArgs,
  cancel,
  classifyTaskEnd,
  decodeWaitStatus,
  finalStates,
  formatIndexRanges,
  isFinalJobState,
  listPartitions,
  parseSacctArrayLines,
  parseScontrolRecord,
  parseSqueueArrayLines,
  queryArray,
  readClusterConfig,
  runSlurmCommand,
  sbatchEnvironment,
  sacctAvailable,
  submitArray,
} from './slurm-commands';
export type {
  ArraySpec,
  ArrayTaskStatus,
  ClusterConfig,
  FinalTaskState,
  PartitionInfo,
  RunSlurmCommandOptions,
  SlurmCommandOptions,
  SubmitArrayRequest,
  TaskEndKind,
} from './slurm-commands';
export { describeWorkers } from './worker-report';
export type { SlurmToolRunner, WorkerReportTools } from './worker-report';
