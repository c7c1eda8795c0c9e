// The CLI's parsing pieces in-process: inputs, flag values, core messages in flag terms,
// "did you mean" for flags, progress and summary lines, colors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDatasetRows, isRange, type DatasetRows } from '@acme-ts/core';
import { H5File } from '@acme-ts/hdf5-native';
import { UsageError, InputError } from './errors';
import { explainParseFailure, main } from './cli';
import { inFlagTerms, parseResultDtype, parseResultShape, parseSeconds, parseTaskIDs, retrySettings, runOptions, executionOptions } from './flags';
import { parseInput, parseKeywordInput } from './inputs';
import { formatProgress, RunProgress } from './progress';
import { formatSummary, toJson } from './session';
import { colorsFor } from './io';
import { formatIdList } from './commands/status';

const cwd = __dirname;
const value = (text: string) => parseInput(text, 'input 1', { cwd });

test('literals: numbers, booleans, null, JSON, BigInt; other words stay strings', () => {
  expect(value('4')).toBe(4);
  expect(value('-2.5')).toBe(-2.5);
  expect(value('1e3')).toBe(1000);
  expect(value('inf')).toBe(Infinity);
  expect(value('-Infinity')).toBe(-Infinity);
  expect(value('NaN')).toBeNaN();
  expect(value('12n')).toBe(12n);
  expect(value('true')).toBe(true);
  expect(value('null')).toBeNull();
  expect(value('[1,2,3]')).toEqual([1, 2, 3]);
  expect(value('{"a":[1]}')).toEqual({ a: [1] });
  expect(value('"true"')).toBe('true');
  expect(value('hello')).toBe('hello');
  expect(value('a:b')).toBe('a:b');
  expect(value('http://x')).toBe('http://x');
});

test("range:, split:, broadcast: use core's range and markers", () => {
  const r = value('range:2:11:3') as ArrayLike<number>;
  expect(isRange(r)).toBe(true);
  expect(Array.from(r)).toEqual([2, 5, 8]);
  expect(Array.from(value('range:4') as ArrayLike<number>)).toEqual([0, 1, 2, 3]);
  const split = value('split:[1,2]') as Record<symbol, unknown>;
  expect(split[Symbol.for('acme-ts.split')]).toBe(true);
  const broadcast = value('broadcast:range:3') as { value: unknown } & Record<symbol, unknown>;
  expect(broadcast[Symbol.for('acme-ts.broadcast')]).toBe(true);
  expect(isRange(broadcast.value)).toBe(true);
});

test('bad inputs name the input and the fix', () => {
  expect(() => value('range:0:x')).toThrow(/^input 1: "range:0:x" is not a range; write range:STOP/);
  expect(() => value('range:0:10:0')).toThrow(/range step must not be 0/);
  expect(() => value('brodcast:[1]')).toThrow(/did you mean "broadcast:"/);
  expect(() => value('split:5')).toThrow(/split: needs a list/);
  expect(() => value('{a:1}')).toThrow(InputError);
  expect(() => value('h5:nofile')).toThrow(/names no dataset; write h5:FILE:\/DATASET/);
  expect(() => parseKeywordInput('1x=2', { cwd })).toThrow(/^--kwarg: expected name=value/);
  expect(parseKeywordInput('y=range:3', { cwd })[0]).toBe('y');
  expect(() => parseKeywordInput('y=rnage:3', { cwd })).toThrow(/^--kwarg y: "rnage:"/);
});

test('flag values: result shape, durations, counts, conflicts', () => {
  expect(parseResultShape('null,10,9')).toEqual([null, 10, 9]);
  expect(parseResultShape('[None, inf]')).toEqual([null, Infinity]);
  expect(parseResultShape('(null, Infinity, 3)')).toEqual([null, Infinity, 3]);
  expect(() => parseResultShape('null,-1')).toThrow(/entry 2 is "-1"/);
  // The named form: a JSON object of shapes by returned key.
  expect(parseResultShape('{"spectrum": [null, 1024], "trace": [null, "inf"]}')).toEqual({ spectrum: [null, 1024], trace: [null, Infinity] });
  expect(() => parseResultShape('{"spectrum": [null, 1024]')).toThrow(/--result-shape with named keys must be a JSON object of shapes like/);
  expect(() => parseResultShape('{"spectrum": 3}')).toThrow(`--result-shape's key "spectrum" must be a shape like [null, 1024], got 3`);
  expect(() => parseResultShape('{"spectrum": [null, -1]}')).toThrow(/--result-shape's spectrum entries must be non-negative integers.*entry 2 is "-1"/);
  expect(parseResultDtype('{"spectrum": "float32"}')).toEqual({ spectrum: 'float32' });
  expect(parseResultDtype('int8')).toBe('int8');
  expect(parseSeconds('90', '--timeout')).toBe(90);
  expect(parseSeconds('500ms', '--timeout')).toBe(0.5);
  expect(parseSeconds('5m', '--timeout')).toBe(300);
  expect(() => parseSeconds('0', '--timeout')).toThrow(UsageError);
  expect(runOptions({ timeout: '2s', nWorkers: 'auto', nInputs: '0', resultShape: 'null' })).toMatchObject({
    timeout: 2000,
    nWorkers: 'auto',
    nInputs: 0,
    resultShape: [null],
    verbose: false,
  });
  expect(runOptions({ concurrency: '16', isolation: 'process' })).toMatchObject({ concurrency: 16, isolation: 'process' });
  expect(() => runOptions({ concurrency: '0' })).toThrow('--concurrency must be a positive integer, got "0"');
  expect(() => runOptions({ concurrency: 'auto' })).toThrow('--concurrency must be a positive integer, got "auto"');
  expect(() => runOptions({ nInputs: 'many' })).toThrow(/--n-inputs must be a non-negative integer or "auto", got "many"/);
  expect(() => runOptions({ singleFile: true, serializeResults: true })).toThrow(/--single-file and --serialize-results/);
  expect(() => executionOptions({ quiet: true, verbose: true })).toThrow(/--quiet and --verbose/);
  expect(
    executionOptions({ partition: 'gpu', sbatchOption: ['--a=1', '--b=2'], timeLimit: '90', setupTimeout: '2m', memPerWorker: '2x', cpusPerWorker: '4' }).slurm,
  ).toEqual({
    partition: 'gpu',
    sbatchOptions: ['--a=1', '--b=2'],
    timeLimit: 90,
    setupTimeout: 120,
    memPerWorker: '2x',
    cpusPerWorker: 4,
  });
  expect(executionOptions({ gpusPerWorker: '2', constraint: 'a100&ib', qos: 'normal' }).slurm).toEqual({
    gpusPerWorker: 2,
    constraint: 'a100&ib',
    qos: 'normal',
  });
  expect(() => executionOptions({ gpusPerWorker: 'two' })).toThrow('--gpus-per-worker must be a positive integer, got "two"');
  expect(inFlagTerms('options.slurm.gpusPerWorker must be at most 4')).toBe('--gpus-per-worker must be at most 4');
  expect(inFlagTerms('options.slurm.retries.outOfMemory.maxMemory must be a memory size')).toBe('slurm.retries.outOfMemory.maxMemory must be a memory size');
  expect(executionOptions({ logfile: false }).logfile).toBe(false);
  expect(inFlagTerms('options.resultDtype.mean must be a numeric dtype name')).toBe("--result-dtype's key mean must be a numeric dtype name");
});

test('core messages are said in flags', () => {
  expect(inFlagTerms('options.nWorkers must be a positive integer or "auto", got 0')).toBe('--n-workers must be a positive integer or "auto", got 0');
  expect(inFlagTerms('options.slurm.sbatchOptions[0] must be …')).toBe('--sbatch-option[0] must be …');
  expect(inFlagTerms('positional argument 0 is marked split() but has 2 elements, not nInputs = 3')).toBe(
    'input 1 is marked split() but has 2 elements, not --n-inputs = 3',
  );
  expect(inFlagTerms('keyword argument y has …')).toBe('--kwarg y has …');
});

test('parse failures: did-you-mean for flags and commands, usage for missing arguments', () => {
  expect(explainParseFailure('Unknown arguments: singel-file, singelFile', ['run', 'x#y', '--singel-file']).message).toBe(
    'unknown flag --singel-file (did you mean --single-file?); see acme-ts run --help for its flags',
  );
  expect(explainParseFailure('Unknown argument: verbos', ['rerun', 'dir', '--verbos']).message).toMatch(/did you mean --verbose\?/);
  expect(explainParseFailure('Unknown argument: x', ['status', 'a', 'x']).message).toBe(
    'unexpected argument "x"; usage: acme-ts status <output-folder> [--json]',
  );
  expect(explainParseFailure('Not enough non-option arguments: got 0, need at least 1', ['export']).message).toContain(
    'usage: acme-ts export <container.h5> <out.h5>',
  );
});

test('progress and summary lines; colors only on a terminal and never with NO_COLOR', () => {
  expect(formatProgress('f', { total: 40, done: 18, failed: 1, running: 2 }, 4)).toBe(
    'f  47% |███████████             | 18 done, 1 failed, 2 running of 40 [00:04<00:04, 4.8 calls/s]',
  );
  expect(formatSummary(10, 8, 2, 0, 3.14159, colorsFor({ isTTY: false, write: () => true }, {}))).toBe('10 calls: 8 done, 2 failed in 3.1 s');
  expect(formatSummary(10, 4, 0, 6, 1, colorsFor({ isTTY: false, write: () => true }, {}))).toBe('10 calls: 4 done, 0 failed, 6 not run in 1.0 s');
  expect(colorsFor({ isTTY: true, write: () => true }, {}).red('x')).toBe('\x1b[31mx\x1b[0m');
  expect(colorsFor({ isTTY: true, write: () => true }, { NO_COLOR: '1' }).red('x')).toBe('x');
  expect(formatIdList([0, 1, 2, 5, 7, 8])).toBe('0-2, 5, 7-8');
  expect(toJson([Float32Array.of(1.5), 2n ** 60n, new Map([['a', 1]]), NaN])).toBe('[[1.5],"1152921504606846976",{"a":1},null]');
});

test('on a terminal the progress line is redrawn in place and ended with a newline', async () => {
  let written = '';
  const progress = new RunProgress({ isTTY: true, write: (t: string) => (written += t) }, 3, { label: 'f', workers: 2, enabled: true });
  progress.settled(true);
  // Until the first redraw (every 200 ms; later on a loaded machine).
  for (const deadline = Date.now() + 10_000; written === '' && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
  progress.settled(false);
  progress.stop();
  expect(written.startsWith('\r\x1b[2Kf  33% |')).toBe(true);
  expect(written).toContain('1 done, 0 failed, 2 running of 3');
  expect(written).toMatch(/\r\x1b\[2Kf  66% \|[█ ]+\| 1 done, 1 failed, 1 running of 3 \[[^\]]+\]\n$/);
});

test('a note (a SLURM job id) goes above the progress line, which is redrawn; a plain line otherwise', () => {
  let tty = '';
  const progress = new RunProgress({ isTTY: true, write: (t: string) => (tty += t) }, 3, { label: 'f', workers: 2, enabled: false });
  progress.note('SLURM job array 12');
  expect(tty).toBe('SLURM job array 12\n');
  (progress as unknown as { drawn: boolean }).drawn = true;
  tty = '';
  progress.note('SLURM job array 13');
  expect(tty.startsWith('\r\x1b[2KSLURM job array 13\n\r\x1b[2Kf   0% |')).toBe(true);
  progress.stop();
});

test('main() runs in-process and returns the exit status', async () => {
  let err = '';
  const io = { stdout: { write: () => true }, stderr: { write: (t: string) => (err += t) }, env: {} };
  expect(await main(['status', '/definitely/not/here'], io)).toBe(2);
  expect(err).toContain('/definitely/not/here does not exist');
});

test('--retries, --retry-on, --retry-backoff become options.retries; each wrong value names its flag', () => {
  expect(retrySettings({})).toBeUndefined();
  expect(executionOptions({ retries: '2', retryOn: 'worker-exit, error', retryBackoff: '500ms', debug: true })).toMatchObject({
    retries: { attempts: 2, on: ['worker-exit', 'error'], backoffMs: 500 },
    debug: true,
  });
  expect(retrySettings({ retryBackoff: '0' })).toEqual({ backoffMs: 0 });
  const usage = (f: () => unknown) => {
    try {
      f();
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return [(error as UsageError).flag, (error as Error).message];
    }
    throw new Error('accepted');
  };
  expect(usage(() => retrySettings({ retries: 'two' }))).toEqual([
    '--retries',
    '--retries must be a non-negative integer (how many times a failed call runs again), got "two"',
  ]);
  expect(usage(() => retrySettings({ retryOn: 'timeout,oom' }))).toEqual([
    '--retry-on',
    '--retry-on takes failure reasons separated by commas, from worker-exit, timeout, out-of-memory, node-fail, error; got "oom"',
  ]);
  expect(usage(() => retrySettings({ retryBackoff: 'soon' }))[0]).toBe('--retry-backoff');
});

test('--only: taskIDs and ranges, ascending and each once', () => {
  expect(parseTaskIDs(undefined, '--only')).toBeUndefined();
  expect(parseTaskIDs('17-20,3, 18', '--only')).toEqual([3, 17, 18, 19, 20]);
  expect(() => parseTaskIDs('5-3', '--only')).toThrow('--only takes taskIDs and ranges separated by commas, like 3,17-20; got "5-3"');
  expect(() => parseTaskIDs('', '--only')).toThrow('got ""');
});

describe('h5: inputs: which datasets the workers read by rows (core datasetRows)', () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'acme-cli-h5-rows-'));
    file = join(dir, 'd.h5');
    const h5 = H5File.create(file);
    h5.writeDatasets([
      { path: '/v', dtype: 'float64', shape: [3], data: Float64Array.of(1, 2, 3) },
      { path: '/col', dtype: 'int32', shape: [3, 1], data: Int32Array.of(4, 5, 6) },
      { path: '/m', dtype: 'float64', shape: [3, 2], data: Float64Array.of(0, 1, 2, 3, 4, 5) },
      { path: '/z', dtype: 'complex128', shape: [2], data: Float64Array.of(1, 2, 3, 4) },
    ]);
    h5.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const lazy = (text: string) => parseInput(text, 'input 1', { cwd: dir, lazyDatasetBytes: 0 });

  test('above the size limit, a dataset the rules would split (1-D, or only its first extent above 1) is read by rows, the same values', () => {
    const v = lazy('h5:d.h5:/v');
    expect(isDatasetRows(v)).toBe(true);
    expect(Array.from({ length: 3 }, (_, i) => (v as ArrayLike<unknown>)[i])).toEqual([1, 2, 3]);
    const col = lazy('h5:d.h5:/col') as DatasetRows;
    expect([isDatasetRows(col), col.length, col[2]]).toEqual([true, 3, { data: Int32Array.of(6), shape: [1] }]);
    // Below it (16 MiB by default), read whole as before.
    expect(parseInput('h5:d.h5:/v', 'input 1', { cwd: dir })).toEqual(Float64Array.of(1, 2, 3));
  });

  test('a 2-D dataset stays one broadcast {data, shape} unless split:h5: splits it along its first axis; complex stays whole', () => {
    expect(lazy('h5:d.h5:/m')).toEqual({ data: Float64Array.of(0, 1, 2, 3, 4, 5), shape: [3, 2] });
    const forced = parseInput('split:h5:d.h5:/m', 'input 1', { cwd: dir }) as { values: DatasetRows };
    expect(isDatasetRows(forced.values)).toBe(true);
    expect(forced.values[1]).toEqual({ data: Float64Array.of(2, 3), shape: [2] });
    expect(lazy('h5:d.h5:/z')).toEqual(Float64Array.of(1, 2, 3, 4));
    expect(() => value(`split:h5:${file}:/nothing`)).toThrow(/has no dataset \/nothing; its datasets: \/col, \/m, \/v, \/z/);
  });
});
