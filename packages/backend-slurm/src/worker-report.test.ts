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
    chunks: [[0, 1], [2, 3], [4, 5], [6, 7], [8, 9]],
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
  const report = await describeWorkers(outputDir, async (args) => {
    seen.push(args);
    return RECORDED;
  });
  expect(seen).toEqual([['-h', '-r', '-t', 'all', '-j', '4242', '-O', 'JobID:|,ArrayJobID:|,ArrayTaskID:|,State:|,Reason:|,exit_code:|,NodeList:|,MinMemory:|']]);
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
  const gone = await describeWorkers(outputDir, async () => {
    throw Object.assign(new Error('squeue exited with 1'), { stderr: 'slurm_load_jobs error: Invalid job id specified' });
  });
  expect(gone.workers.every((w) => w.state === 'left squeue')).toBe(true);
  expect(gone.note).not.toContain('squeue failed');
  const down = await describeWorkers(outputDir, async () => {
    throw Object.assign(new Error('squeue: Unable to contact slurm controller'), { stderr: 'Unable to contact slurm controller' });
  });
  expect(down.note).toContain('squeue failed: squeue: Unable to contact slurm controller');
});
