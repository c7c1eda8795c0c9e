// Bad input fails before anything runs, naming the parameter and the fix; runtime failures of
// single calls (time limit, a worker that exits, an unstorable value caught by dryrun) fail
// only those calls.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ComputeError, OptionError, ParallelMap } from '@acme-ts/core';
import { TASKS, quiet, useWorkDir } from './support/run-fixtures';

const workDir = useWorkDir('e2e-validation');

describe('rejected before the run starts', () => {
  test('a function that closes over outer variables: names them and says how to fix it', () => {
    const factor = 3;
    const scale = (x: number) => x * factor;
    expect(() => new ParallelMap(scale, [[1, 2]])).toThrow(
      /function scale uses variables from outside its body \(factor\).*move them inside the function, pass them as arguments, or export the function from a module/,
    );
  });

  test('a module function that does not exist is reported at construction (its parameters are read then), with the exports it has', () => {
    expect(() => new ParallelMap(`${TASKS}#nope`, [[1, 2]], { ...quiet, writeWorkerResults: false })).toThrow(/nope.*randout/s);
  });

  test('a name that could escape the output folder', () => {
    expect(() => new ParallelMap((x: number) => x, [[1]], { name: '../evil' })).toThrow(/cannot name the output files/);
  });

  test('args must be an array', () => {
    expect(() => new ParallelMap((x: number) => x, 5 as unknown as unknown[])).toThrow(
      "args must be an array of the function's positional arguments, got number; wrap a single argument as [x]",
    );
  });

  test('a function among the arguments', () => {
    const err = (() => {
      try {
        new ParallelMap(
          function f(x: unknown, g: unknown) {
            return [x, g];
          },
          [[1, 2], Math.sqrt],
        );
      } catch (e) {
        return e as OptionError;
      }
    })();
    expect(err).toMatchObject({ code: 'ERR_ACME_OPTION', option: 'args' });
    expect(err!.message).toBe(
      'args[1] is a function; functions cannot be sent to workers. Import it inside your function (or from its module) instead of passing it',
    );
  });

  test("automatic nInputs with inputs of different lengths: ACME's message, with the option to set", () => {
    expect(
      () =>
        new ParallelMap(
          function g(x: number, y: number) {
            return x + y;
          },
          [
            [1, 2, 3],
            [4, 5],
          ],
        ),
    ).toThrow(/automatic input distribution failed: found 2 objects containing 2 to 3 elements\. Please specify `nInputs` manually/);
  });

  test('an unknown option gets a did-you-mean', () => {
    expect(() => new ParallelMap((x: number) => x, [[1]], { nWorker: 2 } as never)).toThrow(
      /options\.nWorker is not a ParallelMap option; did you mean options\.nWorkers\?/,
    );
  });

  test('dryrun: a value HDF5 cannot store is caught before the full run, nothing else runs', async () => {
    const outputDir = path.join(workDir(), 'dry');
    const pmap = new ParallelMap(
      function objects(k: number) {
        return new Map([['k', k]]);
      },
      [[1, 2, 3]],
      { ...quiet, dryrun: true, outputDir },
    );
    await expect(pmap.compute()).rejects.toThrow(/dry run: call \d of objects returned a value HDF5 cannot hold .*set options\.serializeResults: true/);
    await pmap.close();
    expect(fs.readdirSync(path.join(outputDir, 'objects_payload'))).toEqual([]);
  });

  test('a resultShape that does not fit the returned value fails that call with both shapes', async () => {
    const pmap = new ParallelMap(
      function vec(k: number) {
        return new Float64Array(k + 2);
      },
      [[1, 2]],
      { ...quiet, resultShape: [null, 3], outputDir: path.join(workDir(), 'shape') },
    );
    const error = (await pmap.compute().catch((e) => e)) as ComputeError;
    await pmap.close();
    expect(error.failures.map((f) => f.taskID)).toEqual([1]);
    expect(error.failures[0]!.message).toBe('call 1 returned result_0 of shape [4], but options.resultShape expects [3] per call');
  });
});

describe('calls that misbehave fail alone', () => {
  test('a call past options.timeout and a call that exits its worker: each fails with its reason; the others are stored', async () => {
    const inputs = ['a', 'loop', 'b', 'exit', 'c', 'd'];
    const pmap = new ParallelMap(`${TASKS}#misbehave`, [inputs], { ...quiet, timeout: 500, outputDir: path.join(workDir(), 'misbehave') });
    const error = (await pmap.compute().catch((e) => e)) as ComputeError;
    await pmap.close();
    expect(error).toBeInstanceOf(ComputeError);
    expect(error.failures.map((f) => [f.taskID, f.reason])).toEqual([
      [1, 'timeout'],
      [3, 'worker-exit'],
    ]);
    const stored = fs.readdirSync(path.join(workDir(), 'misbehave', 'misbehave_payload')).sort();
    expect(stored).toEqual(['misbehave_0.h5', 'misbehave_2.h5', 'misbehave_4.h5', 'misbehave_5.h5']);
  });
});

test('compute() while the same ParallelMap is computing is refused, the first run is unaffected', async () => {
  await using pmap = new ParallelMap(`${TASKS}#slowSquare`, [[1, 2, 3], 50], { ...quiet, writeWorkerResults: false });
  const first = pmap.compute();
  await expect(pmap.compute()).rejects.toThrow('compute() is already running on this ParallelMap; await it first');
  expect(await first).toEqual([1, 4, 9]);
});
