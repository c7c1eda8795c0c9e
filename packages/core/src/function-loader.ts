// Loading a function reference in a worker. Apart from the parsing modules (function-source.ts
// and its users check sources and read parameters on the client), so a worker's start-up loads
// no parser; node:module and node:url (which bring Node's ESM loader along) only when a shipped
// source or an ES module needs them.

import * as path from 'node:path';
import { FunctionReferenceError, describeValue } from './errors';
import type { FunctionReference, UserFunction } from './function-ref';
import { taskContext } from './task-context';

/** This module's file, for threads that load modules with importModuleFile before anything else. */
export const FUNCTION_LOADER_PATH = __filename;

/** Re-create the function a reference describes. */
export async function loadFunction(ref: FunctionReference): Promise<UserFunction> {
  if (ref.kind === 'source') {
    // `require` is module-scoped in Node, so a re-created function gets one rooted at cwd; and
    // `taskContext` directly, so it works wherever @acme-ts/core would not resolve from cwd.
    const { createRequire } = require('node:module') as typeof import('node:module');
    const localRequire = createRequire(path.join(process.cwd(), 'noop.js'));
    const fn = new Function('require', 'taskContext', `return (${ref.source}\n);`)(localRequire, taskContext) as unknown;
    if (typeof fn !== 'function') throw new FunctionReferenceError(`the source of ${ref.name} does not evaluate to a function`);
    return fn as UserFunction;
  }
  let namespace: Record<string, unknown>;
  try {
    namespace = await importModuleFile(ref.module);
  } catch (error) {
    throw new FunctionReferenceError(`module ${ref.module} failed to load: ${(error as Error).message}`, { cause: error });
  }
  return exportedFunction(namespace, ref);
}

/** The function `ref` names in a loaded module's namespace; an error listing the exports if none. */
export function exportedFunction(namespace: Record<string, unknown>, ref: { module: string; exportName: string }): UserFunction {
  let exported = namespace[ref.exportName];
  // CommonJS modules whose exports Node's static analysis misses land on `default` only.
  const fallback = namespace.default as Record<string, unknown> | undefined;
  if (exported === undefined && fallback !== null && (typeof fallback === 'object' || typeof fallback === 'function')) exported = fallback[ref.exportName];
  if (typeof exported !== 'function') {
    const names = new Set(Object.keys(namespace));
    if (fallback !== null && typeof fallback === 'object') for (const key of Object.keys(fallback)) names.add(key);
    const found = exported === undefined ? 'does not export' : `exports a ${typeof exported} as`;
    throw new FunctionReferenceError(
      `module ${ref.module} ${found} ${describeValue(ref.exportName)}, not a function; its exports are: ${[...names].sort().join(', ') || '(none)'}`,
    );
  }
  return exported as UserFunction;
}

/**
 * Loads a module file: `require` for CommonJS (several times faster to start than import(),
 * which parses CommonJS through the ESM loader), `import()` for ES modules.
 */
export async function importModuleFile(modulePath: string): Promise<Record<string, unknown>> {
  const required = requireModuleFile(modulePath);
  if (required) return required;
  // Stays a real import() in the CommonJS output (module: node16), so ES modules load too.
  const { pathToFileURL } = require('node:url') as typeof import('node:url');
  return (await import(pathToFileURL(modulePath).href)) as Record<string, unknown>;
}

/** A CommonJS module's namespace, loaded synchronously; undefined for an ES module. */
export function requireModuleFile(modulePath: string): Record<string, unknown> | undefined {
  if (modulePath.endsWith('.mjs')) return undefined;
  try {
    // An absolute path, so this module's own require loads it as the file's would.
    const loaded = require(path.resolve(modulePath)) as unknown;
    return { ...(loaded as Record<string, unknown>), default: loaded };
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_REQUIRE_ESM') throw error;
    return undefined;
  }
}
