// serializeResults mode (ACME's write_pickle): the runner wrote each call's `<f>_<i>.v8`; the
// recorder only names it in the status records.

import type { StoredCall } from './call-runner';
import { StoredResultRecorder } from './stored-result-recorder';

export class SerializedRecorder extends StoredResultRecorder {
  protected recordSuccess(taskID: number, result: unknown, durationMs: number | undefined): void {
    this.recordStored(taskID, result as StoredCall, durationMs);
  }
}
