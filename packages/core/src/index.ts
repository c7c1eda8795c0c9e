// @acme-ts/core: the task model, argument distribution, result layout and ParallelMap.

export { ParallelMap } from './parallel-map';
export type { CallResult, ParallelMapInit } from './parallel-map';
export { validateOptions, normalizeDtype, suggestName, OPTION_NAMES } from './options';
export type { ParallelMapOptions, ResolvedOptions, ResultMode } from './options';
export { split, broadcast, range, isRange, distributeArguments, argumentsFor, valueFor, estimateSerializedSize } from './arguments';
export type { ArgumentPlan, Distribution, Range } from './arguments';
export { bindArguments } from './argument-binding';
export type { BoundArguments } from './argument-binding';
export { functionSignature } from './parameters';
export type { Parameter, Signature, SignatureResult } from './parameters';
export { resolveFunctionReference, checkFunctionName, ANONYMOUS_FUNCTION_NAME } from './function-ref';
export { loaderFlags } from './typescript-modules';
export { loadFunction, FUNCTION_LOADER_PATH } from './function-loader';
export type { FunctionInput, FunctionReference, UserFunction } from './function-ref';
export { taskContext, currentTaskContext, runInTaskContext } from './task-context';
export type { TaskContext } from './task-context';
export type { ResultArrayDtype, ResultArrayFactory, ResultArrayTypes } from './result-buffers';
export { encodeResult, ndarray, stackResults, allocateStack, placeInStack, isTypedArray } from './result-encoding';
export type { Dtype as ResultDtype, EncodedDataset, EncodedResult, NdArray, NumericArray, NumericDtype, StackedArray, StackedResults } from './result-encoding';
export { complexArray } from './complex';
export type { ComplexArray, ComplexDtype } from './complex';
export { planLayout, missingFillValue } from './layout';
export { autoOutputDir, timestamp } from './run-folder';
export type { RunLayout, ContainerSkeleton } from './layout';
export { openResults, readSerializedResult, ResultsContainer } from './results-reader';
export type { CallResults, StoredArray } from './results-reader';
export { createRunner, writeDeferredPayload, CALL_RUNNER_PATH } from './call-runner';
export type { CallRunner, NumberRunEnd, NumberRunHooks, StoredCall } from './call-runner';
export { packStoredCalls, unpackCall } from './packed-calls';
export type { PackedCalls, PackedColumn } from './packed-calls';
export { readManifest, readCallRecords, hasManifest, StatusLog } from './run-store';
export { runStatus, findStoredCalls, readRunJobs } from './run-status';
export type { RunJobs, RunStatus, StoredCallInfo } from './run-status';
export type { RunManifest, CallRecord } from './run-store';
export { createBackendByName, isExecutionBackend } from './backend-registry';
export { settledCall, forEachOutcome, eachOutcome } from './settled-batch';
export type {
  BackendFactory,
  CallError,
  CallOutcome,
  CallPayload,
  ExecutionBackend,
  ExecutionEvents,
  ExecutionJob,
  FailureReason,
  ResultSink,
  RunnerSetup,
  SettledBatch,
  SplitArgument,
} from './backend';
export { loadConfig, findConfigFile, parseConfig, ConfigError, CONFIG_FILE_NAME } from './config';
export type { AcmeConfig, LoadedConfig } from './config';
export { Logger } from './logger';
export type { LogLevel, LoggerOptions } from './logger';
export { Progress, formatProgressLine } from './progress';
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
  describeValue,
} from './errors';
export type { CallFailure } from './errors';
