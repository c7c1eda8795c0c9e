// What the recorders of the file modes share: a call's result is a file (or datasets in the
// container) named in the run folder's status records, and after the run the container gets
// its links to the calls that stored an HDF5 result.

import type { StoredCall } from './call-runner';
import { finishContainer } from './container';
import type { RunLayout } from './layout';
import type { Logger } from './logger';
import type { StoredCallInfo } from './run-status';
import type { StatusLog } from './run-store';
import { ResultRecorder } from './result-recorder';

export abstract class StoredResultRecorder extends ResultRecorder {
  /**
   * Calls stored in packed batches, counted, not put in `stored` one by one (a Map entry per call
   * cost a singleFile run of tiny calls 0.6 µs per call on the main thread): singleFile needs no
   * per-call entry after the run (no links to finish, the container is the result).
   */
  protected nStoredPacked = 0;
  /**
   * The container's virtual datasets map every call now (a fresh skeleton, or an earlier attempt
   * that stored them all): then finish() need not rebuild them for a complete run.
   */
  containerMapsEveryCall = true;

  constructor(
    logger: Logger,
    protected readonly layout: RunLayout,
    /** The calls with a result, from earlier attempts of the run on (see findStoredCalls). */
    protected readonly stored: Map<number, StoredCallInfo>,
    protected override readonly statusLog: StatusLog,
  ) {
    super(logger, statusLog);
  }

  /** A call whose result is in its file (or, singleFile, written into the container). */
  protected recordStored(taskID: number, call: StoredCall, durationMs: number | undefined): void {
    this.nDone++;
    this.stored.set(taskID, { stored: call.stored, path: call.path, names: call.names });
    if (call.fallbackReason) this.logger.warn(`call ${taskID}: HDF5 cannot hold the value (${call.fallbackReason}); it was serialized to ${call.path}`);
    this.statusLog.record({ taskID, state: 'done', at: new Date().toISOString(), stored: call.stored, path: call.path, names: call.names, durationMs });
    this.listener?.({ taskID, ok: true, value: call.path ?? this.layout.containerPath });
  }

  pending(): Float64Array {
    const n = this.layout.nInputs;
    const pending = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < n; i++) if (!this.stored.has(i)) pending[k++] = i;
    return pending.subarray(0, k);
  }

  get nMissing(): number {
    return this.layout.nInputs - this.stored.size - this.nStoredPacked;
  }

  override finish(): void {
    super.finish();
    finishContainer(this.layout, this.stored, this.containerMapsEveryCall);
  }

  /** ACME's return value: each call's file (singleFile overrides: the container). */
  results(): unknown {
    return Array.from({ length: this.layout.nInputs }, (_, i) => this.stored.get(i)!.path ?? this.layout.payloadPath(i));
  }
}
