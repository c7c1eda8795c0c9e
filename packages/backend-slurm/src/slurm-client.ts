/**
 * What the SLURM backend asks of a cluster. The backend talks to SLURM only through this, so its
 * scheduling logic runs as well against the real tools (CommandSlurmClient) as against a fake
 * cluster in unit tests.
 */
import type { ArrayTaskStatus, ClusterConfig, NodeInfo, PartitionInfo, SubmitArrayRequest } from './slurm-commands';

export interface SlurmClient {
  /** The partitions this user may see. */
  listPartitions(): Promise<PartitionInfo[]>;
  /** The nodes this user may see: their partitions, features and GPUs. */
  listNodes(): Promise<NodeInfo[]>;
  /** The QOS names accounting knows; undefined when the cluster cannot tell (no slurmdbd). */
  listQos(): Promise<string[] | undefined>;
  /** The controller's configuration (MaxArraySize, DefMemPerCPU, …). */
  readClusterConfig(): Promise<ClusterConfig>;
  /**
   * Submits one job array. Rejects with a SlurmCommandError; its code ERR_SLURM_OUTPUT or
   * ERR_SLURM_TIMEOUT means the array may exist without the client knowing its id.
   */
  submitArray(request: SubmitArrayRequest): Promise<{ jobId: string }>;
  /** States of an array's tasks by index; empty when SLURM no longer knows the id. */
  queryArray(jobId: string): Promise<Map<number, ArrayTaskStatus>>;
  /** Cancels a whole array; ids SLURM no longer knows are not an error. */
  cancel(jobId: string): Promise<void>;
  /** Ids of the arrays named `jobName` that run `script`, in any state. */
  findArrays(jobName: string, script: string): Promise<string[]>;
}
