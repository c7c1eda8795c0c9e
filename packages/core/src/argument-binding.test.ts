import * as path from 'node:path';
import { bindArguments, type BoundArguments } from './argument-binding';
import { ArgumentBindingError } from './errors';
import { resolveFunctionReference, type FunctionInput } from './function-ref';
import { functionSignature } from './parameters';
import { thrownMessage } from './__fixtures__/thrown';

const fixtures = path.join(__dirname, '__fixtures__');

function bind(func: FunctionInput, args: unknown[], kwargs?: Record<string, unknown>): BoundArguments {
  return bindArguments(args, kwargs, functionSignature(resolveFunctionReference(func, { cwd: fixtures })));
}

function bindingError(run: () => unknown): string {
  return thrownMessage(run, ArgumentBindingError, 'ERR_ACME_ARGUMENT_BINDING');
}

describe('keyword arguments bound by parameter name', () => {
  test('a key naming a defaulted parameter fills it (ACME: randout(x, y=10))', () => {
    function randout(x: number, y = 3) {
      return x > 0 ? x / y : x * y;
    }
    expect(bind(randout, [[1, 2, 3, 4]], { y: 10 })).toEqual({ args: [[1, 2, 3, 4], 10], kwargs: undefined, warnings: [] });
  });
  test('skipped defaulted parameters get undefined, so a later one does not shift', () => {
    function f(x: number, y = 3, z = 4) {
      return [x, y, z];
    }
    const bound = bind(f, [[1, 2]], { z: 5 });
    expect(bound.args).toEqual([[1, 2], undefined, 5]);
    expect(bound.args).toHaveLength(3);
    expect(bound.kwargs).toBeUndefined();
  });
  test('a key naming a parameter without default moves into the positional list (ACME step B)', () => {
    function g1(x: number, y: number, z = 3) {
      return x + y + z;
    }
    expect(bind(g1, [[2, 4, 6, 8]], { y: 4 }).args).toEqual([[2, 4, 6, 8], 4]);
    expect(bind(g1, [], { y: 4, x: [1, 2] }).args).toEqual([[1, 2], 4]);
    expect(bind(g1, [1, 2], { z: [5, 6] }).args).toEqual([1, 2, [5, 6]]);
  });
  test('the remaining keys go to a last { … } parameter, at its position', () => {
    function f(x: number, y = 2, { a, b }: { a: number; b?: number } = { a: 0 }) {
      return x + y + a + (b ?? 0);
    }
    expect(bind(f, [[1, 2]], { a: 1, b: 2 })).toEqual({ args: [[1, 2], undefined], kwargs: { a: 1, b: 2 }, warnings: [] });
    expect(bind(f, [[1, 2]], { y: 5, a: 1 })).toEqual({ args: [[1, 2], 5], kwargs: { a: 1 }, warnings: [] });
    expect(bind(f, [[1, 2]], { y: 5 })).toEqual({ args: [[1, 2], 5], kwargs: undefined, warnings: [] });
  });
  test('...rest and a last parameter named kwargs take the remaining keys as one trailing object', () => {
    function withRest(x: number, ...rest: unknown[]) {
      return [x, rest];
    }
    function scaled(x: number, kwargs: { factor: number }) {
      return x * kwargs.factor;
    }
    expect(bind(withRest, [[1, 2], 7], { a: 1 })).toEqual({ args: [[1, 2], 7], kwargs: { a: 1 }, warnings: [] });
    function restAfterDefault(x: number, y = 1, ...rest: unknown[]) {
      return [x, y, rest];
    }
    // The object must not land in y.
    expect(bind(restAfterDefault, [[1, 2]], { a: 1 })).toEqual({ args: [[1, 2], undefined], kwargs: { a: 1 }, warnings: [] });
    expect(bind(scaled, [[1, 2]], { factor: 2 })).toEqual({ args: [[1, 2]], kwargs: { factor: 2 }, warnings: [] });
  });
  test('an open pattern takes any key; a closed one only its own', () => {
    const open = ({ a, ...others }: Record<string, number>) => a + Object.keys(others).length;
    expect(bind(open, [], { a: [1, 2], anything: 3 }).kwargs).toEqual({ a: [1, 2], anything: 3 });
    function closed(x: number, { alpha, beta }: { alpha: number; beta: number }) {
      return x + alpha + beta;
    }
    expect(bindingError(() => bind(closed, [[1, 2]], { alpah: 1, beta: 2 }))).toBe(
      'options.kwargs.alpah (did you mean alpha?) names no parameter of closed(x, { alpha, beta }); its keyword arguments are its parameter names (x) and the keys of { alpha, beta }',
    );
  });
  test('no kwargs: arguments pass unchanged', () => {
    expect(bind((x: number, y: number) => x + y, [[1, 2], 3])).toEqual({ args: [[1, 2], 3], kwargs: undefined, warnings: [] });
  });
});

describe('errors (and a warning) before any call runs, naming the parameters and the fix', () => {
  test('a parameter without default and without value (ACME: "f expects 2 positional arguments")', () => {
    function f(x: number, y: number) {
      return x + y;
    }
    expect(bindingError(() => bind(f, [[1, 2]]))).toBe(
      "f(x, y) expects 2 positional arguments ('x', 'y'), found 1; y has no value: pass it in args or as options.kwargs.y (or give the parameter a default)",
    );
    function g(x: number, { a }: { a: number }) {
      return x + a;
    }
    expect(bindingError(() => bind(g, [[1, 2]]))).toBe(
      "g(x, { a }) expects 2 positional arguments ('x', '{ a }'), found 1; { a } has no value: pass its keys in options.kwargs (or give the parameter a default)",
    );
  });
  test('an unknown keyword, with did-you-mean', () => {
    function randout(x: number, y = 3) {
      return x * y;
    }
    expect(bindingError(() => bind(randout, [[1, 2]], { yy: 10, offset: 1 }))).toBe(
      'options.kwargs.yy (did you mean y?), options.kwargs.offset name no parameter of randout(x, y = …); its keyword arguments are its parameter names (x, y); a last parameter { … }, kwargs or ...rest would take other keys as one object',
    );
  });
  test('a parameter given twice: positionally and as a keyword (ACME silently shifts)', () => {
    function f(x: number, y: number) {
      return x + y;
    }
    expect(bindingError(() => bind(f, [[1, 2], 3], { y: 4 }))).toBe('f(x, y) gets y twice: as positional argument 1 and as options.kwargs.y; give it once');
    expect(bindingError(() => bind(f, [[1, 2]], { x: 4 }))).toBe('f(x, y) gets x twice: as positional argument 0 and as options.kwargs.x; give it once');
    function h(x: number, { a }: { a: number }) {
      return x + a;
    }
    expect(bindingError(() => bind(h, [1, { a: 1 }], { a: [2, 3] }))).toBe(
      'h(x, { a }) gets { a } twice: as positional argument 1 and as the keyword arguments a; give it once',
    );
  });
  test('more positional arguments than parameters: a warning, unless ...rest or arguments takes them', () => {
    expect(bind((x: number) => x, [[1, 2], 3]).warnings).toEqual([
      "func(x) accepts at most 1 positional arguments ('x'), found 2; the extra ones are ignored (remove them, or add a parameter for them)",
    ]);
    expect(
      bind(
        function sum() {
          return [...arguments].length;
        },
        [[1, 2], 3],
      ),
    ).toEqual({ args: [[1, 2], 3], kwargs: undefined, warnings: [] });
    expect(bind((...xs: number[]) => xs, [[1, 2], 3]).warnings).toEqual([]);
  });
  test('the error type carries the parameter', () => {
    try {
      bind((x: number, y: number) => x + y, [[1]]);
    } catch (error) {
      expect((error as ArgumentBindingError).parameter).toBe('y');
    }
    expect.assertions(1);
  });
});

describe('module exports', () => {
  test('CommonJS: required on the client, read from toString() (function, arrow with pattern, method)', () => {
    expect(bind('./signatures.js#withDefaults', [[1, 2]], { z: 9 }).args).toEqual([[1, 2], undefined, 9]);
    expect(bind('./signatures.js#options', [[1, 2]], { scale: 2 })).toEqual({ args: [[1, 2]], kwargs: { scale: 2 }, warnings: [] });
    expect(bind('./signatures.js#method', [[1, 2]], { y: 2 }).args).toEqual([[1, 2], 2]);
  });
  test('ES modules: read, not run (declaration, arrow, renamed local, default)', () => {
    expect(bind('./signatures.mjs#declared', [[1, 2]], { y: 10 }).args).toEqual([[1, 2], 10]);
    expect(bind('./signatures.mjs#arrow', [[1, 2]], { scale: 3 }).kwargs).toEqual({ scale: 3 });
    expect(bindingError(() => bind('./signatures.mjs#renamed', [[1, 2]]))).toMatch(/^renamed\(a, b\) expects 2 positional arguments/);
    expect(bind('./signatures.mjs#default', [[1, 2]], { m: 3 }).args).toEqual([[1, 2], 3]);
  });
  test('unreadable parameters: one warning, and the keyword arguments stay one trailing object', () => {
    const fallback = (reason: string, name = 'bound') => [
      `the parameters of ${name} cannot be read (${reason}); its keyword arguments arrive as one trailing object, ${name}(...args, kwargs)`,
    ];
    expect(bind('./signatures.js#bound', [[1, 2]], { y: 1 })).toEqual({
      args: [[1, 2]],
      kwargs: { y: 1 },
      warnings: fallback('it is a native or bound function, whose source is not readable'),
    });
    expect(bind('./signatures.js#native', [[1, 2]], { y: 1 }).warnings).toEqual(
      fallback('it is a native or bound function, whose source is not readable', 'native'),
    );
    expect(bind('./signatures.mjs#reexported', [[1, 2]], { y: 1 }).warnings).toEqual(
      fallback('the ES module does not declare it as a function itself (re-exports and computed exports are not followed)', 'reexported'),
    );
    // Without keyword arguments there is nothing to bind, so nothing to warn about.
    expect(bind('./signatures.js#bound', [[1, 2]]).warnings).toEqual([]);
  });
  test('a missing export is an error listing the exports', () => {
    expect(() => bind('./signatures.js#nope', [[1]])).toThrow(
      /does not export "nope", not a function; its exports are: bound, default, method, native, options, withDefaults/,
    );
  });
});
