// The dashboard's worker lines for a SLURM run: one per array task of every submission in the
// run folder, with its state from squeue (PENDING + reason, RUNNING + node, OUT_OF_MEMORY,
// TIMEOUT, …), its job id, its calls, the memory it asked for and its .err log. Core's
// dashboard loads this as `describeWorkers` of `@acme-ts/backend-<backend>`.

import { join } from 'node:path';
import type { WorkerLine, WorkerReport } from '@acme-ts/core/dashboard';
import { parseSqueueArrayLines, runSlurmCommand } from './slurm-commands';
import { LOG_DIR_NAME, readSubmissions } from './submission-files';

/** squeue's fields: parseSqueueArrayLines reads the first six, this file the last two. */
const FIELDS = 'JobID:|,ArrayJobID:|,ArrayTaskID:|,State:|,Reason:|,exit_code:|,NodeList:|,MinMemory:|';

export type SqueueRunner = (args: string[]) => Promise<string>;

const defaultSqueue: SqueueRunner = (args) => runSlurmCommand('squeue', args, { timeoutMs: 10_000 });

/** Node and memory per array task index, from the same squeue lines. */
function parseNodes(stdout: string, arrayJobId: string): Map<number, { node: string; minMemory: string }> {
  const found = new Map<number, { node: string; minMemory: string }>();
  for (const line of stdout.split('\n')) {
    const fields = line.split('|').map((s) => s.trim());
    if (fields[1] !== arrayJobId || !/^\d+$/.test(fields[2] ?? '')) continue;
    found.set(Number(fields[2]), { node: fields[6] ?? '', minMemory: fields[7] ?? '' });
  }
  return found;
}

export async function describeWorkers(outputDir: string, squeue: SqueueRunner = defaultSqueue): Promise<WorkerReport> {
  const workers: WorkerLine[] = [];
  const callWorkers = new Map<number, string>();
  const problems: string[] = [];
  for (const submission of readSubmissions(outputDir)) {
    for (const array of submission.arrays) {
      let stdout = '';
      try {
        stdout = await squeue(['-h', '-r', '-t', 'all', '-j', array.jobId, '-O', FIELDS]);
      } catch (error) {
        // A job squeue has forgotten is "Invalid job id"; anything else is worth showing.
        if (!/invalid job id/i.test(String((error as { stderr?: string }).stderr ?? (error as Error).message))) problems.push((error as Error).message);
      }
      const states = parseSqueueArrayLines(stdout, array.jobId);
      const nodes = parseNodes(stdout, array.jobId);
      for (let index = 0; index < array.nChunks; index++) {
        const name = `${array.jobId}_${index}`;
        const calls = submission.chunks[array.firstChunk + index] ?? [];
        for (const taskID of calls) callWorkers.set(taskID, name);
        const state = states.get(index);
        const node = nodes.get(index);
        const reason = state && state.reason !== 'None' ? state.reason : undefined;
        const ended = state?.signal ? `signal ${state.signal}` : state?.exitCode ? `exit ${state.exitCode}` : undefined;
        workers.push({
          name,
          state: state?.state ?? 'left squeue',
          ...(reason || ended ? { reason: [reason, ended].filter(Boolean).join(', ') } : {}),
          ...(node?.node && node.node !== '(null)' ? { node: node.node } : {}),
          jobId: array.jobId,
          calls: calls.length,
          ...(submission.memMb ? { memory: `${submission.memMb} MB requested` } : node?.minMemory ? { memory: `${node.minMemory} requested` } : {}),
          logPath: join(LOG_DIR_NAME, `${name}.err`),
        });
      }
    }
  }
  const notes = [
    'One line per SLURM array task (state from squeue; a task that ended more than MinJobAge ago has left squeue). The timeline has one lane per array task.',
    ...problems.map((p) => `squeue failed: ${p}`),
  ];
  return { workers, callWorkers, note: notes.join(' ') };
}
