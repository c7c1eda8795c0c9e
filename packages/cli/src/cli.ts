// The `acme-ts` command line: yargs commands, their help and examples, strict parsing with
// "did you mean" for unknown flags, and one place that turns errors into messages and exit
// statuses. `main(argv)` runs it in-process and resolves with the exit status.

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import yargs, { type Argv } from 'yargs';
import type { RerunArgs } from './commands/rerun';
import type { RunArgs } from './commands/run';
import type { DashboardArgs } from './commands/dashboard';
import { CliError, EXIT, UsageError } from './errors';
import { addExecutionFlags, addRunFlags } from './flags';
import { colorsFor, processIO, type CliIO } from './io';

// Each command's module (and with it core, and libhdf5) is loaded when that command runs:
// `--help`, `--version` and TAB completion load only yargs and this file's neighbours.
/* eslint-disable @typescript-eslint/no-require-imports */
const commands = {
  run: () => require('./commands/run') as typeof import('./commands/run'),
  inspect: () => require('./commands/inspect') as typeof import('./commands/inspect'),
  status: () => require('./commands/status') as typeof import('./commands/status'),
  rerun: () => require('./commands/rerun') as typeof import('./commands/rerun'),
  export: () => require('./commands/export') as typeof import('./commands/export'),
  dashboard: () => require('./commands/dashboard') as typeof import('./commands/dashboard'),
};
const suggestName: typeof import('@acme-ts/core/internal').suggestName = (name, known) =>
  (require('@acme-ts/core/internal') as typeof import('@acme-ts/core/internal')).suggestName(name, known);
/* eslint-enable @typescript-eslint/no-require-imports */

export const COMMANDS = ['run', 'inspect', 'status', 'rerun', 'export', 'dashboard', 'completion'] as const;

const USAGE: Record<string, string> = {
  run: 'acme-ts run <module>#<export> [inputs…] [options]',
  inspect: 'acme-ts inspect <file.h5> [--json] [--all]',
  status: 'acme-ts status <output-folder> [--json]',
  rerun: 'acme-ts rerun <output-folder> [--only 3,17-20] [options]',
  export: 'acme-ts export <container.h5> <out.h5> [--force]',
  dashboard: 'acme-ts dashboard <run-folder | folder-holding-runs> [--port N]',
};

const INPUT_HELP = `Inputs (positional, and the value of --kwarg name=value; a --kwarg fills the parameter it names):
  4  -2.5  true  null  [1,2,3]  '{"a":1}'  '"text"'   literals and JSON
  @x.json                       the JSON in a file
  range:100  range:0:100:5      a range of integers (split: one per call)
  h5:data.h5:/x                 a dataset of an HDF5 file (1-D: one element per call;
                                above 16 MiB the workers read their calls' rows)
  split:h5:data.h5:/x           its rows, one per call, read by the workers (any rank)
  files:'data/*.txt'            the matching files' paths, sorted (one call per file)
  split:<input>  broadcast:<input>   force the rule; otherwise lists whose length is the
                                number of calls are split, everything else is broadcast`;

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The flag names (without dashes) of the command `words` start with, for "did you mean". */
function knownFlags(command: string | undefined): string[] {
  const probe = yargs();
  const withFlags: Argv = command === 'run' ? addRunFlags(probe) : command === 'rerun' ? addExecutionFlags(probe) : probe;
  const own: Record<string, string[]> = { inspect: ['json', 'all'], status: ['json'], export: ['force', 'skip-missing'], rerun: ['only'], dashboard: ['port'] };
  // getOptions() is public yargs API, missing from @types/yargs.
  const keys = Object.keys((withFlags as unknown as { getOptions(): { key: Record<string, unknown> } }).getOptions().key);
  return [...keys.filter((k) => !/[A-Z]/.test(k)), ...(own[command ?? ''] ?? []), 'help', 'version'];
}

/** yargs' validation message, with a suggestion for each unknown flag and the usage line. */
export function explainParseFailure(message: string, words: readonly string[]): UsageError {
  const command = words.find((w) => (COMMANDS as readonly string[]).includes(w));
  const unknown = /^Unknown arguments?: (.*)$/s.exec(message);
  if (unknown) {
    const names = unknown[1]!.split(', ');
    // yargs reports --foo-bar also as fooBar; keep the spelling the user typed.
    const typed = names.filter((n) => words.some((w) => w === `--${n}` || w.startsWith(`--${n}=`) || w === `-${n}`));
    if (typed.length > 0) {
      const flags = knownFlags(command);
      const hints = typed.map((name) => {
        const guess = suggestName(name, flags);
        return guess ? `--${name} (did you mean --${guess}?)` : `--${name}`;
      });
      const where = command ? `acme-ts ${command}` : 'acme-ts';
      return new UsageError(`unknown flag ${hints.join(', ')}; see ${where} --help for its flags`, `--${typed[0]}`);
    }
    const extra = names.filter((n) => !/[A-Z]/.test(n) || !names.includes(n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)));
    if (!command) {
      const guess = suggestName(
        extra[0] ?? '',
        COMMANDS.filter((c) => c !== 'completion'),
      );
      return new UsageError(
        `unknown command ${JSON.stringify(extra[0])}${guess ? `; did you mean ${guess}?` : ''}; the commands are run, inspect, status, rerun, export, dashboard`,
      );
    }
    return new UsageError(
      `unexpected argument${extra.length > 1 ? 's' : ''} ${extra.map((e) => JSON.stringify(e)).join(', ')}; usage: ${USAGE[command] ?? `acme-ts ${command}`}`,
    );
  }
  const recommended = /^Did you mean (\w+)\?/.exec(message);
  if (recommended) {
    const typed = words.find((w) => !w.startsWith('-'));
    return new UsageError(
      `unknown command ${JSON.stringify(typed)}; did you mean ${recommended[1]}? The commands are run, inspect, status, rerun, export, dashboard`,
    );
  }
  const usage = command && USAGE[command] ? `; usage: ${USAGE[command]} (acme-ts ${command} --help shows examples)` : '';
  return new UsageError(`${message.replace(/\n\s*/g, ' ')}${usage}`);
}

/** The yargs program; `finish` receives each command's exit status. */
export function buildCli(io: CliIO = processIO(), finish: (code: number) => void = () => {}, words: readonly string[] = []): Argv {
  return yargs()
    .scriptName('acme-ts')
    .usage(
      "acme-ts <command> [options]\n\nCalls one function once per input, in parallel (worker threads or SLURM), and stores every result in ACME's HDF5 layout.",
    )
    .parserConfiguration({ 'parse-numbers': false, 'parse-positional-numbers': false, 'populate--': true })
    .command(
      'run <func> [inputs..]',
      'call <module>#<export> once per input and store the results',
      (y) =>
        addRunFlags(
          y
            .positional('func', { type: 'string', describe: 'the function: <module file>#<export name>' })
            .positional('inputs', { type: 'string', array: true, describe: 'positional arguments of the function (see Inputs below)' }),
        )
          .example(
            '$0 run ./tasks.js#randout range:0:10 --kwarg y=3 --n-workers 4',
            'randout(x, y = 3) for x = 0…9: --kwarg binds by parameter name; 4 workers',
          )
          .example(
            '$0 run ./tasks.js#matconstruct range:0:8 --result-shape null,10,9 -o mats',
            'stack the 8 (10, 9) results into one (8, 10, 9) dataset in mats/',
          )
          .example('$0 run ./tasks.js#randout h5:data.h5:/x --no-write-worker-results', 'one call per element of /x; print the values as JSON')
          .example('$0 run ./tasks.js#randout range:1:5 --kwarg y=10 --no-write-worker-results', 'prints [0.1,0.2,0.3,0.4]')
          .epilogue(INPUT_HELP),
      async (argv) => finish(await commands.run().runCommand(argv as unknown as RunArgs, io)),
    )
    .command(
      'inspect <file>',
      'show the tree of an HDF5 file: datasets, links and virtual datasets with their targets',
      (y) =>
        y
          .positional('file', { type: 'string', describe: 'an HDF5 file (any, not only acme-ts containers)' })
          .option('json', { type: 'boolean', describe: 'the tree as JSON' })
          .option('all', { type: 'boolean', describe: 'every member of long groups (default: the first and last few and a count)' })
          .example('$0 inspect ACME_20261125-101500-123000/randout.h5', 'comp_0 → randout_payload/randout_0.h5:/ (exists) …'),
      (argv) => finish(commands.inspect().inspectCommand(argv as never, io)),
    )
    .command(
      'status <folder>',
      'count the done, failed and missing calls of a run; list the failed ones',
      (y) =>
        y
          .positional('folder', { type: 'string', describe: 'the output folder of a run (or its container)' })
          .option('json', { type: 'boolean', describe: 'as JSON (counts, failed calls, missing taskIDs)' })
          .example('$0 status ACME_20261125-101500-123000', '10 calls of randout … 10 done, 0 failed, 0 missing (and each failed call)'),
      (argv) => finish(commands.status().statusCommand(argv as never, io)),
    )
    .command(
      'rerun <folder>',
      'run the calls of a run that have no valid result, in place, and complete its container',
      (y) =>
        addExecutionFlags(y.positional('folder', { type: 'string', describe: 'the output folder of a run' }))
          .option('only', { type: 'string', nargs: 1, describe: 'only these calls (of those without a result): taskIDs and ranges, e.g. 3,17-20' })
          .example('$0 rerun ACME_20261125-101500-123000 --n-workers 8', 'finish an interrupted or partly failed run')
          .example(
            '$0 rerun ACME_20261125-101500-123000 --only 7 --debug',
            'run failed call 7 in this process with its exact arguments (node --inspect-brk "$(command -v acme-ts)" … to step into it)',
          )
          .example('$0 rerun runs/big --mem-per-worker 2x --time-limit 2:00:00', 'on SLURM: retry with twice the memory and 2 hours'),
      async (argv) => finish(await commands.rerun().rerunCommand(argv as unknown as RerunArgs, io)),
    )
    .command(
      'export <source> <target>',
      'write a self-contained copy of a container: links followed, virtual datasets made regular',
      (y) =>
        y
          .positional('source', { type: 'string', describe: 'the container (or any HDF5 file)' })
          .positional('target', { type: 'string', describe: 'the file to write' })
          .option('force', { type: 'boolean', describe: 'replace the target if it exists' })
          .option('skip-missing', { type: 'boolean', describe: 'leave out links whose target is missing (default: refuse)' })
          .example('$0 export ACME_20261125-101500-123000/randout.h5 randout-all.h5', 'one file to mail or archive, no payload folder needed'),
      (argv) => finish(commands.export().exportCommand(argv as never, io)),
    )
    .command(
      'dashboard <folder>',
      'serve a live dashboard of a run (or of the runs in a folder) in the browser, on 127.0.0.1, until Ctrl-C',
      (y) =>
        y
          .positional('folder', { type: 'string', describe: "a run's output folder, or a folder holding runs" })
          .option('port', { type: 'string', nargs: 1, describe: 'port on 127.0.0.1 (default: a free one)' })
          .example('$0 dashboard ACME_20261125-101500-123000', 'prints http://127.0.0.1:<port>/?token=… ; works on running, finished and killed runs')
          .example('ssh -N -L 8080:127.0.0.1:<port> login-node', 'on your laptop, for a dashboard on a cluster: then open http://localhost:8080/?token=…'),
      async (argv) => finish(await commands.dashboard().dashboardCommand(argv as unknown as DashboardArgs, io)),
    )
    .completion('completion', 'print a shell completion script (bash/zsh): acme-ts completion >> ~/.bashrc')
    .example('$0 run ./tasks.js#randout range:0:10 --n-workers 4', 'run, then:')
    .example('$0 status ACME_…', 'what is done, failed, missing')
    .example('$0 rerun ACME_…', 'finish what failed or was interrupted')
    .example('$0 inspect ACME_…/randout.h5', "the container's tree")
    .example('$0 export ACME_…/randout.h5 copy.h5', 'a self-contained copy')
    .example('$0 dashboard ACME_…', 'watch it in the browser')
    .epilogue(
      'Exit status: 0 all calls succeeded, 1 some calls failed, 2 bad command line, 130 interrupted (Ctrl-C).\nColors are off with NO_COLOR=1 or when output is not a terminal.',
    )
    .demandCommand(1, 'name a command: run, inspect, status, rerun, export or dashboard')
    .recommendCommands()
    .strict()
    .help()
    .alias('help', 'h')
    .version(packageVersion())
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((message, error) => {
      if (error) throw error;
      throw explainParseFailure(message, words);
    })
    .exitProcess(false);
}

/** Runs the command line `words` (without "node acme-ts") and resolves with the exit status. */
export async function main(words: readonly string[], io: CliIO = processIO()): Promise<number> {
  let status: number = EXIT.ok;
  const colors = colorsFor(io.stderr, io.env);
  try {
    await buildCli(io, (code) => (status = code), words).parseAsync([...words]);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr.write(`${colors.red('acme-ts: error:')} ${error.message}\n`);
      return error.exitCode;
    }
    // --debug: the function's own exception, with the stack that leads into it.
    const verbose = words.includes('--verbose') || words.includes('-v') || words.includes('--debug') || io.env.ACME_TS_DEBUG;
    const text = error instanceof Error ? (verbose ? (error.stack ?? error.message) : error.message) : String(error);
    io.stderr.write(`${colors.red('acme-ts: error:')} ${text}\n`);
    return EXIT.failed;
  }
  return status;
}
