/**
 * memPerWorker "auto": the peak resident memory of one call, run in a child Node process
 * (measure-call.ts) so the figure includes Node and the function's modules, as a task's would.
 * As in ACME, a sample runs at most MEASURE_LIMIT_MS: a longer call is stopped and its peak
 * so far counts (read from /proc before the kill). An abort stops the child at once.
 */
import { execFile } from 'node:child_process';
import { loaderFlags } from '@acme-ts/core/backend';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SlurmRunError } from './errors';

/** ACME samples each call for at most 30 s. */
export const MEASURE_LIMIT_MS = 30_000;
const MEASURE_CALL_ENTRY = join(__dirname, 'measure-call.js');

export interface MemoryProbeRequest {
  /** A v8 file holding { setup, taskID, payload } (measure-call.ts reads it). */
  input: string;
  taskID: number;
  limitMs: number;
  signal?: AbortSignal;
}

/** Resolves with the call's peak RSS in kB; rejects with the signal's reason on abort. */
export type MemoryProbe = (request: MemoryProbeRequest) => Promise<number>;

export function probeCallMemory(request: MemoryProbeRequest, entry = MEASURE_CALL_ENTRY): Promise<number> {
  const { input, taskID, limitMs, signal } = request;
  const failure = (what: string): SlurmRunError =>
    new SlurmRunError('ERR_SLURM_MEMORY_ESTIMATE', `options.slurm.memPerWorker "auto": measuring call ${taskID} ${what}`);
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    let settled = false;
    const child = execFile(process.execPath, [...loaderFlags(), entry, input], { encoding: 'utf8', maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (settled) return; // stopped by us: already answered
      settle(() => {
        if (error) return reject(failure(`failed: ${stderr.trim() || error.message}`));
        try {
          resolve((JSON.parse(stdout.trim().split('\n').at(-1) as string) as { maxRssKb: number }).maxRssKb);
        } catch {
          reject(failure(`printed no measurement: ${JSON.stringify(stdout.trim().slice(-200))}`));
        }
      });
    });
    const timer = setTimeout(() => {
      const peak = child.pid === undefined ? undefined : peakRssKb(child.pid);
      settle(() => (peak !== undefined ? resolve(peak) : reject(failure(`ran longer than ${limitMs / 1000} s and its memory use could not be read`))));
    }, limitMs);
    const onAbort = (): void => settle(() => reject(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });

    function settle(answer: () => void): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      answer();
    }
  });
}

/** The process's peak resident set so far (Linux's VmHWM), in kB. */
function peakRssKb(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}
