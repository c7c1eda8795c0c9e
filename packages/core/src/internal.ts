// @acme-ts/core/internal: core's internals for acme-ts's own packages (the CLI, tests); not a
// user API, and not stable.

export type { RetryPolicy } from './retries';
export { dryRunAsks } from './dry-run';
export { validateOptions, normalizeDtype, suggestName, OPTION_NAMES } from './options';
export type { ResolvedOptions, ResultMode } from './options';
export { distributeArguments, argumentsFor, valueFor, estimateSerializedSize } from './arguments';
export type { ArgumentPlan, Distribution } from './arguments';
export { bindArguments } from './argument-binding';
export type { BoundArguments } from './argument-binding';
export { functionSignature } from './parameters';
export type { Parameter, Signature, SignatureResult } from './parameters';
export { resolveFunctionReference, checkFunctionName, ANONYMOUS_FUNCTION_NAME } from './function-ref';
export { currentTaskContext, runInTaskContext } from './task-context';
export { encodeResult, stackResults, allocateStack, placeInStack, isTypedArray } from './result-encoding';
export { stackCallValues, encodeNamedResult, isNamedResultShape, stackedKeys } from './named-result-shape';
export type { EncodedDataset, EncodedResult } from './result-encoding';
export { planLayout, missingFillValue } from './layout';
export type { RunLayout, ContainerSkeleton } from './layout';
export { StatusLog } from './run-store';
export { findStoredCalls } from './run-status';
export { parseConfig } from './config';
export { Logger } from './logger';
export type { LogLevel, LoggerOptions } from './logger';
export { Progress, formatProgressLine } from './progress';
export { describeValue } from './errors';
