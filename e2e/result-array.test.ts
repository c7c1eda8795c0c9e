// taskContext().resultArray(): results written into memory acme-ts lends and reuses, checked
// with h5py (not with our own reader) in every storage mode.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { ParallelMap, range, type StackedResults } from '@acme-ts/core';
import { PYTHON } from './support/h5';
import { TASKS, quiet, useWorkDir } from './support/run-fixtures';

const workDir = useWorkDir('e2e-result-array');
const K = 12;
const SLAB = 400 * 400;

/** For each call k of `file`'s stacked result_0 (or comp_k/result_0): is it k·10⁶ + arange? */
function slabsCorrect(file: string, stacked: boolean): boolean[] {
  const script = `
import sys, json, h5py, numpy as np
f = h5py.File(sys.argv[1], 'r')
ok = []
for k in range(${K}):
    d = f['result_0'][k] if ${stacked ? 'True' : 'False'} else f['comp_%d/result_0' % k][()]
    ok.append(bool(d.shape == (400, 400) and d.dtype == np.float64 and np.array_equal(d.ravel(), k * 1e6 + np.arange(${SLAB}))))
print(json.dumps(ok))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, file], { encoding: 'utf8' })) as boolean[];
}

/** result_1 (1 when the call's slab reused a buffer) of every payload file. */
function reusedFlags(payloadDir: string): number[] {
  const script = `
import sys, json, h5py
print(json.dumps([int(h5py.File('%s/s_%d.h5' % (sys.argv[1], k), 'r')['result_1'][()]) for k in range(${K})]))
`;
  return JSON.parse(execFileSync(PYTHON, ['-c', script, payloadDir], { encoding: 'utf8' })) as number[];
}

describe('taskContext().resultArray()', () => {
  test("resultShape: every slab holds its own call's values, and the workers reuse their buffers", async () => {
    const outputDir = path.join(workDir(), 'stacked');
    await using pmap = new ParallelMap(`${TASKS}#pooledSlab`, [range(K)], { ...quiet, name: 's', resultShape: [null, 400, 400], outputDir });
    await pmap.compute();
    expect(slabsCorrect(pmap.resultsContainer!, true)).toEqual(Array(K).fill(true));
    const reused = reusedFlags(path.join(outputDir, 's_payload'));
    // A worker's first call allocates; its later ones get the buffer its previous result freed.
    expect(reused.filter((r) => r === 1).length).toBeGreaterThanOrEqual(K - 2);
  });

  test('default mode: the same values in each payload file', async () => {
    await using pmap = new ParallelMap(`${TASKS}#pooledSlab`, [range(K)], { ...quiet, name: 's', outputDir: path.join(workDir(), 'default') });
    await pmap.compute();
    expect(slabsCorrect(pmap.resultsContainer!, false)).toEqual(Array(K).fill(true));
  });

  test('singleFile: the result leaves the worker in memory it shares with the client, which gives it back once written (values intact)', async () => {
    await using pmap = new ParallelMap(`${TASKS}#pooledSlab`, [range(K)], {
      ...quiet,
      name: 's',
      singleFile: true,
      resultShape: [null, 400, 400],
      outputDir: path.join(workDir(), 'single'),
    });
    await pmap.compute();
    expect(slabsCorrect(pmap.resultsContainer!, true)).toEqual(Array(K).fill(true));
  });

  test.each([
    ['worker threads (which write slabs into datasets the client reserved in its copy, copy-slots.ts)', 'thread'],
    ['child processes (the client writes the slabs)', 'process'],
  ] as const)('singleFile without resultShape, %s; h5py reads every value, nothing reserved is left', async (_what, isolation) => {
    await using pmap = new ParallelMap(`${TASKS}#pooledSlab`, [range(K)], {
      ...quiet,
      name: 's',
      singleFile: true,
      isolation,
      outputDir: path.join(workDir(), `single-${isolation}`),
    });
    await pmap.compute();
    const container = pmap.resultsContainer!;
    expect(slabsCorrect(container, false)).toEqual(Array(K).fill(true));
    const script = 'import sys, h5py; f = h5py.File(sys.argv[1], "r"); print(set(f.keys()) == {"comp_%d" % k for k in range(12)}, ".acme-reserved" in f)';
    expect(execFileSync(PYTHON, ['-c', script, container], { encoding: 'utf8' }).trim()).toBe('True False');
  });

  test('in memory: a fresh array per call, returned as is', async () => {
    await using pmap = new ParallelMap(`${TASKS}#pooledSlab`, [range(K)], { ...quiet, resultShape: [null, 400, 400], writeWorkerResults: false });
    const stacked = (await pmap.compute()) as StackedResults;
    for (let k = 0; k < K; k++) {
      expect(stacked.data[k * SLAB]).toBe(k * 1e6);
      expect(stacked.data[k * SLAB + SLAB - 1]).toBe(k * 1e6 + SLAB - 1);
      expect(stacked.extra[k]).toEqual([0]);
    }
  });
});
