// @acme-ts/cli: the `acme-ts` command (bin.js) and its parts, for running it in-process.

export { main, buildCli, explainParseFailure, COMMANDS } from './cli';
export { CliError, UsageError, InputError, OutputExistsError, FileFormatError, EXIT } from './errors';
export { parseInput, parseKeywordInput, INPUT_PREFIXES } from './inputs';
export type { InputContext } from './inputs';
export { parseResultShape, parseSeconds, parseCountOrAuto, runOptions, executionOptions, slurmSettings, inFlagTerms, flagFor, SLURM_FLAGS } from './flags';
export type { RunFlags, ExecutionFlags } from './flags';
export { describeFile, formatDtype, formatShape, listDatasets } from './h5-tree';
export type { TreeNode, LinkTarget, VirtualSource, OmittedChildren, TreeOptions } from './h5-tree';
export { formatProgress, formatDuration, RunProgress } from './progress';
export type { ProgressCounts, ProgressStream } from './progress';
export { formatSummary, toJson } from './session';
export { statusReport, formatIdList } from './commands/status';
export type { StatusReport } from './commands/status';
export type { ExportStats } from './commands/export';
export { colorsFor, processIO } from './io';
export type { CliIO, Colors } from './io';
