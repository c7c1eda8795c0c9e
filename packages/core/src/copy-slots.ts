/**
 * singleFile from worker threads: datasets the host reserves in the container's copy for large
 * results, which a worker writes into itself. The host thread is the container's only libhdf5
 * writer; before these, it also wrote every large result's bytes (H5Dwrite of 1.6 GB for 200
 * results of 8 MB, on one thread) after the worker had copied them into memory shared with it.
 * Now the host reserves contiguous datasets of the kind (dtype and shape) of the run's first
 * large result, never filled (hdf5-native's reserveSpace), and publishes where they lie in the
 * copy in a table it shares with the workers. A worker whose result is of that kind claims a
 * slot, writes the bytes there itself (a plain pwrite: libhdf5 neither caches nor touches a
 * dataset's raw data it does not write) and returns the dataset as DataInCopy; the host moves the
 * reserved dataset's link to comp_i/<name> and journals it by reference, as it does the large
 * datasets it writes itself. A claimed slot that never comes back (its worker killed) stays
 * claimed; reserved datasets nobody claimed are removed when the copy is closed.
 * A contiguous stacked dataset (resultShape, stacked along its first dimension) needs no
 * reservation: once libhdf5 has allocated it, call i's slot lies at a known place, which the
 * table publishes per stack; the worker writes its slot there and returns it as DataInCopy.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import type { EncodedDataset } from './result-encoding';
import { dataInCopy, type DataInCopy } from './result-journal';

/** What the runners get (ResultSink): the copy's path, the table of slots, and the stacks in table order. */
export interface CopySlotTable {
  copy: string;
  table: SharedArrayBuffer;
  /** The stacked datasets' names (result_0, or the named resultShape's keys); entry j of the table's stacks. */
  stacks: string[];
}

/** Slots in the table: results in flight on the workers and the host's backlog (8 × 8 MB). */
export const N_COPY_SLOTS = 8;
const MAX_RANK = 32;
const DTYPE_BYTES = 16;
// The table: [kind set, rank] Int32, the dtype's name (ASCII), the shape (Float64), then per
// slot its state (Int32) and the offset of its reserved dataset's bytes in the copy (Float64).
const KIND_AT = 0;
const DTYPE_AT = 8;
const SHAPE_AT = DTYPE_AT + DTYPE_BYTES;
const STATES_AT = SHAPE_AT + 8 * MAX_RANK;
const OFFSETS_AT = STATES_AT + 4 * N_COPY_SLOTS;
// Then per stack a published flag (Int32, padded to 8 bytes), and where its slot 0 lies in the
// copy and a slot's bytes (Float64).
const STACKS_AT = OFFSETS_AT + 8 * N_COPY_SLOTS;
const stackBytes = (nStacks: number): number => 8 * Math.ceil(nStacks / 2) + 16 * nStacks;

/** A slot is empty (the host may reserve a dataset for it), ready to be claimed, or claimed by a worker. */
const EMPTY = 0;
const READY = 1;
const CLAIMED = 2;

interface TableViews {
  kind: Int32Array;
  dtype: Uint8Array;
  shape: Float64Array;
  states: Int32Array;
  offsets: Float64Array;
  /** Stack j: 1 once its place is published. */
  stackPublished: Int32Array;
  /** Stack j: [2j] where slot 0 lies, [2j + 1] a slot's bytes. */
  stacks: Float64Array;
}

function views(table: SharedArrayBuffer, nStacks: number): TableViews {
  return {
    kind: new Int32Array(table, KIND_AT, 2),
    dtype: new Uint8Array(table, DTYPE_AT, DTYPE_BYTES),
    shape: new Float64Array(table, SHAPE_AT, MAX_RANK),
    states: new Int32Array(table, STATES_AT, N_COPY_SLOTS),
    offsets: new Float64Array(table, OFFSETS_AT, N_COPY_SLOTS),
    stackPublished: new Int32Array(table, STACKS_AT, nStacks),
    stacks: new Float64Array(table, STACKS_AT + 8 * Math.ceil(nStacks / 2), 2 * nStacks),
  };
}

/** The host's side of the table. */
export class CopySlots {
  readonly table: SharedArrayBuffer;
  private readonly v: TableViews;
  /** The dtype and shape of every slot, once set. */
  private slotKind: { dtype: string; shape: number[] } | undefined;

  constructor(
    readonly copy: string,
    /** The stacked datasets' names (see CopySlotTable.stacks). */
    private readonly stacks: readonly string[] = [],
  ) {
    this.table = new SharedArrayBuffer(STACKS_AT + stackBytes(stacks.length));
    this.v = views(this.table, stacks.length);
  }

  /** What the runners get. */
  get forRunners(): CopySlotTable {
    return { copy: this.copy, table: this.table, stacks: [...this.stacks] };
  }

  /** Stack `name`'s slot i lies at `offset + i * slotBytes` of the copy (published once, for good). */
  publishStack(name: string, offset: number, slotBytes: number): void {
    const j = this.stacks.indexOf(name);
    if (j < 0 || Atomics.load(this.v.stackPublished, j) === 1) return;
    this.v.stacks[2 * j] = offset;
    this.v.stacks[2 * j + 1] = slotBytes;
    Atomics.store(this.v.stackPublished, j, 1);
  }

  /** Where stack `name`'s slot 0 lies and a slot's bytes, once published. */
  stackPlace(name: string): { offset: number; slotBytes: number } | undefined {
    const j = this.stacks.indexOf(name);
    if (j < 0 || Atomics.load(this.v.stackPublished, j) !== 1) return undefined;
    return { offset: this.v.stacks[2 * j]!, slotBytes: this.v.stacks[2 * j + 1]! };
  }

  get kind(): { dtype: string; shape: number[] } | undefined {
    return this.slotKind;
  }

  /** Whether a dataset of this dtype and shape can have slots (set once, before any slot is offered). */
  canHold(dtype: string, shape: readonly number[]): boolean {
    return shape.length <= MAX_RANK && dtype.length <= DTYPE_BYTES && /^[\x20-\x7e]*$/.test(dtype);
  }

  setKind(dtype: string, shape: readonly number[]): void {
    this.v.dtype.set(Buffer.from(dtype, 'ascii'));
    this.v.shape.set(shape);
    this.v.kind[1] = shape.length;
    Atomics.store(this.v.kind, 0, 1);
    this.slotKind = { dtype, shape: [...shape] };
  }

  /** Slots the host may reserve a dataset for. */
  emptySlots(): number[] {
    const empty: number[] = [];
    for (let s = 0; s < N_COPY_SLOTS; s++) if (Atomics.load(this.v.states, s) === EMPTY) empty.push(s);
    return empty;
  }

  /** Slots ready or claimed (reserved datasets not taken back yet). */
  get nReserved(): number {
    return N_COPY_SLOTS - this.emptySlots().length;
  }

  /** Slot `slot`'s reserved dataset starts at `offset` in the copy: workers may claim it. */
  offer(slot: number, offset: number): void {
    this.v.offsets[slot] = offset;
    Atomics.store(this.v.states, slot, READY);
  }

  /**
   * The claimed slot whose dataset starts at `offset` (a worker wrote it), now empty again; or
   * undefined when no claimed slot starts there.
   */
  take(offset: number): number | undefined {
    for (let s = 0; s < N_COPY_SLOTS; s++) {
      if (this.v.offsets[s] === offset && Atomics.compareExchange(this.v.states, s, CLAIMED, EMPTY) === CLAIMED) return s;
    }
    return undefined;
  }
}

const tableViews = new WeakMap<SharedArrayBuffer, TableViews>();

/** A worker's views of the table, made at its first use. */
function viewsOf(slots: CopySlotTable): TableViews {
  let v = tableViews.get(slots.table);
  if (v === undefined) tableViews.set(slots.table, (v = views(slots.table, slots.stacks.length)));
  return v;
}

/**
 * A worker's side: writes `d`'s bytes into a ready slot of its kind and returns where they lie;
 * undefined (nothing claimed) when the table has no kind yet, `d` is of another kind, no slot is
 * ready, or the write failed (the slot is offered again; the caller sends the data as usual).
 * The caller checked that `d`'s typed array holds the bytes the file holds (hasFileLayout).
 */
export function writeIntoCopySlot(slots: CopySlotTable, d: EncodedDataset): DataInCopy | undefined {
  const v = viewsOf(slots);
  if (Atomics.load(v.kind, 0) !== 1 || !isOfKind(v, d)) return undefined;
  const data = d.data as ArrayBufferView;
  for (let s = 0; s < N_COPY_SLOTS; s++) {
    if (Atomics.compareExchange(v.states, s, READY, CLAIMED) !== READY) continue;
    const offset = v.offsets[s]!;
    try {
      writeAt(slots.copy, data, offset);
    } catch {
      Atomics.store(v.states, s, READY);
      return undefined;
    }
    return dataInCopy(basename(slots.copy), offset, data);
  }
  return undefined;
}

/**
 * A worker's side, for `d` of stacked dataset `d.name` (call `taskID`'s slot): writes it at its
 * place in the copy and returns that place; undefined when the stack's place is not published
 * yet, `d` holds another number of bytes than a slot, or the write failed.
 */
export function writeIntoStackSlot(slots: CopySlotTable, taskID: number, d: EncodedDataset): DataInCopy | undefined {
  const v = viewsOf(slots);
  const j = slots.stacks.indexOf(d.name);
  if (j < 0 || Atomics.load(v.stackPublished, j) !== 1) return undefined;
  const at = v.stacks[2 * j]!;
  const data = d.data as ArrayBufferView;
  if (data.byteLength !== v.stacks[2 * j + 1]) return undefined;
  const offset = at + taskID * data.byteLength;
  try {
    writeAt(slots.copy, data, offset);
  } catch {
    return undefined;
  }
  return dataInCopy(basename(slots.copy), offset, data);
}

function isOfKind(v: TableViews, d: EncodedDataset): boolean {
  const rank = v.kind[1]!;
  if (d.shape.length !== rank) return false;
  for (let i = 0; i < rank; i++) if (d.shape[i] !== v.shape[i]) return false;
  const name = d.dtype;
  if (typeof name !== 'string' || name.length > DTYPE_BYTES) return false;
  for (let i = 0; i < DTYPE_BYTES; i++) if ((i < name.length ? name.charCodeAt(i) : 0) !== v.dtype[i]) return false;
  return true;
}

/** Every byte of `data` at `offset` of `path` (a write may write less than asked: over 2 GiB). */
function writeAt(path: string, data: ArrayBufferView, offset: number): void {
  const fd = openSync(path, 'r+');
  try {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    for (let done = 0; done < bytes.byteLength;) done += writeSync(fd, bytes, done, bytes.byteLength - done, offset + done);
  } finally {
    closeSync(fd);
  }
}
