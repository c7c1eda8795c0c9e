// What a user writes in `options.slurm` (or the config file's "slurm" section): typed here, in
// core, so ParallelMap's options catch a misspelt setting at compile time; the SLURM backend
// validates the values (backend-slurm/src/backend-options.ts).

/** What a user writes in `options.slurm.retries`. */
export interface SlurmRetrySettings {
  /** Calls of a task SLURM ended for exceeding `--mem`: again with memPerWorker × memoryFactor, at most maxMemory. */
  outOfMemory?: { memoryFactor?: number; maxMemory: string; attempts?: number };
  /** Calls of a task that reached `--time`: again with timeLimit × timeFactor, at most maxTime. */
  timeLimit?: { timeFactor?: number; maxTime: number | string; attempts?: number };
}

/** What a user may write in `options.slurm` or the config file's "slurm" section. */
export interface SlurmSettings {
  /** Partition to submit to (default: the cluster's default partition). */
  partition?: string;
  /** Array tasks running at once (the array's `%throttle`). Default: the partition's CPUs / cpusPerWorker. */
  nWorkers?: number;
  /** `--mem` per array task: "4GB", "500MB", "auto" (measured with one call), or "2x" (twice the previous submission's). */
  memPerWorker?: string;
  /** `--cpus-per-task`; also the worker threads inside each task (default 1). */
  cpusPerWorker?: number;
  /** `--time` of each array task: minutes or a SLURM duration. */
  timeLimit?: number | string;
  /** Seconds to wait for the first task to start before saying why the array pends (default 60). */
  setupTimeout?: number;
  /** Extra sbatch options, each one argv entry starting with "-". */
  sbatchOptions?: string[];
  /** `--job-name` (default "acme_<function>"). */
  jobName?: string;
  /** Calls each array task runs (default: the calls spread over one wave of nWorkers tasks). */
  callsPerTask?: number;
  /** Longest pause between two looks at the queue, in seconds (default 5; the first is 0.2). */
  pollInterval?: number;
  /** GPUs per array task (`--gres=gpu:N`). */
  gpusPerWorker?: number;
  /** Node features the tasks need (`--constraint`), e.g. "avx512&ib". */
  constraint?: string;
  /** `--qos`. */
  qos?: string;
  /** Calls SLURM ended for memory or time are submitted again with more. */
  retries?: SlurmRetrySettings;
}
