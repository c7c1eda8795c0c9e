// options.retries / --retries with the local backend: a call whose worker thread exits runs again
// on a new worker and succeeds; each attempt is in the run's records and `acme-ts status` shows it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ParallelMap, range, readCallHistory, runStatus } from '@acme-ts/core';
import { acme } from './fixtures/cli-harness';
import { TASKS, quiet, useWorkDir } from './support/run-fixtures';

const workDir = useWorkDir('e2e-retries');

test('a call that exits its worker once succeeds on retry; status lists its failed attempt', async () => {
  const outputDir = path.join(workDir(), 'exit-once');
  const markers = path.join(workDir(), 'markers');
  fs.mkdirSync(markers);
  await using pmap = new ParallelMap(`${TASKS}#exitOnce`, [range(6), markers], { ...quiet, outputDir, retries: { attempts: 2, backoffMs: 10 } });
  expect(await pmap.compute()).toHaveLength(6);

  const call3 = readCallHistory(outputDir).filter((r) => r.taskID === 3);
  expect(call3.map((r) => [r.state, r.reason, r.attempt])).toEqual([
    ['failed', 'worker-exit', undefined],
    ['done', undefined, 2],
  ]);
  expect(runStatus(outputDir).retried).toEqual([{ taskID: 3, state: 'done', attempts: 2, failures: [expect.objectContaining({ reason: 'worker-exit' })] }]);

  const text = await acme(['status', outputDir], { cwd: workDir() });
  expect(text.code).toBe(0);
  expect(text.stdout).toMatch(/calls that ran more than once:\n {2}call 3: done at attempt 2\n {4}attempt 1 failed \(worker-exit\): \w+: .*exit/);
  const json = JSON.parse((await acme(['status', outputDir, '--json'], { cwd: workDir() })).stdout);
  expect(json.retried).toEqual([{ taskID: 3, state: 'done', attempts: 2, failures: [expect.objectContaining({ attempt: 1, reason: 'worker-exit' })] }]);
});

test('acme-ts run --retries 1 --retry-backoff 0: the run succeeds; without it the call fails; a wrong --retry-on is a usage error', async () => {
  const cwd = workDir();
  const markers = path.join(cwd, 'cli-markers');
  fs.mkdirSync(markers);
  const retried = await acme(['run', `${TASKS}#exitOnce`, 'range:0:5', markers, '--retries', '1', '--retry-backoff', '0', '-o', 'cli-retried', '-q'], { cwd });
  expect(retried.stdout).toMatch(/^5 calls: 5 done, 0 failed in/m);
  expect(retried.code).toBe(0);

  fs.rmSync(path.join(markers, 'exited-3'));
  const once = await acme(['run', `${TASKS}#exitOnce`, 'range:0:5', markers, '-o', 'cli-once', '-q'], { cwd });
  expect(once.code).toBe(1);

  const wrong = await acme(['run', `${TASKS}#exitOnce`, 'range:0:5', markers, '--retry-on', 'worker-exit,oom'], { cwd });
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain('--retry-on takes failure reasons separated by commas, from worker-exit, timeout, out-of-memory, node-fail, error; got "oom"');
});
