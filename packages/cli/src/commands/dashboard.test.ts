// `acme-ts dashboard` in-process: prints the URL and the ssh -L recipe, serves until Ctrl-C,
// refuses what is not a folder; `--dashboard` hands core an onStart that prints the URL.
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../cli';
import type { CliIO } from '../io';
import { dashboardCommand, tunnelHint, withDashboard } from './dashboard';

function captureIO(): CliIO & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => ((out += s), true) },
    stderr: { write: (s: string) => ((err += s), true) },
    env: {},
    out: () => out,
    err: () => err,
  } as unknown as CliIO & { out: () => string; err: () => string };
}

let folder: string;
beforeAll(() => {
  folder = mkdtempSync(join(tmpdir(), 'acme-cli-dashboard-'));
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

test('serves a folder of runs until SIGINT, printing the URL and how to tunnel to it', async () => {
  const io = captureIO();
  const signals = new EventEmitter();
  const done = dashboardCommand({ folder }, io, signals);
  for (let i = 0; i < 200 && !io.out(); i++) await new Promise((r) => setTimeout(r, 10));
  const url = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)/.exec(io.out())![1]!;
  expect(io.out()).toBe(`dashboard of the runs in ${folder}: ${url}\n`);
  expect(io.err()).toContain(`ssh -N -L 8080:127.0.0.1:${new URL(url).port} `);
  expect(io.err()).toContain(`then open http://localhost:8080/${new URL(url).search}`);
  const status = await new Promise<number>((resolve) => get(url, (res) => (res.resume(), resolve(res.statusCode!))));
  expect(status).toBe(200);
  signals.emit('SIGINT');
  expect(await done).toBe(0);
});

test('a path that is not a folder is a usage error (exit 2)', async () => {
  const file = join(folder, 'plain.txt');
  writeFileSync(file, 'x');
  const io = captureIO();
  expect(await main(['dashboard', file], io)).toBe(2);
  expect(io.err()).toContain(`${file} is not a folder; pass a run's output folder`);
  expect(await main(['dashboard', folder, '--port', '99999'], io)).toBe(2);
  expect(io.err()).toContain('--port must be an integer 0–65535');
});

test('--dashboard: core gets an onStart that prints the URL and the tunnel recipe', () => {
  const io = captureIO();
  expect(withDashboard({ nWorkers: 2 }, {}, io)).toEqual({ nWorkers: 2 });
  const options = withDashboard({ nWorkers: 2 }, { dashboard: true }, io);
  const setting = (options as { dashboard?: unknown }).dashboard as { onStart: (url: string) => void };
  setting.onStart('http://127.0.0.1:4321/?token=abc');
  expect(io.err()).toBe(`dashboard: http://127.0.0.1:4321/?token=abc\n${tunnelHint('http://127.0.0.1:4321/?token=abc')}\n`);
});
