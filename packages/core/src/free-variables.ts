/**
 * Scope analysis of a shipped function: which names it uses without binding them. A shipped
 * function is re-created from its source in a worker, so any such name that is no global is an
 * outer variable that will not exist there (function-ref.ts rejects it with the fix).
 */
import { isNode, type AstNode } from './function-source';

/** Names a shipped function may use without defining them. */
// `require` and `taskContext` are given to every shipped function by the loader (function-loader.ts).
const EXTRA_GLOBALS = [
  'require',
  'taskContext',
  'arguments',
  'undefined',
  'NaN',
  'Infinity',
  'globalThis',
  'console',
  'process',
  'Buffer',
  'setTimeout',
  'clearTimeout',
  'setInterval',
  'clearInterval',
  'setImmediate',
  'clearImmediate',
  'queueMicrotask',
  'structuredClone',
  'URL',
  'URLSearchParams',
  'TextEncoder',
  'TextDecoder',
  'AbortController',
  'AbortSignal',
  'fetch',
  'performance',
  'crypto',
  'atob',
  'btoa',
  'Blob',
  'EventTarget',
  'Event',
  'MessageChannel',
  'BroadcastChannel',
];

function knownGlobals(): Set<string> {
  return new Set([...Object.getOwnPropertyNames(globalThis), ...EXTRA_GLOBALS]);
}

class Scope {
  readonly names = new Set<string>();
  constructor(readonly parent: Scope | undefined) {}
  has(name: string): boolean {
    return this.names.has(name) || (this.parent?.has(name) ?? false);
  }
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

  // A pattern's expressions (computed keys, defaults, member targets). Its identifiers are
  // bindings in a declaration (declared by the caller) and references in an assignment target.
  const visitPattern = (pattern: AstNode | null, scope: Scope, identifiersAreReferences: boolean): void => {
    if (!pattern) return;
    switch (pattern.type) {
      case 'Identifier':
        if (identifiersAreReferences) reference(pattern.name as string, scope);
        return;
      case 'ObjectPattern':
        for (const property of pattern.properties as AstNode[]) {
          if (property.type === 'RestElement') visitPattern(property.argument as AstNode, scope, identifiersAreReferences);
          else {
            if (property.computed) visit(property.key as AstNode, scope);
            visitPattern(property.value as AstNode, scope, identifiersAreReferences);
          }
        }
        return;
      case 'ArrayPattern':
        for (const element of pattern.elements as (AstNode | null)[]) visitPattern(element, scope, identifiersAreReferences);
        return;
      case 'AssignmentPattern':
        visitPattern(pattern.left as AstNode, scope, identifiersAreReferences);
        visit(pattern.right as AstNode, scope);
        return;
      case 'RestElement':
        visitPattern(pattern.argument as AstNode, scope, identifiersAreReferences);
        return;
      default:
        visit(pattern, scope); // a member expression target: `obj[key] = …`
    }
  };
  const visitPatternExpressions = (pattern: AstNode | null, scope: Scope) => visitPattern(pattern, scope, false);
  // Targets of assignments and for-in/of without a declaration.
  const visitAssignTarget = (pattern: AstNode | null, scope: Scope) => visitPattern(pattern, scope, true);

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
          if (head.kind !== 'var')
            for (const declarator of head.declarations as AstNode[]) for (const name of bindingNames(declarator.id as AstNode)) loopScope.names.add(name);
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

/** Outer variables of a function node: its free names that are no global of a worker. */
export function outerVariables(root: AstNode): string[] {
  const globals = knownGlobals();
  return freeVariables(root).filter((name) => !globals.has(name));
}

/** Words of JavaScript a function's source may hold that are no variables. */
const RESERVED_WORDS = new Set(
  (
    'async await break case catch class const continue debugger default delete do else export extends false finally for function ' +
    'get if import in instanceof let new null of return set static super switch this throw true try typeof undefined var void while with yield'
  ).split(' '),
);

/**
 * Whether `source` (a function or arrow expression with the plain parameters `params`) plainly
 * names nothing but its parameters, its own `const`/`let`/`var`/`function` names, keywords and a
 * worker's globals, so it cannot use an outer variable — read without the parser, which takes
 * ≈ 10 ms to load in a fresh process. Conservative: any other word (a string's, a property key's,
 * a destructured name's) leaves the answer to the parser (outerVariables).
 */
export function plainlyClosed(source: string, params: readonly string[]): boolean {
  const declared = new Set(params);
  for (const m of source.matchAll(/\b(?:const|let|var|function)\s+([A-Za-z_$][\w$]*)/g)) declared.add(m[1]!);
  const globals = knownGlobals();
  for (const m of source.matchAll(/(?<![\w$.])[A-Za-z_$][\w$]*/g)) {
    const word = m[0];
    if (!declared.has(word) && !RESERVED_WORDS.has(word) && !globals.has(word)) return false;
  }
  return true;
}
