// Runs the built module in child processes: whether a process can load TypeScript depends on
// its own flags (and jest's module system is not Node's).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loaderFlags } from './typescript-modules';

const BUILT = join(__dirname, '..', 'dist', 'typescript-modules.js');

function check(modulePath: string, execArgv: string[] = [], env: NodeJS.ProcessEnv = {}, prelude = '') {
  const r = spawnSync(
    process.execPath,
    [...execArgv, '-e', `${prelude}require(${JSON.stringify(BUILT)}).checkTypeScriptModule(${JSON.stringify(modulePath)})`],
    {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, ...env },
    },
  );
  return { status: r.status, stderr: r.stderr };
}

describe('TypeScript task modules', () => {
  test('without a loader, a .ts module is refused with how to run it', () => {
    const { status, stderr } = check('/work/tasks.ts');
    expect(status).toBe(1);
    expect(stderr).toContain('module /work/tasks.ts is TypeScript, and this Node.js process has no TypeScript loader');
    expect(stderr).toContain('npx tsx main.ts');
    expect(stderr).toContain('NODE_OPTIONS="--import tsx" acme-ts run');
  });

  test('JavaScript modules, and TypeScript under an ES module loader, pass', () => {
    expect(check('/work/tasks.js').status).toBe(0);
    expect(check('/work/tasks.mts', ['--import', 'data:text/javascript,']).status).toBe(0);
    expect(check('/work/tasks.cts', [], { NODE_OPTIONS: '--import=data:text/javascript,' }).status).toBe(0);
    // A CommonJS hook registering .ts (what tsx and ts-node do).
    expect(check('/work/tasks.ts', [], {}, "require.extensions['.ts'] = require.extensions['.js'];").status).toBe(0);
  });

  test('loaderFlags keeps the loader flags and their values, for SLURM tasks', () => {
    expect(
      loaderFlags([
        '--max-old-space-size=100',
        '--require',
        '/t/preflight.cjs',
        '--import',
        'file:///t/loader.mjs',
        '--inspect',
        '--experimental-strip-types',
        '-r',
        'x',
        '--loader=ts-node/esm',
      ]),
    ).toEqual(['--require', '/t/preflight.cjs', '--import', 'file:///t/loader.mjs', '--experimental-strip-types', '-r', 'x', '--loader=ts-node/esm']);
  });
});
