// `acme-ts run`, `status` and `rerun` as a user runs them: the real executable as a child
// process; the files it writes are checked with h5py (the independent reader).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { h5dump, tempDir } from './support/h5';
import { acme, python, start, TASKS, until } from './fixtures/cli-harness';

let work: string;
beforeAll(() => {
  work = tempDir('cli-run');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const compKeys = (dump: Record<string, unknown>) => Object.keys(dump).filter((k) => /^\/comp_\d+$/.test(k));

test('run: default layout, keyword arguments, printed folder/container/summary, h5py reads every call', async () => {
  const r = await acme(['run', `${TASKS}#scaled`, 'range:0:6', '--kwarg', 'factor=2', '--kwarg', 'offset=-0.5', '--n-workers', '2', '-o', 'plain'], {
    cwd: work,
  });
  expect(r.stderr).toContain('acme-ts run: 6 calls of scaled');
  expect(r.code).toBe(0);
  const folder = path.join(work, 'plain');
  expect(r.stdout).toContain(`output folder: ${folder}\n`);
  expect(r.stdout).toContain(`container:     ${path.join(folder, 'scaled.h5')}\n`);
  expect(r.stdout).toMatch(/^6 calls: 6 done, 0 failed in \d+\.\d s$/m);
  const dump = h5dump(path.join(folder, 'scaled.h5'));
  expect(compKeys(dump)).toHaveLength(6);
  expect(dump['/comp_4']).toMatchObject({ kind: 'external-link', file: 'scaled_payload/scaled_4.h5' });
  expect(dump['/comp_4/result_0'].values).toEqual([7.5]);
});

test('run: the automatic folder is ACME_<date>-<time> in the working directory', async () => {
  const cwd = path.join(work, 'auto');
  fs.mkdirSync(cwd);
  const r = await acme(['run', `${TASKS}#randout`, '[1,2]', '-q'], { cwd });
  expect(r.code).toBe(0);
  expect(r.stderr).toBe('');
  const [folder] = fs.readdirSync(cwd);
  expect(folder).toMatch(/^ACME_\d{8}-\d{6}-\d{6}$/);
  expect(r.stdout).toContain(`output folder: ${path.join(cwd, folder!)}`);
});

test('run: --result-shape null,10,9 gives a virtual (n, 10, 9) dataset; --single-file a regular one', async () => {
  const vds = await acme(['run', `${TASKS}#matconstruct`, 'range:0:4', '--result-shape', 'null,10,9', '--result-dtype', 'float32', '-o', 'stacked', '-q'], {
    cwd: work,
  });
  expect(vds.code).toBe(0);
  const dump = h5dump(path.join(work, 'stacked', 'matconstruct.h5'));
  expect(dump['/result_0']).toMatchObject({ virtual: true, shape: [4, 10, 9], dtype: 'float32' });
  expect(dump['/result_0'].values[3][2][5]).toBeCloseTo(Math.cos(3 + 10) / 3, 6);

  const single = await acme(['run', `${TASKS}#matconstruct`, 'range:0:3', '--result-shape', '[null, 10, inf]', '--single-file', '-o', 'single', '-q'], {
    cwd: work,
  });
  expect(single.code).toBe(0);
  const s = h5dump(path.join(work, 'single', 'matconstruct.h5'));
  expect(s['/result_0']).toMatchObject({ virtual: false, shape: [3, 10, 9], maxshape: [3, 10, null] });
});

test('run: inputs from a JSON file, an h5py-made HDF5 dataset, and split:/broadcast: markers; --no-write-worker-results prints JSON', async () => {
  fs.writeFileSync(path.join(work, 'xs.json'), '[1, 2, 3]');
  python("with h5py.File('in.h5', 'w') as f:\n    f['x'] = np.array([4, 5, 6], dtype='int32')\n    f['grp/m'] = np.ones((3, 2))", work);

  const json = await acme(['run', `${TASKS}#randout`, '@xs.json', '2', '--no-write-worker-results'], { cwd: work });
  expect(json.code).toBe(0);
  expect(JSON.parse(json.stdout)).toEqual([0.5, 1, 1.5]);
  expect(json.stderr).toMatch(/3 calls: 3 done, 0 failed/);

  const h5 = await acme(['run', `${TASKS}#randout`, 'h5:in.h5:/x', '--no-write-worker-results', '-q'], { cwd: work });
  expect(h5.code).toBe(0);
  expect(JSON.parse(h5.stdout)).toEqual([4 / 3, 5 / 3, 2]);

  // [1, 2, 3] has the length of the calls, so it would be split; broadcast: passes it whole.
  const b = await acme(['run', `${TASKS}#addSum`, 'split:[10,20,30]', 'broadcast:[1,2,3]', '--no-write-worker-results', '-q'], { cwd: work });
  expect(JSON.parse(b.stdout)).toEqual([16, 26, 36]);

  // An N-D dataset is broadcast ({data, shape}); --n-inputs repeats the call.
  const repeat = await acme(['run', `${TASKS}#randout`, '-2.5', '--n-inputs', '3', '--no-write-worker-results', '-q'], { cwd: work });
  expect(JSON.parse(repeat.stdout)).toEqual([-7.5, -7.5, -7.5]);
});

test('run: failed calls exit 1 with each failure listed; status lists them; rerun finishes in place', async () => {
  const marker = path.join(work, 'fixed');
  const r = await acme(['run', `${TASKS}#failOdd`, 'range:0:6', JSON.stringify(marker), '-o', 'fails', '--n-workers', '2'], { cwd: work });
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/^6 calls: 3 done, 3 failed in/m);
  expect(r.stderr).toContain('call 3 (error): RangeError: odd input 3');
  expect(r.stderr).toContain(`acme-ts rerun ${path.join(work, 'fails')}`);

  const status = await acme(['status', 'fails'], { cwd: work });
  // Incomplete, no client running: exit 1 (0 only once complete).
  expect(status.code).toBe(1);
  expect(status.stdout).toContain('3 done, 3 failed, 0 missing');
  expect(status.stdout).toContain('call 5 (error): RangeError: odd input 5');
  const json = JSON.parse((await acme(['status', 'fails', '--json'], { cwd: work })).stdout);
  expect(json).toMatchObject({ complete: false, counts: { done: 3, failed: 3, missing: 0 } });
  expect(json.failed.map((f: { taskID: number }) => f.taskID)).toEqual([1, 3, 5]);
  expect(json.failed[0]).toMatchObject({ name: 'RangeError', message: 'odd input 1', reason: 'error' });

  const payload = path.join(work, 'fails', 'failOdd_payload');
  const before = new Map(fs.readdirSync(payload).map((f) => [f, fs.statSync(path.join(payload, f)).mtimeMs]));
  fs.writeFileSync(marker, '');
  const rerun = await acme(['rerun', 'fails', '--n-workers', '1'], { cwd: work });
  expect(rerun.code).toBe(0);
  expect(rerun.stderr).toContain('acme-ts rerun: 3 calls of failOdd (3 of 6 already done)');
  expect(rerun.stdout).toMatch(/^6 calls: 6 done, 0 failed in/m);
  for (const [file, mtime] of before) expect(fs.statSync(path.join(payload, file)).mtimeMs).toBe(mtime);
  const dump = h5dump(path.join(work, 'fails', 'failOdd.h5'));
  expect(compKeys(dump)).toHaveLength(6);
  expect(dump['/comp_5/result_0'].values).toEqual([50]);
  const complete = await acme(['status', 'fails', '--json'], { cwd: work });
  expect(complete.code).toBe(0);
  expect(JSON.parse(complete.stdout)).toMatchObject({ complete: true, running: null });
});

test('SIGINT stops the run cleanly (exit 130, rerun hint); status shows the missing calls; rerun completes the container', async () => {
  const folder = path.join(work, 'interrupted');
  const run = start(['run', `${TASKS}#slowSquare`, 'range:0:40', '150', '--n-workers', '2', '-o', folder], { cwd: work });
  const payload = path.join(folder, 'slowSquare_payload');
  const finishedFiles = () => (fs.existsSync(payload) ? fs.readdirSync(payload).filter((f) => /^slowSquare_\d+\.h5$/.test(f)).length : 0);
  await until(() => finishedFiles() >= 3, '3 finished calls');
  run.child.kill('SIGINT');
  const r = await run.finished;
  expect(r.code).toBe(130);
  expect(r.stderr).toContain(`finish the run with: acme-ts rerun ${folder}`);
  expect(r.stdout).toMatch(/^40 calls: \d+ done, 0 failed, \d+ not run in/m);

  const status = JSON.parse((await acme(['status', folder, '--json'], { cwd: work })).stdout);
  expect(status.counts.done).toBeGreaterThanOrEqual(3);
  expect(status.counts.done).toBeLessThan(40);
  expect(status.counts.failed).toBe(0);
  expect(status.counts.missing).toBe(40 - status.counts.done);

  const rerun = await acme(['rerun', folder, '-q'], { cwd: work });
  expect(rerun.code).toBe(0);
  expect(rerun.stdout).toMatch(/^40 calls: 40 done, 0 failed in/m);
  const dump = h5dump(path.join(folder, 'slowSquare.h5'));
  expect(compKeys(dump)).toHaveLength(40);
  expect(dump['/comp_39/result_0'].values).toEqual([39 * 39]);
});

test('progress: plain periodic lines when stderr is not a terminal; none with --quiet', async () => {
  const env = { ACME_TS_PROGRESS_INTERVAL: '0.2' };
  const r = await acme(['run', `${TASKS}#slowSquare`, 'range:0:12', '100', '--n-workers', '2', '-o', 'progress'], { cwd: work, env });
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/slowSquare +\d+% \|[█ ]+\| \d+ done, 0 failed, \d running of 12 \[\d\d:\d\d<\d\d:\d\d, [\d.]+ calls\/s\]\n/);
  expect(r.stderr).not.toContain('\r');
  const quiet = await acme(['run', `${TASKS}#slowSquare`, 'range:0:12', '100', '--n-workers', '2', '-o', 'progress-q', '-q'], { cwd: work, env });
  expect(quiet.stderr).toBe('');
});

test('--serialize-results writes <f>_<i>.v8 and says so; --timeout fails slow calls (reason timeout); rerun --timeout raises it', async () => {
  const ser = await acme(['run', `${TASKS}#randout`, 'range:1:4', '--serialize-results', '-o', 'ser', '-q'], { cwd: work });
  expect(ser.code).toBe(0);
  expect(ser.stdout).toContain(`results:       ${path.join(work, 'ser', 'randout_<i>.v8')} (serialized`);
  expect(
    fs
      .readdirSync(path.join(work, 'ser'))
      .filter((f) => f.endsWith('.v8'))
      .sort(),
  ).toEqual(['randout_0.v8', 'randout_1.v8', 'randout_2.v8']);

  const slow = await acme(['run', `${TASKS}#slowSquare`, 'range:0:2', '1500', '--timeout', '200ms', '-o', 'slowcalls', '-q'], { cwd: work });
  expect(slow.code).toBe(1);
  expect(slow.stderr).toContain('call 1 (timeout): TimeoutError');
  const rerun = await acme(['rerun', 'slowcalls', '--timeout', '20s', '-q'], { cwd: work });
  expect(rerun.code).toBe(0);
  expect(h5dump(path.join(work, 'slowcalls', 'slowSquare.h5'))['/comp_1/result_0'].values).toEqual([1]);
});

test('run: files:PATTERN is one call per matching file, in sorted order; no match is an error naming the pattern', async () => {
  const data = path.join(work, 'sweep-data');
  fs.mkdirSync(path.join(data, 'more'), { recursive: true });
  fs.writeFileSync(path.join(data, 'b.txt'), '1\n2\n');
  fs.writeFileSync(path.join(data, 'a.txt'), '10\n');
  fs.writeFileSync(path.join(data, 'more', 'c.txt'), '100\n200\n');
  fs.writeFileSync(path.join(data, 'notes.md'), 'not data');
  const r = await acme(['run', `${TASKS}#sumFile`, 'files:sweep-data/**/*.txt', '-o', 'sweep', '-q'], { cwd: work });
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^3 calls: 3 done, 0 failed in/m);
  const dump = h5dump(path.join(work, 'sweep', 'sumFile.h5'));
  // Sorted: sweep-data/a.txt, sweep-data/b.txt, sweep-data/more/c.txt.
  expect([0, 1, 2].map((i) => dump[`/comp_${i}/result_0`].values[0])).toEqual([10, 3, 300]);

  const none = await acme(['run', `${TASKS}#sumFile`, 'files:sweep-data/*.csv', '-q'], { cwd: work });
  expect(none.code).toBe(2);
  expect(none.stderr).toContain(`input 1: "files:sweep-data/*.csv" matches no file (the pattern is relative to ${work}`);
});

// Issue 14: --kwarg used to arrive as one trailing object, so randout(x, y = 3) computed x / {y}
// (NaN) and matconstruct(k, m = 10) built with m = {m: 3}; both exited 0.
test('run: --kwarg fills the parameter it names (randout y, matconstruct m); mistakes exit 2 naming the parameters, extra inputs warn', async () => {
  const examples = path.join(__dirname, '..', 'examples', 'tasks.js');
  const randout = await acme(['run', `${examples}#randout`, 'range:1:5', '--kwarg', 'y=10', '--no-write-worker-results'], { cwd: work });
  expect(randout.code).toBe(0);
  expect(JSON.parse(randout.stdout)).toEqual([0.1, 0.2, 0.3, 0.4]);

  const mat = await acme(['run', `${examples}#matconstruct`, 'range:0:2', '--kwarg', 'm=3', '--no-write-worker-results'], { cwd: work });
  expect(mat.code).toBe(0);
  const values = JSON.parse(mat.stdout) as { data: number[]; shape: number[] }[];
  expect(values.map((v) => v.shape)).toEqual([
    [3, 2],
    [3, 2],
  ]);
  expect(values[1]!.data[2 * 2 + 1]).toBeCloseTo(Math.cos(1 + 2 * 1), 12);

  const cases: [string[], string][] = [
    [
      ['range:0:3', '--kwarg', 'yy=2'],
      'options.kwargs.yy'.replace('options.kwargs.', '--kwarg ') + ' (did you mean y?) names no parameter of randout(x, y = …)',
    ],
    [['range:0:3', '4', '--kwarg', 'y=2'], 'randout(x, y = …) gets y twice: as input 2 and as --kwarg y; give it once'],
    [
      ['--kwarg', 'y=2', '--n-inputs', '2'],
      "randout(x, y = …) expects 1 positional arguments ('x'), found 0; x has no value: pass it as an input or as --kwarg x",
    ],
  ];
  for (const [words, message] of cases) {
    const r = await acme(['run', `${examples}#randout`, ...words], { cwd: work });
    expect({ words, code: r.code, stderr: r.stderr }).toEqual({ words, code: 2, stderr: expect.stringContaining(message) });
  }
  const extra = await acme(['run', `${examples}#randout`, 'range:1:3', '4', '5', '--no-write-worker-results'], { cwd: work });
  expect(extra.code).toBe(0);
  expect(extra.stderr).toContain("warning: randout(x, y = …) accepts at most 2 positional arguments ('x', 'y'), found 3; the extra ones are ignored");
  expect(JSON.parse(extra.stdout)).toEqual([0.25, 0.5]);
});
