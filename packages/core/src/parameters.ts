/**
 * A user function's parameter list, read from its source: what binding keyword arguments by
 * name (argument-binding.ts) needs, as Python's inspect.signature gives it to ACME. Read on the
 * client when a ParallelMap is constructed, so workers never parse.
 */
import { readFileSync } from 'node:fs';
import { FunctionReferenceError } from './errors';
import { freeVariables } from './free-variables';
import { exportedFunction, requireModuleFile } from './function-loader';
import { isClassSource, isNativeSource, parseFunctionSource, parseModule, type AstNode } from './function-source';
import type { FunctionReference } from './function-ref';
import { findExportedFunction } from './module-exports';

export interface Parameter {
  /** The name of a plain or rest parameter (`x`, `y = 3`, `...rest`); absent for a pattern. */
  name?: string;
  /** As messages show it: `x`, `y = …`, `{ a, b }`, `[…]`, `...rest`. */
  display: string;
  rest: boolean;
  hasDefault: boolean;
  /** An object pattern (`{ a, b }`), which can take the keyword arguments as one object. */
  objectPattern: boolean;
  /** The keys an object pattern names; absent when it takes any key (`...others`, computed keys). */
  keys?: readonly string[];
}

export interface Signature {
  /** The function's name, for messages. */
  name: string;
  params: Parameter[];
  /** Reads `arguments`, so it may take more arguments than it declares. */
  usesArguments: boolean;
}

/** The parameters of `ref`'s function, or why they cannot be read (the caller falls back). */
export type SignatureResult = { ok: true; signature: Signature } | { ok: false; name: string; reason: string };

export function functionSignature(ref: FunctionReference): SignatureResult {
  if (ref.kind === 'source') return signatureOfSource(ref.source, ref.name);
  let namespace: Record<string, unknown> | undefined;
  try {
    namespace = requireModuleFile(ref.module);
  } catch (error) {
    // It may load only where the tasks run (SLURM nodes); the calls will tell if it cannot.
    return { ok: false, name: ref.name, reason: `its module does not load in this process (${(error as Error).message})` };
  }
  if (namespace) {
    // A missing export fails every call: an error now, listing the exports.
    const text = Function.prototype.toString.call(exportedFunction(namespace, ref));
    if (isNativeSource(text)) return { ok: false, name: ref.name, reason: 'it is a native or bound function, whose source is not readable' };
    if (isClassSource(text)) return { ok: false, name: ref.name, reason: 'it is a class' };
    return signatureOfSource(text, ref.exportName);
  }
  // An ES module: read, not run (see module-exports.ts).
  let node: AstNode | undefined;
  try {
    node = findExportedFunction(parseModule(readFileSync(ref.module, 'utf8')), ref.exportName);
  } catch (error) {
    return { ok: false, name: ref.name, reason: `its ES module cannot be parsed (${(error as Error).message})` };
  }
  if (!node)
    return { ok: false, name: ref.name, reason: `the ES module does not declare it as a function itself (re-exports and computed exports are not followed)` };
  return { ok: true, signature: signatureOfNode(node, ref.exportName) };
}

/**
 * A function whose parameter list is plain names with literal defaults (`x, y = 3`), read
 * without the parser: loading acorn and its first parse cost a fresh process ≈ 10 ms, a quarter
 * of a run of 10⁴ tiny calls. Anything else (patterns, rest, strings, comments, nested
 * parentheses, a body that reads `arguments`) is acorn's.
 */
const SIMPLE_HEAD = /^(?:async\s+)?(?:function\b\s*\*?\s*[\w$]*\s*\(([^()]*)\)|\(([^()]*)\)\s*=>|([A-Za-z_$][\w$]*)\s*=>)/;
const PLAIN_PARAMETER = /^\s*([A-Za-z_$][\w$]*)\s*(=\s*(?:[-+]?\d[\w.]*|true|false|null|undefined)\s*)?$/;

export function simpleSignature(source: string, name: string): Signature | undefined {
  if (/\barguments\b/.test(source)) return undefined;
  const head = SIMPLE_HEAD.exec(source.trimStart());
  if (!head) return undefined;
  const list = head[1] ?? head[2] ?? head[3]!;
  if (list.trim() === '') return { name, params: [], usesArguments: false };
  const params: Parameter[] = [];
  for (const part of list.split(',')) {
    const m = PLAIN_PARAMETER.exec(part);
    if (!m) return undefined;
    params.push({ name: m[1]!, display: `${m[1]!}${m[2] ? ' = …' : ''}`, rest: false, hasDefault: m[2] !== undefined, objectPattern: false });
  }
  return { name, params, usesArguments: false };
}

function signatureOfSource(source: string, name: string): SignatureResult {
  const simple = simpleSignature(source, name);
  if (simple) return { ok: true, signature: simple };
  try {
    return { ok: true, signature: signatureOfNode(parseFunctionSource(source, `function ${name}`).node, name) };
  } catch (error) {
    if (!(error instanceof FunctionReferenceError)) throw error;
    return { ok: false, name, reason: error.message };
  }
}

export function signatureOfNode(node: AstNode, name: string): Signature {
  const params = (node.params as AstNode[]).map(parameterOf);
  return { name, params, usesArguments: freeVariables(node).includes('arguments') };
}

function parameterOf(param: AstNode): Parameter {
  const hasDefault = param.type === 'AssignmentPattern';
  const target = hasDefault ? (param.left as AstNode) : param;
  const suffix = hasDefault ? ' = …' : '';
  if (param.type === 'RestElement') {
    const argument = param.argument as AstNode;
    const name = argument.type === 'Identifier' ? (argument.name as string) : undefined;
    return { name, display: `...${name ?? '[…]'}`, rest: true, hasDefault: false, objectPattern: false };
  }
  if (target.type === 'Identifier')
    return { name: target.name as string, display: `${target.name as string}${suffix}`, rest: false, hasDefault, objectPattern: false };
  if (target.type === 'ObjectPattern') {
    const keys = patternKeys(target);
    return { display: `{ ${keys ? keys.join(', ') : '…'} }${suffix}`, rest: false, hasDefault, objectPattern: true, ...(keys ? { keys } : {}) };
  }
  return { display: `[…]${suffix}`, rest: false, hasDefault, objectPattern: false };
}

/** The static keys of `{ a, b: c, 'd': e }`; undefined if it takes others (`...rest`, `[k]`). */
function patternKeys(pattern: AstNode): string[] | undefined {
  const keys: string[] = [];
  for (const property of pattern.properties as AstNode[]) {
    if (property.type === 'RestElement' || property.computed) return undefined;
    const key = property.key as AstNode;
    keys.push(String(key.type === 'Identifier' ? key.name : key.value));
  }
  return keys;
}
