// The dashboard's SLURM worker lines from recorded squeue output (no daemons needed).
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWorkers } from './worker-report';

let outputDir: string;
beforeAll(() => {
  outputDir = mkdtempSync(join(tmpdir(), 'acme-slurm-workers-'));
  mkdirSync(join(outputDir, '.acme-ts', 'slurm'), { recursive: true });
  const submission = {
    submission: 's1',
    submittedAt: '2026-12-01T10:00:00.000Z',
    arrays: [{ jobId: '4242', firstChunk: 0, nChunks: 5 }],
    chunks: [
      [0, 1],
      [2, 3],
      [4, 5],
      [6, 7],
      [8, 9],
    ],
    memMb: 2000,
    cpusPerWorker: 1,
  };
  writeFileSync(join(outputDir, '.acme-ts', 'slurm', 'submissions.jsonl'), `${JSON.stringify(submission)}\n`);
});
afterAll(() => rmSync(outputDir, { recursive: true, force: true }));

// `squeue -h -r -t all -j 4242 -O JobID:|,ArrayJobID:|,ArrayTaskID:|,State:|,Reason:|,exit_code:|,NodeList:|,MinMemory:|`
const RECORDED = [
  '4243|4242|0|COMPLETED|None|0|node01|2000M|',
  '4244|4242|1|RUNNING|None|0|node02|2000M|',
  '4245|4242|2|OUT_OF_MEMORY|OutOfMemory|9|node01|2000M|',
  '4246|4242|3|TIMEOUT|TimeLimit|15|node02|2000M|',
  '4242_4|4242|4|PENDING|Resources|0|(null)|2000M|',
  '9999|9998|0|RUNNING|None|0|node09|1G|',
].join('\n');

test('one line per array task with its squeue state, reason, node, job id, calls, memory and log', async () => {
  const seen: string[][] = [];
  const report = await describeWorkers(outputDir, {
    squeue: async (args) => {
      seen.push(args);
      return RECORDED;
    },
    sacct: async () => {
      throw new Error('sacct: Slurm accounting storage is disabled');
    },
  });
  expect(seen).toEqual([
    ['-h', '-r', '-t', 'all', '-j', '4242', '-O', 'JobID:|,ArrayJobID:|,ArrayTaskID:|,State:|,Reason:|,exit_code:|,NodeList:|,MinMemory:|'],
  ]);
  expect(report.workers.map((w) => [w.name, w.state, w.reason, w.node])).toEqual([
    ['4242_0', 'COMPLETED', undefined, 'node01'],
    ['4242_1', 'RUNNING', undefined, 'node02'],
    ['4242_2', 'OUT_OF_MEMORY', 'OutOfMemory, signal 9', 'node01'],
    ['4242_3', 'TIMEOUT', 'TimeLimit, signal 15', 'node02'],
    ['4242_4', 'PENDING', 'Resources', undefined],
  ]);
  expect(report.workers[2]).toMatchObject({ jobId: '4242', calls: 2, memory: '2000 MB requested', logPath: join('slurm_logs', '4242_2.err') });
  expect(report.callWorkers!.get(5)).toBe('4242_2');
  expect(report.callWorkers!.get(9)).toBe('4242_4');
});

test('tasks squeue has forgotten, and a failing squeue, are shown as such', async () => {
  const noAccounting = async () => {
    throw new Error('sacct: Slurm accounting storage is disabled');
  };
  const gone = await describeWorkers(outputDir, {
    squeue: async () => {
      throw Object.assign(new Error('squeue exited with 1'), { stderr: 'slurm_load_jobs error: Invalid job id specified' });
    },
    sacct: noAccounting,
  });
  expect(gone.workers.every((w) => w.state === 'left squeue')).toBe(true);
  expect(gone.note).not.toContain('squeue failed');
  const down = await describeWorkers(outputDir, {
    squeue: async () => {
      throw Object.assign(new Error('squeue: Unable to contact slurm controller'), { stderr: 'Unable to contact slurm controller' });
    },
    sacct: noAccounting,
  });
  expect(down.note).toContain('squeue failed: squeue: Unable to contact slurm controller');
});

// `sacct -n -P -j 4242 -o JobID,State,ExitCode,MaxRSS` (steps included: MaxRSS is per step)
const RECORDED_SACCT = [
  '4242_0|COMPLETED|0:0|',
  '4242_0.batch|COMPLETED|0:0|51200K',
  '4242_0.extern|COMPLETED|0:0|1024K',
  '4242_2|OUT_OF_MEMORY|0:125|',
  '4242_2.batch|OUT_OF_MEMORY|0:125|2.00G',
  '4242_3|TIMEOUT|0:0|',
  '4242_3.batch|CANCELLED|0:15|300M',
  '4242_[4]|PENDING|0:0|',
].join('\n');

test('with accounting: peak memory per task, and the final state of tasks that left squeue', async () => {
  const sacctArgs: string[][] = [];
  const report = await describeWorkers(outputDir, {
    // Tasks 0 and 3 have left squeue; 2 is still listed as OUT_OF_MEMORY.
    squeue: async () =>
      RECORDED.split('\n')
        .filter((l) => !/^424[36]\|/.test(l))
        .join('\n'),
    sacct: async (args) => {
      sacctArgs.push(args);
      return RECORDED_SACCT;
    },
  });
  expect(sacctArgs).toEqual([['-n', '-P', '-j', '4242', '-o', 'JobID,State,ExitCode,MaxRSS']]);
  const line = (name: string) => report.workers.find((w) => w.name === name)!;
  expect(line('4242_0')).toMatchObject({ state: 'COMPLETED', memory: 'peak 52.4 MB of 2000 MB' });
  expect(line('4242_2')).toMatchObject({ state: 'OUT_OF_MEMORY', memory: 'peak 2.1 GB of 2000 MB' });
  expect(line('4242_3')).toMatchObject({ state: 'TIMEOUT', memory: 'peak 314.6 MB of 2000 MB' });
  expect(line('4242_4')).toMatchObject({ state: 'PENDING', memory: '2000 MB requested' });
});
