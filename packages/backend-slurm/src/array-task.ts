/**
 * The program each SLURM array task runs (`node dist/array-task.js`, from the batch script).
 * It runs its chunk's calls through core's call runner inside a LocalBackend (worker threads),
 * so a per-call timeout, a `process.exit` or a heap overflow in the user's function fails only
 * that call; and it reports each call by appending one line to its own status file, after
 * writing any value the client needs into a file of its own (atomically).
 *
 * Environment (set by the client through sbatch): ACME_TS_SLURM_SUBMISSION (the submission
 * folder), ACME_TS_SLURM_CHUNK_OFFSET (chunk of array index 0), SLURM_ARRAY_TASK_ID.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { eachOutcome } from '@acme-ts/core/backend';
import type { CallOutcome, CallPayload } from '@acme-ts/core/backend';
import { LocalBackend } from '@acme-ts/backend-local';
import {
  CHUNK_OFFSET_ENV,
  SUBMISSION_DIR_ENV,
  chunkPath,
  readV8,
  statusPath,
  valuePath,
  writeV8,
  type ChunkFile,
  type StatusLine,
  type SubmissionSetup,
} from './submission-files';

function fail(message: string): never {
  process.stderr.write(`acme-ts array task: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  const submissionDir = process.env[SUBMISSION_DIR_ENV];
  const index = Number(process.env.SLURM_ARRAY_TASK_ID);
  const offset = Number(process.env[CHUNK_OFFSET_ENV] ?? '0');
  if (!submissionDir || !Number.isInteger(index) || !Number.isInteger(offset)) {
    fail(`needs ${SUBMISSION_DIR_ENV}, ${CHUNK_OFFSET_ENV} and SLURM_ARRAY_TASK_ID (got ${submissionDir}, ${offset}, ${process.env.SLURM_ARRAY_TASK_ID})`);
  }
  const chunk = offset + index;
  const job = `${process.env.SLURM_ARRAY_JOB_ID ?? '?'}_${index}`;
  const shared = readV8<SubmissionSetup>(`${submissionDir}/setup.v8`);
  const { taskIDs, payloads } = readV8<ChunkFile>(chunkPath(submissionDir, chunk));
  const payloadOf = new Map<number, CallPayload>(taskIDs.map((taskID, i) => [taskID, payloads[i] as CallPayload]));
  const status = statusPath(submissionDir, chunk);
  mkdirSync(dirname(status), { recursive: true });
  const sink = shared.setup.sink.kind;
  let valuesDirReady = false;

  const report = (outcome: CallOutcome): void => {
    const line: StatusLine = { taskID: outcome.taskID, ok: outcome.ok, job };
    if (outcome.durationMs !== undefined) line.durationMs = outcome.durationMs;
    if (outcome.ok) {
      const value = outcome.value as { datasets?: unknown } | undefined;
      if (sink === 'memory' || (sink === 'encoded' && value?.datasets !== undefined)) {
        const path = valuePath(submissionDir, outcome.taskID);
        if (!valuesDirReady) {
          mkdirSync(dirname(path), { recursive: true });
          valuesDirReady = true;
        }
        try {
          writeV8(path, outcome.value);
          line.valueFile = true;
        } catch (error) {
          // The value cannot travel (e.g. a function inside it): the call fails, not the task.
          line.ok = false;
          line.reason = 'error';
          line.error = {
            name: 'DataCloneError',
            message: `call ${outcome.taskID}'s return value cannot be sent back from the SLURM task: ${(error as Error).message}`,
          };
        }
      } else {
        line.stored = outcome.value as StatusLine['stored'];
      }
    } else {
      // Nothing aborts a task from inside, so 'aborted' means the runner could not start
      // (the message says why): an error of the call, to be reported as such.
      line.reason = outcome.reason === 'aborted' ? 'error' : outcome.reason;
      line.error = outcome.error;
    }
    appendFileSync(status, `${JSON.stringify(line)}\n`);
  };

  const backend = new LocalBackend({
    nWorkers: Math.max(1, Math.min(shared.threads, taskIDs.length)),
    batch: 1,
    concurrency: shared.concurrency ?? 1,
    isolation: shared.isolation ?? 'thread',
  });
  try {
    await backend.execute(
      { setup: shared.setup, taskIDs, payloadFor: (taskID) => payloadOf.get(taskID) as CallPayload, timeoutMs: shared.timeoutMs },
      { onSettled: eachOutcome(report) },
    );
  } catch (error) {
    // Already reported call by call ('aborted' → 'error' above); the exit status tells SLURM.
    process.stderr.write(`acme-ts array task: ${(error as Error).stack ?? String(error)}\n`);
    await backend.close();
    process.exit(1);
  }
  await backend.close();
}

main().then(
  () => process.exit(0),
  (error: unknown) => fail((error as Error)?.stack ?? String(error)),
);
