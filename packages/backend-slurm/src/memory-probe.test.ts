import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeCallMemory } from './memory-probe';

const STAND_IN = join(__dirname, '__fixtures__', 'measure-stand-in.js');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('probeCallMemory (memPerWorker "auto")', () => {
  it("reads the child's measurement", async () => {
    expect(await probeCallMemory({ input: 'print', taskID: 0, limitMs: 10_000 }, STAND_IN)).toBe(1234);
  });

  it('stops a call that runs past the limit and counts its peak so far, as ACME does', async () => {
    const started = Date.now();
    const peakKb = await probeCallMemory({ input: 'hold', taskID: 3, limitMs: 1500 }, STAND_IN);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(peakKb).toBeGreaterThan(60_000);
  });

  it('stops at once on abort and rejects with the reason', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    const before = new Set(childPids());
    const probing = probeCallMemory({ input: 'hold', taskID: 0, limitMs: 60_000, signal: controller.signal }, STAND_IN);
    await new Promise((r) => setTimeout(r, 300));
    const child = childPids().find((pid) => !before.has(pid));
    controller.abort(reason);
    await expect(probing).rejects.toBe(reason);
    await new Promise((r) => setTimeout(r, 200));
    expect(child !== undefined && alive(child)).toBe(false);
  });

  it('reports a failing measurement with a typed code', async () => {
    await expect(probeCallMemory({ input: 'print', taskID: 2, limitMs: 10_000 }, join(__dirname, '__fixtures__', 'no-such-entry.js'))).rejects.toMatchObject({
      code: 'ERR_SLURM_MEMORY_ESTIMATE',
      message: expect.stringMatching(/^options\.slurm\.memPerWorker "auto": measuring call 2 failed: /),
    });
  });
});

/** Pids of this process's children (Linux). */
function childPids(): number[] {
  try {
    return readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
