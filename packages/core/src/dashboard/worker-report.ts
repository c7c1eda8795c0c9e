// One line per worker on the dashboard. A backend package may describe its workers from the
// run folder (SLURM: its array tasks, from squeue); it exports `describeWorkers` and the
// dashboard loads it by the run's backend name, as the backend registry loads backends, so
// core depends on no backend. Without one, the workers are the timeline's lanes.

export interface WorkerLine {
  /** "lane 1", or the SLURM task "<arrayJobId>_<index>". */
  name: string;
  /** PENDING, RUNNING, COMPLETED, OUT_OF_MEMORY, TIMEOUT, … (SLURM), or busy / idle / ended. */
  state: string;
  /** Why it pends or why it ended (SLURM's reason), if known. */
  reason?: string;
  node?: string;
  jobId?: string;
  /** Calls of the run this worker settled (or was given). */
  calls?: number;
  /** Memory it used or may use, as text ("1.2 GB"), where known. */
  memory?: string;
  /** Its log file (SLURM .err), inside the run folder. */
  logPath?: string;
}

export interface WorkerReport {
  workers: WorkerLine[];
  /** The worker that ran each call, when the backend records it (one timeline lane per worker). */
  callWorkers?: Map<number, string>;
  /** What this backend cannot tell (shown under the table). */
  note?: string;
}

/** What a backend package exports as `describeWorkers`. */
export type DescribeWorkers = (outputDir: string) => Promise<WorkerReport>;

/** The backend package's describer, if it has one (`@acme-ts/backend-<name>`). */
export function loadWorkerDescriber(backend: string): DescribeWorkers | undefined {
  if (!/^[a-z][a-z0-9-]*$/.test(backend) || backend === 'local') return undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(`@acme-ts/backend-${backend}`) as { describeWorkers?: unknown };
    return typeof mod.describeWorkers === 'function' ? (mod.describeWorkers as DescribeWorkers) : undefined;
  } catch {
    return undefined;
  }
}
