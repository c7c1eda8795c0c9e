/**
 * GPUs, node features and QOS, checked against what the cluster tells before anything is
 * submitted: the Gres and AvailableFeatures of the partition's nodes (`scontrol show node`), the
 * partition's AllowQos/DenyQos, and accounting's QOS list (`sacctmgr show qos`, only where
 * slurmdbd runs). What the cluster does not tell is left to sbatch.
 */
import { SlurmOptionError, describeValue } from './errors';
import { constraintFeatures } from './sbatch-options';
import type { NodeInfo, PartitionInfo } from './slurm-commands';

/** What the cluster told about resources (absent parts are not checked). */
export interface ClusterResources {
  partitions?: readonly PartitionInfo[];
  nodes?: readonly NodeInfo[];
  /** QOS names accounting knows; undefined when the cluster cannot tell. */
  qos?: readonly string[];
}

/** The partition a job goes to: the named one, else the cluster's default. */
export function targetPartition(partitions: readonly PartitionInfo[] | undefined, name: string | undefined): PartitionInfo | undefined {
  return partitions?.find((p) => (name === undefined ? p.isDefault : p.name === name));
}

/** How messages name the partition ("partition \"gpu\"", or the default one). */
function partitionLabel(name: string | undefined): string {
  return name === undefined ? 'the default partition' : `partition ${JSON.stringify(name)}`;
}

/** The nodes of a partition (all nodes when the partition is unknown). */
function partitionNodes(nodes: readonly NodeInfo[], partition: string | undefined): readonly NodeInfo[] {
  return partition === undefined ? nodes : nodes.filter((node) => node.partitions.includes(partition));
}

/** `gpusPerWorker` fits on one node of the partition (an array task runs on one node). */
export function checkGpus(gpus: number, partition: string | undefined, cluster: ClusterResources): void {
  if (cluster.nodes === undefined) return;
  const most = Math.max(0, ...partitionNodes(cluster.nodes, partition).map((node) => node.gpus));
  if (gpus <= most) return;
  const where = partitionLabel(partition);
  const allowed = most === 0 ? `left unset: no node of ${where} has GPUs in its Gres` : `at most ${most}, the most GPUs a node of ${where} has in its Gres`;
  throw new SlurmOptionError('options.slurm.gpusPerWorker', `options.slurm.gpusPerWorker must be ${allowed}, got ${describeValue(gpus)}`);
}

/** Every feature the constraint names is one some node of the partition has. */
export function checkConstraint(constraint: string, partition: string | undefined, cluster: ClusterResources): void {
  if (cluster.nodes === undefined) return;
  const available = new Set(partitionNodes(cluster.nodes, partition).flatMap((node) => node.features));
  const unknown = constraintFeatures(constraint).filter((feature) => !available.has(feature));
  if (unknown.length === 0) return;
  const have =
    available.size === 0
      ? 'its nodes have no features'
      : `its nodes have ${[...available]
          .sort()
          .map((f) => JSON.stringify(f))
          .join(', ')}`;
  throw new SlurmOptionError(
    'options.slurm.constraint',
    `options.slurm.constraint must name features of the nodes of ${partitionLabel(partition)} (${have}; no node has ${unknown.map((f) => JSON.stringify(f)).join(', ')}), got ${describeValue(constraint)}`,
  );
}

/** The QOS is one accounting knows and the partition allows. */
export function checkQos(qos: string, partition: string | undefined, cluster: ClusterResources): void {
  const refuse = (allowed: string): never => {
    throw new SlurmOptionError('options.slurm.qos', `options.slurm.qos must be ${allowed}, got ${describeValue(qos)}`);
  };
  const names = (list: readonly string[]): string => list.map((name) => JSON.stringify(name)).join(', ');
  if (cluster.qos !== undefined && !cluster.qos.includes(qos)) refuse(`one of the QOS sacctmgr lists: ${names(cluster.qos)}`);
  const info = targetPartition(cluster.partitions, partition);
  if (info === undefined) return;
  const where = partitionLabel(partition);
  if (Array.isArray(info.allowQos) && !info.allowQos.includes(qos)) refuse(`one of the QOS ${where} allows (AllowQos): ${names(info.allowQos)}`);
  if (info.denyQos?.includes(qos)) refuse(`none of the QOS ${where} denies (DenyQos): ${names(info.denyQos)}`);
}
