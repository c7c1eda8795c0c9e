/**
 * A function's source text as an acorn syntax tree: the one parser behind the scope analysis
 * (free-variables.ts), the parameter lists (parameters.ts) and ES module exports
 * (module-exports.ts). Client side only: workers never parse.
 */
import { FunctionReferenceError } from './errors';

/** An acorn (ESTree) node, loosely typed: the analyses read only the fields they know. */
export interface AstNode {
  type: string;
  start: number;
  end: number;
  [key: string]: unknown;
}

const SCRIPT_OPTIONS = { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: false } as const;

/** acorn, loaded when first needed (loading it costs a process 7–10 ms). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const acorn = () => require('acorn') as typeof import('acorn');

export function isNode(value: unknown): value is AstNode {
  return value !== null && typeof value === 'object' && typeof (value as AstNode).type === 'string';
}

export function isFunctionNode(node: AstNode | null | undefined): node is AstNode {
  return !!node && (node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression' || node.type === 'FunctionDeclaration');
}

/** The program of a module file (ES module syntax), for finding an export without running it. */
export function parseModule(text: string): AstNode {
  return acorn().parse(text, { ecmaVersion: 'latest', sourceType: 'module', allowHashBang: true }) as unknown as AstNode;
}

/**
 * Parse a function's source (`fn.toString()`) into its function node. A method's source
 * (`scale(x) { … }`) is rewritten to a function expression, which `source` then holds.
 */
export function parseFunctionSource(source: string, label: string): { node: AstNode; source: string } {
  try {
    const program = acorn().parse(`(${source}\n)`, SCRIPT_OPTIONS) as unknown as AstNode;
    const expression = (program.body as AstNode[])[0].expression as AstNode;
    if (isFunctionNode(expression)) return { node: expression, source };
  } catch {
    // Not an expression: a method such as `foo(x) { … }`, tried below.
  }
  try {
    const wrapped = `({${source}\n})`;
    const program = acorn().parse(wrapped, SCRIPT_OPTIONS) as unknown as AstNode;
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
    throw new FunctionReferenceError(
      `${label}: its source cannot be parsed (${(error as Error).message}); export it from a module and pass { module, export }`,
      { cause: error },
    );
  }
}

/** True for `fn.toString()` of a native or bound function, which has no source to parse. */
export function isNativeSource(text: string): boolean {
  return /\{\s*\[native code\]\s*\}\s*$/.test(text);
}

/** True for `fn.toString()` of a class (typeof says "function", but it cannot be called). */
export function isClassSource(text: string): boolean {
  return /^class[\s{]/.test(text);
}
