// The acme-ts command on SLURM: the job ids as the arrays are submitted, `acme-ts status` with
// the running client's job arrays (exit 3) and, afterwards, the latest client's (exit 0).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './support/h5';
import { acme, start, until } from './fixtures/cli-harness';
import { SLURM_TASKS, startCluster, submittedJobIds, waitUntilNoLiveJobs } from './fixtures/slurm-support';

let work: string;
beforeAll(() => {
  startCluster();
  work = tempDir('e2e-slurm-cli');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('run --backend slurm prints each job array id; status lists them while it runs and after', async () => {
  const folder = path.join(work, 'sleepy');
  // Call 1 sleeps 4 s: long enough to ask for the status while the client lives.
  const run = start(
    ['run', `${SLURM_TASKS}#sleepOne`, 'range:0:3', '4000', path.join(work, 'no-marker'), '--backend', 'slurm', '--qos', 'normal', '-o', folder],
    { cwd: work },
  );
  await until(() => /SLURM job array \d+\n/.test(run.output().stderr), 'the job id on stderr');
  const jobId = /SLURM job array (\d+)\n/.exec(run.output().stderr)![1]!;

  const live = await acme(['status', folder, '--json'], { cwd: work });
  const report = JSON.parse(live.stdout);
  if (report.complete) throw new Error('the run finished before status was asked; the test needs a slower call');
  expect(live.code).toBe(3);
  expect(report.running).toMatchObject({ backend: 'slurm', pid: run.child.pid });
  expect(report.jobs).toMatchObject({ backend: 'slurm', jobIds: [jobId] });
  expect((await acme(['status', folder], { cwd: work })).stdout).toContain(`\n  SLURM job arrays: ${jobId}\n`);

  const finished = await run.finished;
  expect(finished.code).toBe(0);
  expect(finished.stderr.match(/SLURM job array \d+/g)).toEqual([`SLURM job array ${jobId}`]);
  expect(submittedJobIds(folder)).toEqual([jobId]);
  const after = await acme(['status', folder], { cwd: work });
  expect(after.code).toBe(0);
  expect(after.stdout).toContain(`\n  SLURM job arrays of the latest SLURM client: ${jobId}\n`);
  expect(await waitUntilNoLiveJobs([jobId])).toEqual([]);
});

test('--constraint naming a feature no node has is a usage error (exit 2); nothing is submitted', async () => {
  const folder = path.join(work, 'constraint');
  const r = await acme(['run', `${SLURM_TASKS}#sleepOne`, 'range:0:2', '0', 'x', '--backend', 'slurm', '--constraint', 'nope', '-o', folder], { cwd: work });
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--constraint must name features of the nodes of partition "debug" (its nodes have no features; no node has "nope"), got "nope"');
  expect(submittedJobIds(folder)).toEqual([]);
});
