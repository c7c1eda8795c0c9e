// The dashboard server against a run folder written by hand (no workers): what it serves,
// what it refuses (token, Host, methods, paths outside the run's records), and that its
// counts are runStatus()'s.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStatus } from '../run-status';
import { StatusLog, writeManifest, type RunManifest } from '../run-store';
import { DashboardServer } from './dashboard-server';
import type { RunSnapshot } from './run-snapshot';

let root: string;
let runDir: string;
let server: DashboardServer;

function manifest(nInputs: number): RunManifest {
  return {
    version: 1,
    createdAt: new Date(Date.now() - 60_000).toISOString(),
    funcName: 'work',
    functionRef: { kind: 'module', module: '/nowhere/tasks.js', exportName: 'work', name: 'work' },
    nInputs,
    storage: 'hdf5',
    singleFile: true,
    resultDtype: 'float64',
    backend: 'local',
  };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'acme-dashboard-'));
  runDir = join(root, 'run-a');
  mkdirSync(runDir);
  writeManifest(runDir, manifest(10));
  const log = new StatusLog(runDir, 'writer');
  const t = Date.now() - 5000;
  log.recordMany([0, 1, 2], { state: 'done', at: new Date(t).toISOString(), stored: 'hdf5' }, [100, 100, 100]);
  log.record({ taskID: 3, state: 'done', at: new Date(t + 200).toISOString(), stored: 'hdf5', durationMs: 250 });
  mkdirSync(join(runDir, 'slurm_logs'));
  writeFileSync(join(runDir, 'slurm_logs', '9_0.err'), 'Traceback: out of memory\n');
  log.record({
    taskID: 4,
    state: 'failed',
    at: new Date(t + 300).toISOString(),
    reason: 'out-of-memory',
    error: { name: 'Error', message: 'killed <b>here</b>', stack: 'Error: killed\n    at work' },
    logPath: join(runDir, 'slurm_logs', '9_0.err'),
  });
  // Records that name files outside the run folder (a tampered or moved folder): never served.
  log.record({
    taskID: 5,
    state: 'failed',
    at: new Date(t + 400).toISOString(),
    reason: 'error',
    error: { name: 'Error', message: 'x' },
    logPath: '/etc/passwd',
  });
  symlinkSync('/etc/passwd', join(runDir, 'slurm_logs', 'link.err'));
  log.record({
    taskID: 6,
    state: 'failed',
    at: new Date(t + 500).toISOString(),
    reason: 'error',
    error: { name: 'Error', message: 'y' },
    logPath: join(runDir, 'slurm_logs', 'link.err'),
  });
  log.record({
    taskID: 7,
    state: 'failed',
    at: new Date(t + 600).toISOString(),
    reason: 'error',
    error: { name: 'Error', message: 'z' },
    logPath: join(runDir, '..', 'run-b', 'x.err'),
  });
  log.flush();
  writeManifest(join(root, 'nested', 'run-b'), manifest(3));
  server = await DashboardServer.start(root, { pollIntervalMs: 50 });
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

function get(path: string, opts: { method?: string; host?: string; token?: string | null } = {}): Promise<Reply> {
  const token = opts.token === undefined ? server.token : opts.token;
  const sep = path.includes('?') ? '&' : '?';
  const full = token === null ? path : `${path}${sep}token=${token}`;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.port, path: full, method: opts.method ?? 'GET', headers: { host: opts.host ?? `127.0.0.1:${server.port}` } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test('listens on 127.0.0.1 with a token in its URL', () => {
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{24}$/);
});

test('the page, its scripts and uPlot are served; the page and the records need the token', async () => {
  const page = await get('/');
  expect(page.status).toBe(200);
  expect(page.body).toContain('<script src="/assets/app.js">');
  expect(page.headers['content-security-policy']).toContain("default-src 'none'");
  expect(page.headers['referrer-policy']).toBe('no-referrer');
  expect((await get('/assets/uPlot.iife.min.js', { token: null })).body).toContain('uPlot');
  expect((await get('/', { token: null })).status).toBe(403);
  expect((await get('/api/runs', { token: 'wrong' })).status).toBe(403);
  expect((await get('/api/run?run=run-a', { token: `${server.token}x` })).status).toBe(403);
});

test('a folder holding runs lists them; runs are named by id, never by a path', async () => {
  const list = JSON.parse((await get('/api/runs')).body) as { single: boolean; runs: { id: string }[] };
  expect(list.single).toBe(false);
  expect(list.runs.map((r) => r.id).sort()).toEqual(['nested/run-b', 'run-a']);
  expect((await get(`/api/run?run=${encodeURIComponent(runDir)}`)).status).toBe(404);
  expect((await get('/api/run?run=..')).status).toBe(404);
  expect((await get('/api/run?run=nested/../run-a')).status).toBe(404);
});

test("the snapshot counts are runStatus()'s; the timeline chains a batch backwards from its time", async () => {
  const snap = JSON.parse((await get('/api/run?run=run-a')).body) as RunSnapshot;
  const status = runStatus(runDir);
  expect(snap.counts).toMatchObject({ done: status.done.length, failed: status.failed.length, missing: status.missing.length, running: 0, pending: 0 });
  expect(snap.counts).toMatchObject({ done: 4, failed: 4, missing: 2 });
  expect(snap.state).toBe('incomplete');
  expect(snap.rerunCommand).toBe(`acme-ts rerun ${runDir}`);
  expect(snap.failed.find((f) => f.taskID === 4)).toMatchObject({
    reason: 'out-of-memory',
    message: 'killed <b>here</b>',
    logPath: join('slurm_logs', '9_0.err'),
  });
  const calls = snap.timeline.lanes.flatMap((l) => l.calls).sort((a, b) => a.taskID - b.taskID);
  // Calls 0-2 were one batch ending at t: 2 ran last, 0 first.
  expect(calls[2]!.end - calls[2]!.start).toBe(100);
  expect(calls[1]!.end).toBe(calls[2]!.start);
  expect(calls[0]!.end).toBe(calls[1]!.start);
  expect(snap.histogram.counts.reduce((a, b) => a + b, 0)).toBe(4);
});

test("a failed call's log is served only when its record names a file inside the run folder", async () => {
  const log = await get('/api/file?run=run-a&which=call&task=4');
  expect(log.status).toBe(200);
  expect(log.body).toContain('out of memory');
  expect(log.headers['content-type']).toMatch(/^text\/plain/);
  for (const task of [5, 6, 7]) expect((await get(`/api/file?run=run-a&which=call&task=${task}`)).status).toBeGreaterThanOrEqual(403);
  expect((await get('/api/file?run=run-a&which=call&task=5')).body).not.toContain('root:');
  expect((await get('/api/file?run=run-a&which=call&task=0')).status).toBe(404);
  expect((await get('/api/file?run=run-a&which=/etc/passwd')).status).toBe(404);
});

test('paths outside the fixed asset list are not found, however they are written', async () => {
  for (const path of [
    '/assets/../../package.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/app.js/../../../../etc/passwd',
    '/../../etc/passwd',
    '/etc/passwd',
    '/assets/',
    '/run-a/.acme-ts/manifest.json',
  ]) {
    const reply = await get(path);
    expect([403, 404]).toContain(reply.status);
    expect(reply.body).not.toContain('root:');
    expect(reply.body).not.toContain('"funcName"');
  }
});

test('read-only: other methods are refused; a Host that is not a loopback name is refused (DNS rebinding)', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) expect((await get('/api/runs', { method })).status).toBe(405);
  expect((await get('/api/runs', { host: 'evil.example:80' })).status).toBe(403);
  expect((await get('/api/runs', { host: `localhost:${server.port}` })).status).toBe(200);
  // Through ssh -L the browser's port is the tunnel's.
  expect((await get('/api/runs', { host: 'localhost:8080' })).status).toBe(200);
});

test('live updates: a snapshot event at once, another when the records change', async () => {
  const events: RunSnapshot[] = [];
  const req = request({ host: '127.0.0.1', port: server.port, path: `/api/events?run=run-a&token=${server.token}`, headers: { host: '127.0.0.1' } });
  let buffer = '';
  const got = new Promise<void>((resolve) => {
    req.on('response', (res) => {
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buffer += d;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = /^data: (.*)$/m.exec(block);
          if (/^event: snapshot$/m.test(block) && data) events.push(JSON.parse(data[1]!));
          if (events.length === 1 && /^event: snapshot$/m.test(block)) {
            const log = new StatusLog(runDir, 'later');
            log.record({ taskID: 8, state: 'done', at: new Date().toISOString(), stored: 'hdf5', durationMs: 10 });
            log.flush();
          }
          if (events.length === 2) resolve();
        }
      });
    });
  });
  req.end();
  await got;
  req.destroy();
  expect(events[0]!.counts.done).toBe(4);
  expect(events[1]!.counts.done).toBe(5);
});
