// `acme-ts run <module>#<export> [inputs…]`: one ParallelMap from the command line.

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { autoOutputDir, ParallelMap } from '@acme-ts/core';
import { loadFunction } from '@acme-ts/core/backend';
import { resolveFunctionReference } from '@acme-ts/core/internal';
import { UsageError } from '../errors';
import { checkSlurmFlags, effectiveBackend, asList, runOptions, type RunFlags } from '../flags';
import { parseInput, parseKeywordInput } from '../inputs';
import type { CliIO } from '../io';
import { asCliError, executeRun } from '../session';
import { withDashboard } from './dashboard';

export interface RunArgs extends RunFlags {
  func: string;
  inputs?: string[];
  '--'?: string[];
  [flag: string]: unknown;
}

export async function runCommand(argv: RunArgs, io: CliIO): Promise<number> {
  const cwd = process.cwd();
  const options = runOptions(argv);
  checkSlurmFlags(argv, effectiveBackend(options.backend));

  // Words after `--` are inputs too (for one that starts with "-" and is no number).
  const words = [...(argv.inputs ?? []), ...(argv['--'] ?? [])].map(String);
  const args = words.map((word, index) => parseInput(word, `input ${index + 1}`, { cwd }));
  const keywordPairs = asList(argv.kwarg).map((text) => parseKeywordInput(text, { cwd }));
  const kwargs = keywordPairs.length > 0 ? Object.fromEntries(keywordPairs) : undefined;
  const duplicate = keywordPairs.find(([name], i) => keywordPairs.findIndex(([other]) => other === name) !== i);
  if (duplicate) throw new UsageError(`--kwarg ${duplicate[0]} is given twice; give each keyword argument once`, '--kwarg');

  // Decide the folder now, so it is known (and printed) before the first call runs.
  if (options.writeWorkerResults !== false && options.outputDir === undefined) options.outputDir = autoOutputDir(cwd, new Date());

  const func = checkFunctionArgument(argv.func);
  let pmap: ParallelMap;
  try {
    pmap = new ParallelMap(func, args, withDashboard({ ...options, ...(kwargs ? { kwargs } : {}) }, argv, io));
    // Load it here once: a missing export is one clear error, not one failure per call.
    if (pmap.func.kind === 'module') await loadFunction(pmap.func);
  } catch (error) {
    throw asCliError(error);
  }
  return executeRun(pmap, io, { quiet: argv.quiet === true, verbose: argv.verbose === true, nWorkers: options.nWorkers, verb: 'run' });
}

/**
 * `<module>#<export>`; a bare module path gets told which exports it has. Core checks the
 * rest (the module exists; loadFunction lists the exports when the name is wrong).
 */
function checkFunctionArgument(func: string): string {
  if (func.includes('#')) {
    try {
      resolveFunctionReference(func);
    } catch (error) {
      throw asCliError(error);
    }
    return func;
  }
  const modulePath = path.resolve(func);
  const example = `acme-ts run ${func}#<export>`;
  if (!existsSync(modulePath)) {
    throw new UsageError(
      `the function must be <module>#<export>, e.g. ./tasks.js#randout; got ${JSON.stringify(func)} (and ${modulePath} does not exist)`,
      '<module>#<export>',
    );
  }
  let exports = '';
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const loaded = require(modulePath) as Record<string, unknown>;
    exports = Object.keys(loaded)
      .filter((k) => typeof loaded[k] === 'function')
      .join(', ');
  } catch {
    // An ES module or a module that fails to load: the message below still says what to write.
  }
  throw new UsageError(`name the function to run: ${example}${exports ? `; ${func} exports the functions ${exports}` : ''}`, '<module>#<export>');
}
