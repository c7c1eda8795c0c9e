// The finish phase of a compute(): what it resolves with (ACME's return value), or the error it
// rejects with — the abort, or a ComputeError naming every failed call — once every other call's
// result is stored.

import { AcmeError, ComputeError } from './errors';
import type { Execution } from './execute-run';
import type { Logger } from './logger';
import type { RunPlan, RunSpec } from './run-plan';

export function finishRun(spec: RunSpec, { recorder, layout }: RunPlan, execution: Execution, logger: Logger, outputDir: string | undefined): unknown {
  const n = spec.nInputs;
  if (execution.stopped) {
    logger.error(`Aborted with ${recorder.nMissing} of ${n} calls without a result; compute() again (or \`acme-ts rerun ${outputDir ?? ''}\`) finishes them`);
    logger.flush();
    throw execution.reason ?? new AcmeError('ERR_ACME_ABORTED', 'the run was aborted');
  }
  const { failures } = recorder;
  if (failures.length > 0) {
    const error = new ComputeError(failures, n);
    const hint = outputDir
      ? `every other call's result is stored in ${outputDir}, and compute() again (or \`acme-ts rerun ${outputDir}\`) re-runs only the failed ones`
      : 'compute() again re-runs only the failed ones';
    error.message += `\n${hint}`;
    logger.error(error.message);
    logger.flush();
    throw error;
  }
  if (spec.only && recorder.nMissing > 0) {
    // A resumed run restricted to some calls: no return value until every call has a result.
    logger.info(`${recorder.nMissing} of ${n} calls of the run have no result yet (not among the calls run)`);
    logger.flush();
    return undefined;
  }
  if (layout) {
    logger.announce('SUCCESS!');
    logger.info(`Results have been saved to ${layout.containerPath ?? outputDir}`);
  } else {
    logger.announce('SUCCESS! Finished parallel computation');
  }
  logger.flush();
  return recorder.results();
}
