// Runs core's real call runner in worker threads (dist/ of both packages must be built).
import { join } from 'node:path';
import { eachOutcome, forEachOutcome, unpackCall } from '@acme-ts/core/backend';
import type { CallOutcome, ExecutionJob, RunnerSetup, StoredCall } from '@acme-ts/core/backend';
import { LocalBackend, ThreadPool } from '@acme-ts/backend-local';

const functions = join(__dirname, '__fixtures__', 'functions.js');

function memorySetup(exportName: string, nInputs: number): RunnerSetup {
  return {
    functionRef: { kind: 'module', module: functions, exportName, name: exportName } as RunnerSetup['functionRef'],
    nInputs,
    broadcast: { positional: [undefined], keyword: {}, hasKwargs: false },
    splits: [{ target: { positional: 0 } }],
    sink: { kind: 'memory' },
  };
}

async function execute(job: ExecutionJob) {
  const backend = new LocalBackend({ nWorkers: 2 });
  const values = new Map<number, unknown>();
  const record = (taskID: number, value: unknown) => {
    expect(values.has(taskID)).toBe(false);
    values.set(taskID, value);
  };
  const run = jest.spyOn(ThreadPool.prototype, 'run');
  try {
    await backend.execute(job, {
      onSettled: eachOutcome((outcome: CallOutcome) => record(outcome.taskID, outcome.ok ? outcome.value : outcome.error)),
    });
    const options = run.mock.calls[0]![2] as { payloadFor?: unknown };
    return { values, sentPerBatch: options.payloadFor !== undefined };
  } finally {
    run.mockRestore();
    await backend.close();
  }
}

describe('LocalBackend payloads', () => {
  it('shares numeric payloads with the workers instead of sending them per batch', async () => {
    const taskIDs = Array.from({ length: 3000 }, (_, i) => i);
    const { values, sentPerBatch } = await execute({ setup: memorySetup('triple', 3000), taskIDs, payloadFor: (i) => i / 2 });
    expect(sentPerBatch).toBe(false);
    expect(values.size).toBe(3000);
    for (const i of taskIDs) expect(values.get(i)).toBe(1.5 * i);
  });

  it('reads shared payloads by taskID in a re-run of some calls', async () => {
    const taskIDs = [3, 4, 6, 9]; // ascending, as ExecutionJob promises
    const { values, sentPerBatch } = await execute({ setup: memorySetup('triple', 1000), taskIDs, payloadFor: (i) => -i });
    expect(sentPerBatch).toBe(false);
    expect(Object.fromEntries(values)).toEqual({ 3: -9, 4: -12, 6: -18, 9: -27 });
  });

  it('copies a typed-array argument into shared memory in one go (payloadFor is not called)', async () => {
    const payloadSource = Float32Array.from({ length: 500 }, (_, i) => i + 0.5);
    const payloadFor = () => {
      throw new Error('payloadFor called');
    };
    const taskIDs = Array.from({ length: 500 }, (_, i) => i);
    const { values, sentPerBatch } = await execute({ setup: memorySetup('triple', 500), taskIDs, payloadFor, payloadSource });
    expect(sentPerBatch).toBe(false);
    for (const i of taskIDs) expect(values.get(i)).toBe(3 * (i + 0.5));
  });

  it('shares only the span of the calls it runs, and sends sparse calls per batch', async () => {
    // A SLURM task's chunk of a large run: calls 5000 … 5099 of 10⁶.
    const chunk = Array.from({ length: 100 }, (_, i) => 5000 + i);
    const payloadSource = Float64Array.from({ length: 6000 }, (_, i) => i);
    const shared = await execute({ setup: memorySetup('triple', 1e6), taskIDs: chunk, payloadFor: (i) => i, payloadSource });
    expect(shared.sentPerBatch).toBe(false);
    expect(shared.values.get(5099)).toBe(3 * 5099);
    const sparse = await execute({ setup: memorySetup('triple', 1e6), taskIDs: [0, 999_999], payloadFor: (i) => i });
    expect(sparse.sentPerBatch).toBe(true);
    expect(sparse.values.get(999_999)).toBe(3 * 999_999);
  });

  it('runs shared numeric calls in one loop and leaves every other outcome to the general path', async () => {
    const taskIDs = Array.from({ length: 3000 }, (_, i) => i);
    const { values } = await execute({ setup: memorySetup('mostlyNumbers', 3000), taskIDs, payloadFor: (i) => i });
    expect(values.size).toBe(3000);
    for (const i of taskIDs) {
      const value = values.get(i);
      if (i % 7 === 3) expect(value).toBe(`seven:${i}`);
      else if (i % 11 === 5) expect(value).toMatchObject({ name: 'RangeError', message: `eleven:${i}` });
      else if (i % 13 === 4) expect(value).toBe(-i);
      else if (i % 17 === 2) expect(value).toBeUndefined();
      else expect(value).toBe(2 * i);
    }
  });

  it('blames a crash inside the numeric loop on the call that crashed', async () => {
    const taskIDs = Array.from({ length: 3000 }, (_, i) => i);
    const { values } = await execute({ setup: memorySetup('exitAt1234', 3000), taskIDs, payloadFor: (i) => i });
    expect(values.size).toBe(3000);
    expect(values.get(1234)).toMatchObject({ name: 'WorkerExitError' });
    expect(values.get(1233)).toBe(2466);
    expect(values.get(1235)).toBe(2470);
  });

  it('copies the span of a JS Array argument of numbers, and sends an Array with a string per batch', async () => {
    const taskIDs = Array.from({ length: 300 }, (_, i) => 100 + i);
    const payloadFor = () => {
      throw new Error('payloadFor called');
    };
    const numbers = Array.from({ length: 400 }, (_, i) => i / 4);
    const shared = await execute({ setup: memorySetup('triple', 400), taskIDs, payloadFor, payloadSource: numbers });
    expect(shared.sentPerBatch).toBe(false);
    expect(shared.values.get(399)).toBe(3 * (399 / 4));
    const mixed: unknown[] = [...numbers];
    mixed[250] = '62.5';
    const perBatch = await execute({ setup: memorySetup('kind', 400), taskIDs, payloadFor: (i) => mixed[i], payloadSource: mixed });
    expect(perBatch.sentPerBatch).toBe(true);
    expect(perBatch.values.get(250)).toBe('string:62.5');
    expect(perBatch.values.get(251)).toBe('number:62.75');
  });

  it('sends payloads per batch when one of them is not a number', async () => {
    const taskIDs = Array.from({ length: 200 }, (_, i) => i);
    const payloadFor = (i: number) => (i === 199 ? 'last' : i);
    const { values, sentPerBatch } = await execute({ setup: memorySetup('kind', 200), taskIDs, payloadFor });
    expect(sentPerBatch).toBe(true);
    expect(values.get(0)).toBe('number:0');
    expect(values.get(199)).toBe('string:last');
  });
});

describe('LocalBackend singleFile results', () => {
  it('hands batches of one structure over packed by column, and the other calls one by one', async () => {
    const backend = new LocalBackend({ nWorkers: 2 });
    const setup: RunnerSetup = {
      ...memorySetup('pairs', 2000),
      sink: { kind: 'encoded', stacked: false, finishOnHost: true },
      paths: { outputDir: '/nonexistent', funcName: 'pairs' },
    };
    const datasets = new Map<number, { name: string; data: unknown }[]>();
    let packedBatches = 0;
    const record = (taskID: number, value: { name: string; data: unknown }[]) => {
      expect(datasets.has(taskID)).toBe(false);
      datasets.set(taskID, value);
    };
    try {
      await backend.execute(
        { setup, taskIDs: Array.from({ length: 2000 }, (_, i) => i), payloadFor: (i) => i },
        {
          onSettled: (batch) => {
            const { packed, taskIDs } = batch;
            if (packed === undefined) {
              return forEachOutcome(batch, (outcome) => {
                if (!outcome.ok) throw new Error(`call ${outcome.taskID} failed: ${outcome.error.message}`);
                record(outcome.taskID, (outcome.value as StoredCall).datasets!);
              });
            }
            packedBatches++;
            expect(packed.count).toBe(taskIDs.length);
            Array.from(taskIDs, (taskID, k) => record(taskID, unpackCall(packed, k)));
          },
        },
      );
    } finally {
      await backend.close();
    }
    expect(datasets.size).toBe(2000);
    expect(packedBatches).toBeGreaterThan(0);
    expect(datasets.get(1234)).toEqual([{ name: 'result_0', dtype: 'float64', shape: [2], data: Float64Array.of(1234, 2468) }]);
    expect(datasets.get(1499)!.map((d) => d.name)).toEqual(['result_0', 'result_1', 'result_2']);
  });
});

describe('LocalBackend back-pressure', () => {
  it('keeps the workers at most a few batches ahead of a slow recorder: finished results do not pile up', async () => {
    const n = 200;
    const finished = new Int32Array(new SharedArrayBuffer(4));
    const setup: RunnerSetup = {
      ...memorySetup('megabyteAfterWork', n),
      broadcast: { positional: [undefined, finished], keyword: {}, hasKwargs: false },
    };
    const backend = new LocalBackend({ nWorkers: 2 });
    let recorded = 0;
    let maxWaiting = 0;
    try {
      await backend.execute(
        { setup, taskIDs: Array.from({ length: n }, (_, i) => i), payloadFor: (i) => i },
        {
          // A writer that takes 10 ms per 1 MiB result (the workers make one in ≈ 3 ms each).
          onSettled: eachOutcome((outcome: CallOutcome) => {
            expect(outcome.ok && (outcome.value as Float64Array)[0]).toBe(outcome.taskID);
            maxWaiting = Math.max(maxWaiting, Atomics.load(finished, 0) - recorded);
            const end = Date.now() + 10;
            while (Date.now() < end);
            recorded++;
          }),
        },
      );
    } finally {
      await backend.close();
    }
    expect(recorded).toBe(n);
    // Unbounded, the workers would finish all 200 while the writer did its first few (measured: 4;
    // the bound allows a first batch of 16 calls per worker).
    expect(maxWaiting).toBeLessThanOrEqual(32);
  });
});

describe('LocalBackend result transfer', () => {
  it('transfers arrays the runner lent (taskContext().resultArray()) to the host instead of copying them', async () => {
    const backend = new LocalBackend({ nWorkers: 1, batch: 1 });
    const values = new Map<number, unknown>();
    try {
      await backend.execute(
        { setup: memorySetup('lentArray', 5), taskIDs: [0, 1, 2, 3, 4], payloadFor: (i) => i },
        { onSettled: eachOutcome((outcome: CallOutcome) => values.set(outcome.taskID, outcome.ok ? outcome.value : outcome.error)) },
      );
    } finally {
      await backend.close();
    }
    for (let i = 0; i < 5; i++) {
      const [array, previousTransferred] = values.get(i) as [{ data: Float64Array; shape: number[] }, number];
      expect(Array.from(array.data)).toEqual([i, i, i, i]);
      expect(array.shape).toEqual([4]);
      // The worker's own reference to the previous call's array is detached: it moved, uncopied.
      expect(previousTransferred).toBe(i === 0 ? -1 : 1);
    }
  });
});

test('sharedMemory: worker threads share memory with the client (a SharedArrayBuffer in the setup), child processes do not', () => {
  expect(new LocalBackend({ nWorkers: 1 }).sharedMemory).toBe(true);
  expect(new LocalBackend({ nWorkers: 1, isolation: 'process' }).sharedMemory).toBe(false);
});
