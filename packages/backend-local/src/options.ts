// Validation of ThreadPool options. Every message has the form
// `options.<name> must be <expectation>, got <value>`.

import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { inspect } from 'node:util';
import type { ResourceLimits } from 'node:worker_threads';
import { PoolOptionError } from './errors';
import type { WorkerTransportFactory } from './transport';

export interface ThreadPoolOptions {
  /** Number of worker threads; 'auto' (default) = os.availableParallelism(). */
  nWorkers?: number | 'auto';
  /** Absolute path of a CommonJS or ESM module exporting createRunner(setup). */
  runnerModule: string;
  /** Structured-cloneable data given to createRunner once per worker. */
  setup?: unknown;
  /** Per-call time limit in ms, counted from the start of the call. */
  timeoutMs?: number;
  /** Limits of each worker's JS heap and stack (worker_threads ResourceLimits). */
  resourceLimits?: ResourceLimits;
  /** Calls per message to a worker: 'auto' (default) adapts to the measured call time. */
  batch?: 'auto' | number;
  /**
   * Calls each worker runs at once (default 1): more lets the async calls of one worker overlap
   * while they wait (I/O, a subprocess, a fetch); synchronous calls still run one after another.
   */
  concurrency?: number;
  /**
   * What a worker is: 'thread' (default, a worker thread of this process) or 'process' (a child
   * process: a native crash or corrupted global state ends only it, at a higher cost per call).
   */
  isolation?: 'thread' | 'process';
  /** Replaces the worker_threads transport (tests, other runtimes). */
  createTransport?: WorkerTransportFactory;
}

export interface ResolvedPoolOptions {
  nWorkers: number;
  runnerModule: string;
  setup: unknown;
  timeoutMs: number | undefined;
  resourceLimits: ResourceLimits | undefined;
  batch: number | undefined;
  concurrency: number;
  isolation: 'thread' | 'process';
  createTransport: WorkerTransportFactory | undefined;
}

const RESOURCE_LIMIT_KEYS = ['maxYoungGenerationSizeMb', 'maxOldGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'];

function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : inspect(value, { depth: 1, breakLength: Infinity });
}

function fail(name: string, expectation: string, value: unknown): never {
  throw new PoolOptionError(`options.${name} must be ${expectation}, got ${shown(value)}`);
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

function isPositiveNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

export function resolvePoolOptions(options: ThreadPoolOptions): ResolvedPoolOptions {
  if (typeof options !== 'object' || options === null) {
    throw new PoolOptionError(`options must be an object, got ${shown(options)}`);
  }
  const { nWorkers = 'auto', runnerModule, timeoutMs, resourceLimits, batch = 'auto', concurrency = 1, isolation = 'thread', createTransport } = options;
  if (nWorkers !== 'auto' && !isPositiveInteger(nWorkers)) fail('nWorkers', "a positive integer or 'auto'", nWorkers);
  if (typeof runnerModule !== 'string' || !isAbsolute(runnerModule)) {
    fail('runnerModule', 'an absolute path', runnerModule);
  }
  if (timeoutMs !== undefined && !isPositiveNumber(timeoutMs)) fail('timeoutMs', 'a positive number', timeoutMs);
  if (resourceLimits !== undefined) {
    if (typeof resourceLimits !== 'object' || resourceLimits === null) {
      fail('resourceLimits', 'an object', resourceLimits);
    }
    for (const [key, value] of Object.entries(resourceLimits)) {
      if (!RESOURCE_LIMIT_KEYS.includes(key)) {
        fail('resourceLimits', `an object with keys ${RESOURCE_LIMIT_KEYS.join(', ')}`, resourceLimits);
      }
      if (value !== undefined && !isPositiveNumber(value)) fail(`resourceLimits.${key}`, 'a positive number', value);
    }
  }
  if (batch !== 'auto' && !isPositiveInteger(batch)) fail('batch', "a positive integer or 'auto'", batch);
  if (!isPositiveInteger(concurrency)) fail('concurrency', 'a positive integer', concurrency);
  if (isolation !== 'thread' && isolation !== 'process') fail('isolation', '"thread" or "process"', isolation);
  if (createTransport !== undefined && typeof createTransport !== 'function') {
    fail('createTransport', 'a function', createTransport);
  }
  return {
    nWorkers: nWorkers === 'auto' ? availableParallelism() : nWorkers,
    runnerModule,
    setup: options.setup,
    timeoutMs,
    resourceLimits,
    batch: batch === 'auto' ? undefined : batch,
    concurrency,
    isolation,
    createTransport,
  };
}
