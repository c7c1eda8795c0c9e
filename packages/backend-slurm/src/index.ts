export { SlurmBackend, createBackend } from './slurm-backend';
export type { ClusterInfo, SlurmRuntime } from './slurm-backend';
export type { SlurmClient } from './slurm-client';
export { CommandSlurmClient } from './command-slurm-client';
export type { Clock } from './clock';
export { MEASURE_LIMIT_MS, probeCallMemory } from './memory-probe';
export type { MemoryProbe, MemoryProbeRequest } from './memory-probe';
export { resolveSlurmOptions } from './backend-options';
export type { ResolvedSlurmOptions, SlurmBackendOptions } from './backend-options';
export type { RetryPolicy, RetryRule, SlurmRetryOptions } from './retry-policy';
export { SlurmRunError } from './errors';
export type { SlurmErrorCode, SlurmRunErrorCode } from './errors';
export { LOG_DIR_NAME, SLURM_META_DIR, readSubmissions } from './submission-files';
export type { ArrayRecord, StatusLine, SubmissionRecord } from './submission-files';
export { SlurmCommandError, SlurmOptionError, describeValue } from './errors';
export type { SlurmCommandErrorCode } from './errors';
export {
  RESERVED_SBATCH_OPTIONS,
  constraintFeatures,
  formatTimeLimit,
  parseMemory,
  parseMemorySize,
  parseSlurmDuration,
  parseTimeLimit,
  validateExportNames,
  validateExtraOptions,
  validateConstraint,
  validateJobName,
  validatePartition,
  validatePositiveInteger,
  validateQosName,
} from './sbatch-options';
export {
  FINAL_JOB_STATES,
  buildSbatchArgs,
  cancel,
  classifyTaskEnd,
  countGpus,
  decodeWaitStatus,
  finalStates,
  findArrays,
  formatIndexRanges,
  isFinalJobState,
  listNodes,
  listPartitions,
  listQos,
  parseSacctArrayLines,
  parseSbatchOutput,
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
  NodeInfo,
  PartitionInfo,
  RunSlurmCommandOptions,
  SlurmCommandOptions,
  SubmitArrayRequest,
  TaskEndKind,
} from './slurm-commands';
export { describeWorkers } from './worker-report';
export type { SlurmToolRunner, WorkerReportTools } from './worker-report';
