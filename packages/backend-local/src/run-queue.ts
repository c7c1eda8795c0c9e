// The run queue: the calls of a pool run that wait for a worker. Batches are views of the
// queue's ascending Float64Array (they travel as (first, count)), calls handed back after a
// crash or an early batch end go first, and calls isolated to find a culprit go alone.

import { InvalidTaskIDError } from './errors';

/** A run's calls that wait for a worker, in the order they are handed out. */
export class RunQueue {
  private head = 0;
  /** Calls handed back (unstarted or lost in a crash); they go before the queue. */
  private readonly requeued: number[] = [];
  /** Calls to run alone, to find which one broke a whole batch. */
  private readonly isolated: number[] = [];

  constructor(
    private readonly queue: Float64Array,
    /** Whether the queue ascends (then a batch from its head may travel as a range). */
    private readonly queueAscends: boolean,
  ) {}

  get nCalls(): number {
    return this.queue.length;
  }

  get nQueued(): number {
    return this.queue.length - this.head + this.requeued.length + this.isolated.length;
  }

  /** Whether the next batch is a call to run alone (see isolate). */
  get nextIsIsolated(): boolean {
    return this.isolated.length > 0;
  }

  /** The next batch: a view of the queue in the usual case, a new array when calls were handed back. */
  take(size: number): Float64Array {
    if (this.isolated.length > 0) return Float64Array.of(this.isolated.pop()!);
    const fromRequeued = Math.min(size, this.requeued.length);
    const fromQueue = Math.min(size - fromRequeued, this.queue.length - this.head);
    const fromHead = this.queue.subarray(this.head, this.head + fromQueue);
    this.head += fromQueue;
    if (fromRequeued === 0) return fromHead;
    const batch = new Float64Array(fromRequeued + fromQueue);
    for (let i = 0; i < fromRequeued; i++) batch[i] = this.requeued.pop()!;
    batch.set(fromHead, fromRequeued);
    return batch;
  }

  /** Whether a batch from take() is the consecutive IDs first … first + length − 1. */
  isConsecutive(batch: Float64Array): boolean {
    // A slice of the ascending queue (requeued calls make a new array) spanning its length.
    return this.queueAscends && batch.buffer === this.queue.buffer && batch[batch.length - 1]! - batch[0]! === batch.length - 1;
  }

  giveBack(taskIDs: Iterable<number>): void {
    for (const id of taskIDs) this.requeued.push(id);
  }

  isolate(taskIDs: Iterable<number>): void {
    for (const id of taskIDs) this.isolated.push(id);
  }

  drainQueued(): number[] {
    const rest = [...this.isolated, ...this.requeued, ...this.queue.subarray(this.head)];
    this.isolated.length = 0;
    this.requeued.length = 0;
    this.head = this.queue.length;
    return rest;
  }
}

/**
 * The taskIDs as a Float64Array (the form batches travel in), checked to be valid and unique,
 * and whether they ascend (then a batch from the queue's head may travel as a range).
 */
export function normalizeTaskIDs(taskIDs: Iterable<number> | ArrayLike<number>): { ids: Float64Array; ascending: boolean } {
  const list: ArrayLike<number> = 'length' in taskIDs ? taskIDs : Array.from(taskIDs);
  // A Float64Array (what core passes) is copied in one go, then only read.
  const copied = list instanceof Float64Array;
  const ids = copied ? list.slice() : new Float64Array(list.length);
  let max = 0;
  let ascending = true;
  for (let i = 0; i < list.length; i++) {
    const id = list[i]!;
    // One cheap test for the usual small integers; the exact check only when it fails.
    if (!((id | 0) === id && id >= 0) && !(Number.isSafeInteger(id) && id >= 0)) {
      throw new InvalidTaskIDError(`taskIDs must be non-negative integers, got ${String(id)}`);
    }
    // Strictly ascending IDs (the usual 0..n-1, and every re-run) are unique already.
    if (id <= max && i > 0) ascending = false;
    if (id > max) max = id;
    if (!copied) ids[i] = id;
  }
  if (ascending) return { ids, ascending };
  // Dense IDs (the usual 0..n-1) are checked with a bitmap; a Set is slower for 10⁵+ IDs.
  const seen: { has(id: number): boolean; add(id: number): unknown } = max <= 16 * ids.length + 1_000_000 ? bitmapSet(max + 1) : new Set<number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (seen.has(id)) throw new InvalidTaskIDError(`taskIDs must be unique, got ${id} twice`);
    seen.add(id);
  }
  return { ids, ascending };
}

function bitmapSet(size: number) {
  const bits = new Uint8Array(size);
  return {
    has: (id: number) => bits[id] === 1,
    add: (id: number) => (bits[id] = 1),
  };
}
