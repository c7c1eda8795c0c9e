// dryrun asks "continue?" on a terminal, as ACME does: no → nothing runs and the output folder
// is removed; yes → the run goes on. Off a terminal it never waits. The terminal is a real
// pseudo-terminal (Python's pty module) around the acme-ts executable.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BIN, acme } from './fixtures/cli-harness';
import { TASKS, useWorkDir } from './support/run-fixtures';

const workDir = useWorkDir('e2e-dryrun-prompt');
const PTY_RUN = path.join(__dirname, 'fixtures', 'pty-run.py');
// Debian's python3: its pty module is all this needs.
const PYTHON3 = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const QUESTION = 'Do you want to continue executing randout with the provided arguments? [Y/n]';

function onTerminal(answer: string, args: string[]): { code: number; output: string; asked: boolean; timedOut: boolean } {
  const out = execFileSync(PYTHON3, [PTY_RUN, QUESTION, answer, '60', BIN, ...args], {
    cwd: workDir(),
    env: { ...process.env, NO_COLOR: '1' },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

test('on a terminal, answer no: nothing runs and the output folder is removed', () => {
  const folder = path.join(workDir(), 'declined');
  const r = onTerminal('n', ['run', `${TASKS}#randout`, 'range:0:5', '--dryrun', '-o', folder]);
  expect(r.timedOut).toBe(false);
  expect(r.asked).toBe(true);
  expect(r.output).toMatch(/Dry-run completed\. Elapsed time is [\d.]+ seconds, estimated memory consumption was [\d.]+ MB\.\r?\nDo you want to continue/);
  expect(r.output).toContain(`not continued after the dry run: no call ran; the output folder ${folder} was removed`);
  expect(r.code).toBe(1);
  expect(fs.existsSync(folder)).toBe(false);
});

test('on a terminal, answer yes (or just Enter): the run goes on', () => {
  for (const [answer, name] of [
    ['y', 'accepted'],
    ['', 'enter'],
  ]) {
    const folder = path.join(workDir(), name!);
    const r = onTerminal(answer!, ['run', `${TASKS}#randout`, 'range:0:5', '--dryrun', '-o', folder]);
    expect(r.asked).toBe(true);
    expect(r.output).toMatch(/5 calls: 5 done, 0 failed in/);
    expect(r.code).toBe(0);
    expect(fs.readdirSync(path.join(folder, 'randout_payload'))).toHaveLength(5);
  }
});

test('off a terminal the dry run never asks, even with a stdin that stays open', async () => {
  const ignored = await acme(['run', `${TASKS}#randout`, 'range:0:5', '--dryrun', '-o', 'no-tty'], { cwd: workDir() });
  expect(ignored.code).toBe(0);
  expect(ignored.stderr).not.toContain('Do you want to continue');

  // A pipe on stdin that is never written nor closed: a prompt would wait forever.
  const child = spawn(BIN, ['run', `${TASKS}#randout`, 'range:0:5', '--dryrun', '-o', 'open-pipe', '-q'], { cwd: workDir(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code).toBe(0);
  expect(stdout).toMatch(/5 calls: 5 done/);
  child.stdin.end();
});
