// SlurmBackend details on the test cluster: arrays split at MaxArraySize, the setupTimeout
// warning with squeue's pending reason, and an abort of pending tasks leaving no job.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ComputeError, ParallelMap, range, readCallRecords } from '@acme-ts/core';
import { SlurmBackend, createBackend, readSubmissions } from '@acme-ts/backend-slurm';
import { h5dump, tempDir } from './support/h5';
import { TASKS, liveJobs, startCluster, submittedJobIds } from './fixtures/slurm-support';

let work: string;
beforeAll(() => {
  startCluster();
  work = tempDir('e2e-slurm-backend');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('more chunks than MaxArraySize: several arrays, each task finds its chunk', async () => {
  const real = await createBackend({ callsPerTask: 2 });
  // The same cluster, pretending MaxArraySize is 3: 9 calls in chunks of 2 → arrays of 3, 2 tasks.
  const backend = new SlurmBackend(real.options, { partitions: real.cluster.partitions, config: { maxArraySize: 3, raw: {} } });
  const outputDir = path.join(work, 'split');
  await using pmap = new ParallelMap(`${TASKS}#randout`, [range(1, 10)], { verbose: false, outputDir, backend });
  const results = (await pmap.compute()) as string[];
  await backend.close();
  const [submission] = readSubmissions(outputDir);
  expect(submission!.arrays.map((a) => [a.firstChunk, a.nChunks])).toEqual([
    [0, 3],
    [3, 2],
  ]);
  expect(submission!.chunks).toEqual([[0, 1], [2, 3], [4, 5], [6, 7], [8]]);
  expect(h5dump(results[8]!)['/result_0'].values).toEqual([3]);
  expect(h5dump(results[4]!)['/result_0'].values).toEqual([5 / 3]);
});

test("tasks that cannot start yet: a warning with squeue's reason after setupTimeout; an abort cancels them, no job left", async () => {
  const outputDir = path.join(work, 'pending');
  // The warning goes to the run's log: the console (stderr) and the log file.
  const warn = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const controller = new AbortController();
  const pmap = new ParallelMap(`${TASKS}#randout`, [range(3)], {
    verbose: false,
    outputDir,
    signal: controller.signal,
    backend: 'slurm',
    slurm: { setupTimeout: 1, sbatchOptions: ['--begin=now+3600'], pollInterval: 0.5 },
  } as never);
  const running = pmap.compute().catch((e) => e);
  const deadline = Date.now() + 15_000;
  while (!warn.mock.calls.some((c) => /pending because of: BeginTime/.test(String(c[0]))) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 100));
  const warned = warn.mock.calls.some((c) => /pending because of: BeginTime/.test(String(c[0])));
  warn.mockRestore();
  expect(warned).toBe(true);
  const jobs = submittedJobIds(outputDir);
  expect(liveJobs(jobs).length).toBe(3);
  controller.abort();
  const error = await running;
  await pmap.close();
  expect(error).not.toBeInstanceOf(ComputeError);
  expect(liveJobs(jobs)).toEqual([]);
  expect([...readCallRecords(outputDir).values()].map((r) => r.reason)).toEqual(['aborted', 'aborted', 'aborted']);
  const log = fs.readdirSync(outputDir).find((f) => f.startsWith('ACME_randout_') && f.endsWith('.log'))!;
  expect(fs.readFileSync(path.join(outputDir, log), 'utf8')).toMatch(
    /WARNING ! no task of SLURM array \d+ has started after 1 s; squeue says it is pending because of: BeginTime/,
  );
});
