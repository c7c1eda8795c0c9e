import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCallRecords, StatusLog } from './run-store';

let outputDir: string;
beforeEach(() => {
  outputDir = mkdtempSync(join(tmpdir(), 'acme-run-store-'));
});
afterEach(() => rmSync(outputDir, { recursive: true, force: true }));

test('recordMany: one line for several calls, read back as one record per call', () => {
  const log = new StatusLog(outputDir, 'writer');
  log.recordMany([4, 5, 6], { state: 'done', at: '2026-01-01T00:00:00.000Z', stored: 'hdf5', names: ['result_0'] }, Float64Array.of(1, 2, 3));
  log.recordMany([7, 8], { state: 'done', at: '2026-01-01T00:00:01.000Z', stored: 'hdf5', names: ['result_0'] }, 0.5);
  // Typed arrays (as the pool hands them over), fractional and tiny durations.
  log.recordMany(Float64Array.of(9, 10), { state: 'done', at: '2026-01-01T00:00:01.500Z', stored: 'hdf5' }, Float64Array.of(0.1234567891234, 1e-7));
  // A later record of a call wins over the line it was part of.
  log.record({ taskID: 5, state: 'failed', at: '2026-01-01T00:00:02.000Z', reason: 'error', error: { name: 'Error', message: 'again' } });
  log.flush();
  const dir = join(outputDir, '.acme-ts', 'status');
  expect(
    readFileSync(join(dir, readdirSync(dir)[0]!), 'utf8')
      .trim()
      .split('\n'),
  ).toHaveLength(4);
  const records = readCallRecords(outputDir);
  expect([...records.keys()].sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8, 9, 10]);
  expect(records.get(9)).toEqual({ taskID: 9, state: 'done', at: '2026-01-01T00:00:01.500Z', stored: 'hdf5', durationMs: 0.1234567891234 });
  expect(records.get(10)!.durationMs).toBe(1e-7);
  expect(records.get(4)).toEqual({ taskID: 4, state: 'done', at: '2026-01-01T00:00:00.000Z', stored: 'hdf5', names: ['result_0'], durationMs: 1 });
  expect(records.get(6)!.durationMs).toBe(3);
  expect(records.get(8)!.durationMs).toBe(0.5);
  expect(records.get(5)).toMatchObject({ state: 'failed', reason: 'error' });
});

test('records are written once they describe 1000 calls, not before', () => {
  const log = new StatusLog(outputDir, 'writer');
  const file = join(outputDir, '.acme-ts', 'status', 'writer.jsonl');
  const at = new Date().toISOString();
  log.recordMany(
    Array.from({ length: 999 }, (_, i) => i),
    { state: 'done', at, stored: 'hdf5' },
    0,
  );
  expect(readCallRecords(outputDir).size).toBe(0);
  log.record({ taskID: 999, state: 'done', at, stored: 'hdf5' });
  expect(readCallRecords(outputDir).size).toBe(1000);
  expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(2);
});
