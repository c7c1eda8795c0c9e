// `acme-ts rerun <output-folder>`: the calls of a stored run that have no valid result, run in
// place (core's ParallelMap.resume), ending with a complete container; `--only 3,17-20` runs only
// those of them, and `--only 17 --debug` runs call 17 in this process with its exact arguments.

import { ParallelMap, readManifest } from '@acme-ts/core';
import { checkSlurmFlags, effectiveBackend, executionOptions, parseTaskIDs, type ExecutionFlags } from '../flags';
import type { CliIO } from '../io';
import { asCliError, executeRun } from '../session';
import { runFolder } from './status';
import { withDashboard } from './dashboard';

export interface RerunArgs extends ExecutionFlags {
  folder: string;
  /** --only: taskIDs and ranges, e.g. "3,17-20". */
  only?: string;
  [flag: string]: unknown;
}

export async function rerunCommand(argv: RerunArgs, io: CliIO): Promise<number> {
  const folder = runFolder(argv.folder);
  const overrides = executionOptions(argv);
  const only = parseTaskIDs(argv.only, '--only');
  let pmap: ParallelMap;
  try {
    checkSlurmFlags(argv, effectiveBackend(overrides.backend, readManifest(folder).backend));
    pmap = ParallelMap.resume(folder, withDashboard({ ...overrides, ...(only ? { only } : {}) }, argv, io));
  } catch (error) {
    throw asCliError(error);
  }
  return executeRun(pmap, io, { quiet: argv.quiet === true, verbose: argv.verbose === true, nWorkers: overrides.nWorkers, verb: 'rerun' });
}
