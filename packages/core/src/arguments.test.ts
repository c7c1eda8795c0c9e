import { ArgumentDistributionError } from './errors';
import { argumentsFor, broadcast, distributeArguments, estimateSerializedSize, range, split, type Distribution } from './arguments';
import { ndarray } from './result-encoding';
import { thrownMessage } from './__fixtures__/thrown';

/** Every call's positional arguments, for comparing with ACME's table. */
function calls(d: Distribution): unknown[][] {
  return Array.from({ length: d.nInputs }, (_, i) => argumentsFor(d, i).args);
}

function distributionError(run: () => unknown): string {
  return thrownMessage(run, ArgumentDistributionError, 'ERR_ACME_ARGUMENTS');
}

// ACME reference §1.3 examples, g1(x, y, z=3).
describe('ACME §1.3 examples', () => {
  test('g1, [2,4,6,8], 4 → 4 calls, y broadcast', () => {
    expect(calls(distributeArguments([[2, 4, 6, 8], 4], undefined, 'auto'))).toEqual([
      [2, 4],
      [4, 4],
      [6, 4],
      [8, 4],
    ]);
  });
  test('g1, 2, 4 → found 0 objects', () => {
    expect(distributionError(() => distributeArguments([2, 4], undefined, 'auto'))).toBe(
      'automatic input distribution failed: found 0 objects containing 0 to 0 elements. Please specify `nInputs` manually.',
    );
  });
  test('g1, 2, 4, nInputs=3 → 3 identical calls', () => {
    expect(calls(distributeArguments([2, 4], undefined, 3))).toEqual([
      [2, 4],
      [2, 4],
      [2, 4],
    ]);
  });
  test('g1, [1,2,3], [4,5,6] → zipped', () => {
    expect(
      calls(
        distributeArguments(
          [
            [1, 2, 3],
            [4, 5, 6],
          ],
          undefined,
          'auto',
        ),
      ),
    ).toEqual([
      [1, 4],
      [2, 5],
      [3, 6],
    ]);
  });
  test('g1, [1,2,3], [4,5] → found 2 objects containing 2 to 3 elements', () => {
    expect(
      distributionError(() =>
        distributeArguments(
          [
            [1, 2, 3],
            [4, 5],
          ],
          undefined,
          'auto',
        ),
      ),
    ).toBe('automatic input distribution failed: found 2 objects containing 2 to 3 elements. Please specify `nInputs` manually.');
  });
  test('g1, [1,2,3], [4,5], nInputs=3 → x split, y whole', () => {
    expect(
      calls(
        distributeArguments(
          [
            [1, 2, 3],
            [4, 5],
          ],
          undefined,
          3,
        ),
      ),
    ).toEqual([
      [1, [4, 5]],
      [2, [4, 5]],
      [3, [4, 5]],
    ]);
  });
  test('g1, [1,2,3], [4,5], nInputs=2 → x whole, y split', () => {
    expect(
      calls(
        distributeArguments(
          [
            [1, 2, 3],
            [4, 5],
          ],
          undefined,
          2,
        ),
      ),
    ).toEqual([
      [[1, 2, 3], 4],
      [[1, 2, 3], 5],
    ]);
  });
  test('g1, [1,2,3], [4,5], nInputs=5 → no object has required length', () => {
    expect(
      distributionError(() =>
        distributeArguments(
          [
            [1, 2, 3],
            [4, 5],
          ],
          undefined,
          5,
        ),
      ),
    ).toBe('No object has required length of 5 matching `nInputs`.');
  });
  test('g1, arange(3), 0 → x = 0, 1, 2 (TypedArray split)', () => {
    expect(calls(distributeArguments([Float64Array.of(0, 1, 2), 0], undefined, 'auto'))).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
  });
  test('g1, ones((3,3)), [1,2,3] → x whole', () => {
    const matrix = ndarray(new Float64Array(9).fill(1), [3, 3]);
    const d = distributeArguments([matrix, [1, 2, 3]], undefined, 'auto');
    expect(d.positional[0]).toEqual({ mode: 'broadcast', value: matrix });
    expect(argumentsFor(d, 2).args[0]).toBe(matrix);
    expect(argumentsFor(d, 2).args[1]).toBe(3);
  });
  test('g1, ones((3,3)), 0 → found 0 objects', () => {
    expect(distributionError(() => distributeArguments([ndarray(new Float64Array(9), [3, 3]), 0], undefined, 'auto'))).toMatch(/found 0 objects/);
  });
  test('g1, 1, 2, z=[1,2,3] → z split', () => {
    const d = distributeArguments([1, 2], { z: [1, 2, 3] }, 'auto');
    expect([0, 1, 2].map((i) => argumentsFor(d, i))).toEqual([
      { args: [1, 2], kwargs: { z: 1 } },
      { args: [1, 2], kwargs: { z: 2 } },
      { args: [1, 2], kwargs: { z: 3 } },
    ]);
  });
  test('g1, 1, 2, z=range(4) → z = 0..3', () => {
    const d = distributeArguments([1, 2], { z: range(4) }, 'auto');
    expect(d.nInputs).toBe(4);
    expect([0, 1, 2, 3].map((i) => argumentsFor(d, i).kwargs)).toEqual([{ z: 0 }, { z: 1 }, { z: 2 }, { z: 3 }]);
  });
  test('g1, [[1,2],[3,4]], 0 → x = [1,2] then [3,4]', () => {
    expect(
      calls(
        distributeArguments(
          [
            [
              [1, 2],
              [3, 4],
            ],
            0,
          ],
          undefined,
          'auto',
        ),
      ),
    ).toEqual([
      [[1, 2], 0],
      [[3, 4], 0],
    ]);
  });
  test('g1, "abc", [1,2] → the string is never split', () => {
    expect(calls(distributeArguments(['abc', [1, 2]], undefined, 'auto'))).toEqual([
      ['abc', 1],
      ['abc', 2],
    ]);
  });
  test('g1, {a:1}, 0 → found 0 objects', () => {
    expect(distributionError(() => distributeArguments([{ a: 1 }, 0], undefined, 'auto'))).toMatch(/found 0 objects containing 0 to 0/);
  });
  test('g1, [1], [1,2,3] → found 2 objects containing 1 to 3 elements', () => {
    expect(distributionError(() => distributeArguments([[1], [1, 2, 3]], undefined, 'auto'))).toBe(
      'automatic input distribution failed: found 2 objects containing 1 to 3 elements. Please specify `nInputs` manually.',
    );
  });
  test('g3 variant: a keyword Array of length nInputs is split (no default-based exclusion, §6.5)', () => {
    const d = distributeArguments([[1, 2], 0], { w: [7, 8] }, 'auto');
    expect([argumentsFor(d, 0).kwargs, argumentsFor(d, 1).kwargs]).toEqual([{ w: 7 }, { w: 8 }]);
  });
});

describe('quirks and JS specifics', () => {
  test('§6.4 length-1 Array: unwrapped with auto, whole with explicit nInputs', () => {
    expect(calls(distributeArguments([[5]], undefined, 'auto'))).toEqual([[5]]);
    expect(calls(distributeArguments([[1]], undefined, 3))).toEqual([[[1]], [[1]], [[1]]]);
  });
  test('§6.6 empty Array gives 0 calls', () => {
    expect(distributeArguments([[]], undefined, 'auto').nInputs).toBe(0);
  });
  test('nInputs=1 with a 2-element Array fails', () => {
    expect(distributionError(() => distributeArguments([[1, 2]], undefined, 1))).toBe('No object has required length of 1 matching `nInputs`.');
  });
  test('Maps, Sets, functions are broadcast; kwargs only passed when given', () => {
    const map = new Map([[1, 2]]);
    const set = new Set([1, 2]);
    const d = distributeArguments([map, set, [1, 2]], undefined, 'auto');
    expect(d.positional.map((p) => p.mode)).toEqual(['broadcast', 'broadcast', 'split']);
    expect(argumentsFor(d, 1)).toEqual({ args: [map, set, 2] });
    expect(argumentsFor(d, 1).args[0]).toBe(map);
    expect(argumentsFor(distributeArguments([[1]], {}, 'auto'), 0)).toEqual({ args: [1], kwargs: {} });
  });
  test('split() and broadcast() override the automatic choice', () => {
    const d = distributeArguments([broadcast([1, 2]), split(new Set(['a', 'b']))], undefined, 'auto');
    expect(calls(d)).toEqual([
      [[1, 2], 'a'],
      [[1, 2], 'b'],
    ]);
    expect(distributionError(() => distributeArguments([split([1, 2, 3]), [1, 2]], undefined, 2))).toBe(
      'positional argument 0 is marked split() but has 3 elements, not nInputs = 2; give it 2 elements or remove split()',
    );
    expect(distributionError(() => split(5 as never))).toBe('split() needs an Array, TypedArray, range or other iterable, got 5');
  });
  test('ndarray rows: shape [n,1] gives 1-element ndarrays; shape [1,n] is broadcast', () => {
    const column = ndarray(Float64Array.of(1, 2, 3), [3, 1]);
    const d = distributeArguments([column], undefined, 'auto');
    expect(argumentsFor(d, 1).args).toEqual([{ data: Float64Array.of(2), shape: [1] }]);
    const row = ndarray([1, 2, 3], [1, 3]);
    expect(distributeArguments([row, [7, 8, 9]], undefined, 'auto').positional[0]).toEqual({ mode: 'broadcast', value: row });
    expect(calls(distributeArguments([ndarray([4, 5], [2])], undefined, 'auto'))).toEqual([[4], [5]]);
  });
  test('argumentsFor rejects a taskID out of range', () => {
    const d = distributeArguments([[1, 2]], undefined, 'auto');
    expect(distributionError(() => argumentsFor(d, 2))).toBe('taskID must be an integer between 0 and 1, got 2');
  });
  test('a function argument warns that it cannot be shipped', () => {
    expect(distributeArguments([[1], Math.max], undefined, 'auto').warnings).toEqual([
      'positional argument 1 is a function; functions cannot be sent to workers (they are not serializable); import it inside the function instead',
    ]);
  });
  test('large arguments warn above the size limit, estimated from byteLength', () => {
    const big = new Float64Array(300_000); // 2.4 MB
    const d = distributeArguments([[1, 2], big], { k: 'x' }, 2, { sizeWarningMB: 1 });
    expect(d.warnings).toEqual([
      'positional argument 1 has an estimated size of 2.40 MB, which exceeds the recommended limit of 1 MB; distributing large values to workers may be slow (pass a file name and load the data inside the function instead)',
    ]);
    expect(distributeArguments([[1, 2], big], undefined, 2).warnings).toEqual([]);
  });
});

describe('range', () => {
  test('Python semantics, lazy index access', () => {
    expect([...range(3)]).toEqual([0, 1, 2]);
    expect(range(2, 11, 3).toArray()).toEqual([2, 5, 8]);
    expect(range(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(range(3, 1).length).toBe(0);
    const big = range(1e9);
    expect(big.length).toBe(1e9);
    expect(big[123_456_789]).toBe(123_456_789);
    expect(big[1e9]).toBeUndefined();
  });
  test('rejects bad arguments', () => {
    expect(distributionError(() => range(0, 5, 0))).toBe('range step must not be 0, got 0');
    expect(distributionError(() => range(1.5))).toBe('range stop must be an integer, got 1.5');
  });
  test('a 1e7-element range splits without materializing', () => {
    const d = distributeArguments([range(1e7)], undefined, 'auto');
    expect(d.nInputs).toBe(1e7);
    expect(argumentsFor(d, 9_999_999).args).toEqual([9_999_999]);
  });
});

describe('estimateSerializedSize', () => {
  test('typed arrays by byteLength, long arrays sampled, cycles counted once', () => {
    expect(estimateSerializedSize(new Float64Array(1000))).toBe(8016);
    const numbers = new Array(1_000_000).fill(1.5);
    expect(estimateSerializedSize(numbers)).toBe(8 + 9_000_000);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(estimateSerializedSize(cyclic)).toBe(8 + 4 + 2 + 5);
    expect(estimateSerializedSize('abc')).toBe(8);
  });
});
