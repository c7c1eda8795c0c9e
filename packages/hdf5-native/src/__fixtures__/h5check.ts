// Test helpers: run the independent h5py reader and make temporary folders.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(__dirname, '..', '..', 'test-support', 'h5check.py');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Dump = Record<string, any>;

/** Everything h5py sees in `file`, keyed by HDF5 path. */
export function h5dump(file: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Dump {
  const out = execFileSync(PYTHON, [SCRIPT, 'dump', file], { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8' });
  return JSON.parse(out) as Dump;
}

/** h5dump of each of `files`, from one Python process (its start-up costs ≈ 0.15 s). */
export function h5dumps(files: string[]): Dump[] {
  return JSON.parse(execFileSync(PYTHON, [SCRIPT, 'dumps', ...files], { encoding: 'utf8', maxBuffer: 1 << 28 })) as Dump[];
}

/** h5py copy of every root member with expand_external=True into dst; returns dst's dump. */
export function h5copyExpand(src: string, dst: string, opts: { cwd?: string } = {}): Dump {
  const out = execFileSync(PYTHON, [SCRIPT, 'copy', src, dst], { cwd: opts.cwd, encoding: 'utf8' });
  return JSON.parse(out) as Dump;
}

export function tempDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `acme-h5-${label}-`));
}
