// TypeScript task modules (`./tasks.ts#f`). Worker threads inherit the client's module loader
// (tsx, ts-node, Node's type stripping), and SLURM tasks are started with its flags, so a
// TypeScript module runs wherever the client itself could load it. Without a loader every
// call would fail in its worker with "Unexpected token ':'": the constructor says how to run it.

import { FunctionReferenceError } from './errors';

const TYPESCRIPT_FILE = /\.[cm]?tsx?$/;
// Flags that install module loaders or TypeScript support; those taking a value may carry it
// after "=" or as the next word.
const LOADER_FLAG = /^(--import|--require|-r|--loader|--experimental-loader|--experimental-strip-types|--experimental-transform-types)(=.*)?$/;
const TAKES_VALUE = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader']);

/** NODE_OPTIONS as words (Node splits it at spaces; double quotes group). */
function nodeOptionsWords(value = process.env.NODE_OPTIONS ?? ''): string[] {
  return [...value.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

/**
 * The loader flags of this process (`execArgv`, then NODE_OPTIONS, which a SLURM task does not
 * inherit) with their values: what a child process needs to load what this one loads.
 */
export function loaderFlags(execArgv: readonly string[] = [...process.execArgv, ...nodeOptionsWords()]): string[] {
  const flags: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const match = LOADER_FLAG.exec(execArgv[i]!);
    if (!match) continue;
    flags.push(execArgv[i]!);
    if (match[2] === undefined && TAKES_VALUE.has(match[1]!) && i + 1 < execArgv.length) flags.push(execArgv[++i]!);
  }
  return flags;
}

/** Whether this process can load a .ts file: a registered hook, Node's own support, or an ES module loader that may. */
function canLoadTypeScript(): boolean {
  return (
    // (Test runners' own module systems may have no `require.extensions`.)
    '.ts' in (require.extensions ?? {}) ||
    Boolean((process.features as { typescript?: unknown }).typescript) ||
    loaderFlags().some((flag) => /^--(import|loader|experimental-loader)\b/.test(flag))
  );
}

/** Throws, saying how to run it, when `modulePath` is TypeScript that this process cannot load. */
export function checkTypeScriptModule(modulePath: string): void {
  if (!TYPESCRIPT_FILE.test(modulePath) || canLoadTypeScript()) return;
  throw new FunctionReferenceError(
    `module ${modulePath} is TypeScript, and this Node.js process has no TypeScript loader (its worker threads and SLURM tasks take the client's): ` +
      'run the client with tsx (`npx tsx main.ts`, `node --import tsx main.js`, or for the acme-ts command `NODE_OPTIONS="--import tsx" acme-ts run …`; `npm install tsx`), ' +
      'or compile the module with tsc and pass the .js file',
  );
}
