// options.retries in core's execute phase, against a scripted backend: which failures run
// again, how often, after what wait, and what is reported when attempts run out or the run stops.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ExecutionBackend, ExecutionEvents, ExecutionJob, FailureReason } from './backend';
import { ComputeError } from './errors';
import { ParallelMap } from './parallel-map';
import { backoffBefore, checkRetries, DEFAULT_RETRY_ON } from './retries';
import { readCallHistory } from './run-store';
import { runStatus } from './run-status';
import { settledCall } from './settled-batch';

/** Runs calls in this process; `fail(taskID, attempt)` names a failure reason for a call's attempt. */
class ScriptedBackend implements ExecutionBackend {
  readonly name = 'scripted';
  readonly concurrency = 1;
  readonly rounds: { taskIDs: number[]; at: number }[] = [];
  private readonly runs = new Map<number, number>();

  constructor(private readonly fail: (taskID: number, attempt: number) => FailureReason | undefined) {}

  async execute(job: ExecutionJob, events: ExecutionEvents): Promise<void> {
    this.rounds.push({ taskIDs: Array.from(job.taskIDs), at: Date.now() });
    for (const taskID of Array.from(job.taskIDs)) {
      const attempt = (this.runs.get(taskID) ?? 0) + 1;
      this.runs.set(taskID, attempt);
      const reason = this.fail(taskID, attempt);
      if (reason)
        events.onSettled(settledCall({ taskID, ok: false, error: { name: 'Error', message: `call ${taskID} failed at attempt ${attempt}` }, reason }));
      else events.onSettled(settledCall({ taskID, ok: true, value: taskID * 10 }));
    }
  }

  async close(): Promise<void> {}
}

const memory = { verbose: false, writeWorkerResults: false } as const;
const inputs = [[0, 1, 2, 3, 4]];

test('a call whose worker exited runs again after the back-off and succeeds; other calls run once', async () => {
  const backend = new ScriptedBackend((taskID, attempt) => (taskID === 3 && attempt === 1 ? 'worker-exit' : undefined));
  const pmap = new ParallelMap((x: number) => x, inputs, { ...memory, backend, retries: { attempts: 2, backoffMs: 30 } });
  expect(await pmap.compute()).toEqual([0, 10, 20, 30, 40]);
  expect(backend.rounds.map((r) => r.taskIDs)).toEqual([[0, 1, 2, 3, 4], [3]]);
  expect(backend.rounds[1]!.at - backend.rounds[0]!.at).toBeGreaterThanOrEqual(25);
});

test("an error the function throws does not retry unless `on` includes 'error'", async () => {
  const throwsOnce = (taskID: number, attempt: number) => (taskID === 1 && attempt === 1 ? 'error' : undefined);
  const plain = new ScriptedBackend(throwsOnce);
  const error = (await new ParallelMap((x: number) => x, inputs, { ...memory, backend: plain, retries: 3 }).compute().catch((e) => e)) as ComputeError;
  expect(error).toBeInstanceOf(ComputeError);
  expect(error.failures).toEqual([expect.objectContaining({ taskID: 1, reason: 'error' })]);
  expect(error.failures[0]!.attempts).toBeUndefined();
  expect(plain.rounds).toHaveLength(1);

  const asked = new ScriptedBackend(throwsOnce);
  const pmap = new ParallelMap((x: number) => x, inputs, { ...memory, backend: asked, retries: { attempts: 1, on: ['error'], backoffMs: 0 } });
  expect(await pmap.compute()).toEqual([0, 10, 20, 30, 40]);
  expect(asked.rounds.map((r) => r.taskIDs)).toEqual([[0, 1, 2, 3, 4], [1]]);
});

test('attempts exhausted: the last failure is reported with its attempt count, each attempt in the status records', async () => {
  const outputDir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-retries-'));
  try {
    const reasons: FailureReason[] = ['timeout', 'worker-exit', 'timeout'];
    const backend = new ScriptedBackend((taskID, attempt) => (taskID === 2 ? reasons[attempt - 1] : undefined));
    const pmap = new ParallelMap((x: number) => x, inputs, {
      verbose: false,
      outputDir: path.join(outputDir, 'run'),
      serializeResults: true,
      backend,
      retries: { attempts: 2, backoffMs: 0 },
    });
    const error = (await pmap.compute().catch((e) => e)) as ComputeError;
    expect(error.failures).toEqual([expect.objectContaining({ taskID: 2, reason: 'timeout', attempts: 3, message: 'call 2 failed at attempt 3' })]);
    expect(error.message).toContain('call 2 (timeout, after 3 attempts): Error: call 2 failed at attempt 3');
    expect(backend.rounds.map((r) => r.taskIDs)).toEqual([[0, 1, 2, 3, 4], [2], [2]]);

    const records = readCallHistory(path.join(outputDir, 'run')).filter((r) => r.taskID === 2);
    expect(records.map((r) => [r.state, r.reason, r.attempt])).toEqual([
      ['failed', 'timeout', undefined],
      ['failed', 'worker-exit', 2],
      ['failed', 'timeout', 3],
    ]);
    const status = runStatus(path.join(outputDir, 'run'));
    expect(status.failed.map((r) => [r.taskID, r.attempt])).toEqual([[2, 3]]);
    expect(status.retried).toEqual([
      {
        taskID: 2,
        state: 'failed',
        attempts: 3,
        failures: [expect.objectContaining({ reason: 'timeout' }), expect.objectContaining({ reason: 'worker-exit', attempt: 2 })],
      },
    ]);
  } finally {
    fs.rmSync(outputDir, { recursive: true, force: true });
  }
});

test('an abort during the back-off stops at once; the waiting calls are stopped, not failed', async () => {
  const controller = new AbortController();
  const backend = new ScriptedBackend((taskID, attempt) => (taskID === 4 && attempt === 1 ? 'out-of-memory' : undefined));
  const pmap = new ParallelMap((x: number) => x, inputs, { ...memory, backend, signal: controller.signal, retries: { attempts: 1, backoffMs: 60_000 } });
  const started = Date.now();
  const results: { taskID: number; ok: boolean; reason?: string }[] = [];
  const run = (async () => {
    for await (const r of pmap.results()) {
      results.push({ taskID: r.taskID, ok: r.ok, reason: r.error?.reason });
      if (results.length === 4) setTimeout(() => controller.abort(), 20);
    }
  })();
  const stopped = (await run.catch((e) => e)) as Error;
  expect(stopped.name).toBe('AbortError');
  expect(Date.now() - started).toBeLessThan(5000);
  expect(backend.rounds).toHaveLength(1);
  expect(results.filter((r) => !r.ok)).toEqual([{ taskID: 4, ok: false, reason: 'aborted' }]);
});

describe('checkRetries', () => {
  test('a number, or an object whose defaults fill the rest', () => {
    expect(checkRetries(2)).toEqual({ attempts: 2, on: DEFAULT_RETRY_ON, backoffMs: 1000 });
    expect(checkRetries({ on: ['error', 'error'] })).toEqual({ attempts: 1, on: ['error'], backoffMs: 1000 });
    expect(checkRetries(0)).toBeUndefined();
    expect(checkRetries({ attempts: 0, on: ['error'] })).toBeUndefined();
  });

  test('the back-off doubles from round to round, up to 10 minutes (or backoffMs when that is longer)', () => {
    const policy = { attempts: 30, on: DEFAULT_RETRY_ON, backoffMs: 1000 };
    expect([2, 3, 4].map((a) => backoffBefore(policy, a))).toEqual([1000, 2000, 4000]);
    expect(backoffBefore(policy, 30)).toBe(600_000);
    expect(backoffBefore({ ...policy, backoffMs: 3_600_000 }, 5)).toBe(3_600_000);
  });
});
