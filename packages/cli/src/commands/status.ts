// `acme-ts status <output-folder>`: which calls of a stored run are done, failed or missing.

import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { hasManifest, runStatus, type RunStatus } from '@acme-ts/core';
import { UsageError } from '../errors';
import { colorsFor, type CliIO } from '../io';

export interface StatusArgs {
  folder: string;
  json?: boolean;
}

/** The run folder an argument names; the container (`<f>.h5`) inside it is accepted too. */
export function runFolder(argument: string): string {
  const absolute = path.resolve(argument);
  if (!existsSync(absolute))
    throw new UsageError(`${absolute} does not exist; pass the output folder of a run (printed by acme-ts run as "output folder:")`, '<output-folder>');
  const folder = statSync(absolute).isFile() ? path.dirname(absolute) : absolute;
  if (!hasManifest(folder)) {
    throw new UsageError(
      `${folder} holds no acme-ts run (no .acme-ts/manifest.json); pass the output folder a run printed as "output folder:"`,
      '<output-folder>',
    );
  }
  return folder;
}

/** What `status --json` prints: stable keys for scripts. */
export interface StatusReport {
  outputDir: string;
  function: string;
  nInputs: number;
  container: string | null;
  complete: boolean;
  counts: { done: number; failed: number; missing: number };
  /** Done calls whose results are still in an unfinished client's journal, not in the container. */
  journaled: number;
  /** The client computing the run now (its missing calls are pending), or null. */
  running: { host: string; pid: number; since: string; backend: string } | null;
  /** The batch jobs (SLURM job arrays) of the latest client's compute(), or null (local backend). */
  jobs: { backend: string; jobIds: string[]; updatedAt: string } | null;
  failed: { taskID: number; name: string; message: string; reason: string; logPath: string | null; at: string; attempts: number }[];
  missing: number[];
  /** Calls that ran more than once (options.retries): their outcome and each failed attempt before it. */
  retried: { taskID: number; state: 'done' | 'failed'; attempts: number; failures: { attempt: number; reason: string; name: string; message: string }[] }[];
}

export function statusReport(status: RunStatus): StatusReport {
  return {
    outputDir: status.outputDir,
    function: status.manifest.funcName,
    nInputs: status.manifest.nInputs,
    container: status.containerPath ?? null,
    complete: status.done.length === status.manifest.nInputs && status.journaled === 0,
    counts: { done: status.done.length, failed: status.failed.length, missing: status.missing.length },
    journaled: status.journaled,
    running: status.client ? { host: status.client.host, pid: status.client.pid, since: status.client.since, backend: status.client.backend } : null,
    jobs: status.jobs ?? null,
    failed: status.failed.map((r) => ({
      taskID: r.taskID,
      name: r.error?.name ?? 'Error',
      message: r.error?.message ?? '',
      reason: r.reason ?? 'unknown',
      logPath: r.logPath ?? null,
      at: r.at,
      attempts: r.attempt ?? 1,
    })),
    missing: status.missing,
    retried: status.retried.map((c) => ({
      taskID: c.taskID,
      state: c.state,
      attempts: c.attempts,
      failures: c.failures.map((r) => ({
        attempt: r.attempt ?? 1,
        reason: r.reason ?? 'unknown',
        name: r.error?.name ?? 'Error',
        message: r.error?.message ?? '',
      })),
    })),
  };
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!;
}

/** "0-3, 7, 9-12" */
export function formatIdList(ids: readonly number[], limit = 20): string {
  const parts: string[] = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j]! + 1) j++;
    parts.push(i === j ? `${ids[i]}` : `${ids[i]}-${ids[j]}`);
    i = j + 1;
  }
  return parts.length > limit ? `${parts.slice(0, limit).join(', ')}, …` : parts.join(', ');
}

/** `acme-ts status` exit codes: scripts wait for 0, re-run on 1. */
export const STATUS_EXIT = { complete: 0, incomplete: 1, running: 3 } as const;

function statusExitCode(report: StatusReport): number {
  return report.complete ? STATUS_EXIT.complete : report.running ? STATUS_EXIT.running : STATUS_EXIT.incomplete;
}

export function statusCommand(argv: StatusArgs, io: CliIO): number {
  const report = statusReport(runStatus(runFolder(argv.folder)));
  if (argv.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return statusExitCode(report);
  }
  const c = colorsFor(io.stdout, io.env);
  const { done, failed, missing } = report.counts;
  const out: string[] = [
    `${report.outputDir}: ${report.nInputs} calls of ${report.function}`,
    `  container: ${report.container ?? '(none: serialized results)'}`,
    `  ${done === report.nInputs ? c.green(`${done} done`) : `${done} done`}, ${failed > 0 ? c.red(`${failed} failed`) : '0 failed'}, ${missing} missing`,
  ];
  if (failed > 0) {
    out.push('failed calls:');
    for (const f of report.failed.slice(0, 50)) {
      const attempts = f.attempts > 1 ? `, after ${f.attempts} attempts` : '';
      out.push(`  call ${f.taskID} (${f.reason}${attempts}): ${f.name}: ${firstLine(f.message)}${f.logPath ? `  log: ${f.logPath}` : ''}`);
    }
    if (report.failed.length > 50) out.push(`  … and ${report.failed.length - 50} more (--json lists all)`);
  }
  if (report.retried.length > 0) {
    out.push('calls that ran more than once:');
    for (const r of report.retried.slice(0, 50)) {
      out.push(`  call ${r.taskID}: ${r.state} at attempt ${r.attempts}`);
      for (const f of r.failures) out.push(`    attempt ${f.attempt} failed (${f.reason}): ${f.name}: ${firstLine(f.message)}`);
    }
    if (report.retried.length > 50) out.push(`  … and ${report.retried.length - 50} more (--json lists all)`);
  }
  const running = report.running;
  if (report.jobs) {
    // The running client's jobs, or those a finished (or killed) client left: they may still run.
    const name = report.jobs.backend === 'slurm' ? 'SLURM' : report.jobs.backend;
    const what = `${name} job${name === 'SLURM' ? ' array' : ''}s`;
    const current = running?.backend === report.jobs.backend;
    out.splice(1, 0, `  ${current ? what : `${what} of the latest ${name} client`}: ${report.jobs.jobIds.join(', ')}`);
  }
  if (running) {
    out.splice(1, 0, `  running: process ${running.pid} on ${running.host} (${running.backend} backend) since ${running.since}`);
    if (missing > 0) out.push(`pending calls (running or queued): ${formatIdList(report.missing)}`);
    if (report.journaled > 0) out.push(`${report.journaled} results are in the running client's journal, not yet in the container`);
    out.push('the run is still going: check again later; a second client (rerun) is refused while this one lives');
  } else {
    if (missing > 0) out.push(`missing calls (not run, or interrupted): ${formatIdList(report.missing)}`);
    if (report.journaled > 0) out.push(`${report.journaled} results are in the journal of a client that did not finish, not yet in the container`);
    if (!report.complete) out.push(`finish them with: acme-ts rerun ${report.outputDir}`);
  }
  io.stdout.write(`${out.join('\n')}\n`);
  return statusExitCode(report);
}
