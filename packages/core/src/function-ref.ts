/**
 * How the user function reaches workers (threads or SLURM tasks, i.e. other JS realms):
 * - as a module export, `{ module, export }` or `"./tasks.js#randout"`: the worker imports it, so
 *   the function may use imports and module-level state freely; or
 * - as source text (`fn.toString()`), re-created in the worker with `new Function`. Such a
 *   function must be self-contained: it may only use its parameters, its own locals, JS/Node
 *   globals and `require`. Outer variables are detected here (free-variables.ts) and rejected
 *   with a fix, instead of failing later in every call with a ReferenceError.
 *
 * The function's name names the output files (`<name>.h5`, `<name>_payload/<name>_7.h5`), like
 * ACME's `func.__name__`. An anonymous function is named `func` (ACME would write `<lambda>.h5`);
 * `options.name` overrides either.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FunctionReferenceError, describeValue } from './errors';
import { outerVariables, plainlyClosed } from './free-variables';
import { simpleSignature } from './parameters';
import { isClassSource, isNativeSource, parseFunctionSource } from './function-source';
import { checkTypeScriptModule } from './typescript-modules';

export type FunctionReference = { kind: 'module'; module: string; exportName: string; name: string } | { kind: 'source'; source: string; name: string };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type UserFunction = (...args: any[]) => unknown;

export type FunctionInput =
  | UserFunction
  | string
  | { module: string; export: string }
  /** A stored reference of a shipped function (a run's manifest), already checked when stored. */
  | { kind: 'source'; source: string; name: string };

export interface ResolveOptions {
  /** Overrides the name used for files. */
  name?: string;
  /** Base for relative module paths; default process.cwd(). */
  cwd?: string;
}

/** Name used for anonymous functions. */
export const ANONYMOUS_FUNCTION_NAME = 'func';

const FILE_NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** Throws unless `name` can name files: [A-Za-z0-9_.-], not starting with '.', no '..'. */
export function checkFunctionName(name: string, what: string): void {
  if (!FILE_NAME_PATTERN.test(name) || name.includes('..') || name.length > 200) {
    throw new FunctionReferenceError(
      `${what} is named ${describeValue(name)}, which cannot name the output files (<name>.h5, <name>_payload/<name>_0.h5): ` +
        'use only letters, digits, "_", "-" and "." (not first, no ".."), or pass options.name',
    );
  }
}

export function resolveFunctionReference(input: FunctionInput, options: ResolveOptions = {}): FunctionReference {
  const cwd = options.cwd ?? process.cwd();
  if (typeof input === 'function') return resolveSource(input, options.name);
  if (typeof input === 'string') {
    const hash = input.lastIndexOf('#');
    if (hash <= 0 || hash === input.length - 1) {
      throw new FunctionReferenceError(
        `a function given as a string must be "<module path>#<export name>", e.g. "./tasks.js#randout", got ${describeValue(input)}`,
      );
    }
    return resolveModule(input.slice(0, hash), input.slice(hash + 1), cwd, options.name);
  }
  if (input !== null && typeof input === 'object' && 'kind' in input && input.kind === 'source' && typeof input.source === 'string') {
    const name = options.name ?? input.name;
    checkFunctionName(name, `function ${input.name}`);
    return { kind: 'source', source: input.source, name };
  }
  if (input !== null && typeof input === 'object' && 'module' in input && typeof input.module === 'string' && typeof input.export === 'string') {
    return resolveModule(input.module, input.export, cwd, options.name);
  }
  throw new FunctionReferenceError(`func must be a function, "<module path>#<export name>" or { module, export }, got ${describeValue(input)}`);
}

function resolveModule(specifier: string, exportName: string, cwd: string, name: string | undefined): FunctionReference {
  if (specifier === '' || exportName === '') {
    throw new FunctionReferenceError(
      `{ module, export } needs a non-empty module and export name, got ${describeValue(specifier)} and ${describeValue(exportName)}`,
    );
  }
  let modulePath: string;
  if (specifier.startsWith('file:')) modulePath = fileURLToPath(specifier);
  else if (path.isAbsolute(specifier) || specifier.startsWith('.') || /[\\/]|\.[cm]?[jt]s$/.test(specifier)) modulePath = path.resolve(cwd, specifier);
  else {
    // A package name: resolve it the way a file in cwd would.
    try {
      modulePath = createRequire(path.join(cwd, 'noop.js')).resolve(specifier);
    } catch (error) {
      throw new FunctionReferenceError(`module ${describeValue(specifier)} cannot be resolved from ${cwd}`, { cause: error });
    }
  }
  if (!existsSync(modulePath)) {
    throw new FunctionReferenceError(
      `module ${describeValue(specifier)} does not exist (resolved to ${modulePath}); check the path, relative paths are resolved against ${cwd}`,
    );
  }
  checkTypeScriptModule(modulePath);
  const fileName = name ?? (exportName === 'default' ? path.basename(modulePath).replace(/\.[^.]*$/, '') : exportName);
  checkFunctionName(fileName, `export ${exportName} of ${modulePath}`);
  return { kind: 'module', module: modulePath, exportName, name: fileName };
}

// ----------------------------------------------------------------------------------------------
// Source functions

function resolveSource(fn: UserFunction, nameOverride: string | undefined): FunctionReference {
  const ownName = fn.name;
  const label = ownName ? `function ${ownName}` : 'the anonymous function';
  const text = Function.prototype.toString.call(fn);
  if (isNativeSource(text)) {
    throw new FunctionReferenceError(
      `${label} is a native or bound function, whose source cannot be shipped to workers; wrap it in a plain function, or export a function from a module and pass { module, export }`,
    );
  }
  if (isClassSource(text)) {
    throw new FunctionReferenceError(`${label} is a class, not a function; pass a function that creates and uses the instance`);
  }
  const simple = simpleSignature(text, ownName);
  // Most shipped functions plainly use nothing from outside: then the parser is not loaded.
  const { node, source } =
    simple &&
    plainlyClosed(
      text,
      simple.params.map((p) => p.name!),
    )
      ? { node: undefined, source: text }
      : parseFunctionSource(text, label);
  const outer = node ? outerVariables(node) : [];
  if (outer.length > 0) {
    throw new FunctionReferenceError(
      `${label} uses variables from outside its body (${outer.join(', ')}), which do not exist where workers run it; ` +
        'move them inside the function, pass them as arguments, or export the function from a module and pass `{ module, export }`',
    );
  }
  const name = nameOverride ?? (ownName || ANONYMOUS_FUNCTION_NAME);
  checkFunctionName(name, label);
  return { kind: 'source', source, name };
}
