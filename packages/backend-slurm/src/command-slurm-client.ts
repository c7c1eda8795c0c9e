/** The SlurmClient of a real cluster: SLURM's command-line tools run as child processes. */
import type { SlurmClient } from './slurm-client';
import {
  cancel,
  findArrays,
  listNodes,
  listPartitions,
  listQos,
  queryArray,
  readClusterConfig,
  submitArray,
  type ArrayTaskStatus,
  type ClusterConfig,
  type NodeInfo,
  type PartitionInfo,
  type SubmitArrayRequest,
} from './slurm-commands';

export class CommandSlurmClient implements SlurmClient {
  listPartitions(): Promise<PartitionInfo[]> {
    return listPartitions();
  }

  listNodes(): Promise<NodeInfo[]> {
    return listNodes();
  }

  listQos(): Promise<string[] | undefined> {
    return listQos();
  }

  readClusterConfig(): Promise<ClusterConfig> {
    return readClusterConfig();
  }

  submitArray(request: SubmitArrayRequest): Promise<{ jobId: string }> {
    return submitArray(request);
  }

  queryArray(jobId: string): Promise<Map<number, ArrayTaskStatus>> {
    return queryArray(jobId);
  }

  cancel(jobId: string): Promise<void> {
    return cancel(jobId);
  }

  findArrays(jobName: string, script: string): Promise<string[]> {
    return findArrays(jobName, script);
  }
}
