// Carrying out a ParallelMap for `run` and `rerun`: progress while calls settle, Ctrl-C, and
// the closing lines (output folder, container, one-line summary) with the exit status.

import { availableParallelism } from 'node:os';
import * as path from 'node:path';
import { hasManifest, readRunJobs, runStatus, type CallFailure, type CoreErrorCode, type ParallelMap } from '@acme-ts/core';
import { dryRunAsks, stackCallValues } from '@acme-ts/core/internal';
import { CliError, EXIT, UsageError } from './errors';
import { inFlagTerms } from './flags';
import { colorsFor, type CliIO } from './io';
import { RunProgress } from './progress';

export interface SessionOptions {
  quiet: boolean;
  verbose: boolean;
  /** The --n-workers value, to tell how many calls run at once. */
  nWorkers: number | 'auto' | undefined;
  /** "rerun" words its header differently. */
  verb: 'run' | 'rerun';
}

/**
 * Errors core raises for a bad command line (as opposed to a failure while running). A bad
 * SLURM setting is one too: the SLURM backend's SlurmOptionError has core's ERR_ACME_OPTION.
 */
const USAGE_CODES: ReadonlySet<string> = new Set<CoreErrorCode>([
  'ERR_ACME_OPTION',
  'ERR_ACME_ARGUMENTS',
  'ERR_ACME_ARGUMENT_BINDING',
  'ERR_ACME_FUNCTION',
  'ERR_ACME_CONFIG',
  'ERR_ACME_NO_RUN',
]);

/** Core's error in command-line words: a UsageError for bad input, else unchanged. */
export function asCliError(error: unknown): unknown {
  if (error instanceof CliError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && USAGE_CODES.has(code)) {
    const option = (error as { option?: unknown }).option;
    // The flag at fault, as the message names it ("options.slurm.partition" → "--partition").
    return new UsageError(inFlagTerms((error as Error).message), typeof option === 'string' ? inFlagTerms(option) : undefined);
  }
  return error;
}

export async function executeRun(pmap: ParallelMap, io: CliIO, options: SessionOptions): Promise<number> {
  const colors = colorsFor(io.stderr, io.env);
  const memory = pmap.options.mode === 'memory';
  const outputDir = pmap.options.outputDir;
  const doneBefore = !memory && outputDir && hasManifest(outputDir) ? safeDoneCalls(outputDir) : [];
  const alreadyDone = doneBefore.length;
  const done0 = new Set(doneBefore);
  const toRun = pmap.only ? pmap.only.filter((id) => !done0.has(id)).length : pmap.nInputs - alreadyDone;
  const workers = options.nWorkers === undefined || options.nWorkers === 'auto' ? availableParallelism() : options.nWorkers;

  if (!options.quiet) {
    const where = memory ? 'results in memory' : outputDir;
    const previously = alreadyDone > 0 ? ` (${alreadyDone} of ${pmap.nInputs} already done)` : '';
    io.stderr.write(`acme-ts ${options.verb}: ${toRun} calls of ${pmap.func.name}${previously} → ${where}\n`);
  }
  for (const warning of pmap.warnings) io.stderr.write(`${colors.yellow('warning:')} ${inFlagTerms(warning)}\n`);

  const startProgress = () =>
    new RunProgress(io.stderr, toRun, {
      label: pmap.func.name,
      workers,
      enabled: !options.quiet && !options.verbose,
      intervalSeconds: progressInterval(io.env),
      color: colors.enabled,
    });
  // The dry run's question on a terminal must not be drawn over: the bar starts with the first result.
  let progress = pmap.options.dryrun && dryRunAsks() ? undefined : startProgress();

  // Core stops the run cleanly on the first Ctrl-C while calls execute (and exits on the
  // second); outside that window nobody would, so this handler does.
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    if (process.listenerCount('SIGINT') === 1) {
      io.stderr.write(`\nInterrupted before the calls started${outputDir ? `; start again with: acme-ts rerun ${outputDir}` : ''}\n`);
      process.exit(EXIT.interrupted);
    }
  };
  process.on('SIGINT', onSigint);

  // SLURM job arrays are announced as the backend submits them (not with --quiet; --verbose
  // shows the library's own log line).
  const jobs = !options.quiet && !options.verbose ? watchJobs(pmap, (line) => (progress ??= startProgress()).note(line)) : undefined;

  const started = Date.now();
  const failures: CallFailure[] = [];
  const values: unknown[] = memory ? new Array(pmap.nInputs).fill(null) : [];
  let okCount = 0;
  let error: unknown;
  try {
    for await (const result of pmap.results()) {
      if (result.ok) {
        okCount++;
        if (memory) values[result.taskID] = result.value;
      } else if (result.error) {
        failures.push(result.error);
      }
      (progress ??= startProgress()).settled(result.ok);
    }
  } catch (caught) {
    error = caught;
  } finally {
    jobs?.stop();
    progress?.stop();
    process.off('SIGINT', onSigint);
    await pmap.close();
  }
  const seconds = (Date.now() - started) / 1000;
  if ((error as { code?: unknown } | undefined)?.code === 'ERR_ACME_DRYRUN_DECLINED') {
    io.stderr.write(`${(error as Error).message}\n`);
    return EXIT.failed;
  }
  const aborted = interrupted || (error as { code?: unknown } | undefined)?.code === 'ERR_ACME_ABORTED' || (error as Error | undefined)?.name === 'AbortError';
  if (error !== undefined && !aborted) throw asCliError(error);

  // The folder is the truth for file modes (a rerun counts the calls done before it too).
  let done = okCount + alreadyDone;
  let failed = failures.filter((f) => f.reason !== 'aborted').length;
  if (!memory && pmap.outputDir && hasManifest(pmap.outputDir)) {
    const status = runStatus(pmap.outputDir);
    done = status.done.length;
    failed = status.failed.length;
  }
  const notRun = pmap.nInputs - done - failed;
  const summary = formatSummary(pmap.nInputs, done, failed, notRun, seconds, colors);

  if (memory) {
    if (!aborted && failed === 0) {
      const output = pmap.options.resultShape ? stackCallValues(values, pmap.options.resultShape, pmap.options.resultDtype) : values;
      io.stdout.write(`${toJson(output)}\n`);
    } else if (okCount > 0) {
      io.stdout.write(`${toJson(values)}\n`);
    }
    io.stderr.write(`${summary}\n`);
  } else {
    io.stdout.write(`output folder: ${pmap.outputDir}\n`);
    if (pmap.resultsContainer) io.stdout.write(`container:     ${pmap.resultsContainer}\n`);
    else io.stdout.write(`results:       ${path.join(pmap.outputDir ?? '', `${pmap.func.name}_<i>.v8`)} (serialized; read with readSerializedResult)\n`);
    io.stdout.write(`${summary}\n`);
  }

  if (aborted) {
    const hint = memory ? 'in-memory results are not kept; run it again' : `finish the run with: acme-ts rerun ${pmap.outputDir}`;
    io.stderr.write(`${colors.yellow('Interrupted')}: ${notRun} of ${pmap.nInputs} calls have no result; ${hint}\n`);
    return EXIT.interrupted;
  }
  if (failed > 0) {
    // Core has printed each failure (taskID, reason, error); this says what to do next.
    if (!memory) io.stderr.write(`${failed} calls failed; after fixing the cause, run only those with: acme-ts rerun ${pmap.outputDir}\n`);
    return EXIT.failed;
  }
  return EXIT.ok;
}

/**
 * Calls `say` with each batch job (SLURM job array) of this run as its id appears in the run
 * folder's `.acme-ts/jobs.json`, which the backend rewrites at each submission. What the file
 * held before this run is not announced, unless this run rewrites it (it adopted those jobs).
 */
function watchJobs(pmap: ParallelMap, say: (line: string) => void): { stop(): void } {
  const before = pmap.options.outputDir !== undefined ? readRunJobs(pmap.options.outputDir)?.updatedAt : undefined;
  const announced = new Set<string>();
  const check = (): void => {
    const jobs = pmap.outputDir !== undefined ? readRunJobs(pmap.outputDir) : undefined;
    if (jobs === undefined || jobs.updatedAt === before) return;
    for (const id of jobs.jobIds) {
      if (announced.has(id)) continue;
      announced.add(id);
      say(jobs.backend === 'slurm' ? `SLURM job array ${id}` : `${jobs.backend} job ${id}`);
    }
  };
  const timer = setInterval(check, 500);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      check(); // the ids of a run shorter than one interval
    },
  };
}

function safeDoneCalls(outputDir: string): number[] {
  try {
    return runStatus(outputDir).done;
  } catch {
    return [];
  }
}

function progressInterval(env: NodeJS.ProcessEnv): number | undefined {
  const value = Number(env.ACME_TS_PROGRESS_INTERVAL);
  return env.ACME_TS_PROGRESS_INTERVAL && value > 0 ? value : undefined;
}

export function formatSummary(
  total: number,
  done: number,
  failed: number,
  notRun: number,
  seconds: number,
  colors: { green(s: string): string; red(s: string): string },
): string {
  const failedText = failed > 0 ? colors.red(`${failed} failed`) : `${failed} failed`;
  const notRunText = notRun > 0 ? `, ${notRun} not run` : '';
  const doneText = done === total ? colors.green(`${done} done`) : `${done} done`;
  return `${total} calls: ${doneText}, ${failedText}${notRunText} in ${seconds.toFixed(1)} s`;
}

/** JSON of results: typed arrays as lists, bigints as numbers (strings beyond 2^53), Maps as objects. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<unknown>);
    if (v instanceof Map) return Object.fromEntries(v);
    if (v instanceof Set) return [...v];
    return v;
  });
}
