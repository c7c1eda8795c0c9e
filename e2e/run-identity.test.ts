// Only this run's results count (issue 14, item 3): a folder that holds another run (other
// arguments, another function), a payload file acme-ts did not write, or a folder where a payload
// file belongs is never taken as a finished call. Files checked with h5py.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ComputeError, ParallelMap, readManifest, runStatus } from '@acme-ts/core';
import { PYTHON, h5dump } from './support/h5';
import { TASKS, quiet, useWorkDir } from './support/run-fixtures';

const workDir = useWorkDir('e2e-run-identity');

async function computeOnce(pmap: ParallelMap): Promise<unknown> {
  try {
    return await pmap.compute();
  } finally {
    await pmap.close();
  }
}

test('a second run into the same folder with other arguments is refused, naming what differs; the first run is untouched', async () => {
  const outputDir = path.join(workDir(), 'other-arguments');
  await computeOnce(new ParallelMap(`${TASKS}#randout`, [[1, 4]], { ...quiet, outputDir }));
  // Same function, same number of calls, other inputs: before, this returned 1/3 and 4/3 and exited 0.
  const second = new ParallelMap(`${TASKS}#randout`, [[5, 6]], { ...quiet, outputDir });
  await expect(computeOnce(second)).rejects.toThrow(/already holds another run \(2 calls of randout\): the arguments differ .*choose a new folder/);
  const dump = h5dump(path.join(outputDir, 'randout.h5'));
  expect(dump['/comp_0/result_0'].values).toEqual([1 / 3]);
  expect(dump['/comp_1/result_0'].values).toEqual([4 / 3]);
  // Other keyword arguments are other arguments too.
  const third = new ParallelMap(`${TASKS}#randout`, [[1, 4]], { ...quiet, outputDir, kwargs: { y: 10 } });
  await expect(computeOnce(third)).rejects.toThrow(/the arguments differ/);
});

test('the same run again into its folder is the same run: nothing runs twice', async () => {
  const outputDir = path.join(workDir(), 'same-again');
  await computeOnce(new ParallelMap(`${TASKS}#randout`, [[1, 4]], { ...quiet, outputDir }));
  const again = new ParallelMap(`${TASKS}#randout`, [[1, 4]], { ...quiet, outputDir });
  const ran: number[] = [];
  for await (const r of again.results()) ran.push(r.taskID);
  await again.close();
  expect(ran).toEqual([]);
});

test('a changed module function is refused unless allowed; allowed, the stored calls stay and the manifest records the versions', async () => {
  const folder = path.join(workDir(), 'changing-module');
  fs.mkdirSync(folder);
  const module = path.join(folder, 'f.js');
  fs.writeFileSync(
    module,
    'module.exports.f = (x, marker) => { if (x === 2 && !require("fs").existsSync(marker)) throw new Error("not yet"); return x * 10; };\n',
  );
  const outputDir = path.join(folder, 'out');
  const marker = path.join(folder, 'marker');
  await expect(computeOnce(new ParallelMap(`${module}#f`, [[1, 2, 3], marker], { ...quiet, outputDir }))).rejects.toBeInstanceOf(ComputeError);
  // The user edits the function, then re-runs the failed call.
  fs.writeFileSync(module, 'module.exports.f = (x, marker) => x * 100;\n');
  await expect(computeOnce(new ParallelMap(`${module}#f`, [[1, 2, 3], marker], { ...quiet, outputDir }))).rejects.toThrow(
    /the function changed since the run in .* started \(the content of .*f\.js differs\).*options\.allowChangedFunction: true/,
  );
  const allowed = new ParallelMap(`${module}#f`, [[1, 2, 3], marker], { ...quiet, outputDir, allowChangedFunction: true });
  await computeOnce(allowed);
  const dump = h5dump(path.join(outputDir, 'f.h5'));
  expect([0, 1, 2].map((i) => dump[`/comp_${i}/result_0`].values[0])).toEqual([10, 200, 30]);
  const manifest = readManifest(outputDir);
  expect(manifest.functionVersions).toHaveLength(2);
  expect(manifest.fingerprint!.function).toBe(manifest.functionVersions![1]!.function);
  expect(runStatus(outputDir)).toMatchObject({ missing: [], failed: [] });
});

test('a payload file acme-ts did not write (left before the run started) is not a finished call: the call runs and replaces it', async () => {
  const outputDir = path.join(workDir(), 'foreign-file');
  fs.mkdirSync(path.join(outputDir, 'randout_payload'), { recursive: true });
  // A file with the name of call 1's payload, e.g. from an ACME run in the same folder.
  const foreign = path.join(outputDir, 'randout_payload', 'randout_1.h5');
  execFileSync(PYTHON, ['-c', 'import sys, h5py; h5py.File(sys.argv[1], "w")["result_0"] = [999.0]', foreign]);
  await computeOnce(new ParallelMap(`${TASKS}#randout`, [[1, 4, 7]], { ...quiet, outputDir }));
  const dump = h5dump(path.join(outputDir, 'randout.h5'));
  expect([0, 1, 2].map((i) => dump[`/comp_${i}/result_0`].values[0])).toEqual([1 / 3, 4 / 3, 7 / 3]);
});

test('a folder where a payload file belongs fails that call with the cause; the container never links to it', async () => {
  const outputDir = path.join(workDir(), 'folder-in-the-way');
  fs.mkdirSync(path.join(outputDir, 'randout_payload', 'randout_1.h5'), { recursive: true });
  const pmap = new ParallelMap(`${TASKS}#randout`, [[1, 4, 7]], { ...quiet, outputDir });
  await expect(computeOnce(pmap)).rejects.toThrow(/call 1 \(error\): .*randout_1\.h5.*Is a directory/);
  const dump = h5dump(path.join(outputDir, 'randout.h5'));
  expect(
    Object.keys(dump)
      .filter((k) => /^\/comp_\d+$/.test(k))
      .sort(),
  ).toEqual(['/comp_0', '/comp_2']);
  expect(runStatus(outputDir).failed.map((r) => r.taskID)).toEqual([1]);
});
