import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PYTHON, tempDir } from './__fixtures__/h5check';

// Workers load the built package, as the backends' worker threads do.
const DIST = path.join(__dirname, '..', 'dist', 'index.js');

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { H5File, writeFileAtomic } = require(workerData.dist);
const { dir, id, nFiles, nSlabs } = workerData;
let ops = 0;
for (let i = 0; i < nFiles; i++) {
  writeFileAtomic(dir + '/w' + id + '_' + i + '.h5', [
    { path: '/result_0', dtype: 'float64', shape: [3], data: [id, i, id * 1000 + i] },
    { path: '/name', dtype: 'string', shape: [], data: 'w' + id + '-' + i },
  ], { taskID: i });
  ops++;
}
const h = H5File.create(dir + '/slabs' + id + '.h5');
h.createDataset('/d', { dtype: 'int32', shape: [0], maxshape: [null], chunks: [64] });
for (let j = 0; j < nSlabs; j++) {
  h.resize('/d', [j + 1]);
  h.write('/d', [id * 100000 + j], { start: [j], count: [1] });
  if (h.read('/d', { start: [j], count: [1] }).data[0] !== id * 100000 + j) throw new Error('read back mismatch');
  try { h.read('/missing' + j); } catch (e) { if (e.code !== 'ERR_HDF5') throw e; }
  ops += 4;
}
h.close();
parentPort.postMessage(ops);
`;

test('several worker threads write different files at once; every file is valid', async () => {
  const dir = tempDir('threads');
  const nWorkers = 4,
    nFiles = 150,
    nSlabs = 400;
  const ops = await Promise.all(
    Array.from(
      { length: nWorkers },
      (_, id) =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(WORKER, { eval: true, workerData: { dist: DIST, dir, id, nFiles, nSlabs } });
          w.once('message', resolve);
          w.once('error', reject);
          w.once('exit', (code) => code !== 0 && reject(new Error(`worker exited with ${code}`)));
        }),
    ),
  );
  expect(ops.reduce((a, b) => a + b, 0)).toBe(nWorkers * (nFiles + 4 * nSlabs));
  const check = `
import glob, h5py, sys
bad = 0; n = 0
for p in glob.glob(sys.argv[1] + '/w*.h5'):
    w, i = p.rsplit('/', 1)[1][1:-3].split('_'); w = int(w); i = int(i)
    with h5py.File(p, 'r') as f:
        ok = list(f['result_0'][()]) == [w, i, w * 1000 + i] and f['name'].asstr()[()] == 'w%d-%d' % (w, i) and f.attrs['taskID'] == i
    bad += not ok; n += 1
for w in range(${nWorkers}):
    with h5py.File(sys.argv[1] + '/slabs%d.h5' % w, 'r') as f:
        ok = list(f['d'][()]) == [w * 100000 + j for j in range(${nSlabs})]
    bad += not ok; n += 1
print(n, bad)
`;
  const out = execFileSync(PYTHON, ['-c', check, dir], { encoding: 'utf8' }).trim();
  expect(out).toBe(`${nWorkers * nFiles + nWorkers} 0`);
});
