// options.debug (ACME's compute(debug=True)) and `acme-ts rerun --only … --debug`: calls run in
// the client process one after another, the function's own exception propagates, and one failed
// call can be re-run in the foreground with its exact arguments.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ComputeError, OptionError, ParallelMap, range, runStatus } from '@acme-ts/core';
import { acme } from './fixtures/cli-harness';
import { TASKS, quiet, useWorkDir } from './support/run-fixtures';

const workDir = useWorkDir('e2e-debug');

test('debug: every call runs in this process (no worker thread), in order', async () => {
  await using pmap = new ParallelMap(`${TASKS}#whereAmI`, [], { verbose: false, nInputs: 3, writeWorkerResults: false, debug: true });
  expect(await pmap.compute()).toEqual([
    [1, process.pid],
    [1, process.pid],
    [1, process.pid],
  ]);
});

test("debug: the function's own exception propagates; the calls before it are stored, the rest not run", async () => {
  const outputDir = path.join(workDir(), 'debug-fail');
  await using pmap = new ParallelMap(`${TASKS}#failOdd`, [range(4), path.join(workDir(), 'no-marker')], { verbose: false, outputDir, debug: true });
  const error = (await pmap.compute().catch((e: unknown) => e)) as Error;
  expect(error).toBeInstanceOf(RangeError);
  expect(error).not.toBeInstanceOf(ComputeError);
  expect(error.message).toBe('odd input 1');
  expect(error.stack).toContain('failOdd');
  const status = runStatus(outputDir);
  expect(status.done).toEqual([0]);
  expect(status.failed.map((r) => [r.taskID, r.reason])).toEqual([[1, 'error']]);
  expect(status.missing).toEqual([2, 3]);
});

test('resume with only: just those calls run (in debug mode in this process), a taskID outside the run is refused', async () => {
  const outputDir = path.join(workDir(), 'only');
  const marker = path.join(workDir(), 'only-fixed');
  const first = new ParallelMap(`${TASKS}#failOdd`, [range(6), marker], { ...quiet, outputDir });
  await expect(first.compute()).rejects.toThrow(/3\/6 calls failed/);
  await first.close();

  const debug = ParallelMap.resume(outputDir, { verbose: false, only: [3], debug: true });
  await expect(debug.compute()).rejects.toThrow(new RangeError('odd input 3'));

  fs.writeFileSync(marker, '');
  await using one = ParallelMap.resume(outputDir, { ...quiet, only: [5, 0] });
  // The run is not complete (call 1 and 3 have no result): no return value yet.
  expect(await one.compute()).toBeUndefined();
  const status = runStatus(outputDir);
  expect(status.failed.map((r) => r.taskID)).toEqual([1, 3]);
  expect(status.done).toEqual([0, 2, 4, 5]);

  expect(() => ParallelMap.resume(outputDir, { only: [6] })).toThrow(
    new OptionError('only', 'options.only names call 6, but the run has 6 calls (taskIDs 0 to 5)'),
  );
});

test('acme-ts rerun --only 1 --debug: the failed call again, in the foreground, its exception with the stack; --only 1,3 finishes the run', async () => {
  const cwd = workDir();
  const marker = path.join(cwd, 'cli-fixed');
  const run = await acme(['run', `${TASKS}#failOdd`, 'range:0:4', marker, '-o', 'cli-debug', '-q'], { cwd });
  expect(run.code).toBe(1);
  const folder = path.join(cwd, 'cli-debug');

  const debug = await acme(['rerun', folder, '--only', '1', '--debug', '-q'], { cwd });
  expect(debug.code).toBe(1);
  expect(debug.stderr).toContain('acme-ts: error: RangeError: odd input 1');
  expect(debug.stderr).toMatch(/at failOdd \(.*tasks\.js:\d+:\d+\)/);

  const wrong = await acme(['rerun', folder, '--only', '1,3-x'], { cwd });
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain('--only takes taskIDs and ranges separated by commas, like 3,17-20; got "3-x"');
  const outside = await acme(['rerun', folder, '--only', '7'], { cwd });
  expect(outside.code).toBe(2);
  expect(outside.stderr).toContain('--only names call 7, but the run has 4 calls (taskIDs 0 to 3)');

  fs.writeFileSync(marker, '');
  const finish = await acme(['rerun', folder, '--only', '1,3'], { cwd });
  expect(finish.stderr).toContain('acme-ts rerun: 2 calls of failOdd (2 of 4 already done)');
  expect(finish.stdout).toMatch(/^4 calls: 4 done, 0 failed in/m);
  expect(finish.code).toBe(0);
});
