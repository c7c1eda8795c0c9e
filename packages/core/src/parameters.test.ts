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
