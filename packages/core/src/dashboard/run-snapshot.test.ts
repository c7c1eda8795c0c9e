// The snapshot's view of the client: a live one (its session's calls on the timeline, running
// unknown without live.json), one a kill left behind (stopped), none (incomplete / finished).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusLog, writeManifest } from '../run-store';
import { readRunSnapshot } from './run-snapshot';

let dir: string;
let sleeper: ChildProcess;
/** The session's start: after the stand-in client process started, as a real client's lock is. */
let t: number;

beforeAll(() => {
  sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  t = Date.now();
  dir = mkdtempSync(join(tmpdir(), 'acme-snapshot-'));
  writeManifest(dir, {
    version: 1,
    createdAt: new Date(t - 3_600_000).toISOString(),
    funcName: 'work',
    functionRef: { kind: 'source', source: 'function work(x) { return x; }', name: 'work' },
    nInputs: 4,
    storage: 'hdf5',
    singleFile: true,
    resultDtype: 'float64',
    backend: 'local',
  });
  const log = new StatusLog(dir, 'writer');
  // Call 0 in an attempt an hour ago, 1 and 2 in this session.
  log.record({ taskID: 0, state: 'done', at: new Date(t - 3_000_000).toISOString(), stored: 'hdf5', durationMs: 100 });
  log.record({ taskID: 1, state: 'done', at: new Date(t + 100).toISOString(), stored: 'hdf5', durationMs: 50 });
  log.record({ taskID: 2, state: 'done', at: new Date(t + 200).toISOString(), stored: 'hdf5', durationMs: 50 });
  log.flush();
});
afterAll(() => {
  sleeper.kill();
  rmSync(dir, { recursive: true, force: true });
});

const writeClient = (pid: number) =>
  writeFileSync(
    join(dir, '.acme-ts', 'client.json'),
    JSON.stringify({ host: hostname(), pid, since: new Date(t).toISOString(), heartbeat: new Date(t).toISOString(), backend: 'local' }),
  );

test('a live client: running, its session on the timeline, running calls unknown without live.json', () => {
  writeClient(sleeper.pid!);
  const s = readRunSnapshot(dir);
  expect(s.state).toBe('running');
  expect(s.counts).toMatchObject({ done: 3, failed: 0, running: null, pending: 1, missing: 0 });
  expect(s.runningSource).toBe('unknown');
  expect(s.timeline.lanes.flatMap((l) => l.calls.map((c) => c.taskID)).sort()).toEqual([1, 2]);
  expect(s.histogram.counts.reduce((a, b) => a + b, 0)).toBe(3);
  expect(s.rerunCommand).toBeNull();
  expect(s.functionSource).toContain('function work');
});

test('a client that died without releasing the run: stopped, everything on the timeline, the rerun command', () => {
  writeClient(2 ** 22 + 12345); // above pid_max: no such process
  const s = readRunSnapshot(dir);
  expect(s.state).toBe('stopped');
  expect(s.deadClient).toMatchObject({ backend: 'local' });
  expect(s.counts).toMatchObject({ done: 3, running: 0, pending: 0, missing: 1 });
  expect(s.timeline.lanes.flatMap((l) => l.calls).length).toBe(3);
  expect(s.rerunCommand).toBe(`acme-ts rerun ${dir}`);
});

test('no client: incomplete; finished once every call is done', () => {
  rmSync(join(dir, '.acme-ts', 'client.json'));
  expect(readRunSnapshot(dir).state).toBe('incomplete');
  const log = new StatusLog(dir, 'last');
  log.record({ taskID: 3, state: 'done', at: new Date().toISOString(), stored: 'hdf5', durationMs: 5 });
  log.flush();
  const s = readRunSnapshot(dir);
  expect(s.state).toBe('finished');
  expect(s.rerunCommand).toBeNull();
});
