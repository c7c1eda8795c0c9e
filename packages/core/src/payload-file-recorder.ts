// Default and resultShape modes: each call's result is its payload file `<f>_<i>.h5` (or, when
// HDF5 cannot hold it, `<f>_<i>.v8`). A backend that finishes on the host (ExecutionBackend
// finishOnHost) hands small results back unwritten; this recorder writes them here, on the
// client's one thread: libhdf5 serializes every call, so threads writing at once only queue.

import { writeDeferredPayload, type StoredCall } from './call-runner';
import { StoredResultRecorder } from './stored-result-recorder';

export class PayloadFileRecorder extends StoredResultRecorder {
  protected recordSuccess(taskID: number, result: unknown, durationMs: number | undefined): void {
    let call = result as StoredCall;
    if (call.deferred) {
      try {
        call = writeDeferredPayload(call);
      } catch (err) {
        // A write libhdf5 refuses fails that call, not the run.
        const e = err as Error;
        return this.recordFailure(taskID, { name: e.name ?? 'Error', message: `writing ${call.path} failed: ${e.message}`, stack: e.stack }, 'error', {
          durationMs,
        });
      }
    }
    this.recordStored(taskID, call, durationMs);
  }
}
