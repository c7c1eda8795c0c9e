// singleFile mode: the client is the container's only writer, so calls finishing in any order
// on any worker never interleave their writes. Tiny calls of one structure arrive packed by
// column (ResultSink finishOnHost) and are written with one native call and one status line.

import type { SettledBatch } from './backend';
import type { StoredCall } from './call-runner';
import { SingleFileWriter } from './container';
import type { CopySlotTable } from './copy-slots';
import type { RunLayout } from './layout';
import type { Logger } from './logger';
import type { PackedCalls } from './packed-calls';
import { isDataInCopy, ResultJournal, type JournaledDataset } from './result-journal';
import { releaseSharedResult } from './shared-result-buffers';
import type { StoredCallInfo } from './run-status';
import type { StatusLog } from './run-store';
import { StoredResultRecorder } from './stored-result-recorder';

export class SingleFileRecorder extends StoredResultRecorder {
  private readonly writer: SingleFileWriter;

  /**
   * `copySlots`: the runners are threads of this process (ExecutionBackend.sharedMemory), so
   * they can write large results into datasets reserved in the container's copy (copy-slots.ts).
   */
  constructor(logger: Logger, layout: RunLayout, stored: Map<number, StoredCallInfo>, statusLog: StatusLog, { copySlots = false } = {}) {
    super(logger, layout, stored, statusLog);
    const writer = new SingleFileWriter(layout.containerPath!, layout.stacks, new ResultJournal(layout.outputDir!), { copySlots });
    // A status record says "done" only once the journal holds the call's datasets.
    statusLog.beforeFlush = () => writer.flushJournal();
    this.writer = writer;
  }

  protected recordSuccess(taskID: number, result: unknown, durationMs: number | undefined): void {
    const call = result as StoredCall;
    if (call.datasets) {
      let journaled: JournaledDataset[] | undefined;
      try {
        journaled = this.writer.write(taskID, call.datasets);
      } catch (err) {
        // A write libhdf5 refuses fails the call, not the run.
        return this.recordFailure(taskID, writeFailure(err as Error), 'error', { durationMs });
      }
      // Memory a worker shares goes back to it once its bytes are in the copy and the journal
      // names where (a dataset journaled by value is read again when the journal is flushed).
      for (const k of call.sharedData ?? []) if (isDataInCopy(journaled?.[k]?.data)) releaseSharedResult(call.datasets[k]?.data);
    }
    this.recordStored(taskID, call, durationMs);
    const refused = this.writer.reserveSlots(this.nMissing);
    if (refused)
      this.logger.debug(
        `The workers' large results go through this thread from now on: reserving space for them in ${this.layout.containerPath}'s copy failed (${refused.message})`,
      );
  }

  /** The slots the runners may write large results into (RunnerSetup's sink), if any. */
  get copySlots(): CopySlotTable | undefined {
    return this.writer.copySlots?.forRunners;
  }

  protected override recordPacked(batch: SettledBatch, packed: PackedCalls): void {
    const { taskIDs } = batch;
    let durationsMs = batch.durationsMs ?? Number.NaN;
    const refused = this.writer.writeRows(taskIDs, packed);
    const names = packed.columns.map((c) => c.name);
    let written = taskIDs;
    if (refused.size > 0) {
      const durationOf = (k: number) => (typeof durationsMs === 'number' ? durationsMs : durationsMs[k]);
      for (const [k, error] of refused) this.recordFailure(taskIDs[k]!, writeFailure(error), 'error', { durationMs: durationOf(k) });
      written = Array.from(taskIDs).filter((_, k) => !refused.has(k));
      durationsMs = typeof durationsMs === 'number' ? durationsMs : Array.from(durationsMs).filter((_, k) => !refused.has(k));
    }
    this.nStoredPacked += written.length;
    this.nDone += written.length;
    this.statusLog.recordMany(written, { state: 'done', at: new Date().toISOString(), stored: 'hdf5', names }, durationsMs);
    const containerPath = this.layout.containerPath;
    if (this.listener) for (let k = 0; k < written.length; k++) this.listener({ taskID: written[k]!, ok: true, value: containerPath });
  }

  override finish(): void {
    this.writer.close();
    super.finish();
    this.writer.discardJournal();
  }

  override results(): unknown {
    return [this.layout.containerPath];
  }
}

function writeFailure(e: Error): { name: string; message: string; stack?: string } {
  return { name: e.name ?? 'Error', message: `writing the result into the container failed: ${e.message}`, stack: e.stack };
}
