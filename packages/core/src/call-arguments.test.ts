import { argumentsFor, broadcast, distributeArguments, range, split } from './arguments';
import { assembleArguments, splitCallArguments } from './call-arguments';

/** The arguments the runner assembles from the setup and the payload, for every call. */
function assembled(args: unknown[], kwargs?: Record<string, unknown>) {
  const distribution = distributeArguments(args, kwargs, 'auto');
  const parts = splitCallArguments(distribution);
  const { argumentsOf, soleArgument } = assembleArguments(parts);
  const calls = Array.from({ length: distribution.nInputs }, (_, i) => argumentsOf(i, parts.payloadFor(i)));
  return { distribution, parts, calls, soleArgument };
}

test('the runner puts back together what the client split: the same arguments as argumentsFor', () => {
  const { distribution, calls, parts } = assembled([split([1, 2, 3]), 'shared', split(range(10, 40, 10))], {
    scale: split(['a', 'b', 'c']),
    unit: broadcast('m'),
  });
  for (let i = 0; i < 3; i++) {
    const { args, kwargs } = argumentsFor(distribution, i);
    expect(calls[i]).toEqual([...args, kwargs]);
  }
  // Ranges travel as arithmetic: the payload holds the two other splits only.
  expect(parts.payloadFor(1)).toEqual([2, 'b']);
  expect(parts.payloadSource).toBeUndefined();
});

test('one split argument and nothing else: its values are the payloads, called with the value alone', () => {
  const { calls, parts, soleArgument } = assembled([split([5, 6])]);
  expect(calls).toEqual([[5], [6]]);
  expect(parts.payloadSource).toEqual([5, 6]);
  expect(soleArgument).toEqual({ target: { positional: 0 } });
  expect(assembled([split([5, 6]), 1]).soleArgument).toBeUndefined();
  expect(assembled([split(range(3))]).soleArgument).toEqual({ target: { positional: 0 }, range: { start: 0, step: 1 } });
});
