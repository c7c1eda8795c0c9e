// Starts real worker threads from a plain CommonJS fixture (no build needed for the fixture,
// but the package itself is loaded from dist/: run `npx tsc -b` first).
import { join } from 'node:path';
import { WorkerExitedError, WorkerThreadTransport, type WorkerExitInfo } from '@acme-ts/backend-local';

const ENTRY = join(__dirname, '__fixtures__', 'answer-then-exit.js');

/** Blocks this thread, so that whatever the worker does meanwhile is seen in one turn. */
function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function startTransport() {
  const transport = new WorkerThreadTransport({ entry: ENTRY, workerData: null });
  const exited = new Promise<WorkerExitInfo>((resolve) => transport.onExit(resolve));
  transport.start();
  return { transport, exited };
}

test('a result the worker handed over just before it ended is delivered before the exit is reported', async () => {
  // The pool's results travel this way, ahead of comlink's answers: node hands over what a worker
  // posted before it ended just before its 'exit', so a finished call is never run again.
  const { transport, exited } = startTransport();
  const order: unknown[] = [];
  transport.onPartialResult((result) => order.push(result.values));
  transport.onExit(() => order.push('exit'));
  const answer = transport.request('runBatch', { handOver: true } as never);
  blockFor(300);
  await expect(answer).rejects.toBeInstanceOf(WorkerExitedError);
  expect(await exited).toMatchObject({ code: 8 });
  expect(order).toEqual([[42], 'exit']);
});

test('the exit is reported as it happens: a request whose answer comlink had not settled by then rejects', async () => {
  // No waiting for comlink's promise hops: what must survive an exit travels ahead (above), and
  // the pool tells an init that succeeded by the batch that began after it (thread-pool tests).
  const { transport, exited } = startTransport();
  const answer = transport.request('init', { setup: undefined });
  blockFor(300);
  await expect(answer).rejects.toBeInstanceOf(WorkerExitedError);
  expect(await exited).toMatchObject({ code: 5 });
});

test('a request the worker ends without answering rejects with WorkerExitedError, and so do later ones', async () => {
  const { transport, exited } = startTransport();
  const answer = transport.request('runBatch', {} as never);
  await expect(answer).rejects.toBeInstanceOf(WorkerExitedError);
  await expect(answer).rejects.toThrow('worker thread exited with code 6');
  expect(await exited).toMatchObject({ code: 6 });
  await expect(transport.request('init', { setup: undefined })).rejects.toBeInstanceOf(WorkerExitedError);
});
