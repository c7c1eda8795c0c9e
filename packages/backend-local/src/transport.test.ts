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

test('an answer the worker posted just before it ended settles its request', async () => {
  // Node hands such an answer over in the same turn as the 'exit'; the request used to be
  // failed first (a worker that answered its init and then exited counted as one that could
  // not start, and stopped the whole run).
  const { transport, exited } = startTransport();
  const answer = transport.request<string>('answerThenExit', undefined);
  blockFor(300);
  await expect(answer).resolves.toBe('answered');
  expect(await exited).toMatchObject({ code: 5 });
});

test('the exit is reported after the answers posted before it (the pool then keeps those results, and does not run their calls again)', async () => {
  const { transport } = startTransport();
  const order: string[] = [];
  transport.onExit(() => order.push('exit'));
  const answer = transport.request<string>('answerThenExit', undefined).then((value) => order.push(value));
  blockFor(300);
  await answer;
  await new Promise((resolve) => setTimeout(resolve, 50));
  expect(order).toEqual(['answered', 'exit']);
});

test('a request the worker ends without answering rejects with WorkerExitedError, and so do later ones', async () => {
  const { transport, exited } = startTransport();
  const answer = transport.request('exitWithoutAnswer', undefined);
  await expect(answer).rejects.toBeInstanceOf(WorkerExitedError);
  await expect(answer).rejects.toThrow('worker thread exited with code 6');
  expect(await exited).toMatchObject({ code: 6 });
  await expect(transport.request('answerThenExit', undefined)).rejects.toBeInstanceOf(WorkerExitedError);
});
