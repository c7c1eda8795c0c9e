// The dashboard as a person sees it: a real headless Chromium against real runs (the
// `acme-ts` executable with --dashboard, a client killed with SIGKILL, a folder of runs).
// Each state's screenshot is kept under e2e/artifacts/dashboard/.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { runStatus } from '@acme-ts/core';
import { startDashboard, type DashboardServer } from '@acme-ts/core/dashboard';
import { start } from './fixtures/cli-harness';
import { collectPageErrors, keepScreenshot, launchBrowser } from './support/browser';
import { useWorkDir } from './support/run-fixtures';

const DASHBOARD_TASKS = path.join(__dirname, 'fixtures', 'dashboard-tasks.js');
const RUN_SLOW = path.join(__dirname, 'fixtures', 'run-slow.js');
const workDir = useWorkDir('e2e-dashboard');

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
});

const text = (page: Page, selector: string) => page.textContent(selector).then((t) => (t ?? '').trim());
const count = async (page: Page, id: string) => Number(await text(page, `#count-${id}`));
const timelineCalls = (page: Page) => page.getAttribute('#timeline', 'data-calls').then(Number);

async function waitForOutput(read: () => string, pattern: RegExp, ms = 30_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const match = pattern.exec(read());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output: ${read()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls `check` from the test (the page's CSP forbids evaluating strings in it). */
async function poll(check: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A client computing 400 calls of 40 ms on 2 workers into `folder`, without a dashboard. */
function startSlowClient(folder: string) {
  const child = spawn(process.execPath, [RUN_SLOW, folder, '400', '40'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  return { child, exited, stdout: () => output };
}

/** The counts on the page are runStatus()'s (running + pending + missing = its missing). */
async function expectCountsOfRunStatus(page: Page, folder: string): Promise<void> {
  const status = runStatus(folder);
  expect(await count(page, 'done')).toBe(status.done.length);
  expect(await count(page, 'failed')).toBe(status.failed.length);
  const notDone = (await count(page, 'running')) + (await count(page, 'pending')) + (await count(page, 'missing'));
  expect(notDone).toBe(status.missing.length);
}

test('a running run: the page loads, the timeline grows while it goes, the failing call appears with its error; afterwards the folder renders its final counts', async () => {
  const folder = path.join(workDir(), 'live');
  const run = start(['run', `${DASHBOARD_TASKS}#uneven`, 'range:0:60', '100', '-o', folder, '--n-workers', '2', '--dashboard'], { cwd: workDir() });
  const [, url] = await waitForOutput(() => run.output().stderr, /^dashboard: (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)$/m);
  expect(run.output().stderr).toContain('ssh -N -L 8080:127.0.0.1:');

  const page = await browser.newPage({ viewport: { width: 1280, height: 1300 } });
  const errors = collectPageErrors(page);
  await page.goto(url!);
  await page.waitForSelector('body[data-state="running"]');
  await poll(async () => (await timelineCalls(page)) > 0, 'the first calls on the timeline');
  const early = await timelineCalls(page);
  // 60 calls of 100-300 ms on 2 workers take ≈ 6 s; status records are flushed once a second.
  expect(early).toBeLessThan(60);
  expect(await text(page, '#state')).toBe('running');
  expect(await count(page, 'running')).toBeGreaterThan(0);
  await keepScreenshot(page, '1-running');
  // The page updates itself (Server-Sent Events): no reload.
  await poll(async () => (await timelineCalls(page)) > early, 'more calls on the timeline', 20_000);
  await page.waitForSelector('.failure[data-task="7"]', { timeout: 20_000 });
  expect(await text(page, '.failure[data-task="7"] .message')).toBe('RangeError: call 7 fails on purpose');
  await keepScreenshot(page, '2-running-with-failure');

  const finished = await run.finished;
  expect(finished.code).toBe(1);
  await page.close();

  // The run's own server ended with it; the folder alone renders the finished run.
  const server = await startDashboard(folder);
  try {
    const after = await browser.newPage({ viewport: { width: 1280, height: 1300 } });
    await after.goto(server.url);
    await after.waitForSelector('body[data-state="incomplete"]');
    await expectCountsOfRunStatus(after, folder);
    expect(await count(after, 'done')).toBe(59);
    expect(await count(after, 'failed')).toBe(1);
    expect(await timelineCalls(after)).toBe(60);
    expect(await text(after, '.failure[data-task="7"] .message')).toBe('RangeError: call 7 fails on purpose');
    expect(await after.textContent('.failure[data-task="7"] pre')).toContain('dashboard-tasks.js');
    expect(await text(after, '#rerun-command')).toBe(`acme-ts rerun ${folder}`);
    expect(await text(after, '#run-info')).toContain(`${DASHBOARD_TASKS}#uneven`);
    // uPlot drew both charts from its bundled files (no network).
    expect(await after.locator('#histogram canvas').count()).toBe(1);
    expect(await after.locator('#progress-chart canvas').count()).toBe(1);
    await keepScreenshot(after, '3-finished-with-failure');
    await after.close();
  } finally {
    await server.close();
  }
  expect(errors).toEqual([]);
}, 90_000);

test("a SIGKILLed run's folder still renders: stopped, its counts, its timeline, the command that finishes it", async () => {
  const folder = path.join(workDir(), 'killed');
  const { child, exited, stdout } = startSlowClient(folder);
  // Past the status log's first flush (once a second), then killed mid-run.
  await waitForOutput(stdout, /(?:done \d+\n){60}/);
  await new Promise((r) => setTimeout(r, 1200));
  child.kill('SIGKILL');
  await exited;
  // A run without a dashboard leaves no live state behind.
  expect(fs.existsSync(path.join(folder, '.acme-ts', 'live.json'))).toBe(false);

  let server: DashboardServer | undefined;
  try {
    server = await startDashboard(folder);
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const errors = collectPageErrors(page);
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="stopped"]');
    await expectCountsOfRunStatus(page, folder);
    const status = runStatus(folder);
    expect(status.done.length).toBeGreaterThan(0);
    expect(status.missing.length).toBeGreaterThan(0);
    expect(await count(page, 'missing')).toBe(status.missing.length);
    expect(await text(page, '#client-line')).toMatch(/^stopped: its client \(process \d+ on .*\) ended without finishing the run/);
    expect(await timelineCalls(page)).toBeGreaterThan(0);
    expect(await text(page, '#rerun-command')).toBe(`acme-ts rerun ${folder}`);
    await keepScreenshot(page, '5-killed');
    expect(errors).toEqual([]);
    await page.close();
  } finally {
    await server?.close();
  }
}, 90_000);

test('a dashboard opened on a run started without one follows it, and shows the SIGKILL as it happens', async () => {
  const folder = path.join(workDir(), 'watched');
  const { child, exited, stdout } = startSlowClient(folder);
  await waitForOutput(stdout, /done \d+\n/);
  const server = await startDashboard(folder);
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    const errors = collectPageErrors(page);
    await page.goto(server.url);
    await page.waitForSelector('body[data-state="running"]');
    // Its client keeps no live state: how many calls run is not known, all are pending.
    expect(await text(page, '#count-running')).toBe('?');
    expect(await text(page, '#client-line')).toContain('started without --dashboard');
    await poll(async () => (await timelineCalls(page)) > 0, 'the first calls on the timeline');
    const early = await timelineCalls(page);
    await poll(async () => (await timelineCalls(page)) > early, 'more calls on the timeline', 20_000);
    child.kill('SIGKILL');
    await exited;
    await page.waitForSelector('body[data-state="stopped"]', { timeout: 20_000 });
    await expectCountsOfRunStatus(page, folder);
    await keepScreenshot(page, '4-watched-then-killed');
    expect(errors).toEqual([]);
    await page.close();
  } finally {
    child.kill('SIGKILL');
    await server.close();
  }
}, 90_000);

test('a folder holding runs lists them; each opens', async () => {
  const server = await startDashboard(workDir());
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 700 } });
    await page.goto(server.url);
    await page.waitForSelector('tr.run-entry');
    expect((await page.locator('tr.run-entry td:first-child').allTextContents()).sort()).toEqual(['killed', 'live', 'watched']);
    await keepScreenshot(page, '6-runs');
    await page.click('tr.run-entry a >> text=live');
    await page.waitForSelector('body[data-state="incomplete"]');
    expect(await count(page, 'done')).toBe(59);
    expect(await page.isVisible('#back-link')).toBe(true);
    // Without the token nothing but a refusal.
    const refused = await page.goto(server.url.replace(/\?token=.*/, ''));
    expect(refused!.status()).toBe(403);
    await page.close();
  } finally {
    await server.close();
  }
}, 60_000);
