// The dashboard's worker lines for a SLURM run: one per array task of every submission in the
// run folder, with its state from squeue (PENDING + reason, RUNNING + node, OUT_OF_MEMORY,
// TIMEOUT, …), its job id, its calls, the memory it asked for and its .err log. Core's
// dashboard loads this as `describeWorkers` of `@acme-ts/backend-<backend>`.

import { join } from 'node:path';
import type { WorkerLine, WorkerReport } from '@acme-ts/core/dashboard';
import { isFinalJobState, parseSacctArrayLines, parseSqueueArrayLines, runSlurmCommand } from './slurm-commands';
import { LOG_DIR_NAME, readSubmissions } from './submission-files';

/** squeue's fields: parseSqueueArrayLines reads the first six, this file the last two. */
const FIELDS = 'JobID:|,ArrayJobID:|,ArrayTaskID:|,State:|,Reason:|,exit_code:|,NodeList:|,MinMemory:|';

/** Runs a SLURM tool with these arguments and resolves with its stdout (tests pass recordings). */
export type SlurmToolRunner = (args: string[]) => Promise<string>;

export interface WorkerReportTools {
  squeue?: SlurmToolRunner;
  /** Asked only for arrays with ended tasks; a cluster without accounting makes it fail (fine). */
  sacct?: SlurmToolRunner;
}

const DEFAULT_TOOLS: Required<WorkerReportTools> = {
  squeue: (args) => runSlurmCommand('squeue', args, { timeoutMs: 10_000 }),
  sacct: (args) => runSlurmCommand('sacct', args, { timeoutMs: 10_000 }),
};

const SIZE_UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** sacct's MaxRSS ("123456K", "1.50G", "0") in bytes. */
function parseMaxRss(text: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)$/.exec((text ?? '').trim());
  return m ? Number(m[1]) * SIZE_UNITS[m[2]!]! : undefined;
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let k = 0;
  while (bytes >= 1000 && k < units.length - 1) {
    bytes /= 1000;
    k++;
  }
  return `${bytes.toFixed(k > 0 ? 1 : 0)} ${units[k]}`;
}

/**
 * From accounting (`sacct -n -P -j <array> -o JobID,State,ExitCode,MaxRSS`): each ended task's
 * final state (for tasks squeue has forgotten) and its peak memory over its steps.
 */
async function accounting(sacct: SlurmToolRunner, jobId: string): Promise<{ states: ReturnType<typeof parseSacctArrayLines>; peak: Map<number, number> }> {
  const stdout = await sacct(['-n', '-P', '-j', jobId, '-o', 'JobID,State,ExitCode,MaxRSS']);
  const peak = new Map<number, number>();
  for (const line of stdout.split('\n')) {
    const [id, , , rss] = line.trim().split('|');
    const m = /^(\d+)_(\d+)(?:\.[\w-]+)?$/.exec(id ?? '');
    const bytes = parseMaxRss(rss);
    if (!m || m[1] !== jobId || bytes === undefined) continue;
    const index = Number(m[2]);
    peak.set(index, Math.max(peak.get(index) ?? 0, bytes));
  }
  return { states: parseSacctArrayLines(stdout, jobId), peak };
}

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

export async function describeWorkers(outputDir: string, tools: WorkerReportTools = {}): Promise<WorkerReport> {
  const { squeue, sacct } = { ...DEFAULT_TOOLS, ...tools };
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
      let accounted: Awaited<ReturnType<typeof accounting>> | undefined;
      const someEnded = states.size < array.nChunks || [...states.values()].some((t) => isFinalJobState(t.state));
      if (someEnded) {
        try {
          accounted = await accounting(sacct, array.jobId);
        } catch {
          // No accounting on this cluster (sacct needs slurmdbd): no peak memory, no old states.
        }
      }
      for (let index = 0; index < array.nChunks; index++) {
        const name = `${array.jobId}_${index}`;
        const calls = submission.chunks[array.firstChunk + index] ?? [];
        for (const taskID of calls) callWorkers.set(taskID, name);
        const queued = states.get(index);
        const final = accounted?.states.get(index);
        const state = queued ?? (final ? { ...final, reason: 'None' } : undefined);
        const node = nodes.get(index);
        const peak = accounted?.peak.get(index);
        const requested = submission.memMb ? `${submission.memMb} MB requested` : node?.minMemory ? `${node.minMemory} requested` : undefined;
        const memory = peak !== undefined ? `peak ${formatBytes(peak)}${requested ? ` of ${requested.replace(' requested', '')}` : ''}` : requested;
        const reason = state && state.reason !== 'None' ? state.reason : undefined;
        const ended = state?.signal ? `signal ${state.signal}` : state?.exitCode ? `exit ${state.exitCode}` : undefined;
        workers.push({
          name,
          state: state?.state ?? 'left squeue',
          ...(reason || ended ? { reason: [reason, ended].filter(Boolean).join(', ') } : {}),
          ...(node?.node && node.node !== '(null)' ? { node: node.node } : {}),
          jobId: array.jobId,
          calls: calls.length,
          ...(memory ? { memory } : {}),
          logPath: join(LOG_DIR_NAME, `${name}.err`),
        });
      }
    }
  }
  const notes = [
    'One line per SLURM array task (state from squeue, or from sacct once it has left squeue; peak memory from sacct where the cluster keeps accounting). The timeline has one lane per array task.',
    ...problems.map((p) => `squeue failed: ${p}`),
  ];
  return { workers, callWorkers, note: notes.join(' ') };
}
