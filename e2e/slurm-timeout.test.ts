// The one SLURM time-limit test (SLURM counts whole minutes and checks every 30 s: a 1-minute
// task ends after 63–90 s). In its own file so it runs beside the other SLURM tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ComputeError, ParallelMap, range, readCallRecords } from '@acme-ts/core';
import { readSubmissions } from '@acme-ts/backend-slurm';
import { h5dump, tempDir } from './support/h5';
import { SLURM_TASKS, startCluster } from './fixtures/slurm-support';

let work: string;
beforeAll(() => {
  startCluster();
  work = tempDir('e2e-slurm-timeout');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('a task over its time limit: "timeout" with the log path, others kept; resume with a longer limit completes', async () => {
  const outputDir = path.join(work, 'timeout');
  const marker = path.join(work, 'timeout-fixed');
  const pmap = new ParallelMap(`${SLURM_TASKS}#sleepOne`, [range(3), 150_000, marker], {
    verbose: false,
    outputDir,
    backend: 'slurm',
    slurm: { callsPerTask: 1, timeLimit: 1 },
  } as never);
  const error = (await pmap.compute().catch((e) => e)) as ComputeError;
  await pmap.close();
  expect(error).toBeInstanceOf(ComputeError);
  expect(error.failures).toHaveLength(1);
  expect(error.failures[0]).toMatchObject({ taskID: 1, reason: 'timeout', name: 'SlurmTaskError' });
  expect(error.failures[0]!.message).toContain('TIMEOUT');
  const record = readCallRecords(outputDir).get(1)!;
  expect(record.logPath).toMatch(/slurm_logs\/\d+_1\.err$/);
  expect(readCallRecords(outputDir).get(2)).toMatchObject({ state: 'done' });

  fs.writeFileSync(marker, '');
  await using again = ParallelMap.resume(outputDir, { backend: 'slurm', verbose: false, slurm: { timeLimit: '0:10:00' } });
  expect(await again.compute()).toHaveLength(3);
  expect(readSubmissions(outputDir).at(-1)).toMatchObject({ timeLimitMinutes: 10, chunks: [[1]] });
  expect(h5dump(path.join(outputDir, 'sleepOne_payload', 'sleepOne_1.h5'))['/result_0'].values).toEqual([101]);
}, 200_000);
