import { distributeArguments, range } from './arguments';
import { callInputAttributes, callInputNames, inputTable } from './input-table';

describe("inputTable: the run's inputs as container attributes", () => {
  test('split arguments as columns in call order, broadcast ones as their value, named by parameter or keyword', () => {
    const d = distributeArguments([range(1, 7, 2), ['a', 'b', 'c'], 2.5, { nested: true }], { sigma: [0.1, 0.2, 0.3], flag: true, big: [1n, 2n, 3n] }, 'auto');
    const { attributes, skipped } = inputTable(d, ['mu', 'label', undefined]);
    expect(attributes).toEqual({
      mu: Float64Array.of(1, 3, 5),
      label: ['a', 'b', 'c'],
      arg_2: 2.5,
      sigma: Float64Array.of(0.1, 0.2, 0.3),
      flag: true,
      big: [1n, 2n, 3n],
    });
    expect(Object.keys(attributes)).toEqual(['mu', 'label', 'arg_2', 'sigma', 'flag', 'big']);
    expect(skipped).toEqual(['arg_3: it is not a number, bigint, boolean, string or a list of them']);
  });
  test('values of mixed kinds and unsafe names are left out, with why', () => {
    const d = distributeArguments([[1, 'x']], { 'a/b': [1, 2] }, 'auto');
    expect(inputTable(d, ['x'])).toEqual({
      attributes: {},
      skipped: [
        'x: its values are not all numbers, bigints, booleans or strings of one kind',
        "a/b: its name cannot name an HDF5 attribute ('/' separates HDF5 path components)",
      ],
    });
  });
});

describe("callInputAttributes: a call's split inputs on its payload file", () => {
  test("numbers and bigints in int64's range, under their names; others are left to the root's table", () => {
    const names = callInputNames(
      [{ target: { positional: 0 } }, { target: { keyword: 'n' } }, { target: { keyword: 'label' } }, { target: { keyword: 'a/b' } }],
      ['mu'],
    );
    expect(names).toEqual(['mu', 'n', 'label', undefined]);
    expect(callInputAttributes(names, [0.5, 3n, 'x', 7])).toEqual({ mu: 0.5, n: 3n });
    expect(callInputAttributes(names, [[1, 2], 2n ** 63n, true, 7])).toBeUndefined();
    // A setup sent as JSON has null where a name is not recorded.
    expect(callInputAttributes(JSON.parse(JSON.stringify(names)), [1, 2n, 'x', 3])).toEqual({ mu: 1, n: 2n });
  });
});
