// The execute phase of a compute(): the backend runs the pending calls and reports them in
// settled batches straight to the run's recorder, with progress, until every call has settled
// or the run is stopped (abort signal, Ctrl-C). The recorder is finished either way.

import type { ExecutionBackend } from './backend';
import { runStopSignal } from './interrupt';
import type { Logger } from './logger';
import { Progress } from './progress';
import type { RunPlan, RunSpec } from './run-plan';

/** How the execution ended: `stopped` when it was aborted (then `reason` says why). */
export type Execution = { stopped: false } | { stopped: true; reason: unknown };

export async function executeRun(spec: RunSpec, backend: ExecutionBackend, plan: RunPlan, logger: Logger, outputDir: string | undefined): Promise<Execution> {
  const o = spec.options;
  const { recorder, pending } = plan;
  const progress = new Progress(pending.length, { enabled: o.verbose !== false && pending.length > 0, label: spec.func.name });
  const stop = runStopSignal(o.signal, logger);
  let failure: unknown;
  try {
    await backend.execute(
      {
        setup: plan.setup,
        taskIDs: pending,
        payloadFor: spec.callArguments.payloadFor,
        ...(spec.callArguments.payloadSource ? { payloadSource: spec.callArguments.payloadSource } : {}),
        outputDir,
        timeoutMs: o.timeout,
      },
      {
        onSettled: (batch) => {
          recorder.record(batch);
          progress.update(recorder.nDone, recorder.failures.length);
        },
        onLog: (level, message) => logger.log(level, message),
      },
      stop.signal,
    );
  } catch (err) {
    if (!stop.signal.aborted) throw err;
    failure = err;
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
