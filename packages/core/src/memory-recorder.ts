// In-memory mode: each call's value goes into one array, kept across compute()s of a
// ParallelMap so a second compute() runs only the calls without a value.

import type { SettledBatch } from './backend';
import type { Logger } from './logger';
import { stackCallValues, type ResolvedResultDtype, type ResultShape } from './named-result-shape';
import { ResultRecorder } from './result-recorder';

/** The values of a ParallelMap's calls and which calls have one. */
export class MemoryResults {
  // Filled, not holey: the first non-small-integer value stored into a holey array of small
  // integers converts all its elements (8 ms at 10⁶, between two batches).
  readonly values: unknown[];
  readonly done: Uint8Array;

  constructor(nInputs: number) {
    this.values = new Array(nInputs).fill(undefined);
    this.done = new Uint8Array(nInputs);
  }
}

export class MemoryRecorder extends ResultRecorder {
  constructor(
    private readonly memory: MemoryResults,
    logger: Logger,
    private readonly stacking?: { resultShape: ResultShape; resultDtype: ResolvedResultDtype },
  ) {
    super(logger);
  }

  protected recordSuccess(taskID: number, value: unknown): void {
    this.nDone++;
    this.memory.values[taskID] = value;
    this.memory.done[taskID] = 1;
    this.listener?.({ taskID, ok: true, value });
  }

  protected override recordSuccesses(batch: SettledBatch): void {
    const { taskIDs, values, firstTaskID } = batch;
    const memoryValues = this.memory.values;
    const memoryDone = this.memory.done;
    // Tight loops: for tiny calls this is most of the main thread's work per call.
    if (firstTaskID !== undefined) {
      const n = taskIDs.length;
      if (values !== undefined) for (let i = 0; i < n; i++) memoryValues[firstTaskID + i] = values[i];
      memoryDone.fill(1, firstTaskID, firstTaskID + n);
    } else if (values === undefined) {
      for (let i = 0; i < taskIDs.length; i++) memoryDone[taskIDs[i]!] = 1;
    } else {
      for (let i = 0; i < taskIDs.length; i++) {
        const taskID = taskIDs[i]!;
        memoryValues[taskID] = values[i];
        memoryDone[taskID] = 1;
      }
    }
    this.nDone += taskIDs.length;
    if (this.listener) for (let i = 0; i < taskIDs.length; i++) this.listener({ taskID: taskIDs[i]!, ok: true, value: values?.[i] });
  }

  /** Indices of the calls without a value, ascending (a tight loop: 10⁶ tiny calls). */
  pending(): Float64Array {
    const flags = this.memory.done;
    const unset = new Float64Array(flags.length);
    let k = 0;
    for (let i = 0; i < flags.length; i++) if (flags[i] === 0) unset[k++] = i;
    return unset.subarray(0, k);
  }

  get nMissing(): number {
    let n = 0;
    for (const f of this.memory.done) n += f;
    return this.memory.done.length - n;
  }

  results(): unknown {
    if (this.stacking) return stackCallValues(this.memory.values, this.stacking.resultShape, this.stacking.resultDtype);
    // The array itself, not a copy (10⁶ values): a later compute() returns it again.
    return this.memory.values;
  }
}
