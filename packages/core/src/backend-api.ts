// @acme-ts/core/backend: what an execution backend implements and uses (docs/DESIGN.md): the
// contract, the settled-batch helpers, core's call runner that every worker runs.

export { InProcessBackend } from './in-process-backend';
export { loaderFlags } from './typescript-modules';
export { loadFunction, FUNCTION_LOADER_PATH } from './function-loader';
export type { FunctionReference } from './function-ref';
export { createRunner, writeDeferredPayload, CALL_RUNNER_PATH } from './call-runner';
export type { CallRunner, NumberRunEnd, NumberRunHooks, StoredCall } from './call-runner';
export { packStoredCalls, unpackCall } from './packed-calls';
export type { PackedCalls, PackedColumn } from './packed-calls';
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
// The run folder's records a backend writes (docs/run-folder.md), with core's one atomic-write helper.
export { writeRunJobs } from './run-status';
export { writeFileAtomically } from './run-folder';
