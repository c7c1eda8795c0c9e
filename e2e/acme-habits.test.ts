// What an ACME user writes first: ACME's option names, compute(True), logfile=True in memory,
// and paths that cannot be written. Each gets the acme-ts place or a clear error before
// anything is created (issue 14, item 5).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OptionError, ParallelMap, range, split } from '@acme-ts/core';
import { TASKS, quiet, useWorkDir } from './support/run-fixtures';

const workDir = useWorkDir('e2e-acme-habits');
const identity = (x: number) => x;

function rejection(make: () => unknown): OptionError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(OptionError);
    return error as OptionError;
  }
  throw new Error('accepted');
}

describe("ACME's option names point to their acme-ts place", () => {
  test.each([
    ['partition', /options\.partition is not a ParallelMap option; did you mean options\.slurm\.partition\?/],
    ['mem_per_worker', /did you mean options\.slurm\.memPerWorker\?/],
    ['memPerWorker', /did you mean options\.slurm\.memPerWorker\?/],
    ['setup_timeout', /did you mean options\.slurm\.setupTimeout\?/],
    ['job_extra', /did you mean options\.slurm\.sbatchOptions\?/],
    ['n_jobs', /did you mean options\.nWorkers\?/],
    ['setup_interactive', /acme-ts has no such option: it never waits for an answer/],
    ['stop_client', /acme-ts has no such option: it starts its workers itself and ends them with pmap\.close\(\)/],
  ])('%s', (name, message) => {
    const error = rejection(() => new ParallelMap(identity, [[1, 2]], { [name]: 1 } as never));
    expect(error.option).toBe(name);
    expect(error.message).toMatch(message);
  });

  test("compute(true), ACME's debug mode, is refused with the equivalent option instead of running normally", async () => {
    const pmap = new ParallelMap(identity, [[1, 2]], { ...quiet, writeWorkerResults: false });
    await expect((pmap.compute as (debug: boolean) => Promise<unknown>)(true)).rejects.toThrow(
      /compute\(\) takes no arguments; ACME's compute\(debug=True\) is the option debug: true \(new ParallelMap\(func, args, \{ debug: true \}\)\)/,
    );
    await pmap.close();
  });

  test("debug, ACME's compute() argument, is an option here: a value other than true or false is refused", () => {
    const error = rejection(() => new ParallelMap(identity, [[1, 2]], { debug: 1 } as never));
    expect(error.option).toBe('debug');
    expect(error.message).toBe('options.debug must be true or false, got 1');
  });

  test('options.slurm with the local backend warns that it has no effect and names where the backend came from', async () => {
    const pmap = new ParallelMap(identity, [[1, 2]], { ...quiet, writeWorkerResults: false, backend: 'local', slurm: { partition: 'gpu' } });
    await pmap.compute();
    await pmap.close();
    expect(pmap.warnings).toContain(
      'options.slurm has no effect: this run uses the local backend (from options.backend); set options.backend: "slurm" to run on SLURM',
    );
  });
});

describe('paths that cannot be written fail at construction, and nothing is created', () => {
  test('an outputDir that is a file', () => {
    const file = path.join(workDir(), 'a-file');
    fs.writeFileSync(file, '');
    expect(rejection(() => new ParallelMap(identity, [[1, 2]], { outputDir: file })).message).toBe(
      `options.outputDir ${file} is a file, not a folder; choose a folder path`,
    );
  });

  test('an outputDir below a file', () => {
    const file = path.join(workDir(), 'another-file');
    fs.writeFileSync(file, '');
    const outputDir = path.join(file, 'run', 'deeper');
    expect(rejection(() => new ParallelMap(identity, [[1, 2]], { outputDir })).message).toBe(
      `options.outputDir ${outputDir} cannot be created: ${file} is a file, not a folder; choose another path`,
    );
  });

  test('a folder as logfile', () => {
    const folder = path.join(workDir(), 'logs');
    fs.mkdirSync(folder);
    const outputDir = path.join(workDir(), 'never-made');
    const error = rejection(() => new ParallelMap(identity, [[1, 2]], { outputDir, logfile: folder }));
    expect(error.option).toBe('logfile');
    expect(error.message).toBe(`options.logfile ${folder} is a folder, not a file; give a file path such as ${path.join(folder, 'run.log')}`);
    expect(fs.existsSync(outputDir)).toBe(false);
  });

  test('a logfile in a folder that does not exist', () => {
    const logfile = path.join(workDir(), 'no-such-folder', 'run.log');
    expect(rejection(() => new ParallelMap(identity, [[1, 2]], { logfile })).message).toBe(
      `options.logfile ${logfile} cannot be written: its folder ${path.dirname(logfile)} does not exist; create it or choose another path`,
    );
  });

  test('nInputs: 1e15 and a split range of 1e15 calls', () => {
    expect(rejection(() => new ParallelMap(identity, [1], { nInputs: 1e15 })).message).toBe(
      'options.nInputs asks for 1000000000000000 calls; one run holds at most 1073741824 (2^30): split the inputs into several runs (each with its own outputDir)',
    );
    expect(rejection(() => new ParallelMap(identity, [split(range(0, 1e15))])).message).toMatch(/^the split arguments' length asks for 1000000000000000 calls/);
  });
});

test("logfile: true in memory mode writes the log beside the function's module (ACME), and says where", async () => {
  const folder = path.join(workDir(), 'module-folder');
  fs.mkdirSync(folder);
  const module = path.join(folder, 'tasks.js');
  fs.copyFileSync(TASKS, module);
  const pmap = new ParallelMap(`${module}#randout`, [[1, 2, 3]], { ...quiet, writeWorkerResults: false, logfile: true });
  expect(await pmap.compute()).toEqual([1 / 3, 2 / 3, 1]);
  await pmap.close();
  const logs = fs.readdirSync(folder).filter((f) => /^ACME_randout_\d{8}-\d{6}\.log$/.test(f));
  expect(logs).toHaveLength(1);
  expect(fs.readFileSync(path.join(folder, logs[0]!), 'utf8')).toContain('This is acme-ts: 3 calls of randout');
});

describe('the library does not own the console: options.logger and options.onProgress', () => {
  test("the run's messages go to the given logger by level, progress to onProgress; nothing to stderr", async () => {
    const messages: [string, string][] = [];
    const logger = {
      info: (m: string) => messages.push(['info', m]),
      warn: (m: string) => messages.push(['warn', m]),
      error: (m: string) => messages.push(['error', m]),
    };
    const progress: { done: number; failed: number; total: number }[] = [];
    const stderr = jest.spyOn(process.stderr, 'write');
    const pmap = new ParallelMap((x: number) => x * 2, [[1, 2, 3]], {
      nWorkers: 2,
      writeWorkerResults: false,
      logger,
      onProgress: (p) => progress.push(p),
      slurm: {},
    });
    expect(await pmap.compute()).toEqual([2, 4, 6]);
    await pmap.close();
    expect(stderr).not.toHaveBeenCalled();
    stderr.mockRestore();
    expect(messages[0]).toEqual(['info', 'This is acme-ts: 3 calls of func']);
    expect(messages).toContainEqual(['warn', expect.stringContaining('options.slurm has no effect')]);
    expect(progress.at(-1)).toEqual({ done: 3, failed: 0, total: 3 });
  });

  test.each([
    [
      { logger: { info: () => {} } },
      /^options\.logger must be an object with info, warn and error methods \(and optionally debug\), such as console, got an object$/,
    ],
    [{ onProgress: 5 }, /^options\.onProgress must be a function receiving \{ done, failed, total \}, got 5$/],
  ])('%p is refused', (options, message) => {
    expect(rejection(() => new ParallelMap(identity, [[1, 2]], options as never)).message).toMatch(message);
  });
});
