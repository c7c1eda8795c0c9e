/**
 * How the user function reaches workers (threads or SLURM tasks, i.e. other JS realms):
 * - as a module export, `{ module, export }` or `"./tasks.js#randout"`: the worker imports it, so
 *   the function may use imports and module-level state freely; or
 * - as source text (`fn.toString()`), re-created in the worker with `new Function`. Such a
 *   function must be self-contained: it may only use its parameters, its own locals, JS/Node
 *   globals and `require`. Outer variables are detected here (acorn scope analysis) and rejected
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
import { checkTypeScriptModule } from './typescript-modules';

export type FunctionReference =
  | { kind: 'module'; module: string; exportName: string; name: string }
  | { kind: 'source'; source: string; name: string };

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
  throw new FunctionReferenceError(
    `func must be a function, "<module path>#<export name>" or { module, export }, got ${describeValue(input)}`,
  );
}

function resolveModule(specifier: string, exportName: string, cwd: string, name: string | undefined): FunctionReference {
  if (specifier === '' || exportName === '') {
    throw new FunctionReferenceError(`{ module, export } needs a non-empty module and export name, got ${describeValue(specifier)} and ${describeValue(exportName)}`);
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
    throw new FunctionReferenceError(`module ${describeValue(specifier)} does not exist (resolved to ${modulePath}); check the path, relative paths are resolved against ${cwd}`);
  }
  checkTypeScriptModule(modulePath);
  const fileName = name ?? (exportName === 'default' ? path.basename(modulePath).replace(/\.[^.]*$/, '') : exportName);
  checkFunctionName(fileName, `export ${exportName} of ${modulePath}`);
  return { kind: 'module', module: modulePath, exportName, name: fileName };
}

// ----------------------------------------------------------------------------------------------
// Source functions

interface AstNode {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

const PARSE_OPTIONS = { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: false } as const;

/** acorn, loaded when a shipped function needs it (loading it costs every process 7–10 ms). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const acornParse = () => (require('acorn') as typeof import('acorn')).parse;

/** Parse a function's source into its function node, rewriting methods to function expressions. */
function parseFunctionSource(source: string, label: string): { node: AstNode; source: string } {
  try {
    const program = acornParse()(`(${source}\n)`, PARSE_OPTIONS) as unknown as AstNode;
    const expression = ((program.body as AstNode[])[0].expression as AstNode);
    if (expression.type === 'FunctionExpression' || expression.type === 'ArrowFunctionExpression') return { node: expression, source };
  } catch {
    // Not an expression: a method such as `foo(x) { … }`, tried below.
  }
  try {
    const wrapped = `({${source}\n})`;
    const program = acornParse()(wrapped, PARSE_OPTIONS) as unknown as AstNode;
    const object = (program.body as AstNode[])[0].expression as AstNode;
    const property = (object.properties as AstNode[])[0];
    if (property.kind === 'get' || property.kind === 'set') {
      throw new FunctionReferenceError(`${label} is a getter or setter; pass a plain function or { module, export }`);
    }
    const method = property.value as AstNode;
    // acorn starts a method's FunctionExpression at its parameter list.
    const rewritten = `${method.async ? 'async ' : ''}function${method.generator ? '*' : ''} ${wrapped.slice(method.start, method.end)}`;
    return parseFunctionSource(rewritten, label);
  } catch (error) {
    if (error instanceof FunctionReferenceError) throw error;
    throw new FunctionReferenceError(`${label}: its source cannot be parsed (${(error as Error).message}); export it from a module and pass { module, export }`, { cause: error });
  }
}

/** Names a shipped function may use without defining them. */
// `require` and `taskContext` are given to every shipped function by the loader (function-loader.ts).
const EXTRA_GLOBALS = [
  'require', 'taskContext', 'arguments', 'undefined', 'NaN', 'Infinity', 'globalThis', 'console', 'process', 'Buffer',
  'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'queueMicrotask',
  'structuredClone', 'URL', 'URLSearchParams', 'TextEncoder', 'TextDecoder', 'AbortController', 'AbortSignal',
  'fetch', 'performance', 'crypto', 'atob', 'btoa', 'Blob', 'EventTarget', 'Event', 'MessageChannel', 'BroadcastChannel',
];

function knownGlobals(): Set<string> {
  return new Set([...Object.getOwnPropertyNames(globalThis), ...EXTRA_GLOBALS]);
}

class Scope {
  readonly names = new Set<string>();
  constructor(readonly parent: Scope | undefined) {}
  has(name: string): boolean {
    for (let scope: Scope | undefined = this; scope; scope = scope.parent) if (scope.names.has(name)) return true;
    return false;
  }
}

function isNode(value: unknown): value is AstNode {
  return value !== null && typeof value === 'object' && typeof (value as AstNode).type === 'string';
}

function childNodes(node: AstNode): AstNode[] {
  const children: AstNode[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key === 'type' || key === 'start' || key === 'end' || key === 'loc' || key === 'range') continue;
    if (Array.isArray(value)) for (const item of value) if (isNode(item)) children.push(item);
    if (isNode(value)) children.push(value);
  }
  return children;
}

/** Names bound by a declaration pattern (params, declarators, catch params). */
function bindingNames(pattern: AstNode | null, out: string[] = []): string[] {
  if (!pattern) return out;
  switch (pattern.type) {
    case 'Identifier':
      out.push(pattern.name as string);
      break;
    case 'ObjectPattern':
      for (const property of pattern.properties as AstNode[]) bindingNames(property.type === 'RestElement' ? property : (property.value as AstNode), out);
      break;
    case 'ArrayPattern':
      for (const element of pattern.elements as (AstNode | null)[]) bindingNames(element, out);
      break;
    case 'AssignmentPattern':
      bindingNames(pattern.left as AstNode, out);
      break;
    case 'RestElement':
      bindingNames(pattern.argument as AstNode, out);
      break;
  }
  return out;
}

/** `var` names and nested function declarations of a function body (not entering nested functions). */
function hoistedNames(node: AstNode, out: string[] = []): string[] {
  if (node.type === 'VariableDeclaration' && node.kind === 'var') {
    for (const declarator of node.declarations as AstNode[]) bindingNames(declarator.id as AstNode, out);
  }
  if (node.type === 'FunctionDeclaration') {
    // Block-level function declarations are also function-scoped in sloppy mode; counting them
    // here avoids false "outer variable" reports.
    if (node.id) out.push((node.id as AstNode).name as string);
    return out;
  }
  // Nested functions and classes have their own var scopes.
  if (node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression' || node.type === 'ClassDeclaration' || node.type === 'ClassExpression') {
    return out;
  }
  for (const child of childNodes(node)) hoistedNames(child, out);
  return out;
}

/** let/const/class/function declared directly in a statement list. */
function lexicalNames(statements: AstNode[]): string[] {
  const out: string[] = [];
  for (const statement of statements) {
    if (statement.type === 'VariableDeclaration' && statement.kind !== 'var') {
      for (const declarator of statement.declarations as AstNode[]) bindingNames(declarator.id as AstNode, out);
    } else if ((statement.type === 'ClassDeclaration' || statement.type === 'FunctionDeclaration') && statement.id) {
      out.push((statement.id as AstNode).name as string);
    }
  }
  return out;
}

/** Identifiers of `root` that are not bound inside it, in order of first use. */
export function freeVariables(root: AstNode): string[] {
  const free = new Set<string>();
  const reference = (name: string, scope: Scope) => {
    if (!scope.has(name)) free.add(name);
  };

  const visitPatternExpressions = (pattern: AstNode | null, scope: Scope): void => {
    if (!pattern) return;
    switch (pattern.type) {
      case 'ObjectPattern':
        for (const property of pattern.properties as AstNode[]) {
          if (property.type === 'RestElement') visitPatternExpressions(property.argument as AstNode, scope);
          else {
            if (property.computed) visit(property.key as AstNode, scope);
            visitPatternExpressions(property.value as AstNode, scope);
          }
        }
        break;
      case 'ArrayPattern':
        for (const element of pattern.elements as (AstNode | null)[]) visitPatternExpressions(element, scope);
        break;
      case 'AssignmentPattern':
        visitPatternExpressions(pattern.left as AstNode, scope);
        visit(pattern.right as AstNode, scope);
        break;
      case 'RestElement':
        visitPatternExpressions(pattern.argument as AstNode, scope);
        break;
      case 'MemberExpression':
        visit(pattern, scope);
        break;
    }
  };

  // Targets of assignments and for-in/of without a declaration: identifiers there are references.
  const visitAssignTarget = (pattern: AstNode | null, scope: Scope): void => {
    if (!pattern) return;
    if (pattern.type === 'Identifier') reference(pattern.name as string, scope);
    else if (pattern.type === 'ObjectPattern') {
      for (const property of pattern.properties as AstNode[]) {
        if (property.type === 'RestElement') visitAssignTarget(property.argument as AstNode, scope);
        else {
          if (property.computed) visit(property.key as AstNode, scope);
          visitAssignTarget(property.value as AstNode, scope);
        }
      }
    } else if (pattern.type === 'ArrayPattern') {
      for (const element of pattern.elements as (AstNode | null)[]) visitAssignTarget(element, scope);
    } else if (pattern.type === 'AssignmentPattern') {
      visitAssignTarget(pattern.left as AstNode, scope);
      visit(pattern.right as AstNode, scope);
    } else if (pattern.type === 'RestElement') visitAssignTarget(pattern.argument as AstNode, scope);
    else visit(pattern, scope);
  };

  const visitFunction = (node: AstNode, parent: Scope): void => {
    const scope = new Scope(parent);
    // A function expression's own name is visible inside it.
    if (node.type === 'FunctionExpression' && node.id) scope.names.add((node.id as AstNode).name as string);
    const params = node.params as AstNode[];
    for (const param of params) for (const name of bindingNames(param)) scope.names.add(name);
    const body = node.body as AstNode;
    if (body.type === 'BlockStatement') {
      for (const name of hoistedNames(body)) scope.names.add(name);
      for (const name of lexicalNames(body.body as AstNode[])) scope.names.add(name);
    }
    for (const param of params) visitPatternExpressions(param, scope);
    if (body.type === 'BlockStatement') for (const statement of body.body as AstNode[]) visit(statement, scope);
    else visit(body, scope);
  };

  const visitStatements = (statements: AstNode[], parent: Scope): void => {
    const scope = new Scope(parent);
    for (const name of lexicalNames(statements)) scope.names.add(name);
    for (const statement of statements) visit(statement, scope);
  };

  const visitClass = (node: AstNode, parent: Scope): void => {
    if (node.superClass) visit(node.superClass as AstNode, parent);
    const scope = new Scope(parent);
    if (node.id) scope.names.add((node.id as AstNode).name as string);
    for (const member of (node.body as AstNode).body as AstNode[]) {
      if (member.type === 'StaticBlock') {
        visitStatements(member.body as AstNode[], scope);
        continue;
      }
      if (member.computed) visit(member.key as AstNode, scope);
      if (member.value) visit(member.value as AstNode, scope);
    }
  };

  const visit = (node: AstNode | null | undefined, scope: Scope): void => {
    if (!node) return;
    switch (node.type) {
      case 'Identifier':
        reference(node.name as string, scope);
        return;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        visitFunction(node, scope);
        return;
      case 'ClassDeclaration':
      case 'ClassExpression':
        visitClass(node, scope);
        return;
      case 'VariableDeclaration':
        for (const declarator of node.declarations as AstNode[]) {
          visitPatternExpressions(declarator.id as AstNode, scope);
          visit(declarator.init as AstNode | null, scope);
        }
        return;
      case 'BlockStatement':
      case 'StaticBlock':
        visitStatements(node.body as AstNode[], scope);
        return;
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement': {
        const loopScope = new Scope(scope);
        const head = (node.type === 'ForStatement' ? node.init : node.left) as AstNode | null;
        if (head && head.type === 'VariableDeclaration') {
          if (head.kind !== 'var') for (const declarator of head.declarations as AstNode[]) for (const name of bindingNames(declarator.id as AstNode)) loopScope.names.add(name);
          visit(head, loopScope);
        } else if (node.type === 'ForStatement') visit(head, loopScope);
        else visitAssignTarget(head, loopScope);
        visit(node.test as AstNode | null, loopScope);
        visit(node.update as AstNode | null, loopScope);
        visit(node.right as AstNode | null, loopScope);
        visit(node.body as AstNode, loopScope);
        return;
      }
      case 'CatchClause': {
        const catchScope = new Scope(scope);
        for (const name of bindingNames(node.param as AstNode | null)) catchScope.names.add(name);
        visitPatternExpressions(node.param as AstNode | null, catchScope);
        visit(node.body as AstNode, catchScope);
        return;
      }
      case 'SwitchStatement': {
        visit(node.discriminant as AstNode, scope);
        const cases = node.cases as AstNode[];
        const caseScope = new Scope(scope);
        for (const name of lexicalNames(cases.flatMap((c) => c.consequent as AstNode[]))) caseScope.names.add(name);
        for (const c of cases) {
          visit(c.test as AstNode | null, caseScope);
          for (const statement of c.consequent as AstNode[]) visit(statement, caseScope);
        }
        return;
      }
      case 'LabeledStatement':
        visit(node.body as AstNode, scope);
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
      case 'ThisExpression':
      case 'Super':
      case 'Literal':
        return;
      case 'MemberExpression':
        visit(node.object as AstNode, scope);
        if (node.computed) visit(node.property as AstNode, scope);
        return;
      case 'Property':
        if (node.computed) visit(node.key as AstNode, scope);
        visit(node.value as AstNode, scope);
        return;
      case 'AssignmentExpression':
        visitAssignTarget(node.left as AstNode, scope);
        visit(node.right as AstNode, scope);
        return;
      default:
        for (const child of childNodes(node)) visit(child, scope);
    }
  };

  visitFunction(root, new Scope(undefined));
  return [...free];
}

function resolveSource(fn: UserFunction, nameOverride: string | undefined): FunctionReference {
  const ownName = fn.name;
  const label = ownName ? `function ${ownName}` : 'the anonymous function';
  const text = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(text)) {
    throw new FunctionReferenceError(
      `${label} is a native or bound function, whose source cannot be shipped to workers; wrap it in a plain function, or export a function from a module and pass { module, export }`,
    );
  }
  if (/^class[\s{]/.test(text)) {
    throw new FunctionReferenceError(`${label} is a class, not a function; pass a function that creates and uses the instance`);
  }
  const globals = knownGlobals();
  let source = text;
  if (!usesOnlyParamsAndGlobals(text, globals)) {
    const parsed = parseFunctionSource(text, label);
    source = parsed.source;
    const outer = freeVariables(parsed.node).filter((name) => !globals.has(name));
    if (outer.length > 0) {
      throw new FunctionReferenceError(
        `${label} uses variables from outside its body (${outer.join(', ')}), which do not exist where workers run it; ` +
        'move them inside the function, pass them as arguments, or export the function from a module and pass `{ module, export }`',
      );
    }
  }
  const name = nameOverride ?? (ownName || ANONYMOUS_FUNCTION_NAME);
  checkFunctionName(name, label);
  return { kind: 'source', source, name };
}

// A glance before the parser: the first parse of a process costs acorn 3–5 ms (cold code), a
// one-line function like `x => Math.sqrt(x)` needs none of it.

/** Words that can never be identifiers (sloppy-mode script); contextual ones (of, let, async…) can. */
const RESERVED_WORDS = new Set(
  ('break case catch class const continue debugger default delete do else enum export extends false finally for function if ' +
    'import in instanceof new null return super switch this throw true try typeof var void while with').split(' '),
);

/**
 * True only when `source` is certainly a function (`function f(a, b) {…}`, `(a, b) => …`,
 * `a => …`, optionally async) with plain parameters whose every identifier is a parameter, its
 * own name, a reserved word, a global or a property name after `.`. Anything else (comments,
 * regexps, templates, escapes, local declarations, object keys, non-ASCII) answers false and
 * goes to the full scope analysis: an unknown word can only make this say false.
 */
export function usesOnlyParamsAndGlobals(source: string, globals: ReadonlySet<string>): boolean {
  const tokens = glanceTokens(source);
  if (!tokens) return false;
  const bound = new Set<string>();
  let i = tokens[0] === 'async' ? 1 : 0;
  const params = (): boolean => {
    if (tokens[i++] !== '(') return false;
    while (tokens[i] !== ')') {
      const name = tokens[i++]!;
      if (!isIdentifierToken(name) || RESERVED_WORDS.has(name)) return false;
      bound.add(name);
      if (tokens[i] === ',') i++;
      else if (tokens[i] !== ')') return false;
    }
    i++;
    return true;
  };
  if (tokens[i] === 'function') {
    i++;
    if (tokens[i] === '*') i++;
    if (tokens[i] !== '(') {
      const ownName = tokens[i++]!;
      if (!isIdentifierToken(ownName)) return false;
      bound.add(ownName);
    }
    if (!params() || tokens[i] !== '{') return false;
  } else if (tokens[i] === '(') {
    if (!params() || tokens[i++] !== '=>') return false;
  } else {
    const name = tokens[i++]!;
    if (!isIdentifierToken(name) || RESERVED_WORDS.has(name) || tokens[i++] !== '=>') return false;
    bound.add(name);
  }
  for (; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (!isIdentifierToken(token) || bound.has(token) || RESERVED_WORDS.has(token) || globals.has(token)) continue;
    const isPropertyName = tokens[i - 1] === '.' && tokens[i - 2] !== '.'; // `a.b`, `a?.b`; not `...b`
    if (!isPropertyName) return false;
  }
  return true;
}

function isIdentifierToken(token: string): boolean {
  const c = token.charCodeAt(0);
  return c === 36 || c === 95 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * Identifiers, numbers, simple strings (kept as one token) and one-character punctuators, plus
 * `=>`; undefined for any character that could hide code or words from this simple scan.
 */
function glanceTokens(source: string): string[] | undefined {
  const tokens: string[] = [];
  const isWordChar = (c: number) => c === 36 || c === 95 || (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  for (let i = 0; i < source.length; ) {
    const c = source.charCodeAt(i);
    if (c > 126 || c === 47 /* / */ || c === 92 /* \ */ || c === 96 /* ` */) return undefined;
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      i++;
    } else if (isWordChar(c) || (c === 46 && source.charCodeAt(i + 1) >= 48 && source.charCodeAt(i + 1) <= 57)) {
      // A word, or a number (digits, letters and dots: 1.5e3, 0x1f, 10n, .5).
      const isNumber = c < 65 && c !== 36;
      let j = i + 1;
      while (j < source.length && (isWordChar(source.charCodeAt(j)) || (isNumber && source.charCodeAt(j) === 46))) j++;
      tokens.push(source.slice(i, j));
      i = j;
    } else if (c === 39 || c === 34) {
      const end = source.indexOf(source[i]!, i + 1);
      if (end < 0 || /[\\\n]/.test(source.slice(i, end))) return undefined; // an escape may hide the real end
      tokens.push('"string"');
      i = end + 1;
    } else if (c === 61 && source.charCodeAt(i + 1) === 62) {
      tokens.push('=>');
      i += 2;
    } else {
      tokens.push(source[i]!);
      i++;
    }
  }
  return tokens;
}
