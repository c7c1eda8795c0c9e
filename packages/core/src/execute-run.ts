// The execute phase of a compute(): the backend runs the pending calls and reports them in
// settled batches straight to the run's recorder, with progress, until every call has settled
// or the run is stopped (abort signal, Ctrl-C). A call that failed for a reason in
// options.retries runs again, after a back-off, in a further round of the same backend (each
// failed attempt in the status records). The recorder is finished either way.

import type { ExecutionBackend, ExecutionEvents } from './backend';
import { runStopSignal } from './interrupt';
import type { Logger } from './logger';
import { Progress } from './progress';
import { RetryRounds } from './retries';
import type { RunPlan, RunSpec } from './run-plan';

/** How the execution ended: `stopped` when it was aborted (then `reason` says why). */
export type Execution = { stopped: false } | { stopped: true; reason: unknown };

export async function executeRun(
  spec: RunSpec,
  backend: ExecutionBackend,
  plan: RunPlan,
  logger: Logger,
  outputDir: string | undefined,
  /** A watcher of the settled calls (the run's dashboard), if any. */
  watch?: (events: ExecutionEvents) => ExecutionEvents,
): Promise<Execution> {
  const o = spec.options;
  const { recorder, pending } = plan;
  const progress = new Progress(pending.length, { enabled: o.verbose !== false && pending.length > 0, label: spec.func.name });
  const stop = runStopSignal(o.signal, logger);
  // options.retries: failed calls whose reason is in the retry set run again in further rounds.
  const rounds = new RetryRounds(o.retries, recorder, logger);
  const recorded: ExecutionEvents = {
    onSettled: (batch) => {
      rounds.settle(batch);
      progress.update(recorder.nDone, recorder.failures.length);
      o.onProgress?.({ done: recorder.nDone, failed: recorder.failures.length, total: pending.length });
    },
    onLog: (level, message) => logger.log(level, message),
  };
  const events = watch ? watch(recorded) : recorded;
  let failure: unknown;
  try {
    let taskIDs: ArrayLike<number> = pending;
    for (;;) {
      await backend.execute(
        {
          setup: plan.setup,
          taskIDs,
          payloadFor: spec.callArguments.payloadFor,
          ...(spec.callArguments.payloadSource ? { payloadSource: spec.callArguments.payloadSource } : {}),
          outputDir,
          timeoutMs: o.timeout,
        },
        events,
        stop.signal,
      );
      taskIDs = rounds.next();
      if (taskIDs.length === 0) break;
      await rounds.backoff(stop.signal);
      rounds.started();
    }
  } catch (err) {
    if (!stop.signal.aborted) throw err;
    failure = err;
    rounds.abandon();
  } finally {
    stop.dispose();
    progress.stop();
    recorder.finish();
    logger.flush();
  }
  // The signal's own reason (a DOMException AbortError for a bare abort()), possibly from
  // another realm, so no instanceof check.
  return stop.signal.aborted ? { stopped: true, reason: stop.signal.reason ?? failure } : { stopped: false };
}
