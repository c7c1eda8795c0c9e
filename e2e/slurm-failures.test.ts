// Failures on SLURM: each failed call has its reason and the task's log path, every other
// result is kept, and a re-run (compute() again / ParallelMap.resume) completes the set.
// Client processes interrupted with Ctrl-C or killed leave no job behind / lose nothing.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ComputeError, ParallelMap, range, readCallRecords } from '@acme-ts/core';
import { readSubmissions } from '@acme-ts/backend-slurm';
import { h5dump, tempDir } from './support/h5';
import { SLURM_TASKS, TASKS, liveJobs, startCluster, submittedJobIds, squeueJobs } from './fixtures/slurm-support';

const CLIENT = path.join(__dirname, 'fixtures', 'slurm-client.js');
const slurm = { verbose: false, backend: 'slurm' } as const;

let work: string;
beforeAll(() => {
  startCluster();
  work = tempDir('e2e-slurm-failures');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function taskState(jobId: string, index: number): string | undefined {
  const line = squeueJobs([jobId]).find((l) => l.split('|')[1]?.trim() === String(index));
  return line?.split('|')[2]?.trim();
}

test('a call that throws: reason "error" with its stack, the others stored; compute() again runs only the failed ones', async () => {
  const outputDir = path.join(work, 'throw');
  const marker = path.join(work, 'throw-fixed');
  const pmap = new ParallelMap(`${TASKS}#failOdd`, [range(6), marker], { ...slurm, outputDir, slurm: { callsPerTask: 2 } } as never);
  const error = (await pmap.compute().catch((e) => e)) as ComputeError;
  expect(error).toBeInstanceOf(ComputeError);
  expect(error.failures.map((f) => [f.taskID, f.reason, f.name, f.message])).toEqual([
    [1, 'error', 'RangeError', 'odd input 1'],
    [3, 'error', 'RangeError', 'odd input 3'],
    [5, 'error', 'RangeError', 'odd input 5'],
  ]);
  expect(error.failures[0]!.stack).toContain('failOdd');
  expect(h5dump(path.join(outputDir, 'failOdd_payload', 'failOdd_4.h5'))['/result_0'].values).toEqual([40]);

  fs.writeFileSync(marker, '');
  expect(await pmap.compute()).toHaveLength(6);
  await pmap.close();
  const submissions = readSubmissions(outputDir);
  expect(submissions.at(-1)!.chunks.flat().sort()).toEqual([1, 3, 5]);
  expect(Object.keys(h5dump(pmap.resultsContainer!)).filter((k) => /^\/comp_\d+$/.test(k))).toHaveLength(6);
});

test('a task killed by scancel: its call fails "cancelled" with the log path, the others are kept; resume completes', async () => {
  const outputDir = path.join(work, 'scancel');
  const marker = path.join(work, 'scancel-fixed');
  const pmap = new ParallelMap(`${SLURM_TASKS}#sleepOne`, [range(4), 60_000, marker], { ...slurm, outputDir, slurm: { callsPerTask: 1 } } as never);
  const running = pmap.compute().catch((e) => e);
  const jobId = await until('the submission', () => submittedJobIds(outputDir)[0]);
  await until('task 1 to run', () => taskState(jobId, 1) === 'RUNNING');
  execFileSync('scancel', [`${jobId}_1`]);
  const error = (await running) as ComputeError;
  await pmap.close();
  expect(error).toBeInstanceOf(ComputeError);
  expect(error.failures).toHaveLength(1);
  expect(error.failures[0]).toMatchObject({ taskID: 1, reason: 'cancelled', name: 'SlurmTaskError' });
  expect(error.failures[0]!.message).toContain(`${jobId}_1`);
  expect(error.failures[0]!.logPath).toBe(path.join(outputDir, 'slurm_logs', `${jobId}_1.err`));
  expect(readCallRecords(outputDir).get(1)).toMatchObject({
    state: 'failed',
    reason: 'cancelled',
    logPath: path.join(outputDir, 'slurm_logs', `${jobId}_1.err`),
  });
  expect(readCallRecords(outputDir).get(3)).toMatchObject({ state: 'done' });

  fs.writeFileSync(marker, '');
  await using again = ParallelMap.resume(outputDir, { backend: 'slurm', verbose: false });
  expect(await again.compute()).toHaveLength(4);
  expect(h5dump(path.join(outputDir, 'sleepOne_payload', 'sleepOne_1.h5'))['/result_0'].values).toEqual([101]);
  expect(readSubmissions(outputDir).at(-1)!.chunks).toEqual([[1]]);
});

test('a task over its memory limit: "out-of-memory" with the stderr line; resume with memPerWorker "2x" completes', async () => {
  const outputDir = path.join(work, 'memory');
  const pmap = new ParallelMap(`${SLURM_TASKS}#hog`, [range(3), 500, path.join(work, 'no-such-marker')], {
    ...slurm,
    outputDir,
    slurm: { callsPerTask: 1, memPerWorker: '400MB' },
  } as never);
  const error = (await pmap.compute().catch((e) => e)) as ComputeError;
  await pmap.close();
  expect(error).toBeInstanceOf(ComputeError);
  expect(error.failures).toHaveLength(1);
  const failure = error.failures[0]!;
  expect(failure).toMatchObject({ taskID: 1, reason: 'out-of-memory' });
  expect(failure.message).toMatch(/exceeded (job )?memory limit/);
  const { logPath } = readCallRecords(outputDir).get(1)!;
  expect(logPath).toMatch(/slurm_logs\/\d+_1\.err$/);
  expect(fs.readFileSync(logPath!, 'utf8')).toMatch(/exceeded (job )?memory limit/);
  expect(readSubmissions(outputDir)[0]!.memMb).toBe(400);

  await using again = ParallelMap.resume(outputDir, { backend: 'slurm', verbose: false, slurm: { memPerWorker: '2x' } });
  expect(await again.compute()).toHaveLength(3);
  expect(readSubmissions(outputDir).at(-1)).toMatchObject({ memMb: 800, chunks: [[1]] });
  expect(h5dump(path.join(outputDir, 'hog_payload', 'hog_1.h5'))['/result_0'].values).toEqual([500]);
});

test('retries.outOfMemory: the call SLURM killed for memory runs again at once with twice the memory; compute() resolves with every result', async () => {
  const outputDir = path.join(work, 'memory-retry');
  await using pmap = new ParallelMap(`${SLURM_TASKS}#hog`, [range(3), 500, path.join(work, 'no-such-marker')], {
    ...slurm,
    outputDir,
    slurm: { callsPerTask: 1, memPerWorker: '400MB', retries: { outOfMemory: { memoryFactor: 2, maxMemory: '1GB' } } },
  } as never);
  expect(await pmap.compute()).toHaveLength(3);
  const submissions = readSubmissions(outputDir);
  expect(submissions.map((s) => [s.memMb, s.chunks])).toEqual([
    [400, [[0], [1], [2]]],
    [800, [[1]]],
  ]);
  const [first, retry] = submissions.map((s) => s.arrays[0]!.jobId);
  expect(fs.readFileSync(path.join(outputDir, 'slurm_logs', `${first}_1.err`), 'utf8')).toMatch(/exceeded (job )?memory limit/);
  expect(h5dump(path.join(outputDir, 'hog_payload', 'hog_1.h5'))['/result_0'].values).toEqual([500]);
  // The run's log file names the retry: calls, old and new memory, the new job id.
  const logFile = fs.readdirSync(outputDir).find((f) => f.endsWith('.log'))!;
  expect(fs.readFileSync(path.join(outputDir, logFile), 'utf8')).toContain(
    `SLURM task ${first}_1 ran out of memory (--mem 400 MB) while running call 1: calls 1 retried with --mem 800 MB as SLURM job array ${retry} (retry 1 of 3)`,
  );
  expect(JSON.parse(fs.readFileSync(path.join(outputDir, '.acme-ts', 'jobs.json'), 'utf8')).jobIds).toEqual([first, retry]);
});

test('memPerWorker "auto" measures one call and sets --mem from its peak memory', async () => {
  const outputDir = path.join(work, 'auto');
  await using pmap = new ParallelMap(`${SLURM_TASKS}#fixedMemory`, [range(3), 150], { ...slurm, outputDir, slurm: { memPerWorker: 'auto' } } as never);
  expect(await pmap.compute()).toHaveLength(3);
  const memMb = readSubmissions(outputDir)[0]!.memMb!;
  // 150 MB of buffers + Node itself, with a margin; far below what a wrong unit would give.
  expect(memMb).toBeGreaterThan(250);
  expect(memMb).toBeLessThan(600);
});

function client(outputDir: string, n: number, ms: number): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [CLIENT, outputDir, String(n), String(ms)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

test('Ctrl-C of the client cancels the array: no job left in squeue, finished results kept', async () => {
  const outputDir = path.join(work, 'sigint');
  const c = client(outputDir, 6, 30_000);
  const jobId = await until('the submission', () => submittedJobIds(outputDir)[0]);
  await until('all tasks to run', () => [0, 1, 2, 3, 4, 5].every((i) => taskState(jobId, i) === 'RUNNING'));
  c.child.kill('SIGINT');
  expect(await c.exited).toBe(3);
  expect(c.output()).toMatch(/REJECTED ERR_ACME_ABORTED/);
  // The client returned only after every task was final.
  expect(liveJobs([jobId])).toEqual([]);
  const records = readCallRecords(outputDir);
  expect(records.get(0)).toMatchObject({ state: 'failed', reason: 'aborted' });
});

test('a client killed with SIGKILL: a new client adopts the running array (no second submission) and finishes the run', async () => {
  const outputDir = path.join(work, 'sigkill');
  const c = client(outputDir, 5, 4000);
  const jobId = await until('the submission', () => submittedJobIds(outputDir)[0]);
  await until('the tasks to run', () => taskState(jobId, 0) === 'RUNNING');
  c.child.kill('SIGKILL');
  await c.exited;
  expect(liveJobs([jobId]).length).toBeGreaterThan(0); // the array outlives its client

  await using resumed = ParallelMap.resume(outputDir, { backend: 'slurm', verbose: false });
  const results = (await resumed.compute()) as string[];
  expect(results).toHaveLength(5);
  expect(submittedJobIds(outputDir)).toEqual([jobId]);
  expect(readSubmissions(outputDir)).toHaveLength(1);
  expect(h5dump(results[4]!)['/result_0'].values).toEqual([16]);
});

test('an sbatch that prints no job id: the array it submitted is found by name and cancelled, and the run fails saying so', async () => {
  // A stand-in that adds --quiet, which makes the real sbatch submit without printing the id.
  const bin = path.join(work, 'quiet-bin');
  fs.mkdirSync(bin);
  const real = execFileSync('sh', ['-c', 'command -v sbatch'], { encoding: 'utf8' }).trim();
  fs.writeFileSync(path.join(bin, 'sbatch'), `#!/bin/sh\nexec '${real}' --quiet "$@"\n`, { mode: 0o755 });
  const originalPath = process.env.PATH;
  process.env.PATH = `${bin}:${originalPath}`;
  try {
    const outputDir = path.join(work, 'lost-id');
    // --begin keeps the array queued: only a lookup can find it, nothing of it runs.
    const pmap = new ParallelMap(`${TASKS}#randout`, [range(3)], {
      ...slurm,
      outputDir,
      slurm: { jobName: 'acme_lost_id_e2e', sbatchOptions: ['--begin=now+600'] },
    } as never);
    const error = (await pmap.compute().catch((e) => e)) as Error & { code?: string };
    await pmap.close();
    expect(error.code).toBe('ERR_SLURM_UNTRACKED_ARRAY');
    expect(error.message).toMatch(
      /^sbatch did not tell the id of the job array it may have submitted \(sbatch --parsable printed no job id: ""\); it was found by its job name "acme_lost_id_e2e" and script and cancelled \(job (\d+)\), so nothing runs untracked$/,
    );
    const jobId = /cancelled \(job (\d+)\)/.exec(error.message)![1]!;
    expect(liveJobs([jobId])).toEqual([]);
    expect(squeueJobs([jobId]).every((line) => /\|CANCELLED\|?$/.test(line))).toBe(true);
  } finally {
    process.env.PATH = originalPath;
  }
});
