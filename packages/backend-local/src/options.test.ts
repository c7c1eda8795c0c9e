import { availableParallelism } from 'node:os';
import { PoolOptionError } from './errors';
import { resolvePoolOptions, type ThreadPoolOptions } from './options';

const runnerModule = '/abs/runner.js';

function messageOf(options: Partial<ThreadPoolOptions>): string {
  try {
    resolvePoolOptions({ runnerModule, ...options } as ThreadPoolOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(PoolOptionError);
    expect((error as PoolOptionError).code).toBe('ERR_POOL_OPTION');
    return (error as Error).message;
  }
  throw new Error('expected the options to be rejected');
}

describe('resolvePoolOptions', () => {
  it('resolves defaults', () => {
    const resolved = resolvePoolOptions({ runnerModule });
    expect(resolved.nWorkers).toBe(availableParallelism());
    expect(resolved.batch).toBeUndefined();
    expect(resolved.timeoutMs).toBeUndefined();
    expect(resolvePoolOptions({ runnerModule, nWorkers: 3, batch: 7 })).toMatchObject({ nWorkers: 3, batch: 7 });
  });

  it.each([
    [{ nWorkers: 0 }, "options.nWorkers must be a positive integer or 'auto', got 0"],
    [{ nWorkers: 1.5 }, "options.nWorkers must be a positive integer or 'auto', got 1.5"],
    [{ nWorkers: 'all' }, `options.nWorkers must be a positive integer or 'auto', got "all"`],
    [{ runnerModule: 'relative/runner.js' }, 'options.runnerModule must be an absolute path, got "relative/runner.js"'],
    [{ runnerModule: undefined }, 'options.runnerModule must be an absolute path, got undefined'],
    [{ timeoutMs: -1 }, 'options.timeoutMs must be a positive number, got -1'],
    [{ timeoutMs: Infinity }, 'options.timeoutMs must be a positive number, got Infinity'],
    [{ resourceLimits: 32 }, 'options.resourceLimits must be an object, got 32'],
    [
      { resourceLimits: { maxHeap: 1 } },
      'options.resourceLimits must be an object with keys maxYoungGenerationSizeMb, maxOldGenerationSizeMb, codeRangeSizeMb, stackSizeMb, got { maxHeap: 1 }',
    ],
    [{ resourceLimits: { maxOldGenerationSizeMb: 0 } }, 'options.resourceLimits.maxOldGenerationSizeMb must be a positive number, got 0'],
    [{ batch: 0 }, "options.batch must be a positive integer or 'auto', got 0"],
    [{ batch: 'big' }, `options.batch must be a positive integer or 'auto', got "big"`],
    [{ createTransport: {} }, 'options.createTransport must be a function, got {}'],
  ])('rejects %p', (options, message) => {
    expect(messageOf(options as Partial<ThreadPoolOptions>)).toBe(message);
  });

  it('rejects a non-object', () => {
    expect(() => resolvePoolOptions(null as never)).toThrow('options must be an object, got null');
  });
});
