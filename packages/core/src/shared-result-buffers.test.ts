import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredCall } from './call-runner';
import { createContainer } from './container';
import { planLayout } from './layout';
import { Logger } from './logger';
import { ResultBufferPool } from './result-buffers';
import { StatusLog } from './run-store';
import { releaseSharedResult, SHARED_MIN_BYTES, SharedResultBuffers } from './shared-result-buffers';
import { SingleFileRecorder } from './single-file-recorder';

test('SharedResultBuffers: a buffer is lent again once the host gave it back, at most 8 of a size are kept, only its own whole buffers count as lent', () => {
  const shared = new SharedResultBuffers();
  expect(shared.acquire(SHARED_MIN_BYTES - 8)).toBeUndefined();
  const M = SHARED_MIN_BYTES;
  const first = shared.acquire(M)!;
  const view = new Float64Array(first, 0, M / 8);
  expect(shared.lends(view)).toBe(true);
  expect(shared.lends(view.subarray(1))).toBe(false);
  const second = shared.acquire(M)!;
  expect(second).not.toBe(first);
  releaseSharedResult(view);
  expect(shared.acquire(M)).toBe(first);
  const more = Array.from({ length: 6 }, () => shared.acquire(M));
  expect(more.every((b) => b instanceof SharedArrayBuffer)).toBe(true);
  expect(shared.acquire(M)).toBeUndefined(); // 8 lent: the caller lends an ordinary buffer
  expect(shared.acquire(2 * M)).toBeInstanceOf(SharedArrayBuffer);
  // A user's own SharedArrayBuffer of the same layout is not one of ours.
  expect(shared.lends(new Float64Array(new SharedArrayBuffer(M + 8), 0, M / 8))).toBe(false);
});

test('ResultBufferPool with shared buffers: resultArray and lendCopy lend shared memory, which is never put up for transfer; beyond the kept ones, ordinary buffers', () => {
  const pool = new ResultBufferPool(new SharedResultBuffers());
  expect(pool.resultArray([4, 2]).data.buffer instanceof SharedArrayBuffer).toBe(false); // small
  const lent = pool.resultArray([512, 256]).data; // 1 MiB
  expect(lent.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(pool.isShared(lent)).toBe(true);
  const own = Float64Array.from({ length: 512 * 256 }, (_, i) => i * 1.5);
  const copy = pool.lendCopy(own);
  expect(copy.buffer).toBeInstanceOf(SharedArrayBuffer);
  expect(Array.from(copy)).toEqual(Array.from(own));
  expect(pool.lendCopy(copy)).toBe(copy);
  const transfers = new Set<ArrayBuffer>();
  pool.handOff([{ datasets: [{ data: lent }, { data: copy }] }], transfers);
  expect(transfers.size).toBe(0);
  for (let i = 0; i < 6; i++) pool.lendCopy(own);
  const ordinary = pool.lendCopy(own);
  expect(ordinary.buffer instanceof SharedArrayBuffer).toBe(false);
  expect(pool.isShared(ordinary)).toBe(false);
});

test('SingleFileRecorder gives shared memory back only once the journal names where its bytes lie in the copy, not while it holds them by value', () => {
  const outputDir = mkdtempSync(join(tmpdir(), 'acme-shared-'));
  try {
    const layout = planLayout({ funcName: 'f', nInputs: 4, outputDir, mode: 'hdf5', singleFile: true, resultDtype: 'float64' });
    createContainer(layout);
    const recorder = new SingleFileRecorder(new Logger({ verbose: false, write: () => {} }), layout, new Map(), new StatusLog(outputDir, 'client'));
    const shared = new SharedResultBuffers();
    const lend = (bytes: number) => shared.acquire(bytes)!;
    const inUse = (buffer: SharedArrayBuffer, bytes: number) => new Int32Array(buffer, bytes, 1)[0];
    // 2 MiB of float64 (journaled by reference) and 2 MiB of float16 values (bytes differ in the file: by value).
    const big = lend(2 << 20);
    const half = lend(2 << 20);
    const call: StoredCall = {
      stored: 'hdf5',
      names: ['result_0', 'result_1'],
      datasets: [
        { name: 'result_0', dtype: 'float64', shape: [1 << 18], data: new Float64Array(big, 0, 1 << 18).fill(3) },
        { name: 'result_1', dtype: 'float16', shape: [1 << 19], data: new Float32Array(half, 0, 1 << 19).fill(0.5) },
      ],
      sharedData: [0, 1],
    };
    recorder.record({ taskIDs: [2], values: [call] });
    expect(inUse(big, 2 << 20)).toBe(0);
    expect(inUse(half, 2 << 20)).toBe(1);
    recorder.finish();
  } finally {
    rmSync(outputDir, { recursive: true, force: true });
  }
});
