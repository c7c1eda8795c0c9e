import * as path from 'node:path';
import { parse } from 'acorn';
import { FunctionReferenceError } from './errors';
import { resolveFunctionReference } from './function-ref';
import { freeVariables, outerVariables } from './free-variables';
import { loadFunction } from './function-loader';
import { thrownMessage } from './__fixtures__/thrown';

const fixtures = path.join(__dirname, '__fixtures__');

function functionError(run: () => unknown): string {
  return thrownMessage(run, FunctionReferenceError, 'ERR_ACME_FUNCTION');
}

function free(source: string): string[] {
  const program = parse(`(${source})`, { ecmaVersion: 'latest' }) as unknown as { body: { expression: never }[] };
  return freeVariables(program.body[0].expression);
}

describe('free variable analysis', () => {
  test('params incl. destructuring, defaults and rest are bound; defaults may reference outer names', () => {
    expect(free('function f({ a, b: [c, ...d] }, e = g, ...h) { return a + c + d + e + h; }')).toEqual(['g']);
  });
  test('var hoisting, let/const blocks, function and class declarations', () => {
    expect(free('function f() { x = 1; var x; { let y = 2; } return y + inner() + new K(); function inner() {} class K {} }')).toEqual(['y']);
  });
  test('catch params, for bindings, labels and property names are not free', () => {
    expect(
      free(
        'function f(o) { outer: for (const k of o) { for (let i = 0; i < 2; i++) { if (k) continue outer; } } try {} catch ({ message }) { message; } return o.prop + ({ key: 1 }).key; }',
      ),
    ).toEqual([]);
  });
  test('assignments to outer variables, computed members, shorthand properties are free', () => {
    expect(free('(a) => { total += a; [first] = a; return { a, shared, [keyName]: 1, v: a[idx] }; }')).toEqual(['total', 'first', 'shared', 'keyName', 'idx']);
  });
  test('nested function expression names and class members', () => {
    expect(
      free('function f() { const g = function rec(n) { return n ? rec(n - 1) : base; }; class C { m() { return this.x + helper; } static s = 1; } return g; }'),
    ).toEqual(['base', 'helper']);
  });
  test('switch-case lexical scope and new.target', () => {
    expect(free('function f(v) { switch (v) { case 1: let w = 2; return w; default: return new.target; } }')).toEqual([]);
  });
});

// The sources the hand-written pre-parser glance used to judge, now all judged by the parser.
describe('outer variables of simple and tricky sources', () => {
  const outer = (source: string) => {
    const program = parse(`(${source})`, { ecmaVersion: 'latest' }) as unknown as { body: { expression: never }[] };
    return outerVariables(program.body[0].expression);
  };
  const selfContained = [
    'function double(x) { return 2 * x; }',
    'x => Math.sqrt(x)',
    'async (a, b,) => a.length + b',
    'function* gen(n) { return n; }',
    'function fact(n) { return n ? n * fact(n - 1) : 1; }',
    '(s) => s + "a string" + \'another\' + s?.length',
    '(x) => 1..toString() + x + 0x1f + 1.5e3 + 10n + .5',
    'function (of) { return of; }',
    '(x) => ({ key: x })',
    '(...xs) => xs',
    '({ a }) => a',
    '(x) => x /* outer */',
    'function f(x) { const y = x; return y; }',
    'async => async',
    '(x) => require("node:path").basename(x) + taskContext().taskID',
  ];
  const withOuter: [string, string[]][] = [
    ['(x) => x * factor', ['factor']],
    ['(x = outer) => x', ['outer']],
    ['(x) => x / outer', ['outer']],
    ['(x) => `${outer}`', ['outer']],
    ['(x) => [...outer]', ['outer']],
    ["(x) => 'a\\'' + outer", ['outer']], // an escaped quote
    ['(x) => of', ['of']],
    ['(x) => x + \u00fc', ['\u00fc']],
  ];
  test.each(selfContained)('self-contained: %s', (source) => {
    expect(outer(source)).toEqual([]);
  });
  test.each(withOuter)('outer variables: %s', (source, names) => {
    expect(outer(source)).toEqual(names);
  });
});

describe('resolveFunctionReference: source functions', () => {
  test('a self-contained named function', () => {
    function square(x: number) {
      return x * x;
    }
    expect(resolveFunctionReference(square)).toEqual({ kind: 'source', source: square.toString(), name: 'square' });
  });
  test('arrow and async functions; globals are allowed', () => {
    const inc = async (x: number) => Math.max(x, 0) + JSON.stringify(process.pid).length;
    expect(resolveFunctionReference(inc)).toMatchObject({ kind: 'source', name: 'inc' });
  });
  test('an anonymous function is named "func", options.name overrides', () => {
    expect(resolveFunctionReference([(x: number) => x][0]).name).toBe('func');
    expect(resolveFunctionReference((x: number) => x, { name: 'step1' }).name).toBe('step1');
  });
  test('methods are rewritten to function expressions', () => {
    const tasks = {
      scale(x: number) {
        return x * 2;
      },
      async *gen() {
        yield 1;
      },
    };
    const ref = resolveFunctionReference(tasks.scale);
    expect(ref).toEqual({ kind: 'source', source: expect.stringMatching(/^function \(x\) \{/), name: 'scale' });
    expect(resolveFunctionReference(tasks.gen)).toEqual({ kind: 'source', source: expect.stringMatching(/^async function\* \(\) \{/), name: 'gen' });
  });
  test('outer variables are rejected with the fix', () => {
    const factor = 3;
    const scaled = (x: number) => x * factor;
    expect(functionError(() => resolveFunctionReference(scaled))).toBe(
      'function scaled uses variables from outside its body (factor), which do not exist where workers run it; move them inside the function, pass them as arguments, or export the function from a module and pass `{ module, export }`',
    );
  });
  test('native and bound functions are rejected', () => {
    expect(functionError(() => resolveFunctionReference(Math.max))).toBe(
      'function max is a native or bound function, whose source cannot be shipped to workers; wrap it in a plain function, or export a function from a module and pass { module, export }',
    );
    expect(functionError(() => resolveFunctionReference(function f(this: unknown) {}.bind(null)))).toMatch(/^function bound f is a native or bound function/);
  });
  test('classes and getters are rejected', () => {
    expect(functionError(() => resolveFunctionReference(class Task {} as never))).toBe(
      'function Task is a class, not a function; pass a function that creates and uses the instance',
    );
    const getter = Object.getOwnPropertyDescriptor(
      {
        get value() {
          return 1;
        },
      },
      'value',
    )!.get!;
    expect(functionError(() => resolveFunctionReference(getter))).toBe('function get value is a getter or setter; pass a plain function or { module, export }');
  });
  test('names that cannot name files are rejected', () => {
    const $weird = () => 1;
    expect(functionError(() => resolveFunctionReference($weird))).toBe(
      'function $weird is named "$weird", which cannot name the output files (<name>.h5, <name>_payload/<name>_0.h5): use only letters, digits, "_", "-" and "." (not first, no ".."), or pass options.name',
    );
    expect(functionError(() => resolveFunctionReference(() => 1, { name: '../x' }))).toMatch(/is named "\.\.\/x", which cannot name the output files/);
    expect(functionError(() => resolveFunctionReference(() => 1, { name: '.hidden' }))).toMatch(/is named "\.hidden"/);
  });
});

describe('resolveFunctionReference: module exports', () => {
  test('string and object forms resolve against cwd', () => {
    const expected = { kind: 'module', module: path.join(fixtures, 'tasks.js'), exportName: 'randout', name: 'randout' };
    expect(resolveFunctionReference('./tasks.js#randout', { cwd: fixtures })).toEqual(expected);
    expect(resolveFunctionReference({ module: path.join(fixtures, 'tasks.js'), export: 'randout' })).toEqual(expected);
    expect(resolveFunctionReference({ module: 'tasks.js', export: 'default' }, { cwd: fixtures }).name).toBe('tasks');
  });
  test('bad strings and missing modules', () => {
    expect(functionError(() => resolveFunctionReference('./tasks.js'))).toBe(
      'a function given as a string must be "<module path>#<export name>", e.g. "./tasks.js#randout", got "./tasks.js"',
    );
    expect(functionError(() => resolveFunctionReference('./missing.js#f', { cwd: fixtures }))).toBe(
      `module "./missing.js" does not exist (resolved to ${path.join(fixtures, 'missing.js')}); check the path, relative paths are resolved against ${fixtures}`,
    );
    expect(functionError(() => resolveFunctionReference(42 as never))).toBe(
      'func must be a function, "<module path>#<export name>" or { module, export }, got 42',
    );
  });
});

describe('loadFunction', () => {
  test('a source function is re-created and gets require', async () => {
    const fn = await loadFunction({ kind: 'source', source: '(x) => require("node:path").basename(x) // trailing comment', name: 'f' });
    expect(fn('/a/b.txt')).toBe('b.txt');
  });
  test('a module export is imported', async () => {
    const fn = await loadFunction(resolveFunctionReference('./tasks.js#randout', { cwd: fixtures }));
    expect(fn(6)).toBe(2);
    expect(fn(-1, 4)).toBe(-4);
  });
  test('a missing or non-function export lists the exports', async () => {
    const module = path.join(fixtures, 'tasks.js');
    await expect(loadFunction({ kind: 'module', module, exportName: 'nope', name: 'nope' })).rejects.toThrow(
      `module ${module} does not export "nope", not a function; its exports are: default, notAFunction, randout`,
    );
    await expect(loadFunction({ kind: 'module', module, exportName: 'notAFunction', name: 'x' })).rejects.toThrow(
      `module ${module} exports a number as "notAFunction", not a function; its exports are: default, notAFunction, randout`,
    );
  });
});
