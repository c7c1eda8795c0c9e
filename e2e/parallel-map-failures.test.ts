// Nothing lost when calls fail, a process dies or a run is interrupted; a re-run finishes
// exactly the calls without a valid result.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ComputeError, ParallelMap, range, readCallRecords, runStatus } from '@acme-ts/core';
import { LocalBackend } from '@acme-ts/backend-local';
import { PYTHON, h5copyExpand, h5dump } from './support/h5';
import { TASKS, quiet, useWorkDir } from './support/run-fixtures';

const RUN_SLOW = path.join(__dirname, 'fixtures', 'run-slow.js');
const CLI = path.join(__dirname, '..', 'packages', 'cli', 'dist', 'bin.js');
const workDir = useWorkDir('e2e-failures');

function payloadMtimes(dir: string): Map<string, number> {
  return new Map(fs.readdirSync(dir).map((f) => [f, fs.statSync(path.join(dir, f)).mtimeMs]));
}

test('calls that throw: all others stored, one error lists each failure, status records, re-run does only the failed', async () => {
  const outputDir = path.join(workDir(), 'fail-odd');
  const marker = path.join(workDir(), 'fixed');
  const pmap = new ParallelMap(`${TASKS}#failOdd`, [range(10), marker], { ...quiet, outputDir });
  const error = (await pmap.compute().catch((e) => e)) as ComputeError;
  expect(error).toBeInstanceOf(ComputeError);
  expect(error.code).toBe('ERR_ACME_CALLS_FAILED');
  expect(error.failures.map((f) => f.taskID)).toEqual([1, 3, 5, 7, 9]);
  expect(error.failures[0]).toMatchObject({ name: 'RangeError', message: 'odd input 1', reason: 'error' });
  expect(error.failures[0]!.stack).toContain('failOdd');
  expect(error.message).toContain('call 7 (error): RangeError: odd input 7');

  // The container is valid for the successful calls (no dangling links).
  const dump = h5dump(pmap.resultsContainer!);
  expect(
    Object.keys(dump)
      .filter((k) => /^\/comp_\d+$/.test(k))
      .sort(),
  ).toEqual(['/comp_0', '/comp_2', '/comp_4', '/comp_6', '/comp_8']);
  expect(dump['/comp_4'].resolved ?? h5dump(path.join(outputDir, 'failOdd_payload', 'failOdd_4.h5'))['/result_0']).toBeDefined();
  const records = readCallRecords(outputDir);
  expect(records.get(3)).toMatchObject({ state: 'failed', reason: 'error', error: { name: 'RangeError', message: 'odd input 3' } });
  expect(records.get(4)).toMatchObject({ state: 'done', stored: 'hdf5' });

  // Fix the cause, compute() again: only the 5 failed calls run, the others' files are untouched.
  const before = payloadMtimes(path.join(outputDir, 'failOdd_payload'));
  fs.writeFileSync(marker, '');
  const again = (await pmap.compute()) as string[];
  await pmap.close();
  expect(again).toHaveLength(10);
  const after = payloadMtimes(path.join(outputDir, 'failOdd_payload'));
  for (const [file, mtime] of before) expect(after.get(file)).toBe(mtime);
  expect(after.size).toBe(10);
  const full = h5dump(pmap.resultsContainer!);
  expect(Object.keys(full).filter((k) => /^\/comp_\d+$/.test(k))).toHaveLength(10);
  expect(h5dump(again[7]!)['/result_0'].values).toEqual([70]);
});

test('a new ParallelMap on the same outputDir resumes; another run there is refused', async () => {
  const outputDir = path.join(workDir(), 'resume');
  const marker = path.join(workDir(), 'resume-fixed');
  const first = new ParallelMap(`${TASKS}#failOdd`, [range(6), marker], { ...quiet, outputDir });
  await expect(first.compute()).rejects.toThrow(/3\/6 calls failed/);
  await first.close();
  fs.writeFileSync(marker, '');
  await using second = new ParallelMap(`${TASKS}#failOdd`, [range(6), marker], { ...quiet, outputDir });
  expect(await second.compute()).toHaveLength(6);
  const other = new ParallelMap(`${TASKS}#randout`, [[1, 2]], { ...quiet, outputDir });
  await expect(other.compute()).rejects.toThrow(/options.outputDir .* already holds another run \(6 calls of failOdd\)/);
});

function startClient(outputDir: string, n: number, ms: number, mode: 'payload-files' | 'single' = 'payload-files', func = 'slowSquare') {
  const child = spawn(process.execPath, [RUN_SLOW, outputDir, String(n), String(ms), mode, func], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const waitFor = async (pattern: RegExp) => {
    const deadline = Date.now() + 30000;
    while (!pattern.test(stdout)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output: ${stdout}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, exited, waitFor, output: () => stdout };
}

test("a live client's run is running, not missing: status says so (exit 3), a second client is refused naming it, nothing runs twice", async () => {
  const outputDir = path.join(workDir(), 'live');
  const client = startClient(outputDir, 40, 100);
  await client.waitFor(/done \d+\n/);
  const status = runStatus(outputDir);
  expect(status.client).toMatchObject({ pid: client.child.pid, backend: 'local' });
  const cli = spawnSync(process.execPath, [CLI, 'status', outputDir], { encoding: 'utf8' });
  expect(cli.status).toBe(3);
  expect(cli.stdout).toContain(`running: process ${client.child.pid} on `);
  expect(cli.stdout).toContain('pending calls (running or queued): ');
  expect(cli.stdout).not.toContain('acme-ts rerun');
  // Before: a second client started and computed the pending calls a second time.
  const second = new ParallelMap(`${TASKS}#slowSquare`, [range(40), 100], { ...quiet, outputDir });
  await expect(second.compute()).rejects.toMatchObject({
    code: 'ERR_ACME_RUN_BUSY',
    message: expect.stringContaining(`another acme-ts client (process ${client.child.pid} on this host, local backend, since `),
  });
  await second.close();
  expect(await client.exited).toBe(0);
  expect(runStatus(outputDir)).toMatchObject({ client: undefined, missing: [], failed: [] });
  expect(readCallRecords(outputDir).size).toBe(40);
});

test('a client killed with SIGKILL mid-run: a new run on the folder completes exactly the missing calls', async () => {
  const outputDir = path.join(workDir(), 'killed');
  const client = startClient(outputDir, 60, 100);
  await client.waitFor(/done \d+\n(.|\n)*done \d+\n(.|\n)*done \d+\n/);
  client.child.kill('SIGKILL');
  await client.exited;
  const payloadDir = path.join(outputDir, 'slowSquare_payload');
  const survivors = fs.readdirSync(payloadDir);
  // Only complete files under final names: temporary files never look like results.
  expect(survivors.every((f) => /^slowSquare_\d+\.h5(\.tmp-.*)?$/.test(f))).toBe(true);
  const finished = survivors.filter((f) => /^slowSquare_\d+\.h5$/.test(f));
  expect(finished.length).toBeGreaterThanOrEqual(3);
  expect(finished.length).toBeLessThan(60);
  const before = payloadMtimes(payloadDir);

  await using pmap = new ParallelMap(`${TASKS}#slowSquare`, [range(60), 100], { ...quiet, outputDir });
  const results = (await pmap.compute()) as string[];
  expect(results).toHaveLength(60);
  for (const f of finished) expect(fs.statSync(path.join(payloadDir, f)).mtimeMs).toBe(before.get(f));
  const dump = h5dump(pmap.resultsContainer!);
  expect(Object.keys(dump).filter((k) => /^\/comp_\d+$/.test(k))).toHaveLength(60);
  expect(h5dump(results[59]!)['/result_0'].values).toEqual([59 * 59]);
});

test('singleFile, a client killed with SIGKILL mid-run: the container stays readable, and a new run keeps what the dead one stored', async () => {
  const outputDir = path.join(workDir(), 'killed-single');
  const container = path.join(outputDir, 'slowSquare.h5');
  const client = startClient(outputDir, 60, 100, 'single');
  // Status records (and the journal before them) are written at least once a second.
  await client.waitFor(/^(done \d+\n){30}/);
  client.child.kill('SIGKILL');
  await client.exited;
  // The container is as the run began (libhdf5 never touched it); the dead client wrote a copy.
  expect(Object.keys(h5dump(container)).filter((k) => /^\/comp_/.test(k))).toEqual([]);
  const journals = fs.readdirSync(path.join(outputDir, '.acme-ts', 'journal'));
  expect(journals).toHaveLength(1);
  const doneBeforeKill = [...readCallRecords(outputDir).values()].filter((r) => r.state === 'done').map((r) => r.taskID);
  expect(doneBeforeKill.length).toBeGreaterThanOrEqual(1);
  // Status tells the results are waiting in the journal, not in the container yet.
  expect(runStatus(outputDir).journaled).toBeGreaterThanOrEqual(doneBeforeKill.length);

  await using pmap = new ParallelMap(`${TASKS}#slowSquare`, [range(60), 100], { ...quiet, outputDir, singleFile: true });
  const ran: number[] = [];
  for await (const r of pmap.results()) if (r.ok) ran.push(r.taskID);
  // Every call the dead client recorded as done was recovered from its journal, not run again.
  expect(ran.filter((taskID) => doneBeforeKill.includes(taskID))).toEqual([]);
  expect(ran.length).toBeLessThanOrEqual(60 - doneBeforeKill.length);
  const log = fs.readFileSync(
    path.join(
      outputDir,
      fs
        .readdirSync(outputDir)
        .filter((f) => f.endsWith('.log'))
        .sort()
        .pop()!,
    ),
    'utf8',
  );
  expect(log).toMatch(/Recovered \d+ results that an interrupted client had stored/);
  const dump = h5dump(container);
  const groups = Object.keys(dump).filter((k) => /^\/comp_\d+$/.test(k));
  expect(groups).toHaveLength(60);
  for (const i of [0, doneBeforeKill[0]!, 59]) expect(dump[`/comp_${i}/result_0`].values).toEqual([i * i]);
  expect(fs.readdirSync(path.join(outputDir, '.acme-ts', 'journal'))).toEqual([]);
  expect(fs.readdirSync(outputDir).filter((f) => f.includes('.writing-'))).toEqual([]);
  expect(runStatus(outputDir)).toMatchObject({ journaled: 0, missing: [], failed: [] });
});

test('singleFile with large results, a client killed with SIGKILL mid-run: its journal names where they lie in its copy, and the next run recovers them exactly', async () => {
  const outputDir = path.join(workDir(), 'killed-single-large');
  const container = path.join(outputDir, 'slowBlock.h5');
  const client = startClient(outputDir, 60, 100, 'single', 'slowBlock');
  await client.waitFor(/^(done \d+\n){30}/);
  client.child.kill('SIGKILL');
  await client.exited;
  const journalDir = path.join(outputDir, '.acme-ts', 'journal');
  const journals = fs.readdirSync(journalDir);
  expect(journals).toHaveLength(1);
  const doneBeforeKill = [...readCallRecords(outputDir).values()].filter((r) => r.state === 'done').map((r) => r.taskID);
  expect(doneBeforeKill.length).toBeGreaterThanOrEqual(1);
  // 2 MiB per call, but the journal holds only places in the dead client's copy (which is left).
  expect(fs.statSync(path.join(journalDir, journals[0]!)).size).toBeLessThan(1 << 20);
  expect(fs.readdirSync(outputDir).filter((f) => f.includes('.writing-'))).toHaveLength(1);

  await using pmap = new ParallelMap(`${TASKS}#slowBlock`, [range(60), 100], { ...quiet, outputDir, singleFile: true });
  const ran: number[] = [];
  for await (const r of pmap.results()) if (r.ok) ran.push(r.taskID);
  // Recovered from the dead client's copy, not run again.
  expect(ran.filter((taskID) => doneBeforeKill.includes(taskID))).toEqual([]);
  // h5py compares every call's block, value by value.
  const check = [
    'import sys, h5py, numpy as np',
    'f = h5py.File(sys.argv[1], "r"); i = np.arange(512 * 512) * 0.5',
    'print(sum(1 for t in range(60) if f[f"comp_{t}/result_0"].shape == (512, 512) and np.array_equal(f[f"comp_{t}/result_0"][()].ravel(), t + i)))',
  ].join('\n');
  expect(execFileSync(PYTHON, ['-c', check, container], { encoding: 'utf8' }).trim()).toBe('60');
  expect(fs.readdirSync(journalDir)).toEqual([]);
  expect(fs.readdirSync(outputDir).filter((f) => f.includes('.writing-') || f.includes('.replaced-'))).toEqual([]);
  expect(runStatus(outputDir)).toMatchObject({ journaled: 0, missing: [], failed: [] });
});

test('Ctrl-C (SIGINT): stops, keeps finished results, exits 130; the re-run finishes the set', async () => {
  const outputDir = path.join(workDir(), 'sigint');
  const client = startClient(outputDir, 40, 150);
  await client.waitFor(/done \d+\n(.|\n)*done \d+\n/);
  client.child.kill('SIGINT');
  expect(await client.exited).toBe(130);
  expect(client.output()).toMatch(/ERROR ERR_ACME_ABORTED/);
  expect(client.output()).not.toMatch(/ALL DONE/);
  const records = readCallRecords(outputDir);
  const done = [...records.values()].filter((r) => r.state === 'done').length;
  expect(done).toBeGreaterThanOrEqual(2);
  expect(done).toBeLessThan(40);

  await using pmap = new ParallelMap(`${TASKS}#slowSquare`, [range(40), 150], { ...quiet, outputDir });
  expect(await pmap.compute()).toHaveLength(40);
});

test('abort with an AbortSignal: remaining calls are not run, finished ones kept', async () => {
  const outputDir = path.join(workDir(), 'abort');
  const controller = new AbortController();
  const pmap = new ParallelMap(`${TASKS}#slowSquare`, [range(40), 100], { ...quiet, outputDir, signal: controller.signal });
  const seen: number[] = [];
  const iterate = (async () => {
    for await (const r of pmap.results()) {
      if (r.ok) seen.push(r.taskID);
      if (seen.length === 3) controller.abort();
    }
  })();
  await expect(iterate).rejects.toMatchObject({ name: 'AbortError' });
  await pmap.close();
  const files = fs.readdirSync(path.join(outputDir, 'slowSquare_payload')).filter((f) => f.endsWith('.h5'));
  expect(files.length).toBeGreaterThanOrEqual(3);
  expect(files.length).toBeLessThan(40);
});

test('singleFile, aborted part-way: the log counts exactly the calls the container lacks', async () => {
  // Tiny calls come back packed, many per batch; the run cannot write 30000 of them (≈ 0.7 s of
  // libhdf5) before the consumer sees its thousandth result and aborts.
  const outputDir = path.join(workDir(), 'abort-single');
  const n = 30_000;
  const controller = new AbortController();
  const pmap = new ParallelMap(`${TASKS}#randout`, [range(n)], { ...quiet, outputDir, singleFile: true, signal: controller.signal });
  let seen = 0;
  const iterate = (async () => {
    for await (const r of pmap.results()) if (r.ok && ++seen === 1000) controller.abort();
  })();
  await expect(iterate).rejects.toMatchObject({ name: 'AbortError' });
  await pmap.close();
  const stored = Object.keys(h5dump(path.join(outputDir, 'randout.h5'))).filter((k) => /^\/comp_\d+\/result_0$/.test(k)).length;
  expect(stored).toBeGreaterThanOrEqual(1000);
  expect(stored).toBeLessThan(n);
  const log = fs.readdirSync(outputDir).find((f) => f.endsWith('.log'))!;
  expect(fs.readFileSync(path.join(outputDir, log), 'utf8')).toContain(`Aborted with ${n - stored} of ${n} calls without a result`);
});

test('ParallelMap.resume(outputDir) re-creates the run from its folder (shipped function, split and broadcast arguments, kwargs)', async () => {
  const outputDir = path.join(workDir(), 'resume-from-folder');
  // Keyword arguments that name no parameter arrive as one object in the last parameter { … }.
  const fn = function scaled(x: number, factor: number, { offset, flaky, marker }: { offset: number; flaky: boolean[]; marker: string }) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { taskContext } = require('@acme-ts/core');
    if (flaky[taskContext().taskID] && !require('node:fs').existsSync(marker)) throw new Error('not yet');
    return x * factor + offset;
  };
  const marker = path.join(workDir(), 'resume-from-folder-marker');
  const flaky = [false, true, false, true, false];
  const first = new ParallelMap(fn, [range(5), 10], { ...quiet, outputDir, kwargs: { offset: 1, flaky: broadcastAll(flaky), marker } });
  await expect(first.compute()).rejects.toThrow(/2\/5 calls failed/);
  await first.close();

  fs.writeFileSync(marker, '');
  await using resumed = ParallelMap.resume(outputDir, { verbose: false });
  expect(resumed.nInputs).toBe(5);
  const files = (await resumed.compute()) as string[];
  expect(files.map((f) => h5dump(f)['/result_0'].values[0])).toEqual([1, 11, 21, 31, 41]);
});

function broadcastAll<T>(value: T): T {
  // A 5-element array in kwargs would be split (its length is nInputs); this one is meant whole.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@acme-ts/core').broadcast(value);
}

test('ParallelMap.resume on a folder without a run says so', () => {
  expect(() => ParallelMap.resume(workDir())).toThrow(/holds no acme-ts run \(no \.acme-ts\/manifest\.json\); pass the output folder of a run/);
});

test('runStatus(outputDir): done, failed (with why) and missing calls', async () => {
  const outputDir = path.join(workDir(), 'status');
  const pmap = new ParallelMap(`${TASKS}#failOdd`, [range(4), path.join(workDir(), 'never')], { ...quiet, outputDir });
  await expect(pmap.compute()).rejects.toThrow(ComputeError);
  await pmap.close();
  fs.rmSync(path.join(outputDir, 'failOdd_payload', 'failOdd_2.h5'));
  const status = runStatus(outputDir);
  expect(status.done).toEqual([0]);
  expect(status.failed.map((r) => [r.taskID, r.reason, r.error?.message])).toEqual([
    [1, 'error', 'odd input 1'],
    [3, 'error', 'odd input 3'],
  ]);
  expect(status.missing).toEqual([2]);
  expect(status.containerPath).toBe(path.join(outputDir, 'failOdd.h5'));
});

test('a payload file that cannot be written fails its call only; compute() again completes the run', async () => {
  const outputDir = path.join(workDir(), 'unwritable');
  const payloadDir = path.join(outputDir, 'slowSquare_payload');
  await using pmap = new ParallelMap(`${TASKS}#slowSquare`, [range(8), 100], { ...quiet, outputDir });
  let removed = false;
  const failures: number[] = [];
  const iterate = (async () => {
    for await (const r of pmap.results()) {
      if (!r.ok) failures.push(r.taskID);
      if (r.ok && !removed) {
        // The folder vanishes under the run (a full or unmounted disk looks the same to us).
        fs.rmSync(payloadDir, { recursive: true, force: true });
        removed = true;
      }
    }
  })();
  await iterate;
  const records = [...readCallRecords(outputDir).values()].filter((r) => r.state === 'failed');
  expect(records.length).toBeGreaterThan(0);
  expect(records.map((r) => r.taskID).sort()).toEqual(failures.sort());
  expect(records[0]!.error!.message).toMatch(/writing .*slowSquare_payload\/slowSquare_\d+\.h5 failed/);
  const files = (await pmap.compute()) as string[];
  expect(files).toHaveLength(8);
  expect(fs.readdirSync(payloadDir).filter((f) => f.endsWith('.h5'))).toHaveLength(8);
});

test('in memory: compute() again re-runs only the calls that failed and returns every value', async () => {
  const marker = path.join(workDir(), 'memory-fixed');
  const log = path.join(workDir(), 'memory-executions.log');
  await using pmap = new ParallelMap(`${TASKS}#countedFailOdd`, [range(10), marker, log], { ...quiet, writeWorkerResults: false });
  const error = (await pmap.compute().catch((e) => e)) as ComputeError;
  expect(error.failures.map((f) => f.taskID)).toEqual([1, 3, 5, 7, 9]);
  fs.writeFileSync(marker, '');
  expect(await pmap.compute()).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  const executed = fs.readFileSync(log, 'utf8').trim().split('\n').map(Number);
  // 10 in the first attempt, then only the 5 odd ones.
  expect(executed).toHaveLength(15);
  expect(executed.slice(10).sort((a, b) => a - b)).toEqual([1, 3, 5, 7, 9]);
});

test('resultShape: once compute() settles, the virtual dataset maps only stored results (failed slots read NaN); the re-run maps them all', async () => {
  const outputDir = path.join(workDir(), 'vds-failures');
  const marker = path.join(workDir(), 'vds-fixed');
  const pmap = new ParallelMap(`${TASKS}#failOdd`, [range(4), marker], { ...quiet, outputDir, resultShape: [null] });
  await expect(pmap.compute()).rejects.toBeInstanceOf(ComputeError);
  await pmap.close();
  const container = path.join(outputDir, 'failOdd.h5');
  let vds = h5dump(container)['/result_0'];
  expect(vds.virtual).toBe(true);
  // Before: every payload file was mapped, also those of the failed calls 1 and 3.
  expect(vds.sources.map((s: { file: string }) => s.file)).toEqual(['failOdd_payload/failOdd_0.h5', 'failOdd_payload/failOdd_2.h5']);
  expect(vds.values).toEqual([0, null, 20, null]); // NaN, as JSON
  fs.writeFileSync(marker, '');
  await using again = new ParallelMap(`${TASKS}#failOdd`, [range(4), marker], { ...quiet, outputDir, resultShape: [null] });
  await again.compute();
  vds = h5dump(container)['/result_0'];
  expect(vds.sources).toHaveLength(4);
  expect(vds.values).toEqual([0, 10, 20, 30]);
});

test('singleFile: a write the disk refuses (file-size limit) fails the run naming the folder and the cause, no crash at exit; the re-run completes', async () => {
  const outputDir = path.join(workDir(), 'size-limit');
  const script = `
    const { ParallelMap } = require('@acme-ts/core');
    (async () => {
      const pmap = new ParallelMap((x) => new Float64Array(20000).fill(x), [Array.from({ length: 200 }, (_, i) => i)],
        { outputDir: process.argv[1], nWorkers: 2, singleFile: true, verbose: false });
      try { await pmap.compute(); console.log('DONE'); } catch (e) { console.log(e.code + ' ' + e.message); process.exitCode = 1; }
      await pmap.close();
    })();`;
  // 2 MB (ulimit -f counts KiB blocks): the run's 32 MB of results cannot be written. Before, a
  // raw EFBIG was followed by a segmentation fault at exit (exit code 139).
  const limited = spawnSync('bash', ['-c', 'ulimit -f 2000; exec "$0" -e "$1" "$2"', process.execPath, script, outputDir], {
    encoding: 'utf8',
    cwd: path.join(__dirname, '..'),
  });
  expect(limited.status).toBe(1);
  expect(limited.stdout).toContain(`ERR_ACME_STORAGE writing the results of the run in ${outputDir} failed: a file reached the file-size limit (ulimit -f)`);
  expect(limited.stdout).toContain(`acme-ts rerun ${outputDir}`);
  // The container is as it was before the run (readable), and the re-run stores every call.
  expect(Object.keys(h5dump(path.join(outputDir, 'func.h5'))).filter((k) => /^\/comp_\d+$/.test(k))).toEqual([]);
  const again = spawnSync(process.execPath, ['-e', script, outputDir], { encoding: 'utf8', cwd: path.join(__dirname, '..') });
  expect(again.stdout).toContain('DONE');
  // Summarized by h5py itself: a dump of the 4 million values is too large to pass back.
  const summary = execFileSync(
    PYTHON,
    ['-c', 'import sys, h5py; f = h5py.File(sys.argv[1]); print(len(f), sum(float(f[k]["result_0"][()].sum()) for k in f))', path.join(outputDir, 'func.h5')],
    { encoding: 'utf8' },
  );
  expect(summary.trim()).toBe(`200 ${(20000 * (199 * 200)) / 2}.0`);
  expect(runStatus(outputDir)).toMatchObject({ missing: [], failed: [], journaled: 0 });
});

test('a call that ends its worker (process.exit) fails alone; the calls its worker had finished do not run again', async () => {
  const markers = path.join(workDir(), 'exit-markers');
  fs.mkdirSync(markers);
  await using pmap = new ParallelMap(`${TASKS}#markedExit`, [range(20), markers], { ...quiet, nWorkers: 1, writeWorkerResults: false });
  const error = (await pmap.compute().catch((e) => e)) as ComputeError;
  expect(error).toBeInstanceOf(ComputeError);
  expect(error.failures.map((f) => [f.taskID, f.reason])).toEqual([[10, 'worker-exit']]);
  const executions = Object.fromEntries(fs.readdirSync(markers).map((name) => [name, fs.readFileSync(path.join(markers, name), 'utf8').length]));
  expect(executions).toEqual(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [String(i), 1])));
});

describe.each([
  ['in memory', { writeWorkerResults: false }],
  ['default mode', {}],
  ['singleFile', { singleFile: true }],
])('a worker killed right after quick calls (%s): each finished call ran once and keeps its result', (mode, modeOptions) => {
  /**
   * Runs markedThenStuck over 0 … 39 on one worker, call 30 killed (in the second batch, when
   * the calls are warm: many finish within the 1 ms between hand-overs); checks that it alone
   * failed for `reason`, each call ran once, and the values h5py (or results()) sees.
   */
  async function expectEachRanOnce(stuck: 'loop' | 'oom', reason: string, options: object) {
    const dir = path.join(workDir(), `killed-${stuck}-${mode.replace(/ /g, '-')}`);
    const markers = path.join(dir, 'markers');
    fs.mkdirSync(markers, { recursive: true });
    const inMemory = 'writeWorkerResults' in modeOptions;
    const outputDir = inMemory ? {} : { outputDir: path.join(dir, 'out') };
    await using pmap = new ParallelMap(`${TASKS}#markedThenStuck`, [range(40), markers, stuck, 30], { ...quiet, ...modeOptions, ...outputDir, ...options });
    const values = new Map<number, number[]>();
    const failures: [number, string | undefined][] = [];
    for await (const r of pmap.results()) {
      if (!r.ok) failures.push([r.taskID, r.error?.reason]);
      else if (inMemory) values.set(r.taskID, Array.from(r.value as Float64Array));
    }
    if (!inMemory) {
      // The container as h5py reads it (payload files' external links expanded).
      const container = pmap.resultsContainer!;
      const dump = 'singleFile' in modeOptions ? h5dump(container) : h5copyExpand(container, path.join(dir, 'expanded.h5'));
      for (const [key, dataset] of Object.entries(dump)) {
        const match = /^\/comp_(\d+)\/result_0$/.exec(key);
        if (match) values.set(Number(match[1]), dataset.values as number[]);
      }
    }
    const ids = Array.from({ length: 40 }, (_, i) => i);
    expect(failures).toEqual([[30, reason]]);
    const executions = Object.fromEntries(fs.readdirSync(markers).map((name) => [Number(name), fs.readFileSync(path.join(markers, name), 'utf8').length]));
    expect(executions).toEqual(Object.fromEntries(ids.map((i) => [i, 1])));
    expect([...values].sort((a, b) => a[0] - b[0])).toEqual(ids.filter((i) => i !== 30).map((i) => [i, [i, 2 * i]]));
  }

  test('timeout', async () => {
    await expectEachRanOnce('loop', 'timeout', { nWorkers: 1, timeout: 500 });
  });

  test('out of memory (a heap limit of 32 MB, no timeout)', async () => {
    // Not on stderr: jest-worker takes "heap out of memory" there (Node's words, which the run's
    // failure summary quotes) for its own child's crash and kills it.
    const logged: string[] = [];
    const logger = { info: () => {}, warn: () => {}, error: (m: string) => logged.push(m), debug: () => {} };
    await expectEachRanOnce('oom', 'out-of-memory', { logger, backend: new LocalBackend({ nWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 32 } }) });
    expect(logged.join('\n')).toContain('call 30 (out-of-memory)');
  });
});

test('singleFile, 1 MiB results that the worker writes into datasets reserved in the copy: a worker killed on a timeout keeps each finished call (ran once, h5py reads its values)', async () => {
  const dir = path.join(workDir(), 'killed-slots');
  const markers = path.join(dir, 'markers');
  fs.mkdirSync(markers, { recursive: true });
  const length = 1 << 17;
  await using pmap = new ParallelMap(`${TASKS}#markedThenStuck`, [range(40), markers, 'loop', 35, length], {
    ...quiet,
    singleFile: true,
    outputDir: path.join(dir, 'out'),
    nWorkers: 1,
    timeout: 500,
  });
  const failures: [number, string | undefined][] = [];
  for await (const r of pmap.results()) if (!r.ok) failures.push([r.taskID, r.error?.reason]);
  expect(failures).toEqual([[35, 'timeout']]);
  const executions = fs.readdirSync(markers).map((name) => fs.readFileSync(path.join(markers, name), 'utf8').length);
  expect(executions).toEqual(Array(40).fill(1));
  const check = [
    'import sys, h5py, numpy as np',
    'f = h5py.File(sys.argv[1], "r")',
    `ok = [t for t in range(40) if f"comp_{t}" in f and np.array_equal(f[f"comp_{t}/result_0"][()], np.tile([t, 2 * t], ${length / 2}))]`,
    'print(len(ok), 35 in ok, ".acme-reserved" in f)',
  ].join('\n');
  expect(execFileSync(PYTHON, ['-c', check, pmap.resultsContainer!], { encoding: 'utf8' }).trim()).toBe('39 False False');
});

test("isolation: 'process': a call that crashes natively (abort()) fails alone with the signal; the client and the other calls live on, in every storage mode", async () => {
  const crashing = new Function('return function crashing(x) { if (x === 3) process.abort(); return 2 * x; }')();
  await using mem = new ParallelMap(crashing, [range(8)], { ...quiet, nWorkers: 2, isolation: 'process', writeWorkerResults: false });
  const error = (await mem.compute().catch((e) => e)) as ComputeError;
  expect(error).toBeInstanceOf(ComputeError);
  expect(error.failures.map((f) => [f.taskID, f.reason])).toEqual([[3, 'worker-exit']]);
  expect(error.failures[0]!.message).toBe('the worker process was killed by SIGABRT during call 3');
  const outputDir = path.join(workDir(), 'process-files');
  await using files = new ParallelMap(crashing, [range(8)], { ...quiet, nWorkers: 2, isolation: 'process', outputDir });
  await expect(files.compute()).rejects.toBeInstanceOf(ComputeError);
  expect(runStatus(outputDir)).toMatchObject({ missing: [], failed: [{ taskID: 3, reason: 'worker-exit' }] });
});
