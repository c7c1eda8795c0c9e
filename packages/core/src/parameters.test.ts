import { outerVariables, plainlyClosed } from './free-variables';
import { parseFunctionSource } from './function-source';
import { signatureOfNode, simpleSignature } from './parameters';

const viaParser = (source: string) => signatureOfNode(parseFunctionSource(source, 'function f').node, 'f');

test('a plain parameter list is read without the parser, exactly as the parser reads it', () => {
  const sources = [
    'function f(x, y = 3) { return x / y; }',
    'async function f(a,b){ return a + b }',
    'function* f() { yield 1; }',
    '(x, y = -2.5e3, flag = true, none = null) => x',
    'x => 2 * x',
    'async (k) => k',
    'function (x, y = undefined) {}',
  ];
  for (const source of sources) expect({ source, signature: simpleSignature(source, 'f') }).toEqual({ source, signature: viaParser(source) });
});

test('anything else is left to the parser', () => {
  for (const source of [
    'function f({ a, b }) {}',
    'function f(...rest) {}',
    'function f(x, y = "a,b") {}',
    'function f(x = g(1, 2)) {}',
    'function f(x /* the input */) {}',
    'function f(x) { return arguments.length; }',
    'function f(x, y,) {}',
    'double(x) { return 2 * x; }',
  ]) {
    expect({ source, signature: simpleSignature(source, 'f') }).toEqual({ source, signature: undefined });
  }
});

describe('plainlyClosed: the check without the parser never lets an outer variable through', () => {
  const outer = 3;
  const cases: [string, boolean][] = [
    ['function double(x) { return 2 * x; }', true],
    ['x => Math.sqrt(x) + Number.EPSILON', true],
    ['function f(x, y = 3) { const z = x * y; let w = z + 1e6; return [z, w]; }', true],
    ['async function f(ms) { await new Promise((r) => setTimeout(r, ms)); return ms; }', false], // `r`: the parser's
    [`function f(x) { return x * ${'outer'}; }`, false],
    ['function f(x) { return x + factor; }', false],
    ['function f(x) { return "factor " + x; }', false], // a string's words: the parser's
    ['function f(x) { return { total: x }; }', false], // a property key: the parser's
  ];
  test.each(cases)('%s → %p', (source, expected) => {
    const signature = simpleSignature(source, 'f')!;
    expect(signature).toBeDefined();
    const closed = plainlyClosed(
      source,
      signature.params.map((p) => p.name!),
    );
    expect(closed).toBe(expected);
    // Whenever the quick check says closed, the parser agrees.
    if (closed) expect(outerVariables(parseFunctionSource(source, 'function f').node)).toEqual([]);
  });
  expect(outer).toBe(3);
});
