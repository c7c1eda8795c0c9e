// ACME's dryrun: one random call of the run in this process, timed, and checked to be storable,
// before any worker runs.

import { randomInt } from 'node:crypto';
import { createRunner } from './call-runner';
import { OptionError } from './errors';
import type { Logger } from './logger';
import { encodeResult } from './result-encoding';
import type { RunPlan, RunSpec } from './run-plan';

export async function dryRun(spec: RunSpec, { setup, pending }: RunPlan, logger: Logger): Promise<void> {
  const name = spec.func.name;
  const taskID = pending[randomInt(pending.length)]!;
  logger.info(`Performing a single dry-run of ${name} simulating randomly picked call #${taskID} with automatically distributed arguments`);
  const runner = await createRunner({ ...setup, sink: { kind: 'memory' } });
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const value = await runner.runCall(taskID, spec.callArguments.payloadFor(taskID));
  const seconds = (performance.now() - t0) / 1000;
  const mb = Math.max(0, process.memoryUsage().rss - rss0) / 1e6;
  logger.info(`Dry-run completed. Elapsed time is ${seconds.toFixed(3)} seconds, estimated memory consumption was ${mb.toFixed(1)} MB.`);
  if (spec.options.mode === 'hdf5') {
    const encoded = encodeResult(value, { stacked: spec.options.resultShape !== undefined });
    if (!encoded.ok) {
      throw new OptionError(
        'dryrun',
        `dry run: call ${taskID} of ${name} returned a value HDF5 cannot hold (${encoded.reason}); return numbers, strings, TypedArrays, {data, shape} or plain objects of them, or set options.serializeResults: true`,
      );
    }
  }
}
