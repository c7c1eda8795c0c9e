// compute()'s type follows the options' type (checked by the test type check, tsc -p
// tsconfig.test.json, which `npm test` runs): a wrong use below fails to compile.
import { ParallelMap, type StackedResults } from './index';

const double = (x: number) => 2 * x;

test('in memory: the values; with resultShape: one StackedResults; files: their paths', async () => {
  await using memory = new ParallelMap(double, [[1, 2]], { writeWorkerResults: false, nWorkers: 1, verbose: false });
  const values: unknown[] = await memory.compute();
  // @ts-expect-error an in-memory run gives values, not file paths
  const notPaths: string[] = await memory.compute();
  expect([values, notPaths]).toEqual([
    [2, 4],
    [2, 4],
  ]);

  await using stacked = new ParallelMap(double, [[1, 2]], { writeWorkerResults: false, resultShape: [null], nWorkers: 1, verbose: false });
  const array: StackedResults = await stacked.compute();
  expect(Array.from(array.data as Float64Array)).toEqual([2, 4]);
});

test('options whose type does not tell the mode give the union', () => {
  type Result = Awaited<ReturnType<ParallelMap<{ writeWorkerResults?: boolean }>['compute']>>;
  const check: Result extends string[] ? 'narrow' : 'union' = 'union';
  expect(check).toBe('union');
});
