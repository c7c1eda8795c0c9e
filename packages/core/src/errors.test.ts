import { AcmeError, ComputeError, OptionError, describeValue, type CallFailure } from './errors';

const failure = (taskID: number): CallFailure => ({ taskID, name: 'TypeError', message: `bad ${taskID}\nsecond line`, stack: 'stack', reason: 'threw' });

describe('errors', () => {
  test('codes, names and the option', () => {
    const error = new OptionError('nWorkers', 'options.nWorkers must be a positive integer or "auto", got 0');
    expect(error).toBeInstanceOf(AcmeError);
    expect([error.code, error.name, error.option]).toEqual(['ERR_ACME_OPTION', 'OptionError', 'nWorkers']);
  });
  test('ComputeError lists failures in taskID order', () => {
    const error = new ComputeError([failure(5), failure(2)], 10);
    expect(error.code).toBe('ERR_ACME_CALLS_FAILED');
    expect(error.failures.map((f) => f.taskID)).toEqual([2, 5]);
    expect(error.message).toBe('Parallel computation failed: 2/10 calls failed\n  call 2 (threw): TypeError: bad 2\n  call 5 (threw): TypeError: bad 5');
  });
  test('ComputeError caps the listing at 20', () => {
    const error = new ComputeError(Array.from({ length: 23 }, (_, i) => failure(i)));
    const lines = error.message.split('\n');
    expect(lines[0]).toBe('Parallel computation failed: 23 calls failed');
    expect(lines).toHaveLength(22);
    expect(lines[21]).toBe('  … and 3 more');
    expect(error.failures).toHaveLength(23);
  });
  test('describeValue', () => {
    expect([0, '0', null, undefined, 5n, [1, 'a', [2], {}], new Map(), {}, Int8Array.of(1, 2), () => 1].map(describeValue)).toEqual([
      '0',
      '"0"',
      'null',
      'undefined',
      '5n',
      '[1, "a", […], {…}]',
      'a Map',
      'an object',
      'Int8Array(2)',
      'a function',
    ]);
  });
});
