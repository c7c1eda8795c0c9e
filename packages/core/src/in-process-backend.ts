// options.debug (ACME's compute(debug=True)): every call runs in the client process, one after
// another, through core's call runner, so a debugger (`node --inspect`) stops inside the
// function; the first exception a call throws is recorded as the call's failure and then
// propagates as it was thrown. No worker thread starts; options.timeout cannot end a call here.

import type { CallError, ExecutionBackend, ExecutionEvents, ExecutionJob } from './backend';
import { createRunner } from './call-runner';
import { settledCall } from './settled-batch';

/** A thrown value as a failed call's error. */
export function callErrorOf(thrown: unknown): CallError {
  if (thrown instanceof Error) return { name: thrown.name, message: thrown.message, ...(thrown.stack ? { stack: thrown.stack } : {}) };
  return { name: 'Error', message: `non-error thrown: ${String(thrown)}` };
}

export class InProcessBackend implements ExecutionBackend {
  readonly name = 'in-process';
  readonly concurrency = 1;
  readonly finishOnHost = true;

  async execute(job: ExecutionJob, events: ExecutionEvents, signal?: AbortSignal): Promise<void> {
    const runner = await createRunner(job.setup);
    const { taskIDs } = job;
    for (let k = 0; k < taskIDs.length; k++) {
      const taskID = taskIDs[k]!;
      if (signal?.aborted) {
        // Calls not run yet are stopped, as a backend reports them on an abort.
        const error = { name: 'AbortError', message: 'the run was aborted before the call started' };
        for (let j = k; j < taskIDs.length; j++) events.onSettled(settledCall({ taskID: taskIDs[j]!, ok: false, error, reason: 'aborted' }));
        throw signal.reason;
      }
      const started = performance.now();
      let value: unknown;
      try {
        value = await runner.runCall(taskID, job.payloadFor(taskID));
      } catch (thrown) {
        events.onSettled(settledCall({ taskID, ok: false, error: callErrorOf(thrown), reason: 'error', durationMs: performance.now() - started }));
        throw thrown;
      }
      events.onSettled(settledCall({ taskID, ok: true, value, durationMs: performance.now() - started }));
    }
  }

  async close(): Promise<void> {}
}
