// Bad SLURM settings fail before anything is submitted, with messages that name the option
// (and the config file it came from); a config file alone moves unchanged user code to SLURM.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ParallelMap, readManifest } from '@acme-ts/core';
import { tempDir } from './support/h5';
import { TASKS, startCluster, submittedJobIds, waitUntilNoLiveJobs } from './fixtures/slurm-support';

let work: string;
let callLog: string;
const originalPath = process.env.PATH;

beforeAll(() => {
  startCluster();
  work = tempDir('e2e-slurm-options');
  // Logging stand-ins in front of the real programs: which SLURM commands did a run use?
  const bin = path.join(work, 'bin');
  callLog = path.join(work, 'calls.log');
  fs.mkdirSync(bin);
  for (const program of ['sbatch', 'squeue', 'scancel', 'scontrol']) {
    const real = execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim();
    fs.writeFileSync(path.join(bin, program), `#!/bin/sh\necho "${program} $*" >> '${callLog}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
  }
  process.env.PATH = `${bin}:${originalPath}`;
});
afterAll(() => {
  process.env.PATH = originalPath;
  fs.rmSync(work, { recursive: true, force: true });
});
beforeEach(() => fs.rmSync(callLog, { force: true }));

function programsCalled(): string[] {
  if (!fs.existsSync(callLog)) return [];
  return [
    ...new Set(
      fs
        .readFileSync(callLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[0]!),
    ),
  ].sort();
}

async function rejection(slurm: Record<string, unknown>, label: string): Promise<Error & { code?: string }> {
  const outputDir = path.join(work, label);
  const pmap = new ParallelMap(`${TASKS}#randout`, [[1, 2]], { verbose: false, outputDir, backend: 'slurm', slurm } as never);
  const error = await pmap.compute().then(
    () => new Error('compute() succeeded'),
    (e: Error) => e,
  );
  await pmap.close();
  expect(submittedJobIds(outputDir)).toEqual([]);
  // Only the cluster's configuration was read: nothing was queued or even looked up.
  expect(programsCalled()).toEqual(['scontrol']);
  return error;
}

test.each([
  [{ partition: 'gpu' }, 'options.slurm.partition must be one of "debug", "long", got "gpu"'],
  [
    { memPerWorker: '4 GiB' },
    'options.slurm.memPerWorker must be "auto", a factor such as "2x" (of the previous submission\'s memory), or a memory size such as "8GB" or "12000MB" (GB = 1000 MB), got "4 GiB"',
  ],
  [
    { sbatchOptions: ['constraint=fast'] },
    'options.slurm.sbatchOptions[0] must be one sbatch option starting with "-" (value joined with "=") without blanks, newlines or shell metacharacters, got "constraint=fast"',
  ],
  [
    { sbatchOptions: ['--account=a', '--comment=$(reboot)'] },
    'options.slurm.sbatchOptions[1] must be one sbatch option starting with "-" (value joined with "=") without blanks, newlines or shell metacharacters, got "--comment=$(reboot)"',
  ],
  [
    { sbatchOptions: ['--mem=10G'] },
    'options.slurm.sbatchOptions[0] must not set --mem: acme-ts sets it from options.slurm.memPerWorker: use that instead, got "--mem=10G"',
  ],
  // sbatch would print no job id: the array would run untracked.
  [
    { sbatchOptions: ['--quiet'] },
    'options.slurm.sbatchOptions[0] must not set --quiet: sbatch would then not print the job id acme-ts follows the array by, got "--quiet"',
  ],
  [
    { sbatchOptions: ['--comment=ok', '-vo/tmp/x.out'] },
    /^options\.slurm\.sbatchOptions\[1\] must not set -o \(bundled in -vo\/tmp\/x\.out\): acme-ts writes task logs/,
  ],
  // Resources are named settings, checked against the cluster (its node has no GPUs, no features).
  [
    { sbatchOptions: ['--qos=normal'] },
    'options.slurm.sbatchOptions[0] must not set --qos: acme-ts sets it from options.slurm.qos: use that instead, got "--qos=normal"',
  ],
  [
    { sbatchOptions: ['--gres=gpu:1'] },
    'options.slurm.sbatchOptions[0] must not set --gres: acme-ts sets it from options.slurm.gpusPerWorker: use that instead, got "--gres=gpu:1"',
  ],
  [{ gpusPerWorker: 1 }, 'options.slurm.gpusPerWorker must be left unset: no node of partition "debug" has GPUs in its Gres, got 1'],
  [
    { partition: 'long', constraint: 'nope' },
    'options.slurm.constraint must name features of the nodes of partition "long" (its nodes have no features; no node has "nope"), got "nope"',
  ],
  [
    { retries: { outOfMemory: { maxMemory: 'lots' } } },
    'options.slurm.retries.outOfMemory.maxMemory must be a memory size such as "8GB" or "12000MB" (GB = 1000 MB), got "lots"',
  ],
  [{ jobName: 'a;rm -rf ~' }, 'options.slurm.jobName must be 1 to 200 characters of letters, digits and ._+-=@:, got "a;rm -rf ~"'],
  [{ timeLimit: 'soon' }, /^options\.slurm\.timeLimit must be a positive whole number of minutes/],
  [{ nWorkers: 0 }, /^options\.slurm\.nWorkers must be a positive integer/],
  [{ memPerWoker: '4GB' }, /^options\.slurm\.memPerWoker must be one of the SLURM settings partition, nWorkers, memPerWorker/],
])('%j is refused before anything is submitted', async (slurm, message) => {
  const error = await rejection(slurm, `bad-${Object.keys(slurm)[0]}-${Math.random().toString(36).slice(2, 8)}`);
  expect(error.code).toBe('ERR_ACME_OPTION');
  if (typeof message === 'string') expect(error.message).toBe(message);
  else expect(error.message).toMatch(message);
});

/** Runs a user's script (no backend option) in `cwd`, as a separate process with its own environment. */
function runUserScript(cwd: string, env: NodeJS.ProcessEnv = {}): { status: number; output: string } {
  const script = `
    const { ParallelMap } = require(${JSON.stringify(require.resolve('@acme-ts/core'))});
    const pmap = new ParallelMap(${JSON.stringify(`${TASKS}#randout`)}, [[1, -2, 3]], { verbose: false, outputDir: 'out' });
    pmap.compute().then((r) => { console.log('RESULT ' + JSON.stringify(r)); return pmap.close(); },
      (e) => { console.log('ERROR ' + e.message); process.exitCode = 1; return pmap.close(); });`;
  try {
    const output = execFileSync(process.execPath, ['-e', script], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
    return { status: 0, output };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { status: e.status, output: e.stdout + e.stderr };
  }
}

test('acme-ts.config.json {"backend": "slurm"} in the cwd runs unchanged user code on SLURM', async () => {
  const cwd = path.join(work, 'project');
  fs.mkdirSync(cwd);
  fs.writeFileSync(path.join(cwd, 'acme-ts.config.json'), JSON.stringify({ backend: 'slurm', slurm: { partition: 'debug', jobName: 'from-config' } }));
  const { status, output } = runUserScript(cwd);
  expect(output).toContain('RESULT');
  expect(status).toBe(0);
  const jobs = submittedJobIds(path.join(cwd, 'out'));
  expect(jobs).toHaveLength(1);
  expect(await waitUntilNoLiveJobs(jobs)).toEqual([]);
  expect(fs.readdirSync(path.join(cwd, 'out', 'slurm_logs'))).toContain(`${jobs[0]}_0.out`);
  // The manifest names the backend the run used, so a later resume() goes back to SLURM.
  expect(readManifest(path.join(cwd, 'out')).backend).toBe('slurm');
});

test('qos "normal" reaches sbatch as --qos=normal and the run completes (the test cluster has no accounting: sacctmgr cannot tell, sbatch decides)', async () => {
  const outputDir = path.join(work, 'qos');
  const pmap = new ParallelMap(`${TASKS}#randout`, [[1, 2]], { verbose: false, outputDir, backend: 'slurm', slurm: { qos: 'normal' } } as never);
  expect(await pmap.compute()).toHaveLength(2);
  await pmap.close();
  const sbatch = fs
    .readFileSync(callLog, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('sbatch '));
  expect(sbatch).toEqual([expect.stringContaining(' --qos=normal ')]);
  const jobs = submittedJobIds(outputDir);
  // The run folder names its job arrays for runStatus() and `acme-ts status`.
  expect(JSON.parse(fs.readFileSync(path.join(outputDir, '.acme-ts', 'jobs.json'), 'utf8'))).toMatchObject({ backend: 'slurm', jobIds: jobs });
  expect(await waitUntilNoLiveJobs(jobs)).toEqual([]);
});

test('a bad value in the config file (ACME_TS_CONFIG) is refused naming the file', () => {
  const cwd = path.join(work, 'project-bad');
  fs.mkdirSync(cwd);
  const config = path.join(work, 'cluster.json');
  fs.writeFileSync(config, JSON.stringify({ backend: 'slurm', slurm: { partition: 'gpu' } }));
  const { status, output } = runUserScript(cwd, { ACME_TS_CONFIG: config });
  expect(status).toBe(1);
  expect(output).toContain(`ERROR options.slurm.partition must be one of "debug", "long", got "gpu" (set in ${config})`);
  expect(fs.existsSync(path.join(cwd, 'out', '.acme-ts', 'slurm'))).toBe(false);
});
