// ACME's dryrun: one random call of the run in this process, timed, and checked to be storable,
// before any worker runs; then, on a terminal, ACME's question whether to continue (off a
// terminal the run goes on: nothing waits for an answer no one can give).

import { randomInt } from 'node:crypto';
import { createRunner } from './call-runner';
import { OptionError } from './errors';
import type { Logger } from './logger';
import { encodeNamedResult, type StackedKey } from './named-result-shape';
import { encodeResult, encodeValue } from './result-encoding';
import type { RunPlan, RunSpec } from './run-plan';

/** The dry run asks whether to continue: stdin and stderr (where it asks) are a terminal. */
export function dryRunAsks(): boolean {
  return process.stdin.isTTY === true && process.stderr.isTTY === true;
}

/** Asks `question` until the answer is yes (or empty) or no; Ctrl-C or the end of input is no. */
async function askYesNo(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await new Promise<boolean>((resolve) => {
      rl.on('SIGINT', () => resolve(false));
      rl.on('close', () => resolve(false));
      const ask = () =>
        rl.question(question, (answer) => {
          const a = answer.trim().toLowerCase();
          if (a === '' || a === 'y' || a === 'yes') resolve(true);
          else if (a === 'n' || a === 'no') resolve(false);
          else ask();
        });
      ask();
    });
  } finally {
    rl.close();
  }
}

/** Runs the dry run; false when the user answered that the run is not to continue. */
export async function dryRun(spec: RunSpec, { setup, pending }: RunPlan, logger: Logger): Promise<boolean> {
  const name = spec.func.name;
  const taskID = pending[randomInt(pending.length)]!;
  logger.info(`Performing a single dry-run of ${name} simulating randomly picked call #${taskID} with automatically distributed arguments`);
  const runner = await createRunner({ ...setup, sink: { kind: 'memory' } });
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const value = await runner.runCall(taskID, spec.callArguments.payloadFor(taskID));
  const seconds = (performance.now() - t0) / 1000;
  const mb = Math.max(0, process.memoryUsage().rss - rss0) / 1e6;
  const summary = `Dry-run completed. Elapsed time is ${seconds.toFixed(3)} seconds, estimated memory consumption was ${mb.toFixed(1)} MB.`;
  logger.info(summary);
  const stacking = setup.stackedKeys && describeNamedStacking(taskID, value, setup.stackedKeys, spec.nInputs, spec.options.mode === 'memory');
  if (stacking) logger.info(stacking);
  if (spec.options.mode === 'hdf5') {
    const encoded = setup.stackedKeys
      ? encodeNamedResult(taskID, value, setup.stackedKeys)
      : encodeResult(value, { stacked: spec.options.resultShape !== undefined });
    if (!encoded.ok) {
      throw new OptionError(
        'dryrun',
        `dry run: call ${taskID} of ${name} returned a value HDF5 cannot hold (${encoded.reason}); return numbers, strings, TypedArrays, {data, shape} or plain objects of them, or set options.serializeResults: true`,
      );
    }
  }
  if (!dryRunAsks()) return true;
  logger.flush();
  // The summary again when the console does not show INFO lines (verbose: false, the CLI).
  const shown = spec.options.verbose !== false;
  return askYesNo(
    `${shown ? '' : `${summary}\n${stacking ? `${stacking}\n` : ''}`}Do you want to continue executing ${name} with the provided arguments? [Y/n] `,
  );
}

/**
 * What the named resultShape makes of the dry run's value (the runner checked it already):
 * e.g. `spectrum [1024] → spectrum (8, 1024) float32, mean [] → mean (8,) float64; per call: sd`.
 */
function describeNamedStacking(taskID: number, value: unknown, keys: readonly StackedKey[], nInputs: number, inMemory: boolean): string {
  const object = value as Record<string, unknown>;
  const stacked = keys.map((key) => {
    const encoded = encodeValue(object[key.name]);
    const slot = typeof encoded === 'string' ? '?' : `[${encoded.shape.join(', ')}]`;
    const shape = key.shape.map((extent) => (extent === null ? nInputs : extent === Infinity ? 'inf' : extent));
    return `${key.name} ${slot} → ${key.name} (${shape.join(', ')}${shape.length === 1 ? ',' : ''}) ${key.dtype}`;
  });
  const rest = Object.keys(object).filter((name) => !keys.some((key) => key.name === name));
  const perCall = rest.length === 0 ? 'no other keys' : `per call${inMemory ? ' (in rest[i])' : ' (comp_i)'}: ${rest.join(', ')}`;
  return `Dry-run: call ${taskID} returned the stacked keys ${stacked.join(', ')}; ${perCall}`;
}
