// The SLURM backend from installed packages: a project that installed the packed tarballs runs
// e2e/fixtures/installed/modes.cjs on the test cluster (ACME_TS_BACKEND=slurm). The array tasks
// must start the installed array-task.js, whose threads load the installed core, worker bundle
// and libhdf5 addon, and the files must equal the local backend's in the same project.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './support/h5';
import { installPackedProject, installedThreadFacts, ok, readModeValues } from './support/installed';
import { dumpRunFolder, startCluster } from './fixtures/slurm-support';

let work: string;
let project: string;
beforeAll(() => {
  startCluster();
  work = tempDir('e2e-slurm-installed');
  project = installPackedProject(work);
}, 300_000);
afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** Every task.sh the run's submissions wrote. */
function taskScripts(runDir: string): string[] {
  const meta = path.join(runDir, '.acme-ts', 'slurm');
  return fs
    .readdirSync(meta, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(meta, entry.name, 'task.sh')))
    .map((entry) => path.join(meta, entry.name, 'task.sh'));
}

test('array tasks run the installed modules and write the files the local backend writes', () => {
  ok(process.execPath, ['modes.cjs', 'local'], { cwd: project });
  ok(process.execPath, ['modes.cjs', 'slurm'], { cwd: project, env: { ...process.env, ACME_TS_BACKEND: 'slurm' } });

  const entry = path.join(project, 'node_modules', '@acme-ts', 'backend-slurm', 'dist', 'array-task.js');
  const scripts = taskScripts(path.join(project, 'slurm', 'default'));
  expect(scripts.length).toBeGreaterThan(0);
  for (const script of scripts) expect(fs.readFileSync(script, 'utf8')).toContain(entry);

  for (const mode of ['default', 'single', 'shape']) {
    expect(dumpRunFolder(path.join(project, 'slurm', mode))).toEqual(dumpRunFolder(path.join(project, 'local', mode)));
  }
  const values = readModeValues(path.join(project, 'slurm'));
  expect(values.memory).toEqual(readModeValues(path.join(project, 'local')).memory);
  // The tasks' threads took the installed bundle and core.
  expect(values.facts).toEqual(installedThreadFacts(project));
}, 240_000);
