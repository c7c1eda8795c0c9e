import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleanupOldRuns } from './old-runs';

let base: string;
const now = Date.parse('2026-11-25T12:00:00Z');
const day = 24 * 3600 * 1000;

function folder(name: string, ageDays: number): string {
  const p = path.join(base, name);
  fs.mkdirSync(p);
  fs.writeFileSync(path.join(p, 'f.h5'), '');
  const t = new Date(now - ageDays * day);
  fs.utimesSync(p, t, t);
  return p;
}

beforeEach(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-old-'));
});
afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

test('undefined threshold: counts automatic folders, removes nothing', () => {
  folder('ACME_20261101-101010-000001', 24);
  folder('ACME_20261124-101010-000002', 1);
  expect(cleanupOldRuns(base, undefined, now)).toEqual({ found: 2, removed: [], failed: [] });
  expect(fs.readdirSync(base)).toHaveLength(2);
});

test('threshold N removes only automatic folders older than N days; 0 removes all of them; others are never touched', () => {
  const old = folder('ACME_20261101-101010-000001', 24);
  folder('ACME_20261124-101010-000002', 1);
  folder('ACME_results_by_hand', 100);
  folder('ACME_20261101-101010', 100); // not the automatic name pattern
  expect(cleanupOldRuns(base, 7, now).removed).toEqual([old]);
  expect(fs.readdirSync(base).sort()).toEqual(['ACME_20261101-101010', 'ACME_20261124-101010-000002', 'ACME_results_by_hand']);
  expect(cleanupOldRuns(base, 0, now).removed).toEqual([path.join(base, 'ACME_20261124-101010-000002')]);
  expect(fs.readdirSync(base).sort()).toEqual(['ACME_20261101-101010', 'ACME_results_by_hand']);
});

test('a base folder that cannot be read finds nothing', () => {
  expect(cleanupOldRuns(path.join(base, 'missing'), 0, now)).toEqual({ found: 0, removed: [], failed: [] });
});
