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
} from './slurm-commands';
