/**
 * memPerWorker "auto": the client runs one call in a child Node process (this program) and
 * reads the child's peak resident memory, so the estimate includes Node itself and the
 * function's modules, as a SLURM task would. The call's value is discarded (memory sink).
 *
 * argv[2]: a v8 file holding { setup, taskID, payload }. Prints one JSON line { maxRssKb, ms }.
 */
import { readFileSync } from 'node:fs';
import { deserialize } from 'node:v8';
import { createRunner } from '@acme-ts/core/backend';
import type { CallPayload, RunnerSetup } from '@acme-ts/core/backend';

async function main(): Promise<void> {
  const input = deserialize(readFileSync(process.argv[2] as string)) as { setup: RunnerSetup; taskID: number; payload: CallPayload };
  const runner = await createRunner({ ...input.setup, sink: { kind: 'memory' } });
  const t0 = performance.now();
  await runner.runCall(input.taskID, input.payload);
  const ms = performance.now() - t0;
  process.stdout.write(`${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, ms })}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
