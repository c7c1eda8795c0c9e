// Conversions between the one batch shape backends report in (SettledBatch) and single calls,
// for backends that learn of calls one at a time (SLURM status lines, a worker that died) and
// for readers that want calls one at a time (a SLURM task's status file, tests).

import type { CallError, CallOutcome, SettledBatch } from './backend';

/** One call as a batch of one. */
export function settledCall(outcome: CallOutcome): SettledBatch {
  const { taskID, durationMs } = outcome;
  const timed = durationMs === undefined ? {} : { durationsMs: durationMs };
  if (outcome.ok) return { taskIDs: [taskID], values: [outcome.value], ...timed };
  return {
    taskIDs: [taskID],
    ok: [0],
    values: [outcome.error],
    ...timed,
    reason: outcome.reason,
    ...(outcome.logPath !== undefined ? { logPath: outcome.logPath } : {}),
  };
}

/** The duration of call k of the batch (undefined when the backend did not time it). */
export function durationOf(batch: SettledBatch, k: number): number | undefined {
  const { durationsMs } = batch;
  return typeof durationsMs === 'number' || durationsMs === undefined ? durationsMs : durationsMs[k];
}

/** The batch's calls one by one (packed batches are not expanded: `value` is undefined). */
export function forEachOutcome(batch: SettledBatch, visit: (outcome: CallOutcome) => void): void {
  const { taskIDs, ok, values } = batch;
  for (let k = 0; k < taskIDs.length; k++) {
    const durationMs = durationOf(batch, k);
    const timed = durationMs === undefined ? {} : { durationMs };
    if (!ok || ok[k] === 1) {
      visit({ taskID: taskIDs[k]!, ok: true, value: values?.[k], ...timed });
    } else {
      const error = values![k] as CallError;
      visit({
        taskID: taskIDs[k]!,
        ok: false,
        error,
        reason: batch.reason ?? 'error',
        ...timed,
        ...(batch.logPath !== undefined ? { logPath: batch.logPath } : {}),
      });
    }
  }
}

/** Adapts a per-call handler to ExecutionEvents.onSettled. */
export function eachOutcome(visit: (outcome: CallOutcome) => void): (batch: SettledBatch) => void {
  return (batch) => forEachOutcome(batch, visit);
}
