// Whether the process that left a record in a run folder still runs: a pid on this host that
// exists and started before the record was written (a later process with that pid is another one).
import { readFileSync } from 'node:fs';

/** USER_HZ, 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** When process `pid` started (Linux /proc), or undefined if unknown; -1 if it has ended (a zombie). */
function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields from 3 (state) on follow the command name's ')'; 22 is starttime, in clock ticks after boot.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return -1;
    const ticks = Number(fields[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]);
    const ms = bootSeconds * 1000 + (ticks / CLOCK_TICKS_PER_SECOND) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  } catch {
    return undefined;
  }
}

/** Process `pid` on this host is alive and started no later than `recordedAtMs` (+1 s of clock slack). */
export function isLiveProcess(pid: number, recordedAtMs: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const started = processStartMs(pid);
  if (started === -1) return false;
  return !(started !== undefined && started > recordedAtMs + 1000);
}
