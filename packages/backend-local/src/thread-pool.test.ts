// Starts real worker threads, so it uses the built package (dist/): run `npx tsc -b
// packages/backend-local` (or `-p`) first.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  AbortError,
  InvalidTaskIDError,
  PoolClosedError,
  ThreadPool,
  WorkerCrashLoopError,
  WorkerStartupError,
  type ThreadPoolOptions,
  type WorkerTransport,
} from '@acme-ts/backend-local';
import { eachOutcome, forEachOutcome, type CallOutcome, type SettledBatch } from '@acme-ts/core/backend';

const fixture = (name: string) => join(__dirname, '__fixtures__', name);
const runnerModule = fixture('runner.js');
const range = (n: number, end?: number) => (end === undefined ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: end - n }, (_, i) => n + i));

const pools: ThreadPool[] = [];
/** The pool's wait for a first batch before it starts more workers (DECIDE_WITHIN_MS). */
const DECIDE_MS = 10;
function makePool(options: Partial<ThreadPoolOptions> = {}): ThreadPool {
  const pool = new ThreadPool({ nWorkers: 2, runnerModule, setup: {}, ...options });
  pools.push(pool);
  return pool;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

async function runAll(pool: ThreadPool, taskIDs: number[], options?: Parameters<ThreadPool['run']>[2]) {
  const outcomes: CallOutcome[] = [];
  const summary = await pool.run(
    taskIDs,
    eachOutcome((outcome) => outcomes.push(outcome)),
    options,
  );
  return { summary, outcomes, byID: new Map(outcomes.map((outcome) => [outcome.taskID, outcome])) };
}

/**
 * Runs calls 0 … nCalls-1 and aborts from inside onSettled once k outcomes have arrived (at the
 * end of the batch that holds the k-th: a settled batch is reported whole).
 */
async function runAbortingAt(pool: ThreadPool, nCalls: number, k: number) {
  const controller = new AbortController();
  const outcomes: CallOutcome[] = [];
  let reportedBeforeAbort = 0;
  const onSettled = (batch: SettledBatch) => {
    forEachOutcome(batch, (outcome) => outcomes.push(outcome));
    if (outcomes.length >= k && !controller.signal.aborted) {
      reportedBeforeAbort = outcomes.length;
      controller.abort();
    }
  };
  const error: unknown = await pool.run(range(nCalls), onSettled, controller.signal).catch((e: unknown) => e);
  return { error, outcomes, reportedBeforeAbort };
}

/** Runs `ids`: each has one outcome, `failedID` failed with `reason`, every other returned 2·id. */
async function expectOnlyFailure(pool: ThreadPool, ids: number[], failedID: number, reason: string) {
  const run = await runAll(pool, ids);
  expectOneOutcomeEach(run.outcomes, ids);
  expect(failure(run.byID.get(failedID))).toMatchObject({ reason });
  for (const id of ids.filter((id) => id !== failedID)) expect(run.byID.get(id)).toMatchObject({ ok: true, value: 2 * id });
  return run;
}

/** Runs calls 0 … n − 1, aborts after `ms`: the run rejects with AbortError, each call has one outcome. */
async function expectAbortedAfter(pool: ThreadPool, n: number, ms: number): Promise<CallOutcome[]> {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), ms);
  const outcomes: CallOutcome[] = [];
  const error = await pool
    .run(
      range(n),
      eachOutcome((o) => outcomes.push(o)),
      controller.signal,
    )
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AbortError);
  expectOneOutcomeEach(outcomes, range(n));
  return outcomes;
}

function expectOneOutcomeEach(outcomes: CallOutcome[], taskIDs: number[]) {
  expect(outcomes.map((outcome) => outcome.taskID).sort((a, b) => a - b)).toEqual([...taskIDs].sort((a, b) => a - b));
}

/** A batch request's taskIDs, whether sent as an array or as a range (first, count). */
function batchTaskIDs(request: unknown): Float64Array {
  const { taskIDs, firstTaskID, count } = request as { taskIDs?: Float64Array; firstTaskID: number; count: number };
  return taskIDs ?? Float64Array.from({ length: count }, (_, i) => firstTaskID + i);
}

/**
 * In-process fake workers: each batch is answered after `batchMs` (or on the next turn), as if
 * each call took `callMs`; values are `value(id)` (default 2·id). The log records what the pool
 * did: workers created (when), requests, batch requests, most batches in flight per worker,
 * most workers starting at once.
 */
function fakeWorkers(behaviour: { batchMs?: number; callMs?: number; initMs?: number; value?: (id: number) => number }) {
  const log = {
    createdAt: [] as number[],
    requests: [] as string[],
    sent: [] as { taskIDs?: Float64Array; firstTaskID: number; count: number }[],
    mostInFlight: [] as number[],
    mostStarting: 0,
    /** performance.now() of each request sent, and of each init answered. */
    requestedAt: [] as number[],
    initDoneAt: [] as number[],
  };
  let starting = 0;
  const sleep = (ms: number | undefined) => new Promise((resolve) => (ms === undefined ? setImmediate(resolve) : setTimeout(resolve, ms)));
  const createTransport = (): WorkerTransport => {
    const exitCallbacks: ((info: { code?: number }) => void)[] = [];
    const index = log.createdAt.push(performance.now()) - 1;
    log.mostInFlight[index] = 0;
    let inFlight = 0;
    // Like a worker: requests run one after the other, in the order they came.
    let turns: Promise<unknown> = Promise.resolve();
    const inTurn = async (run: () => Promise<void>) => {
      const turn = turns.then(run);
      turns = turn;
      await turn;
    };
    return {
      start() {},
      request: (async (method: string, payload: unknown): Promise<unknown> => {
        log.requests.push(method);
        log.requestedAt.push(performance.now());
        if (method === 'init') {
          log.mostStarting = Math.max(log.mostStarting, ++starting);
          await inTurn(() => sleep(behaviour.initMs).then(() => void starting--));
          log.initDoneAt.push(performance.now());
          return undefined;
        }
        log.sent.push(payload as (typeof log.sent)[number]);
        log.mostInFlight[index] = Math.max(log.mostInFlight[index]!, ++inFlight);
        const taskIDs = batchTaskIDs(payload);
        await inTurn(() => sleep(behaviour.batchMs).then(() => undefined));
        inFlight--;
        const workMs = behaviour.batchMs ?? taskIDs.length * (behaviour.callMs ?? 0);
        const values = Float64Array.from(taskIDs, behaviour.value ?? ((id) => 2 * id));
        return { nDone: taskIDs.length, durationsMs: workMs / taskIDs.length, values, workMs };
      }) as WorkerTransport['request'],
      async terminate() {
        for (const callback of exitCallbacks.splice(0)) callback({ code: 1 });
      },
      onExit(callback) {
        exitCallbacks.push(callback);
      },
    };
  };
  return { log, createTransport };
}

function failure(outcome: CallOutcome | undefined) {
  if (!outcome || outcome.ok) throw new Error(`expected a failed outcome, got ${JSON.stringify(outcome)}`);
  return outcome;
}

describe('ThreadPool results', () => {
  it('runs every call exactly once and returns its value', async () => {
    const pool = makePool();
    const ids = range(500);
    const { summary, outcomes, byID } = await runAll(pool, ids);
    expectOneOutcomeEach(outcomes, ids);
    for (const id of ids) expect(byID.get(id)).toMatchObject({ ok: true, value: 2 * id });
    expect(summary).toMatchObject({ nCalls: 500, nSucceeded: 500, nFailed: 0 });
    expect(pool.workerCount).toBeLessThanOrEqual(2);
  });

  it('returns undefined values (the values array is left out of the batch result)', async () => {
    const { outcomes } = await runAll(makePool({ setup: { returnUndefined: true } }), range(100));
    expect(outcomes).toHaveLength(100);
    expect(outcomes.every((outcome) => outcome.ok && outcome.value === undefined && 'value' in outcome)).toBe(true);
  });

  it('runs sparse taskIDs (a re-run of missing calls)', async () => {
    const { byID } = await runAll(makePool(), [7, 1000, 3]);
    expect([...byID.keys()].sort((a, b) => a - b)).toEqual([3, 7, 1000]);
    expect(byID.get(1000)).toMatchObject({ ok: true, value: 2000 });
  });

  it('loads an ESM runner', async () => {
    const { byID } = await runAll(makePool({ runnerModule: fixture('runner.mjs'), setup: { offset: 5 } }), [0, 1]);
    expect(byID.get(1)).toMatchObject({ ok: true, value: { taskID: 1, kind: 'esm', offset: 5 } });
  });

  it('sends per-call payloads with the batch', async () => {
    const { byID } = await runAll(makePool(), [0, 1, 2], { payloadFor: (id) => ({ x: id * 10 }) });
    expect(byID.get(2)).toMatchObject({ ok: true, value: { taskID: 2, payload: { x: 20 } } });
  });

  it('resolves at once for no calls, without starting workers', async () => {
    const pool = makePool();
    const { summary } = await runAll(pool, []);
    expect(summary).toMatchObject({ nCalls: 0, nBatches: 0, nWorkersStarted: 0 });
    expect(pool.workerCount).toBe(0);
  });

  it('takes a checked Float64Array of taskIDs as it is, and checks anything else', async () => {
    const { byID } = await runAll(makePool(), Float64Array.of(2, 5, 9) as unknown as number[], { taskIDsChecked: true });
    expect([...byID.keys()].sort((a, b) => a - b)).toEqual([2, 5, 9]);
    await expect(makePool().run([1, 1], () => {}, { taskIDsChecked: true })).rejects.toThrow('taskIDs must be unique, got 1 twice');
  });

  it('rejects invalid and duplicate taskIDs', async () => {
    const pool = makePool();
    await expect(pool.run([1, -1], () => {})).rejects.toThrow(InvalidTaskIDError);
    await expect(pool.run([1, 2.5], () => {})).rejects.toThrow('taskIDs must be non-negative integers, got 2.5');
    await expect(pool.run([1, 1], () => {})).rejects.toThrow('taskIDs must be unique, got 1 twice');
  });
});

describe('ThreadPool settled batches', () => {
  it('reports whole batches, all-successful ones without ok flags and with packed numbers, each call once', async () => {
    const pool = makePool({ setup: { behave: { 3: 'throw' } } });
    const outcomes: CallOutcome[] = [];
    let bulkReports = 0;
    let rangeReports = 0;
    const summary = await pool.run(range(2000), (batch) => {
      if (batch.ok === undefined) {
        bulkReports++;
        // Packed, not one value object per call (jest's realm: no instanceof for worker-made arrays).
        expect(Object.prototype.toString.call(batch.values)).toBe('[object Float64Array]');
      }
      if (batch.firstTaskID !== undefined) {
        rangeReports++;
        expect(Array.from(batch.taskIDs)).toEqual(Array.from(batch.taskIDs, (_, i) => batch.firstTaskID! + i));
      }
      forEachOutcome(batch, (outcome) => outcomes.push(outcome));
    });
    expect(summary).toMatchObject({ nSucceeded: 1999, nFailed: 1 });
    expect(bulkReports).toBeGreaterThan(0);
    expect(rangeReports).toBeGreaterThan(0); // batches from the ascending queue say where they start
    expect(failure(outcomes.find((outcome) => outcome.taskID === 3))).toMatchObject({ reason: 'error' });
    expectOneOutcomeEach(outcomes, range(2000));
    for (const outcome of outcomes) if (outcome.taskID !== 3) expect(outcome).toMatchObject({ ok: true, value: 2 * outcome.taskID });
  });

  it('rejects with the error of an onSettled callback that throws', async () => {
    const pool = makePool();
    const error = await pool
      .run(range(100), () => {
        throw new Error('consumer broke');
      })
      .catch((e: unknown) => e);
    expect((error as Error).message).toBe('consumer broke');
  });
});

describe('ThreadPool batching', () => {
  it('groups tiny calls into few messages', async () => {
    const { summary } = await runAll(makePool(), range(5000));
    expect(summary.nSucceeded).toBe(5000);
    expect(summary.nBatches).toBeLessThan(100);
  });

  it('sends slow calls one per message', async () => {
    const behave = Object.fromEntries(range(12).map((id) => [id, 'sleep']));
    const { summary } = await runAll(makePool({ setup: { behave, sleepMs: 20 } }), range(12));
    expect(summary.nSucceeded).toBe(12);
    // Each worker's first batch (6 calls, its fair share) stops at the 50 ms budget after three
    // and hands the rest back; after that the 5 ms target means one 20 ms call per message.
    expect(summary.nBatches).toBeGreaterThanOrEqual(8);
  });

  it('uses a fixed batch size when asked', async () => {
    const { summary } = await runAll(makePool({ batch: 100 }), range(1000));
    expect(summary.nBatches).toBe(10);
  });
});

describe('ThreadPool failures', () => {
  it('fails only the call that throws or rejects, with name, message and stack', async () => {
    const pool = makePool({ setup: { behave: { 3: 'throw', 4: 'reject' } } });
    const { byID, summary } = await runAll(pool, range(10));
    const thrown = failure(byID.get(3));
    expect(thrown).toMatchObject({ reason: 'error', error: { name: 'RangeError', message: 'call 3 failed on purpose' } });
    expect(thrown.error.stack).toContain('runner.js');
    expect(failure(byID.get(4))).toMatchObject({ reason: 'error', error: { name: 'TypeError' } });
    expect(summary).toMatchObject({ nSucceeded: 8, nFailed: 2 });
    // Thrown errors do not cost a worker.
    expect(summary.nWorkersStarted).toBeLessThanOrEqual(2);
  });

  it('fails the call that calls process.exit and replaces its worker', async () => {
    const pool = makePool({ nWorkers: 1, batch: 4, setup: { behave: { 5: 'exit' } } });
    const ids = range(12);
    const { byID, outcomes, summary } = await runAll(pool, ids);
    expectOneOutcomeEach(outcomes, ids);
    expect(failure(byID.get(5))).toMatchObject({
      reason: 'worker-exit',
      error: { name: 'WorkerExitError', message: 'the worker thread exited with code 7 during call 5' },
    });
    for (const id of ids.filter((id) => id !== 5)) expect(byID.get(id)).toMatchObject({ ok: true, value: 2 * id });
    expect(summary.nWorkersStarted).toBe(2);
  });

  it('keeps the results of a batch that came back just before its worker exited in the next one (each call runs once)', async () => {
    // Tiny calls in batches of 4 on one worker: 0 … 3 come back as 4 … 7 start, and call 5 exits.
    const runCounts = new SharedArrayBuffer(4 * 12);
    const pool = makePool({ nWorkers: 1, batch: 4, setup: { behave: { 5: 'exit' }, runCounts } });
    await expectOnlyFailure(pool, range(12), 5, 'worker-exit');
    expect(Array.from(new Int32Array(runCounts))).toEqual(range(12).map(() => 1));
  });

  it('fails a call that exits its worker in the first batch alone, when the runner took turns to create', async () => {
    // The first batch travels right behind the init and waited for it in the worker, but ran
    // before comlink had posted the init's answer: the worker ended without answering, and the
    // run stopped with WorkerStartupError (every ES-module function whose first call exits).
    const pool = makePool({ nWorkers: 1, batch: 1, setup: { behave: { 0: 'exit' }, createDelayMs: 20 } });
    const { byID, summary } = await runAll(pool, range(4));
    expect(failure(byID.get(0))).toMatchObject({ reason: 'worker-exit' });
    for (const id of range(1, 4)) expect(byID.get(id)).toMatchObject({ ok: true, value: 2 * id });
    expect(summary).toMatchObject({ nSucceeded: 3, nFailed: 1, nWorkersStarted: 2 });
  });

  it('sends a worker its next batch before it hands out the outcomes of the batch that came back', async () => {
    // Calls of 20 ms go one batch at a time; the host spends 300 ms on the first outcome. The
    // worker must not wait for that: call 1 starts while call 0's outcome is being handled.
    const pool = makePool({ nWorkers: 1, batch: 1, setup: { behave: { 0: 'startedAt', 1: 'startedAt' }, sleepMs: 20 } });
    let handlingFrom = 0;
    const outcomes: CallOutcome[] = [];
    await pool.run(
      [0, 1],
      eachOutcome((outcome) => {
        outcomes.push(outcome);
        if (outcome.taskID !== 0) return;
        handlingFrom = Date.now();
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      }),
    );
    const startedAt = outcomes.find((o) => o.taskID === 1)!;
    expect(startedAt).toMatchObject({ ok: true });
    expect((startedAt as { value: number }).value).toBeLessThan(handlingFrom + 250);
  });

  it('re-runs the batch queued behind the one whose call killed the worker', async () => {
    // Tiny calls: after the first batch the worker holds two, so 400 … 599 wait behind call 250.
    const pool = makePool({ nWorkers: 1, batch: 200, setup: { behave: { 250: 'exit' } } });
    const { summary } = await expectOnlyFailure(pool, range(1000), 250, 'worker-exit');
    expect(summary).toMatchObject({ nSucceeded: 999, nFailed: 1, nWorkersStarted: 2 });
  });

  it('fails the call whose stray async error kills the worker', async () => {
    const { byID } = await runAll(makePool({ nWorkers: 1, setup: { behave: { 2: 'uncaught' } } }), range(6));
    expect(failure(byID.get(2))).toMatchObject({
      reason: 'worker-exit',
      error: { name: 'SyntaxError', message: 'uncaught in call 2' },
    });
    expect([0, 1, 3, 4, 5].every((id) => byID.get(id)?.ok)).toBe(true);
  });

  it("reports 'out-of-memory' for a call that exhausts the worker's heap", async () => {
    const pool = makePool({ setup: { behave: { 1: 'oom' } }, resourceLimits: { maxOldGenerationSizeMb: 32 } });
    const { byID } = await runAll(pool, range(6));
    expect(failure(byID.get(1)).reason).toBe('out-of-memory');
    expect(failure(byID.get(1)).error.message).toMatch(/memory/);
    expect([0, 2, 3, 4, 5].every((id) => byID.get(id)?.ok)).toBe(true);
  });

  it("times out an endless call with reason 'timeout' and completes the others", async () => {
    const pool = makePool({ timeoutMs: 300, setup: { behave: { 4: 'loop' } } });
    const started = Date.now();
    const { byID, summary } = await runAll(pool, range(20));
    const timedOut = failure(byID.get(4));
    expect(timedOut).toMatchObject({ reason: 'timeout', error: { name: 'TimeoutError' } });
    expect(timedOut.durationMs).toBeGreaterThanOrEqual(300);
    expect(summary).toMatchObject({ nSucceeded: 19, nFailed: 1 });
    expect(Date.now() - started).toBeLessThan(5000);
  }, 10_000);

  it('times out an endless call while a second batch waits in its worker, and re-runs that batch', async () => {
    // Tiny calls in batches of 50 on one worker: 100 … 149 run while 150 … 199 wait behind call 120.
    const pool = makePool({ nWorkers: 1, batch: 50, timeoutMs: 300, setup: { behave: { 120: 'loop' } } });
    const { summary } = await expectOnlyFailure(pool, range(400), 120, 'timeout');
    expect(summary).toMatchObject({ nSucceeded: 399, nFailed: 1, nWorkersStarted: 2 });
  }, 10_000);

  it('does not count the time a call waited in its batch towards its timeout', async () => {
    // Four 120 ms calls in one batch take 480 ms in total, each well under the 300 ms limit.
    const behave = Object.fromEntries(range(4).map((id) => [id, 'sleep']));
    const pool = makePool({ nWorkers: 1, batch: 4, timeoutMs: 300, setup: { behave, sleepMs: 120 } });
    const { summary } = await runAll(pool, range(4));
    expect(summary).toMatchObject({ nSucceeded: 4, nBatches: 1 });
  });

  describe('concurrency: a worker runs several async calls at once', () => {
    const sleeping = (ids: number[], extra: Record<number, string> = {}) => ({ ...Object.fromEntries(ids.map((id) => [id, 'sleep'])), ...extra });

    it('overlaps calls that wait: 16 calls of 200 ms on one worker running 8 at once', async () => {
      const runCounts = new SharedArrayBuffer(4 * 16);
      const pool = makePool({ nWorkers: 1, concurrency: 8, setup: { behave: sleeping(range(16)), sleepMs: 200, runCounts } });
      const { byID, summary } = await runAll(pool, range(16));
      for (const id of range(16)) expect(byID.get(id)).toMatchObject({ ok: true, value: 2 * id });
      expect(Array.from(new Int32Array(runCounts))).toEqual(range(16).map(() => 1));
      // 2 rounds of 200 ms (one after another: 3200 ms).
      expect(summary.durationMs).toBeLessThan(1200);
    });

    it('times out a call that never settles alone; the calls running beside it run again', async () => {
      const runCounts = new SharedArrayBuffer(4 * 40);
      const pool = makePool({ nWorkers: 1, concurrency: 4, timeoutMs: 300, setup: { behave: sleeping(range(40), { 2: 'hang' }), sleepMs: 100, runCounts } });
      const { summary } = await expectOnlyFailure(pool, range(40), 2, 'timeout');
      expect(summary.nWorkersStarted).toBeGreaterThanOrEqual(2);
      // Found running beside others, the call ran once more alone before it failed (found alone,
      // when the others were between batches at that moment, it failed at once).
      expect([1, 2]).toContain(new Int32Array(runCounts)[2]);
    }, 10_000);

    it('times out an endless synchronous call (it blocks the calls beside it, which run again)', async () => {
      const pool = makePool({ nWorkers: 1, concurrency: 4, timeoutMs: 300, setup: { behave: sleeping(range(12), { 5: 'loop' }), sleepMs: 100 } });
      await expectOnlyFailure(pool, range(12), 5, 'timeout');
    }, 10_000);

    it('fails only the call that exits its worker: the calls running beside it run again, each alone, and succeed', async () => {
      const runCounts = new SharedArrayBuffer(4 * 12);
      const pool = makePool({ nWorkers: 1, concurrency: 4, setup: { behave: sleeping(range(12), { 5: 'exit' }), sleepMs: 100, runCounts } });
      const { byID } = await expectOnlyFailure(pool, range(12), 5, 'worker-exit');
      expect(failure(byID.get(5)).error.message).toBe('the worker thread exited with code 7 during call 5');
      // The culprit ran once more alone when others were running beside it.
      expect([1, 2]).toContain(new Int32Array(runCounts)[5]);
    }, 10_000);

    it('fails only the call whose stray async error kills the worker', async () => {
      const pool = makePool({ nWorkers: 2, concurrency: 3, setup: { behave: sleeping(range(10), { 4: 'uncaught' }), sleepMs: 100 } });
      const { byID } = await expectOnlyFailure(pool, range(10), 4, 'worker-exit');
      expect(failure(byID.get(4)).error).toMatchObject({ name: 'SyntaxError', message: 'uncaught in call 4' });
    }, 10_000);

    it('runs synchronous calls and thrown errors as before', async () => {
      const pool = makePool({ concurrency: 4, setup: { behave: { 7: 'throw' } } });
      await expectOnlyFailure(pool, range(500), 7, 'error');
    });

    it('reports the calls in flight as aborted on abort, and leaves no thread', async () => {
      const pool = makePool({ nWorkers: 1, concurrency: 4, setup: { behave: sleeping(range(8)), sleepMs: 5000 } });
      const outcomes = await expectAbortedAfter(pool, 8, 200);
      expect(outcomes.every((o) => !o.ok && o.reason === 'aborted')).toBe(true);
      expect(pool.workerCount).toBe(0);
    });

    it('rejects a concurrency that is not a positive integer', () => {
      expect(() => makePool({ concurrency: 0 })).toThrow('options.concurrency must be a positive integer, got 0');
    });
  });

  describe("isolation: 'process' (workers are child processes)", () => {
    it('runs every call in a child process, with payloads and results as with threads', async () => {
      const pool = makePool({ isolation: 'process', setup: { behave: { 3: 'pid' } } });
      const { byID, summary } = await runAll(pool, range(200));
      expect(byID.get(3)).toMatchObject({ ok: true });
      expect((byID.get(3) as { value: number }).value).not.toBe(process.pid);
      for (const id of range(200).filter((id) => id !== 3)) expect(byID.get(id)).toMatchObject({ ok: true, value: 2 * id });
      expect(summary.nSucceeded).toBe(200);
      const sent = await runAll(pool, [5, 6], { payloadFor: (id) => ({ id }) });
      expect(sent.byID.get(6)).toMatchObject({ ok: true, value: { taskID: 6, payload: { id: 6 } } });
    });

    it('fails only the call that crashes its process natively (abort()), with the signal; the others succeed', async () => {
      const pool = makePool({ nWorkers: 1, batch: 4, isolation: 'process', setup: { behave: { 5: 'abort' } } });
      const { byID } = await expectOnlyFailure(pool, range(12), 5, 'worker-exit');
      expect(failure(byID.get(5)).error).toMatchObject({ name: 'WorkerExitError', message: 'the worker process was killed by SIGABRT during call 5' });
    }, 15_000);

    it('fails the call that exits, or whose stray error ends the process, alone', async () => {
      const pool = makePool({ nWorkers: 1, batch: 4, isolation: 'process', setup: { behave: { 2: 'exit', 7: 'uncaught' } } });
      const run = await runAll(pool, range(10));
      expect(failure(run.byID.get(2)).error.message).toBe('the worker process exited with code 7 during call 2');
      expect(failure(run.byID.get(7))).toMatchObject({ reason: 'worker-exit', error: { name: 'SyntaxError', message: 'uncaught in call 7' } });
      expect(run.summary).toMatchObject({ nSucceeded: 8, nFailed: 2 });
    }, 15_000);

    it('times out an endless call and kills its process', async () => {
      const pool = makePool({ nWorkers: 1, isolation: 'process', timeoutMs: 300, setup: { behave: { 4: 'loop' } } });
      await expectOnlyFailure(pool, range(10), 4, 'timeout');
    }, 15_000);

    it('overlaps async calls with concurrency, and a crash beside them fails only its call', async () => {
      const behave = { ...Object.fromEntries(range(12).map((id) => [id, 'sleep'])), 6: 'abort' };
      const pool = makePool({ nWorkers: 1, concurrency: 4, isolation: 'process', setup: { behave, sleepMs: 100 } });
      await expectOnlyFailure(pool, range(12), 6, 'worker-exit');
    }, 15_000);

    it('reports unfinished calls as aborted on abort, and leaves no process', async () => {
      const pool = makePool({ nWorkers: 1, isolation: 'process', setup: { behave: { 0: 'hang' } } });
      await expectAbortedAfter(pool, 3, 300);
      expect(pool.workerCount).toBe(0);
    }, 15_000);

    it("rejects another isolation than 'thread' or 'process'", () => {
      expect(() => makePool({ isolation: 'vm' as never })).toThrow('options.isolation must be "thread" or "process", got "vm"');
    });
  });

  describe('a worker that dies does not run the calls it had finished again', () => {
    /** Runs 20 calls in one batch on one worker, call 10 misbehaving; returns each call's executions. */
    async function executionsWhen(misbehaviour: string, options: Partial<ThreadPoolOptions>, sleepMs?: number) {
      const runCounts = new SharedArrayBuffer(4 * 20);
      // Calls of a few ms (sleepMs) are handed back as they finish; tiny ones when the worker dies.
      const behave = Object.fromEntries(range(20).map((id) => [id, id === 10 ? misbehaviour : sleepMs ? 'sleep' : 'plain']));
      const pool = makePool({ nWorkers: 1, batch: 20, setup: { behave, runCounts, sleepMs }, ...options });
      const { byID } = await runAll(pool, range(20));
      expect(failure(byID.get(10)).reason).toBe(misbehaviour === 'exit' ? 'worker-exit' : misbehaviour === 'loop' ? 'timeout' : 'out-of-memory');
      for (const id of range(20).filter((id) => id !== 10)) expect(byID.get(id)).toMatchObject({ ok: true, value: 2 * id });
      return Array.from(new Int32Array(runCounts));
    }
    const once = range(20).map(() => 1);

    it('process.exit', async () => {
      expect(await executionsWhen('exit', {})).toEqual(once);
    });

    it('a timeout', async () => {
      expect(await executionsWhen('loop', { timeoutMs: 300 }, 3)).toEqual(once);
    }, 10_000);

    it('out of memory', async () => {
      expect(await executionsWhen('oom', { resourceLimits: { maxOldGenerationSizeMb: 32 } }, 3)).toEqual(once);
    }, 20_000);

    // Tiny calls finish within the 1 ms between hand-overs: the worker records each in shared
    // memory (FinishedCalls), where the pool finds them after it killed the thread.
    it('a timeout right after tiny calls', async () => {
      expect(await executionsWhen('loop', { timeoutMs: 300 })).toEqual(once);
    }, 10_000);

    it('out of memory right after tiny calls', async () => {
      expect(await executionsWhen('oom', { resourceLimits: { maxOldGenerationSizeMb: 32 } })).toEqual(once);
    }, 20_000);

    it('a timeout right after tiny calls that return objects and throw', async () => {
      const runCounts = new SharedArrayBuffer(4 * 20);
      const behave: Record<number, string> = { 3: 'throw', 10: 'loop' };
      const pool = makePool({ nWorkers: 1, batch: 20, timeoutMs: 300, setup: { behave, runCounts, tag: 'x' } });
      const { byID } = await runAll(pool, range(20));
      expect(failure(byID.get(10)).reason).toBe('timeout');
      expect(failure(byID.get(3)).error).toMatchObject({ name: 'RangeError', message: 'call 3 failed on purpose' });
      for (const id of range(20).filter((id) => id !== 10 && id !== 3)) expect(byID.get(id)).toMatchObject({ ok: true, value: { value: 2 * id, tag: 'x' } });
      expect(Array.from(new Int32Array(runCounts))).toEqual(once);
    }, 10_000);
  });

  it('fails only the call whose result cannot be cloned', async () => {
    const { byID, summary } = await runAll(makePool({ batch: 5, setup: { behave: { 2: 'uncloneable' } } }), range(10));
    expect(failure(byID.get(2)).reason).toBe('error');
    expect(summary).toMatchObject({ nSucceeded: 9, nFailed: 1 });
  });

  it('fails the run instead of looping when createRunner throws', async () => {
    const pool = makePool({ setup: { failCreate: true } });
    const outcomes: CallOutcome[] = [];
    const error = await pool
      .run(
        range(50),
        eachOutcome((outcome) => outcomes.push(outcome)),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerStartupError);
    expect((error as WorkerStartupError).code).toBe('ERR_WORKER_STARTUP');
    expect((error as Error).message).toContain('createRunner failed on purpose');
    expectOneOutcomeEach(outcomes, range(50));
    expect(outcomes.every((outcome) => !outcome.ok && outcome.reason === 'aborted')).toBe(true);
    expect(pool.workerCount).toBe(0);
  });

  it('fails the run when the runner module has no createRunner', async () => {
    const pool = makePool({ runnerModule: fixture('no-create-runner.js') });
    await expect(pool.run([0], () => {})).rejects.toThrow(/does not export createRunner/);
  });

  it('fails the run when the runner module kills the thread while loading', async () => {
    const pool = makePool({ runnerModule: fixture('crash-at-start.js') });
    await expect(pool.run([0, 1], () => {})).rejects.toThrow(WorkerStartupError);
  });

  it('rejects with the error of a callback that throws while calls are reported', async () => {
    const pool = makePool();
    const boom = new Error('callback failed');
    await expect(
      pool.run(
        range(10),
        eachOutcome((outcome) => {
          if (outcome.taskID === 3) throw boom;
        }),
      ),
    ).rejects.toBe(boom);
  });
});

describe('ThreadPool abort and lifetime', () => {
  it("reports unfinished calls as 'aborted', rejects with AbortError and leaves no thread", async () => {
    const behave = Object.fromEntries(range(40).map((id) => [id, 'sleep']));
    const pool = makePool({ setup: { behave, sleepMs: 40 } });
    // Abort from inside the callback once 4 calls have finished (re-entrancy included).
    const { error, outcomes, reportedBeforeAbort } = await runAbortingAt(pool, 40, 4);
    expect(error).toBeInstanceOf(AbortError);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expectOneOutcomeEach(outcomes, range(40));
    const aborted = outcomes.filter((outcome) => !outcome.ok && outcome.reason === 'aborted');
    expect(aborted.length).toBeGreaterThan(20);
    expect(reportedBeforeAbort).toBeGreaterThanOrEqual(4);
    expect(outcomes.filter((outcome) => outcome.ok).length).toBe(reportedBeforeAbort);
    expect(pool.workerCount).toBe(0);

    // The pool serves later runs with fresh workers.
    const { summary } = await runAll(pool, range(5), { setup: {} });
    expect(summary.nSucceeded).toBe(5);
  });

  it('keeps the outcomes reported before a callback aborts, and reports every other call as aborted', async () => {
    const pool = makePool({ nWorkers: 1, batch: 10, setup: { behave: { 3: 'throw' } } });
    const { error, outcomes, reportedBeforeAbort } = await runAbortingAt(pool, 40, 3);
    expect(error).toBeInstanceOf(AbortError);
    expectOneOutcomeEach(outcomes, range(40));
    // What came back before the abort keeps its outcome (the first batch whole, or the part a
    // slow worker had handed over; 3 failed on its own); the rest is aborted.
    expect(reportedBeforeAbort).toBeGreaterThanOrEqual(3);
    expect(outcomes.slice(0, reportedBeforeAbort).map((outcome) => outcome.taskID)).toEqual(range(reportedBeforeAbort));
    expect(outcomes.slice(0, reportedBeforeAbort).every((outcome) => outcome.ok === (outcome.taskID !== 3))).toBe(true);
    if (reportedBeforeAbort > 3) expect(failure(outcomes[3])).toMatchObject({ reason: 'error' });
    expect(outcomes.slice(reportedBeforeAbort).every((outcome) => !outcome.ok && outcome.reason === 'aborted')).toBe(true);
  });

  it('aborts before starting when the signal is already aborted', async () => {
    const pool = makePool();
    const outcomes: CallOutcome[] = [];
    await expect(
      pool.run(
        [1, 2],
        eachOutcome((o) => outcomes.push(o)),
        AbortSignal.abort(),
      ),
    ).rejects.toThrow(AbortError);
    expect(outcomes.map((o) => !o.ok && o.reason)).toEqual(['aborted', 'aborted']);
    expect(pool.workerCount).toBe(0);
  });

  it('sends the setup once per worker and reuses workers across runs', async () => {
    const createCounter = new SharedArrayBuffer(4);
    const creations = () => Atomics.load(new Int32Array(createCounter), 0);
    // 20 ms calls so that both workers take part in every run.
    const behave = Object.fromEntries(range(20).map((id) => [id, 'sleep']));
    const setup = { createCounter, behave, sleepMs: 20 };
    const pool = makePool({ setup });
    const first = await runAll(pool, range(10));
    expect(first.summary.nWorkersStarted).toBe(2);
    expect(creations()).toBe(2);

    const again = await runAll(pool, range(10), { setup });
    expect(again.summary.nWorkersStarted).toBe(0);
    expect(creations()).toBe(2);

    // Another setup object re-initializes the live workers without new threads.
    const tagged = await runAll(pool, range(10, 20), { setup: { ...setup, tag: 'b' } });
    expect(tagged.summary.nWorkersStarted).toBe(0);
    expect(tagged.byID.get(15)).toMatchObject({ ok: true, value: { value: 30, tag: 'b' } });
    expect(creations()).toBe(4);
  });

  it('uses a worker that finished starting after its run ended in the next run', async () => {
    const createCounter = new SharedArrayBuffer(4);
    const pool = makePool({ setup: { createCounter } });
    // Tiny runs end before the second worker is ready; none may be lost or started twice.
    for (let round = 0; round < 5; round++) {
      const { summary } = await runAll(pool, range(50));
      expect(summary.nSucceeded).toBe(50);
    }
    expect(pool.workerCount).toBeLessThanOrEqual(2);
    expect(Atomics.load(new Int32Array(createCounter), 0)).toBeLessThanOrEqual(2);
  });

  it('runs concurrent run() calls one after the other', async () => {
    const pool = makePool();
    const [a, b] = await Promise.all([runAll(pool, range(300)), runAll(pool, range(200))]);
    expect(a.summary.nSucceeded + b.summary.nSucceeded).toBe(500);
  });

  it('refuses runs after close() and disposes with await using', async () => {
    const pool = makePool();
    await runAll(pool, range(10));
    await pool[Symbol.asyncDispose]();
    expect(pool.workerCount).toBe(0);
    await expect(pool.run([0], () => {})).rejects.toThrow(PoolClosedError);
  });

  it('close() during a run aborts it', async () => {
    const behave = Object.fromEntries(range(20).map((id) => [id, 'sleep']));
    const pool = makePool({ setup: { behave, sleepMs: 50 } });
    const outcomes: CallOutcome[] = [];
    const running = pool.run(
      range(20),
      eachOutcome((o) => outcomes.push(o)),
    );
    setTimeout(() => void pool.close(), 100);
    await expect(running).rejects.toThrow(PoolClosedError);
    expectOneOutcomeEach(outcomes, range(20));
  });
});

describe('ThreadPool transport seam', () => {
  it('fails the run instead of looping when workers keep dying outside of calls', async () => {
    // A transport whose workers start, then die on each batch before any call starts.
    let started = 0;
    const dyingTransport = (): WorkerTransport => {
      let onExit: ((info: { code?: number }) => void) | undefined;
      const exit = (info: { code?: number }) => {
        const callback = onExit;
        onExit = undefined; // the contract: once
        callback?.(info);
      };
      return {
        start: () => void started++,
        request: (async (method: string): Promise<unknown> => {
          if (method === 'init') return undefined;
          setImmediate(() => exit({ code: 9 }));
          return new Promise(() => {});
        }) as WorkerTransport['request'],
        async terminate() {
          exit({ code: 1 });
        },
        onExit(callback) {
          onExit = callback;
        },
      };
    };
    const pool = makePool({ createTransport: dyingTransport });
    const outcomes: CallOutcome[] = [];
    const error = await pool
      .run(
        range(20),
        eachOutcome((outcome) => outcomes.push(outcome)),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerCrashLoopError);
    expect((error as Error).message).toContain('code 9');
    expectOneOutcomeEach(outcomes, range(20));
    expect(outcomes.every((outcome) => !outcome.ok && outcome.reason === 'aborted')).toBe(true);
    expect(started).toBeLessThan(10);
  });

  it('queues a second batch in each worker when calls are tiny', async () => {
    const fake = fakeWorkers({ callMs: 0.001 });
    const { summary, byID } = await runAll(makePool({ createTransport: fake.createTransport }), range(5000));
    expect(summary.nSucceeded).toBe(5000);
    expect(byID.get(4999)).toMatchObject({ ok: true, value: 9998 });
    expect(fake.log.mostInFlight.length).toBeGreaterThan(0);
    expect(fake.log.mostInFlight.every((n) => n === 2)).toBe(true);
  });

  it('sends slow calls one batch at a time per worker', async () => {
    const fake = fakeWorkers({ callMs: 20 });
    const { summary } = await runAll(makePool({ createTransport: fake.createTransport }), range(40));
    expect(summary.nSucceeded).toBe(40);
    expect(fake.log.mostInFlight).toEqual([1, 1]); // both workers: 800 ms of calls are worth a second one
  });

  it('sends consecutive taskIDs as a range and others as an array', async () => {
    const fake = fakeWorkers({ value: (id) => -id });
    const { sent } = fake.log;
    const pool = makePool({ nWorkers: 1, createTransport: fake.createTransport, batch: 3 });
    const first = await runAll(pool, [4, 5, 6, 10, 12]);
    expect(first.byID.get(12)).toMatchObject({ ok: true, value: -12 });
    expect(sent.map((r) => [r.taskIDs ? [...r.taskIDs] : 'range', r.firstTaskID, r.count])).toEqual([
      ['range', 4, 3],
      [[10, 12], 10, 2],
    ]);
    sent.length = 0;
    const second = await runAll(pool, [9, 8, 7]); // consecutive, but not ascending
    expect(second.byID.get(8)).toMatchObject({ ok: true, value: -8 });
    expect(sent.map((r) => (r.taskIDs ? [...r.taskIDs] : 'range'))).toEqual([[9, 8, 7]]);
  });

  it("sends a starting worker's first batch right behind its init, not after the answer", async () => {
    const fake = fakeWorkers({ initMs: 40 });
    const { summary } = await runAll(makePool({ nWorkers: 1, createTransport: fake.createTransport }), range(100));
    expect(summary.nSucceeded).toBe(100);
    const { requests, requestedAt, initDoneAt } = fake.log;
    expect(requests.slice(0, 2)).toEqual(['init', 'runBatch']);
    expect(requestedAt[1]).toBeLessThan(initDoneAt[0]!);
    // Only one: the call time is unknown until a batch came back.
    expect(requests.filter((method, i) => method === 'runBatch' && requestedAt[i]! < initDoneAt[0]!)).toHaveLength(1);
  });

  it('starts workers at most cores − 1 at a time (the host thread keeps a core)', async () => {
    const fake = fakeWorkers({ initMs: 20, batchMs: 30 }); // slow calls: every worker is wanted
    const { summary } = await runAll(makePool({ nWorkers: 4, createTransport: fake.createTransport, batch: 1 }), range(40));
    expect(summary.nSucceeded).toBe(40);
    expect(fake.log.createdAt).toHaveLength(4);
    expect(fake.log.mostStarting).toBe(Math.max(1, Math.min(4, availableParallelism() - 1)));
  });

  it('runs a short job of tiny calls on one worker: another would take longer to start', async () => {
    const fake = fakeWorkers({ callMs: 0 });
    const { summary } = await runAll(makePool({ nWorkers: 4, createTransport: fake.createTransport }), range(3000));
    expect(summary.nSucceeded).toBe(3000);
    expect(fake.log.createdAt).toHaveLength(1);
  });

  it('starts the next worker soon when the first calls are long (no measurement to wait for)', async () => {
    const fake = fakeWorkers({ batchMs: 300 });
    const { summary } = await runAll(makePool({ nWorkers: 2, createTransport: fake.createTransport, batch: 1 }), range(4));
    expect(summary.nSucceeded).toBe(4);
    const { createdAt } = fake.log;
    expect(createdAt).toHaveLength(2);
    // Started ≈ 10 ms after the first could run, not after its first 300 ms call.
    expect(createdAt[1]! - createdAt[0]!).toBeLessThan(150);
  });

  it('starts more workers for batches of one short call once they add up to evidence', async () => {
    // 4 ms calls one per batch (as in a SLURM task): no single batch says much, 100 of them do.
    const fake = fakeWorkers({ batchMs: 4 });
    const { summary } = await runAll(makePool({ nWorkers: 2, createTransport: fake.createTransport, batch: 1 }), range(100));
    expect(summary.nSucceeded).toBe(100);
    expect(fake.log.createdAt).toHaveLength(2);
  });

  it('schedules through any WorkerTransport (in-process fake)', async () => {
    const fake = fakeWorkers({ value: (id) => -id });
    const pool = makePool({ nWorkers: 3, createTransport: fake.createTransport, batch: 4 });
    const { byID, summary } = await runAll(pool, range(10));
    expect(byID.get(9)).toMatchObject({ ok: true, value: -9 });
    expect(summary.nBatches).toBe(3);
    // One init per worker started (they start one after another on a machine of 2 cores).
    expect(fake.log.requests.filter((method) => method === 'init')).toHaveLength(fake.log.createdAt.length);
  });
});

describe('worker starts for CPU-bound calls on larger machines (fake clock, 17 cores)', () => {
  // 200 calls of 20 ms: 4 s of work, worth every worker as long as the queued work per running
  // worker (queued × 20 ms / running) exceeds twice a start-up (2 × 30 ms), i.e. queued > 3 × running.
  it.each([8, 16])('starts all %i workers, at once, and keeps them busy', async (nWorkers) => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      let Pool!: typeof ThreadPool;
      jest.isolateModules(() => {
        jest.doMock('node:os', () => ({ ...jest.requireActual<typeof import('node:os')>('node:os'), availableParallelism: () => 17 }));
        ({ ThreadPool: Pool } = require('@acme-ts/backend-local') as typeof import('@acme-ts/backend-local'));
      });
      const fake = fakeWorkers({ initMs: 30, batchMs: 20 });
      const pool = new Pool({ nWorkers, runnerModule, setup: {}, createTransport: fake.createTransport, batch: 1 });
      pools.push(pool);
      const t0 = performance.now();
      let done = false;
      const run = runAll(pool, range(200)).finally(() => (done = true));
      while (!done) await jest.advanceTimersByTimeAsync(1);
      const { summary } = await run;
      const elapsed = performance.now() - t0;
      expect(summary.nSucceeded).toBe(200);
      expect(fake.log.createdAt).toHaveLength(nWorkers);
      // Started together (16 at once on 17 cores), not one start-up after another.
      expect(fake.log.mostStarting).toBe(nWorkers);
      expect(Math.max(...fake.log.createdAt) - Math.min(...fake.log.createdAt)).toBeLessThanOrEqual(DECIDE_MS + 1);
      // 200 × 20 ms on nWorkers, plus one start-up, the first decision and a last partial round.
      expect(elapsed).toBeLessThanOrEqual((200 * 20) / nWorkers + 30 + DECIDE_MS + 2 * 20);
    } finally {
      jest.useRealTimers();
    }
  });
});
