import * as os from 'node:os';
import * as path from 'node:path';
import { OptionError } from './errors';
import { normalizeDtype, suggestOption, validateOptions } from './options';

function rejection(raw: unknown): OptionError {
  try {
    validateOptions(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(OptionError);
    return error as OptionError;
  }
  throw new Error('validateOptions accepted ' + JSON.stringify(raw));
}

describe('validateOptions defaults', () => {
  test('no options resolve to ACME defaults', () => {
    const resolved = validateOptions(undefined);
    expect(resolved).toEqual({
      nInputs: 'auto',
      writeWorkerResults: true,
      outputDir: undefined,
      resultShape: undefined,
      stackingDim: undefined,
      resultDtype: 'float64',
      singleFile: false,
      serializeResults: false,
      nWorkers: 'auto',
      timeout: undefined,
      concurrency: 1,
      isolation: 'thread',
      verbose: undefined,
      logfile: undefined,
      dryrun: false,
      debug: false,
      retries: undefined,
      signal: undefined,
      kwargs: undefined,
      backend: undefined,
      slurm: undefined,
      name: undefined,
      allowChangedFunction: false,
      mode: 'hdf5',
      warnings: [],
    });
  });

  test('valid values pass through, paths are made absolute, modes follow the flags', () => {
    const signal = new AbortController().signal;
    const resolved = validateOptions({
      nInputs: 0,
      outputDir: 'out',
      logfile: '~/x.log',
      resultShape: [null, 3, Infinity],
      resultDtype: 'double',
      nWorkers: 4,
      timeout: 1500,
      verbose: true,
      dryrun: true,
      signal,
      kwargs: { z: 1 },
      backend: 'slurm',
      slurm: { partition: 'p' },
      name: 'f',
    });
    expect(resolved.nInputs).toBe(0);
    expect(resolved.outputDir).toBe(path.resolve('out'));
    expect(resolved.logfile).toBe(path.join(os.homedir(), 'x.log'));
    expect(resolved.resultShape).toEqual([null, 3, Infinity]);
    expect(resolved.stackingDim).toBe(0);
    expect(resolved.resultDtype).toBe('float64');
    expect(resolved.signal).toBe(signal);
    expect(validateOptions({ writeWorkerResults: false }).mode).toBe('memory');
    expect(validateOptions({ serializeResults: true }).mode).toBe('serialized');
  });

  test('numpy dtype names normalize to HDF5 dtype names', () => {
    expect(['float', 'double', 'float32', 'single', 'half', 'int8', 'uint64', 'bool', 'int'].map(normalizeDtype)).toEqual([
      'float64',
      'float64',
      'float32',
      'float32',
      'float16',
      'int8',
      'uint64',
      'bool',
      'int64',
    ]);
    expect(['complex', 'c8', 'complex64', 'cdouble'].map(normalizeDtype)).toEqual(['complex128', 'complex64', 'complex64', 'complex128']);
    expect(normalizeDtype('complex256')).toBeUndefined();
    expect(normalizeDtype('toString')).toBeUndefined();
  });
});

describe('validateOptions warnings (ACME ignored combinations)', () => {
  test('singleFile and serializeResults are ignored when not writing', () => {
    const resolved = validateOptions({ writeWorkerResults: false, singleFile: true, serializeResults: true });
    expect(resolved.singleFile).toBe(false);
    expect(resolved.serializeResults).toBe(false);
    expect(resolved.warnings).toEqual([
      'options.singleFile has no effect when options.writeWorkerResults is false; ignoring it',
      'options.serializeResults has no effect when options.writeWorkerResults is false; ignoring it',
    ]);
  });

  test('outputDir is ignored when not writing', () => {
    const resolved = validateOptions({ writeWorkerResults: false, outputDir: '/tmp/x' });
    expect(resolved.outputDir).toBeUndefined();
    expect(resolved.warnings).toEqual(['options.outputDir has no effect when options.writeWorkerResults is false; ignoring it']);
  });

  test('resultShape is ignored when serializing', () => {
    const resolved = validateOptions({ serializeResults: true, resultShape: [null] });
    expect(resolved.resultShape).toBeUndefined();
    expect(resolved.stackingDim).toBeUndefined();
    expect(resolved.warnings).toEqual(["options.resultShape is ignored when options.serializeResults is true (each call's return value is serialized as is)"]);
  });
});

describe('validateOptions errors: one per validation', () => {
  test.each<[string, unknown, string, string]>([
    ['options not an object', [1], 'options', 'options must be a plain object of ParallelMap options, got [1]'],
    [
      'unknown with suggestion',
      { nWorker: 2 },
      'nWorker',
      'options.nWorker is not a ParallelMap option; did you mean options.nWorkers? (keyword arguments for the function belong in options.kwargs)',
    ],
    [
      'ACME snake_case name',
      { n_inputs: 2 },
      'n_inputs',
      'options.n_inputs is not a ParallelMap option; did you mean options.nInputs? (keyword arguments for the function belong in options.kwargs)',
    ],
    [
      'ACME write_pickle',
      { write_pickle: true },
      'write_pickle',
      'options.write_pickle is not a ParallelMap option; did you mean options.serializeResults? (keyword arguments for the function belong in options.kwargs)',
    ],
    ['verbose', { verbose: 'yes' }, 'verbose', 'options.verbose must be true, false or undefined, got "yes"'],
    ['nInputs string', { nInputs: 'many' }, 'nInputs', 'options.nInputs must be "auto" or a non-negative integer, got "many"'],
    ['nInputs negative', { nInputs: -1 }, 'nInputs', 'options.nInputs must be "auto" or a non-negative integer, got -1'],
    ['nInputs fraction', { nInputs: 2.5 }, 'nInputs', 'options.nInputs must be "auto" or a non-negative integer, got 2.5'],
    ['nInputs boolean', { nInputs: true }, 'nInputs', 'options.nInputs must be "auto" or a non-negative integer, got true'],
    ['dryrun', { dryrun: 1 }, 'dryrun', 'options.dryrun must be true or false, got 1'],
    ['writeWorkerResults', { writeWorkerResults: 'no' }, 'writeWorkerResults', 'options.writeWorkerResults must be true or false, got "no"'],
    ['singleFile', { singleFile: null }, 'singleFile', 'options.singleFile must be true or false, got null'],
    ['serializeResults', { serializeResults: 0 }, 'serializeResults', 'options.serializeResults must be true or false, got 0'],
    [
      'singleFile + serializeResults',
      { singleFile: true, serializeResults: true },
      'singleFile',
      'options.singleFile and options.serializeResults cannot be combined: serialized results are one file per call; set one of them to false',
    ],
    ['outputDir', { outputDir: 5 }, 'outputDir', 'options.outputDir must be a non-empty string or undefined, got 5'],
    [
      'cleanupThresholdDays negative',
      { cleanupThresholdDays: -1 },
      'cleanupThresholdDays',
      'options.cleanupThresholdDays must be a number of days ≥ 0 (0 removes every earlier ACME_* folder) or undefined, got -1',
    ],
    [
      'cleanupThresholdDays string',
      { cleanupThresholdDays: '7' },
      'cleanupThresholdDays',
      'options.cleanupThresholdDays must be a number of days ≥ 0 (0 removes every earlier ACME_* folder) or undefined, got "7"',
    ],
    ['logfile', { logfile: 3 }, 'logfile', 'options.logfile must be true, false, undefined or a file path, got 3'],
    [
      'resultShape type',
      { resultShape: 5 },
      'resultShape',
      'options.resultShape must be an array like [null, 10] (null marks the dimension along which calls are stacked), or an object of them by returned key like { spectrum: [null, 1024] }, got 5',
    ],
    [
      'resultShape entry',
      { resultShape: [null, 'a'] },
      'resultShape',
      'options.resultShape entries must be non-negative integers, Infinity or null, got "a" at index 1',
    ],
    [
      'resultShape negative',
      { resultShape: [null, -2] },
      'resultShape',
      'options.resultShape entries must be non-negative integers, Infinity or null, got -2 at index 1',
    ],
    [
      'resultShape NaN',
      { resultShape: [NaN, null] },
      'resultShape',
      'options.resultShape entries must be non-negative integers, Infinity or null, got NaN at index 0',
    ],
    [
      'resultShape no null',
      { resultShape: [10, 3] },
      'resultShape',
      'options.resultShape must contain exactly one null (the dimension along which calls are stacked), got [10, 3]',
    ],
    [
      'resultShape two nulls',
      { resultShape: [null, null] },
      'resultShape',
      'options.resultShape must contain exactly one null (the dimension along which calls are stacked), got [null, null]',
    ],
    [
      'resultShape two Infinity',
      { resultShape: [null, Infinity, Infinity] },
      'resultShape',
      'options.resultShape may contain at most one Infinity (unlimited dimension), got [null, Infinity, Infinity]',
    ],
    [
      'resultShape Infinity in memory',
      { writeWorkerResults: false, resultShape: [null, Infinity] },
      'resultShape',
      'options.resultShape may only contain Infinity when options.writeWorkerResults is true (in-memory results are allocated before the calls run), got [null, Infinity]',
    ],
    [
      'resultDtype',
      { resultDtype: 'complex256' },
      'resultDtype',
      'options.resultDtype must be a numeric dtype name (float64, float32, float16, complex64, complex128, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool, or numpy aliases such as "float", "double" or "complex"), got "complex256"',
    ],
    ['nWorkers zero', { nWorkers: 0 }, 'nWorkers', 'options.nWorkers must be a positive integer or "auto", got 0'],
    ['nWorkers string', { nWorkers: 'all' }, 'nWorkers', 'options.nWorkers must be a positive integer or "auto", got "all"'],
    ['timeout zero', { timeout: 0 }, 'timeout', 'options.timeout must be a positive number of milliseconds (at most 2147483647) or undefined, got 0'],
    [
      'timeout too large',
      { timeout: 2 ** 31 },
      'timeout',
      'options.timeout must be a positive number of milliseconds (at most 2147483647) or undefined, got 2147483648',
    ],
    [
      'concurrency zero',
      { concurrency: 0 },
      'concurrency',
      'options.concurrency must be a positive integer (calls each worker runs at once, at most 1024), got 0',
    ],
    [
      'concurrency fraction',
      { concurrency: 2.5 },
      'concurrency',
      'options.concurrency must be a positive integer (calls each worker runs at once, at most 1024), got 2.5',
    ],
    [
      'concurrency too large',
      { concurrency: 4096 },
      'concurrency',
      'options.concurrency must be a positive integer (calls each worker runs at once, at most 1024), got 4096',
    ],
    ['isolation', { isolation: 'vm' }, 'isolation', 'options.isolation must be "thread" (worker threads) or "process" (child processes), got "vm"'],
    ['signal', { signal: {} }, 'signal', 'options.signal must be an AbortSignal or undefined, got an object'],
    ['kwargs', { kwargs: [1, 2] }, 'kwargs', 'options.kwargs must be a plain object of keyword arguments for the function, got [1, 2]'],
    ['backend', { backend: 'slrum' }, 'backend', 'options.backend must be "local", "slurm" or undefined, got "slrum"'],
    ['slurm', { slurm: 'p' }, 'slurm', 'options.slurm must be an object of SLURM settings or undefined, got "p"'],
    ['name', { name: '' }, 'name', 'options.name must be a non-empty string or undefined, got ""'],
    ['debug', { debug: 'yes' }, 'debug', 'options.debug must be true or false, got "yes"'],
    [
      'retries type',
      { retries: 'twice' },
      'retries',
      'options.retries must be a non-negative integer (how many times a failed call runs again) or { attempts, on, backoffMs }, got "twice"',
    ],
    [
      'retries negative',
      { retries: -1 },
      'retries',
      'options.retries must be a non-negative integer (how many times a failed call runs again) or { attempts, on, backoffMs }, got -1',
    ],
    [
      'retries unknown setting',
      { retries: { attempt: 2 } },
      'retries',
      'options.retries.attempt is not a retries setting; the settings are attempts, on and backoffMs',
    ],
    [
      'retries.attempts',
      { retries: { attempts: 1.5 } },
      'retries',
      'options.retries.attempts must be a non-negative integer (how many times a failed call runs again), got 1.5',
    ],
    [
      'retries.on not an array',
      { retries: { on: 'error' } },
      'retries',
      'options.retries.on must be an array of failure reasons ("worker-exit", "timeout", "out-of-memory", "node-fail", "error"), got "error"',
    ],
    [
      'retries.on entry',
      { retries: { on: ['timeout', 'oom'] } },
      'retries',
      'options.retries.on[1] must be one of "worker-exit", "timeout", "out-of-memory", "node-fail", "error", got "oom"',
    ],
    [
      'retries.backoffMs',
      { retries: { backoffMs: -5 } },
      'retries',
      'options.retries.backoffMs must be a number of milliseconds ≥ 0 (at most 2147483647), got -5',
    ],
    [
      'named resultShape: a key HDF5 cannot name',
      { resultShape: { 'a/b': [null] } },
      'resultShape',
      `options.resultShape key "a/b" cannot name a stacked HDF5 dataset: '/' separates HDF5 path components; rename the key (in options.resultShape and in what the function returns)`,
    ],
    [
      'named resultShape: a key that would collide with a call group',
      { resultShape: { comp_3: [null] } },
      'resultShape',
      `options.resultShape key "comp_3" cannot name a stacked HDF5 dataset: the container's calls are its comp_<i> groups; rename the key (in options.resultShape and in what the function returns)`,
    ],
    [
      "named resultShape: the singleFile writer's own group name",
      { resultShape: { '.acme-reserved': [null] } },
      'resultShape',
      `options.resultShape key ".acme-reserved" cannot name a stacked HDF5 dataset: the singleFile writer keeps that name for itself; rename the key (in options.resultShape and in what the function returns)`,
    ],
    [
      'named resultShape: no key',
      { resultShape: {} },
      'resultShape',
      'options.resultShape must name at least one key to stack, like { spectrum: [null, 1024] }, got {}',
    ],
    [
      'named resultShape: an entry that is not a shape',
      { resultShape: { spectrum: 1024 } },
      'resultShape',
      'options.resultShape.spectrum must be an array like [null, 10] (null marks the dimension along which calls are stacked), got 1024',
    ],
    [
      'named resultShape: no null',
      { resultShape: { mean: [null], spectrum: [1024] } },
      'resultShape',
      'options.resultShape.spectrum must contain exactly one null (the dimension along which calls are stacked), got [1024]',
    ],
    [
      'named resultShape: a bad entry',
      { resultShape: { spectrum: [null, -1] } },
      'resultShape',
      'options.resultShape.spectrum entries must be non-negative integers, Infinity or null, got -1 at index 1',
    ],
    [
      'named resultShape: Infinity in memory',
      { writeWorkerResults: false, resultShape: { trace: [null, Infinity] } },
      'resultShape',
      'options.resultShape.trace may only contain Infinity when options.writeWorkerResults is true (in-memory results are allocated before the calls run), got [null, Infinity]',
    ],
    [
      'named resultDtype: a key resultShape does not stack',
      { resultShape: { spectrum: [null, 4], mean: [null] }, resultDtype: { spectrum: 'float32', sd: 'float32' } },
      'resultDtype',
      'options.resultDtype.sd names no key of options.resultShape (spectrum, mean); add sd to options.resultShape or remove it from options.resultDtype',
    ],
    [
      'named resultDtype: a bad name for a key',
      { resultShape: { spectrum: [null, 4] }, resultDtype: { spectrum: 'float128' } },
      'resultDtype',
      'options.resultDtype.spectrum must be a numeric dtype name (float64, float32, float16, complex64, complex128, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool, or numpy aliases such as "float", "double" or "complex"), got "float128"',
    ],
    [
      'named resultDtype: neither a name nor an object',
      { resultShape: { spectrum: [null, 4] }, resultDtype: 5 },
      'resultDtype',
      "options.resultDtype must be one dtype name or an object of them by key of options.resultShape (e.g. { spectrum: 'float32' }), got 5",
    ],
    [
      'resultDtype by key without the named resultShape',
      { resultShape: [null, 4], resultDtype: { spectrum: 'float32' } },
      'resultDtype',
      'options.resultDtype must be a numeric dtype name (float64, float32, float16, complex64, complex128, int8, int16, int32, int64, uint8, uint16, uint32, uint64, bool, or numpy aliases such as "float", "double" or "complex"), got an object; an object of dtypes by key goes with a named options.resultShape like { spectrum: [null, 1024] }',
    ],
  ])('%s', (_label, raw, option, message) => {
    const error = rejection(raw);
    expect(error.code).toBe('ERR_ACME_OPTION');
    expect(error.option).toBe(option);
    expect(error.message).toBe(message);
  });

  test('the named resultShape: shapes by key, resultDtype one name for all keys or by key (float64 where not given)', () => {
    const byKey = validateOptions({ resultShape: { spectrum: [null, 1024], mean: [null] }, resultDtype: { spectrum: 'f4' } });
    expect(byKey.resultShape).toEqual({ spectrum: [null, 1024], mean: [null] });
    expect(byKey.resultDtype).toEqual({ spectrum: 'float32', mean: 'float64' });
    expect(byKey.stackingDim).toBeUndefined();
    expect(validateOptions({ resultShape: { spectrum: [null, 2], mean: [null] }, resultDtype: 'int32' }).resultDtype).toEqual({
      spectrum: 'int32',
      mean: 'int32',
    });
    // Dropped with the resultShape it belongs to when results are serialized.
    const serialized = validateOptions({ serializeResults: true, resultShape: { mean: [null] }, resultDtype: { mean: 'int8' } });
    expect([serialized.resultShape, serialized.resultDtype]).toEqual([undefined, 'float64']);
  });

  test('verbose is checked before nInputs, as in ACME', () => {
    expect(rejection({ verbose: 1, nInputs: -1 }).option).toBe('verbose');
  });

  test('an unknown name far from every option lists the known ones', () => {
    expect(rejection({ zzzzzzzzzzzz: 1 }).message).toBe(
      'options.zzzzzzzzzzzz is not a ParallelMap option; known options are nInputs, writeWorkerResults, outputDir, resultShape, resultDtype, singleFile, serializeResults, nWorkers, timeout, concurrency, isolation, verbose, logfile, dryrun, debug, retries, cleanupThresholdDays, signal, kwargs, backend, slurm, name, allowChangedFunction, logger, onProgress, dashboard (keyword arguments for the function belong in options.kwargs)',
    );
  });

  test('suggestions', () => {
    expect(suggestOption('outputdir')).toBe('outputDir');
    expect(suggestOption('result_shape')).toBe('resultShape');
    expect(suggestOption('singlefile')).toBe('singleFile');
    expect(suggestOption('tiemout')).toBe('timeout');
    expect(suggestOption('partition')).toBeUndefined();
  });
});
