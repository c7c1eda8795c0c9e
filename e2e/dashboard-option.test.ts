// options.dashboard in the library: the run's client serves the dashboard (URL to onStart),
// writes .acme-ts/live.json while it computes, and stops serving on close().
import * as fs from 'node:fs';
import { get } from 'node:http';
import * as path from 'node:path';
import { ParallelMap, range } from '@acme-ts/core';
import type { LiveState, RunSnapshot } from '@acme-ts/core/dashboard';
import { quiet, useWorkDir } from './support/run-fixtures';

const DASHBOARD_TASKS = path.join(__dirname, 'fixtures', 'dashboard-tasks.js');
const workDir = useWorkDir('e2e-dashboard-option');

function fetchJson(url: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: res.statusCode === 200 ? JSON.parse(text) : text }));
    }).on('error', reject);
  });
}

test('the client serves its run while it computes and until close(); live.json tells its workers', async () => {
  const outputDir = path.join(workDir(), 'run');
  const urls: string[] = [];
  const pmap = new ParallelMap(`${DASHBOARD_TASKS}#uneven`, [range(12), 30], { ...quiet, outputDir, dashboard: { onStart: (url) => urls.push(url) } });
  let during: RunSnapshot | undefined;
  let failures = 0;
  let live: LiveState | undefined;
  const seen = (async () => {
    for await (const r of pmap.results()) {
      if (!r.ok) failures++;
      if (r.taskID === 3 && urls[0]) {
        during = (await fetchJson(urls[0].replace('/?', '/api/run?'))).body as RunSnapshot;
        live = JSON.parse(fs.readFileSync(path.join(outputDir, '.acme-ts', 'live.json'), 'utf8')) as LiveState;
      }
    }
  })();
  // results() yields the failed call too, and ends without throwing.
  await seen;
  expect(failures).toBe(1);
  expect(urls).toHaveLength(1);
  expect(during!.state).toBe('running');
  expect(during!.live).not.toBeNull();
  expect(live).toMatchObject({ pid: process.pid, backend: 'local', concurrency: 2, submitted: 12 });
  // After compute(), before close(): the finished run.
  const after = (await fetchJson(urls[0]!.replace('/?', '/api/run?'))).body as RunSnapshot;
  expect(after.counts).toMatchObject({ done: 11, failed: 1, missing: 0 });
  expect(after.state).toBe('incomplete');
  await pmap.close();
  await expect(fetchJson(urls[0]!)).rejects.toThrow(/ECONNREFUSED/);
}, 60_000);
