import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { appendSubmission, readNewStatusLines, readSubmissions } from './submission-files';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slurm-files-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test('status lines are read incrementally; a line still being written waits for the next read', () => {
  const file = path.join(dir, 'status.jsonl');
  expect(readNewStatusLines(file, 0)).toEqual({ lines: [], offset: 0 });
  fs.writeFileSync(file, '{"taskID":3,"ok":true}\n{"taskID":4,"ok":fal');
  const first = readNewStatusLines(file, 0);
  expect(first.lines).toEqual([{ taskID: 3, ok: true }]);
  fs.appendFileSync(file, 'se,"reason":"error"}\n');
  const second = readNewStatusLines(file, first.offset);
  expect(second.lines).toEqual([{ taskID: 4, ok: false, reason: 'error' }]);
  expect(readNewStatusLines(file, second.offset).lines).toEqual([]);
});

test('submissions: the last record of each counts; a torn line is skipped', () => {
  const base = { submittedAt: 'now', chunks: [[0], [1]], cpusPerWorker: 1 };
  appendSubmission(dir, { ...base, submission: 'a', arrays: [{ jobId: '1', firstChunk: 0, nChunks: 1 }] });
  appendSubmission(dir, {
    ...base,
    submission: 'a',
    arrays: [
      { jobId: '1', firstChunk: 0, nChunks: 1 },
      { jobId: '2', firstChunk: 1, nChunks: 1 },
    ],
  });
  appendSubmission(dir, { ...base, submission: 'b', arrays: [{ jobId: '3', firstChunk: 0, nChunks: 2 }] });
  fs.appendFileSync(path.join(dir, '.acme-ts', 'slurm', 'submissions.jsonl'), '{"submission":"c","arr');
  expect(readSubmissions(dir).map((r) => [r.submission, r.arrays.map((a) => a.jobId)])).toEqual([
    ['a', ['1', '2']],
    ['b', ['3']],
  ]);
});
