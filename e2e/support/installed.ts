// The packages as users get them, for the packaging tests: `npm pack` of every workspace and the
// tarballs installed into a fresh project outside the repository (offline, from npm's cache,
// which `npm ci` filled), with the fixtures of e2e/fixtures/installed copied in.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO = path.join(__dirname, '..', '..');
export const INSTALLED_FIXTURES = path.join(__dirname, '..', 'fixtures', 'installed');

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

export function run(command: string, args: string[], options: RunOptions): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd: options.cwd, env: options.env ?? process.env, encoding: 'utf8', timeout: 120_000 });
}

/** Runs and expects exit status 0 (the output is in the error otherwise); returns stdout. */
export function ok(command: string, args: string[], options: RunOptions): string {
  const r = run(command, args, options);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Packs the workspaces into `work`/tarballs and installs them into `work`/project; returns the project. */
export function installPackedProject(work: string): string {
  const tarballs = path.join(work, 'tarballs');
  const project = path.join(work, 'project');
  fs.mkdirSync(tarballs);
  fs.mkdirSync(project);
  ok('npm', ['pack', '--workspaces', '--silent', '--pack-destination', tarballs], { cwd: REPO });
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'uses-acme-ts', version: '1.0.0', private: true }));
  // @types/node for the type check: the repository's version, so npm's cache has it.
  const typesNode = (JSON.parse(fs.readFileSync(path.join(REPO, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as { version: string }).version;
  const packed = fs.readdirSync(tarballs).map((f) => path.join(tarballs, f));
  if (packed.length !== 5) throw new Error(`npm pack made ${packed.length} tarballs, not 5: ${packed.join(', ')}`);
  ok('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...packed, `@types/node@${typesNode}`], { cwd: project });
  for (const file of fs.readdirSync(INSTALLED_FIXTURES)) fs.copyFileSync(path.join(INSTALLED_FIXTURES, file), path.join(project, file));
  return project;
}

/** What e2e/fixtures/installed/modes.cjs writes to values.json. */
export interface ModeValues {
  memory: unknown[];
  facts: { bundle: string | null; core: string; taskID: number }[];
}

export function readModeValues(outDir: string): ModeValues {
  return JSON.parse(fs.readFileSync(path.join(outDir, 'values.json'), 'utf8')) as ModeValues;
}

/** The facts modes.cjs's threads report when they ran from the packages installed in `project`. */
export function installedThreadFacts(project: string): ModeValues['facts'] {
  const installed = path.join(project, 'node_modules', '@acme-ts');
  return [0, 1, 2, 3].map((taskID) => ({
    bundle: path.join(installed, 'backend-local', 'dist', 'worker-bundle.js'),
    core: path.join(installed, 'core', 'dist', 'index.js'),
    taskID,
  }));
}
