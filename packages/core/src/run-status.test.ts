// `.acme-ts/jobs.json`, which a batch backend (SLURM) writes and runStatus() reports as `jobs`.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunJobs } from './run-status';

test('readRunJobs: the file as written, undefined when absent or not of that shape', () => {
  const dir = mkdtempSync(join(tmpdir(), 'acme-ts-jobs-'));
  try {
    expect(readRunJobs(dir)).toBeUndefined();
    mkdirSync(join(dir, '.acme-ts'));
    const file = join(dir, '.acme-ts', 'jobs.json');
    writeFileSync(file, JSON.stringify({ backend: 'slurm', jobIds: ['12', '15'], updatedAt: '2026-12-02T17:00:00.000Z', extra: 1 }));
    expect(readRunJobs(dir)).toEqual({ backend: 'slurm', jobIds: ['12', '15'], updatedAt: '2026-12-02T17:00:00.000Z' });
    for (const bad of ['{"backend":"slurm","jobIds":[12],"updatedAt":"x"}', '{"jobIds":[]}', 'not json', 'null']) {
      writeFileSync(file, bad);
      expect(readRunJobs(dir)).toBeUndefined();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
