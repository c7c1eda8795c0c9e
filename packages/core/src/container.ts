// Writes what the layout planner decided: the container skeleton before the calls run,
// the single-file writes while they run, and the finishing links after.

import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { AttributeInput, H5File } from '@acme-ts/hdf5-native';
import { hdf5 } from './hdf5';
import { allocateTypedArray, encodedByteSize, hasFileLayout, type EncodedDataset, type NumericDtype } from './result-encoding';
import { unpackCall, type PackedCalls } from './packed-calls';
import { missingFillValue, type RunLayout, type StackPlan } from './layout';
import {
  dataInCopy,
  isDataInCopy,
  leftoverJournals,
  readDataInCopy,
  readJournal,
  type DataInCopy,
  type JournaledCall,
  type JournaledDataset,
  type ResultJournal,
} from './result-journal';
import { CopySlots } from './copy-slots';
import { fitsSlot } from './slot-shape';
import { RESERVED_GROUP_NAME } from './named-result-shape';
import type { StatusLog } from './run-store';
import { AcmeError } from './errors';
import { replacedContainerPath, replacedContainerPrefix, workingCopyPath, workingCopyPrefix, writeAtomically } from './run-folder';

/**
 * Creates the container with its skeleton (and `rootAttributes` on its root) unless a previous
 * attempt of the run already did; true when it did now.
 */
export function createContainer(layout: RunLayout, rootAttributes: Record<string, AttributeInput> = {}): boolean {
  if (layout.payloadDir) mkdirSync(layout.payloadDir, { recursive: true });
  const skeleton = layout.container;
  if (skeleton && layout.singleFile) restoreReplacedContainer(layout.containerPath!);
  if (!skeleton || existsSync(layout.containerPath!)) return false;
  const attributes = Object.entries(rootAttributes);
  // A container that exists is a complete skeleton.
  writeAtomically(layout.containerPath!, (temporary) => {
    // The root's format changes only when it holds attributes (the run's inputs, input-table.ts).
    const file = hdf5().H5File.create(temporary, { overwrite: true, libverLatest: skeleton.libverLatest, largeRootAttributes: attributes.length > 0 });
    try {
      for (const [name, value] of attributes) file.setAttribute('/', name, value);
      // comp_i entries come when call i stored a result, so the container never links to a file
      // that does not exist (ACME's dangle after failures).
      for (const vds of skeleton.virtualDatasets) file.createVirtualDataset(vds.path, vds.spec);
      for (const ds of skeleton.datasets) file.createDataset(ds.path, ds.spec);
    } finally {
      file.close();
    }
  });
  return true;
}

/**
 * A singleFile client that died between stepping its container aside and moving its closed copy
 * into its place (SingleFileWriter.close) left no container: the copy, complete, becomes it (or,
 * were it gone, the container comes back). A container stepped aside beside one in place is the
 * old one, left by a client that died before removing it.
 */
function restoreReplacedContainer(containerPath: string): void {
  const dir = dirname(containerPath);
  const prefix = replacedContainerPrefix(basename(containerPath));
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith(prefix)) continue;
    const aside = join(dir, entry);
    if (!existsSync(containerPath)) {
      const copy = join(dir, workingCopyPrefix(basename(containerPath)) + entry.slice(prefix.length));
      renameSync(existsSync(copy) ? copy : aside, containerPath);
    }
    rmSync(aside, { force: true });
  }
}

/**
 * Edits the container in a copy that replaces it once closed: libhdf5 leaves a file
 * consistent only when it is closed, so a client that dies while editing leaves the
 * container as the last run that ended made it, never a file libhdf5 cannot open.
 */
function editCopy(containerPath: string, edit: (file: H5File) => void): void {
  const copy = workingCopyPath(containerPath);
  copyFileSync(containerPath, copy);
  const file = hdf5().H5File.open(copy, { write: true });
  try {
    edit(file);
  } catch (err) {
    file.close();
    unlinkSync(copy);
    throw err;
  }
  file.close();
  renameSync(copy, containerPath);
}

/**
 * singleFile mode: the client is the only writer of the container, so calls finishing in
 * any order on any worker never interleave their writes (ACME needs a cluster-wide lock).
 * It writes a copy of the container (`<f>.h5.writing-<pid>`) that replaces the container
 * at close(), and journals every call it stored (see result-journal.ts): a client that dies
 * leaves the container as it was, and the next run replays the journal.
 */
/**
 * The copy is held in memory (libhdf5's core driver) while it is smaller than this: its many
 * small metadata writes then cost no system call each (50000 tiny calls on ext4: 1515 → 1291 ms).
 * Past it the copy is written to disk and stays there.
 */
export const IN_MEMORY_LIMIT_BYTES = 128 * 2 ** 20;
/** A call's group and dataset headers in the file, besides the data (measured: ≈ 1.4 KB). */
const GROUP_BYTES = 1536;
/**
 * Datasets from this size on are journaled by where libhdf5 wrote them in the copy (DataInCopy),
 * not by value: 200 results of 8 MB went to the page cache twice, on the host thread. Far above
 * libhdf5's sieve buffer (64 KiB), so H5Dwrite hands such data to the file at once.
 */
export const BY_REFERENCE_MIN_BYTES = 1 << 20;

export interface SingleFileWriterOptions {
  /** The in-memory copy's limit (IN_MEMORY_LIMIT_BYTES). */
  inMemoryLimit?: number;
  /** The copy's name (recoverSingleFileRun's must not be a dead client's copy of the same pid). */
  workPath?: string;
  /** Reserve datasets for workers to write large results into (copy-slots.ts): the runners share memory with this thread. */
  copySlots?: boolean;
}

/** Where the reserved datasets of CopySlots wait in the copy (removed before it is closed). */
const RESERVED_GROUP = `/${RESERVED_GROUP_NAME}`;
const reservedSlotPath = (slot: number): string => `${RESERVED_GROUP}/slot_${slot}`;
/** The most a copy holds reserved ahead (at least two datasets): 8 results of 8 MB. */
const RESERVED_BYTES = 64 * 2 ** 20;
/** Unwritten slots are filled in writes of about this size (fillUnwrittenSlots). */
const FILL_WRITE_BYTES = 16 * 2 ** 20;

export class SingleFileWriter {
  private file: H5File;
  /** The in-memory copy's size, estimated; undefined once the copy is on disk. */
  private inMemoryBytes: number | undefined;
  private readonly workPath: string;
  private readonly inMemoryLimit: number;
  /** The stacked datasets by name (result_0, or the named resultShape's keys). */
  private readonly stacks: Map<string, StackPlan>;
  /** Current extents of stacks with an unlimited dimension, once read. */
  private readonly currentExtents = new Map<string, number[]>();
  /** Where each contiguous stacked dataset's raw data starts in the copy (it does not move once allocated). */
  private readonly stackedOffsets = new Map<string, number | undefined>();
  /** comp_i groups already in the container (from an interrupted earlier attempt). */
  private readonly existingGroups: Set<string>;
  /** Reserving a dataset for the workers failed once (reserveSlots): no more are reserved. */
  private reservationFailed = false;
  /** Per contiguous stack allocated by this writer (or not yet): 1 for each slot it wrote. */
  private readonly slotsWritten = new Map<string, Uint8Array>();
  /** Datasets reserved for workers to write large results into (copy-slots.ts); with the `copySlots` option only. */
  readonly copySlots: CopySlots | undefined;

  constructor(
    private readonly containerPath: string,
    stacks: readonly StackPlan[],
    /** Absent when replaying a journal (recoverSingleFileRun). */
    private readonly journal?: ResultJournal,
    { inMemoryLimit = IN_MEMORY_LIMIT_BYTES, workPath = workingCopyPath(containerPath), copySlots = false }: SingleFileWriterOptions = {},
  ) {
    this.inMemoryLimit = inMemoryLimit;
    this.workPath = workPath;
    // A stack's slots have a place of their own when it is contiguous and stacked along its first dim.
    if (copySlots && journal)
      this.copySlots = new CopySlots(
        workPath,
        stacks.filter((stack) => stack.stackingDim === 0 && stack.unlimitedDim === undefined).map((stack) => stack.name),
      );
    copyFileSync(containerPath, this.workPath);
    const size = statSync(this.workPath).size;
    this.inMemoryBytes = size < inMemoryLimit ? size : undefined;
    this.file = this.openCopy(this.inMemoryBytes !== undefined);
    this.stacks = new Map(stacks.map((stack) => [stack.name, stack]));
    this.existingGroups = new Set(this.file.list('/').map((e) => e.name));
    // A contiguous stacked dataset not allocated yet is, at its first slot, without its fill
    // value (layout.ts: neverFill): close() fills the slots this writer did not write.
    for (const stack of stacks) {
      if (stack.unlimitedDim !== undefined || this.file.rawDataOffset(stack.name) !== undefined) continue;
      this.slotsWritten.set(stack.name, new Uint8Array(stack.shape[stack.stackingDim]!));
    }
    // libhdf5 allocates a contiguous stacked dataset whole at the first slot written: in memory,
    // a container of 200 × 8 MB results took 1.6 GB of RSS, and written back at the limit, its
    // close cost seconds. Such a copy stays on disk from the start.
    if (this.inMemoryBytes !== undefined && this.stacks.size > 0 && this.stackedStorageBytes() + this.inMemoryBytes >= inMemoryLimit) this.grew(inMemoryLimit);
  }

  /** What the stacked datasets will take in the file once allocated (0 for chunked ones: they grow by chunks). */
  private stackedStorageBytes(): number {
    let bytes = 0;
    for (const name of this.stacks.keys()) {
      const info = this.file.info(name);
      if (info.layout !== 'contiguous' || typeof info.dtype !== 'string' || info.dtype === 'string') continue;
      bytes += info.shape.reduce((a, b) => a * b, 1) * allocateTypedArray(info.dtype, 1).byteLength;
    }
    return bytes;
  }

  /**
   * Writes call `taskID`'s datasets (those a worker wrote into a reserved slot of the copy are
   * DataInCopy: they are linked); returns them as the journal holds them (undefined without a journal).
   */
  write(taskID: number, stored: readonly JournaledDataset[]): JournaledDataset[] | undefined {
    const group = `comp_${taskID}`;
    // A re-run replaces whatever an interrupted attempt left of this call.
    if (this.existingGroups.delete(group)) this.file.remove(group);
    const inCopy = stored.filter((d) => isDataInCopy(d.data));
    const datasets = (inCopy.length > 0 ? stored.filter((d) => !isDataInCopy(d.data)) : stored) as EncodedDataset[];
    // A worker wrote these: slots of a stack in place, others into reserved datasets.
    const inStacks = inCopy.filter((d) => this.stacks.has(d.name));
    const inSlots = inStacks.length > 0 ? inCopy.filter((d) => !this.stacks.has(d.name)) : inCopy;
    for (const d of inStacks) this.checkStackPlace(taskID, d);
    // Taken back first: a slot whose call fails below is reserved again, not lost.
    const slotsTaken = inSlots.map((d) => this.takeSlot(group, d));
    let rest = datasets;
    const slots = new Map<EncodedDataset, JournaledDataset>();
    if (this.stacks.size > 0) {
      rest = [];
      for (const d of datasets) {
        const stack = this.stacks.get(d.name);
        if (!stack) {
          rest.push(d);
          continue;
        }
        // A slot of a stacked dataset stacked along its first dim is one block of the file too.
        const slotByReference = this.journal !== undefined && stack.stackingDim === 0 && isByReference(d);
        if (slotByReference) this.moveToDisk();
        this.writeSlots(stack, taskID, 1, d.shape, d.data);
        if (slotByReference) slots.set(d, this.slotReference(stack, taskID, d));
      }
    }
    // Large datasets are journaled by reference to their bytes in the copy, which must be on disk for that.
    const byReference = this.journal !== undefined && rest.some(isByReference);
    if (byReference) this.moveToDisk();
    try {
      // One native call creates comp_i and all its datasets.
      if (rest.length > 0) this.file.writeDatasets(rest.map((d) => ({ path: `${group}/${d.name}`, dtype: d.dtype, shape: d.shape, data: d.data as never })));
      for (let k = 0; k < inSlots.length; k++) this.file.moveLink(reservedSlotPath(slotsTaken[k]!), `${group}/${inSlots[k]!.name}`);
      for (const d of inStacks) this.slotsWritten.get(d.name)?.fill(1, taskID, taskID + 1);
    } catch (err) {
      // A call that fails leaves nothing of it (a retry in this run writes comp_i anew).
      if (this.file.exists(group)) this.file.remove(group);
      throw err;
    }
    // Only what the container took: a replay must not fail where the run did.
    let journaled: JournaledDataset[] | undefined;
    if (this.journal) {
      journaled =
        slots.size > 0 || byReference || inCopy.length > 0
          ? stored.map(
              (d) => slots.get(d as EncodedDataset) ?? (byReference && rest.includes(d as EncodedDataset) ? this.referenceTo(group, d as EncodedDataset) : d),
            )
          : datasets;
      this.journal.add(taskID, journaled);
    }
    if (byReference && this.copySlots && this.copySlots.kind === undefined) this.chooseSlotKind(rest);
    this.grew(GROUP_BYTES + encodedByteSize(datasets));
    return journaled;
  }

  /** `d`, a slot of its stack that a worker wrote, lies where call `taskID`'s slot does. */
  private checkStackPlace(taskID: number, d: JournaledDataset): void {
    const place = d.data as DataInCopy;
    const stack = this.copySlots?.stackPlace(d.name);
    if (place.copy !== basename(this.workPath) || !stack || place.offset !== stack.offset + taskID * stack.slotBytes) {
      throw new AcmeError(
        'ERR_ACME_INTERNAL',
        `internal: slot ${taskID} of ${d.name} names bytes at ${place.offset} of ${place.copy}, which is not where that slot lies`,
      );
    }
  }

  /** The slot whose reserved dataset a worker wrote `d` (of `group`) into, taken back. */
  private takeSlot(group: string, d: JournaledDataset): number {
    const place = d.data as DataInCopy;
    const slot = place.copy === basename(this.workPath) ? this.copySlots?.take(place.offset) : undefined;
    const kind = this.copySlots?.kind;
    if (slot === undefined || !kind || d.dtype !== kind.dtype || !fitsSlot(d.shape, kind.shape)) {
      throw new AcmeError(
        'ERR_ACME_INTERNAL',
        `internal: ${group}/${d.name} names bytes at ${place.offset} of ${place.copy}, which is no slot a worker claimed`,
      );
    }
    return slot;
  }

  /** The run's first large dataset by reference gives the slots their kind (copy-slots.ts). */
  private chooseSlotKind(written: EncodedDataset[]): void {
    const slots = this.copySlots!;
    const first = written.find((d) => isByReference(d) && slots.canHold(d.dtype, d.shape) && !this.stacks.has(d.name));
    if (first) slots.setKind(first.dtype, first.shape);
  }

  /**
   * Reserves datasets for empty slots, up to as many as `callsToCome` (the calls not recorded
   * yet, those in flight among them) and RESERVED_BYTES: more would stay unwritten in the file.
   */
  reserveSlots(callsToCome: number): Error | undefined {
    const slots = this.copySlots;
    const kind = slots?.kind;
    if (!slots || !kind || this.inMemoryBytes !== undefined || this.reservationFailed) return undefined;
    const bytes = kind.shape.reduce((a, b) => a * b, 1) * allocateTypedArray(kind.dtype as NumericDtype, 1).byteLength;
    const wanted = Math.min(callsToCome, Math.max(2, Math.floor(RESERVED_BYTES / bytes))) - slots.nReserved;
    const empty = slots.emptySlots();
    try {
      for (let k = 0; k < Math.min(wanted, empty.length); k++) {
        const path = reservedSlotPath(empty[k]!);
        // A slot taken back (linked) left its name free; one never linked is still there.
        if (!this.file.exists(path)) this.file.createDataset(path, { dtype: kind.dtype as NumericDtype, shape: kind.shape, reserveSpace: true });
        slots.offer(empty[k]!, this.file.rawDataOffset(path)!);
      }
    } catch (err) {
      // Slots only save time: without them the client writes what the workers send.
      this.reservationFailed = true;
      return err as Error;
    }
    return undefined;
  }

  /** Slot `taskID` of a stacked dataset (stacking dim first, just written) as the journal holds it. */
  private slotReference(stack: StackPlan, taskID: number, d: EncodedDataset): JournaledDataset {
    if (!this.stackedOffsets.has(stack.name)) this.stackedOffsets.set(stack.name, this.file.rawDataOffset(stack.name));
    const stackedOffset = this.stackedOffsets.get(stack.name);
    if (stackedOffset === undefined) return d;
    // From now on the workers write this stack's slots themselves (copy-slots.ts).
    this.copySlots?.publishStack(stack.name, stackedOffset, (d.data as ArrayBufferView).byteLength);
    // Slots are back to back in C order: slot i starts i slots in (its shape is resultShape's rest).
    return this.placeInCopy(d, stackedOffset + taskID * (d.data as ArrayBufferView).byteLength);
  }

  /**
   * `d` (just written into `group`) as the journal holds it: where H5Dwrite put its bytes (they
   * went to the file, not a libhdf5 buffer: see BY_REFERENCE_MIN_BYTES), or by value when libhdf5
   * keeps them otherwise.
   */
  private referenceTo(group: string, d: EncodedDataset): JournaledDataset {
    if (!isByReference(d)) return d;
    const offset = this.file.rawDataOffset(`${group}/${d.name}`);
    return offset === undefined ? d : this.placeInCopy(d, offset);
  }

  /** `d` as the journal holds it when its bytes lie at `offset` in the copy (DataInCopy). */
  private placeInCopy(d: EncodedDataset, offset: number): JournaledDataset {
    return { ...d, data: dataInCopy(basename(this.workPath), offset, d.data as ArrayBufferView) };
  }

  /** Moves the copy to disk once it outgrew inMemoryLimit (close() writes it back, then it is reopened). */
  private grew(bytes: number): void {
    if (this.inMemoryBytes === undefined) return;
    this.inMemoryBytes += bytes;
    if (this.inMemoryBytes >= this.inMemoryLimit) this.moveToDisk();
  }

  private moveToDisk(): void {
    if (this.inMemoryBytes === undefined) return;
    this.file.close();
    this.file = this.openCopy(false);
    this.inMemoryBytes = undefined;
  }

  /**
   * A group and a dataset per call: libhdf5 writes them faster from a small metadata cache
   * (5000 tiny calls: 151 → 121 ms end to end, median of 15 interleaved runs).
   */
  private openCopy(inMemory: boolean): H5File {
    const h5 = hdf5();
    return h5.H5File.open(this.workPath, { write: true, inMemory, metadataCacheBytes: h5.SMALL_METADATA_CACHE_BYTES });
  }

  /** Whether the copy is still held in memory (see IN_MEMORY_LIMIT_BYTES). */
  get inMemory(): boolean {
    return this.inMemoryBytes !== undefined;
  }

  /**
   * Writes the stacked value (result_0 or a stacked key) of calls firstTaskID … firstTaskID +
   * nCalls - 1 (each of shape `slot`, validated against resultShape by the call runner) into
   * their slots of `stack`: one hyperslab, growing an unlimited dim exactly. `data` holds them
   * back to back, which is the block's layout only when the stacking dim is the first.
   */
  private writeSlots(stack: StackPlan, firstTaskID: number, nCalls: number, slot: number[], data: unknown): void {
    const { shape, stackingDim, unlimitedDim, name } = stack;
    const start: number[] = [];
    const count: number[] = [];
    let s = 0;
    for (let dim = 0; dim < shape.length; dim++) {
      if (dim === stackingDim) {
        start.push(firstTaskID);
        count.push(nCalls);
      } else {
        start.push(0);
        count.push(slot[s++]!);
      }
    }
    if (unlimitedDim !== undefined) {
      let extent = this.currentExtents.get(name) ?? this.file.info(name).shape;
      const needed = count[unlimitedDim]!;
      if (needed > extent[unlimitedDim]!) {
        extent = extent.slice();
        extent[unlimitedDim] = needed;
        this.file.resize(name, extent);
      }
      this.currentExtents.set(name, extent);
    }
    this.file.write(name, data as never, { start, count });
    this.slotsWritten.get(name)?.fill(1, firstTaskID, firstTaskID + nCalls);
  }

  /**
   * Writes the fill value (layout.ts's missingFillValue) into the slots of the stacks this writer
   * allocated that it did not write: libhdf5 left them unfilled (neverFill). A stack never
   * allocated reads as its fill value anyway.
   */
  private fillUnwrittenSlots(): void {
    for (const [name, written] of this.slotsWritten) {
      if (!written.includes(0) || this.file.rawDataOffset(name) === undefined) continue;
      const stack = this.stacks.get(name)!;
      const slotLength = stack.shape.reduce((a, b) => a * b, 1) / stack.shape[stack.stackingDim]!;
      const slotBytes = slotLength * allocateTypedArray(stack.dtype, 1).byteLength;
      const perWrite = Math.max(1, Math.floor(FILL_WRITE_BYTES / slotBytes));
      const slot = stack.shape.filter((_, dim) => dim !== stack.stackingDim);
      for (let i = 0; i < written.length;) {
        if (written[i] === 1) {
          i++;
          continue;
        }
        let n = 1;
        while (i + n < written.length && written[i + n] === 0 && n < perWrite) n++;
        const fill = allocateTypedArray(stack.dtype, n * slotLength);
        if (Number.isNaN(missingFillValue(stack.dtype))) fill.fill(Number.NaN as never);
        this.writeSlots(stack, i, n, slot, fill);
        i += n;
      }
    }
  }

  /**
   * Writes packed calls (call k → `comp_<taskIDs[k]>`; with resultShape, each stacked column into
   * slot taskIDs[k] and any further datasets into comp_<taskIDs[k]>) in one native call per
   * stretch of calls libhdf5 takes. Returns the calls it refused, by index k, with why.
   */
  writeRows(taskIDs: ArrayLike<number>, packed: PackedCalls): Map<number, Error> {
    const n = packed.count;
    let columns = packed.columns;
    if (this.stacks.size > 0) {
      const slots = columns.filter((c) => this.stacks.has(c.name));
      columns = columns.filter((c) => !this.stacks.has(c.name));
      try {
        for (const column of slots) this.writeSlotRuns(this.stacks.get(column.name)!, taskIDs, n, column);
      } catch {
        // Call by call, to fail only the calls libhdf5 refuses (slots written again are the same).
        const refused = new Map<number, Error>();
        for (let k = 0; k < n; k++) {
          try {
            this.write(taskIDs[k]!, unpackCall(packed, k));
          } catch (err) {
            refused.set(k, err as Error);
          }
        }
        return refused;
      }
    }
    // Named comp_<taskID> by the addon: a JS string per group cost 0.3 µs a call.
    const numbers = (taskIDs instanceof Float64Array ? taskIDs : Float64Array.from(taskIDs)).subarray(0, n);
    // A re-run replaces whatever an interrupted attempt left of these calls.
    if (this.existingGroups.size > 0) {
      for (let k = 0; k < n; k++) if (this.existingGroups.delete(`comp_${numbers[k]}`)) this.file.remove(`comp_${numbers[k]}`);
    }
    const refused = new Map<number, Error>();
    for (let from = 0; from < n && columns.length > 0;) {
      const stretch = from === 0 ? columns : columns.map((c) => ({ ...c, data: c.data.subarray((from * c.data.length) / n) }));
      try {
        this.file.writeRows({ prefix: 'comp_', numbers: from === 0 ? numbers : numbers.subarray(from) }, stretch as never);
        break;
      } catch (err) {
        // Hdf5RowError: the stretch stopped at call `row`; anything else refused all of it.
        const row = (err as { row?: unknown }).row;
        const upTo = typeof row === 'number' ? from + row + 1 : n;
        for (let k = typeof row === 'number' ? from + row : from; k < upTo; k++) refused.set(k, err as Error);
        from = upTo;
      }
    }
    if (this.journal) {
      if (refused.size === 0) this.journal.addPacked(taskIDs, packed);
      else for (let k = 0; k < n; k++) if (!refused.has(k)) this.journal.add(taskIDs[k]!, unpackCall(packed, k));
    }
    // A group per call, unless resultShape took all the calls' datasets.
    let bytes = columns.length > 0 ? n * GROUP_BYTES : 0;
    for (const c of packed.columns) bytes += c.data.byteLength;
    this.grew(bytes);
    return refused;
  }

  /** resultShape: the packed calls' values of one stack, one hyperslab per run of consecutive taskIDs. */
  private writeSlotRuns(stack: StackPlan, taskIDs: ArrayLike<number>, n: number, slots: PackedCalls['columns'][number]): void {
    const rowLength = slots.data.length / n;
    for (let k = 0; k < n;) {
      let m = 1;
      // Back to back in memory is the block's layout only when the stacking dim is the first.
      if (stack.stackingDim === 0) while (k + m < n && taskIDs[k + m] === taskIDs[k]! + m) m++;
      this.writeSlots(stack, taskIDs[k]!, m, slots.shape, slots.data.subarray(k * rowLength, (k + m) * rowLength));
      k += m;
    }
  }

  /** Appends the journal's buffered calls: before any status record says they are done. */
  flushJournal(): void {
    this.journal?.flush();
  }

  /**
   * Closes the copy and puts it in the container's place. The journal stays until the status
   * records of its calls are written (then discardJournal).
   */
  close(): void {
    // The copy is closed whatever failed before (a full disk failing the journal): an HDF5 file
    // left open is flushed by libhdf5 at exit, which crashed the process.
    let failure: unknown;
    try {
      this.journal?.flush();
    } catch (err) {
      failure = err;
    }
    try {
      this.fillUnwrittenSlots();
      // Reserved datasets nobody wrote into: their space is freed (and the file cut where they end it).
      if (this.copySlots && this.file.exists(RESERVED_GROUP)) this.file.remove(RESERVED_GROUP);
    } catch (err) {
      failure ??= err;
    }
    try {
      this.file.close();
    } catch (err) {
      failure ??= err;
    }
    // The container stays as the last complete attempt left it; what the journal holds is replayed.
    if (failure !== undefined) throw failure;
    // Not renamed over the container: ext4 then writes the whole copy back first (auto_da_alloc;
    // 0.63 s of a 2.7 s run of 200 × 8 MB). The container steps aside meanwhile; a client that
    // dies in between leaves the copy to take its place at the next start (restoreReplacedContainer).
    const aside = replacedContainerPath(this.containerPath, this.workPath);
    const stepped = existsSync(this.containerPath);
    if (stepped) renameSync(this.containerPath, aside);
    renameSync(this.workPath, this.containerPath);
    if (stepped) unlinkSync(aside);
  }

  discardJournal(): void {
    this.journal?.discard();
  }
}

/**
 * singleFile mode, before a run: what clients that died mid-run had stored (their journals)
 * goes into the container, with a status record per call, so it is not computed again.
 * Returns the number of calls recovered. Throws if another living client writes the run.
 */
export function recoverSingleFileRun(layout: RunLayout, statusLog: StatusLog): number {
  const containerPath = layout.containerPath!;
  // Living clients first: their journals are not left over. The copies of dead ones stay until
  // their journals are replayed: those name large datasets by where they lie in a copy.
  const deadCopies = deadWritersCopies(containerPath);
  const journals = leftoverJournals(layout.outputDir!);
  let recovered = 0;
  if (journals.length > 0) {
    let writer: SingleFileWriter | undefined;
    try {
      // Call by call, with a status record each: a journal may be larger than memory.
      const at = new Date().toISOString();
      for (const journal of journals) {
        for (const call of readJournal(journal)) {
          const datasets = journaledData(containerPath, call, layout.stacks);
          if ('lost' in datasets) {
            // Should not happen (see DataInCopy); the call is computed again rather than claimed.
            const message = `the result stored by an interrupted client could not be recovered: ${datasets.lost}`;
            statusLog.record({ taskID: call.taskID, state: 'failed', at, reason: 'unknown', error: { name: 'AcmeError', message } });
            continue;
          }
          // A copy of its own: a dead client of the same pid (a container's pid 1) named its copy as this client would.
          writer ??= new SingleFileWriter(containerPath, layout.stacks, undefined, { workPath: `${workingCopyPath(containerPath)}-recovery` });
          writer.write(call.taskID, datasets);
          statusLog.record({ taskID: call.taskID, state: 'done', at, stored: 'hdf5', names: datasets.map((d) => d.name) });
          recovered++;
        }
      }
    } finally {
      writer?.close();
    }
    // Records may reach the file before the copy replaces the container: the journals, removed
    // only after both, are replayed again if this client dies in between.
    statusLog.flush();
    for (const journal of journals) unlinkSync(journal);
  }
  for (const copy of deadCopies) rmSync(copy, { force: true });
  return recovered;
}

/**
 * A journaled call's datasets with their bytes, read from the dead client's copy where the
 * journal holds only their place. A copy that is gone replaced the container when its client
 * closed it (it died before removing its journal): the container holds the call then.
 */
function journaledData(containerPath: string, call: JournaledCall, stacks: readonly StackPlan[]): EncodedDataset[] | { lost: string } {
  if (!call.datasets.some((d) => isDataInCopy(d.data))) return call.datasets as EncodedDataset[];
  const datasets: EncodedDataset[] = [];
  for (const d of call.datasets) {
    if (!isDataInCopy(d.data)) {
      datasets.push(d as EncodedDataset);
      continue;
    }
    let data = readDataInCopy(dirname(containerPath), d.data);
    // A slot of a stacked dataset (stacking dim first: see slotReference), or comp_i's dataset.
    const where = stacks.some((stack) => stack.name === d.name)
      ? { path: d.name, start: [call.taskID, ...d.shape.map(() => 0)], count: [1, ...d.shape] }
      : { path: `comp_${call.taskID}/${d.name}` };
    if ('missing' in data) data = containerData(containerPath, where, d) ?? data;
    if ('missing' in data) return { lost: `${data.missing}, and the container holds no ${where.path} of its dtype and shape for call ${call.taskID}` };
    datasets.push({ ...d, data: data as EncodedDataset['data'] });
  }
  return datasets;
}

/** The data at `where` in the container when it has `d`'s dtype and as many elements in its shape. */
function containerData(containerPath: string, where: { path: string; start?: number[]; count?: number[] }, d: JournaledDataset): ArrayBufferView | undefined {
  const file = hdf5().H5File.open(containerPath);
  try {
    if (!file.exists(where.path)) return undefined;
    const got = where.start ? file.read(where.path, { start: where.start, count: where.count! }) : file.read(where.path);
    const expected = where.count ?? d.shape;
    return got.dtype === d.dtype && fitsSlot(got.shape, expected) && ArrayBuffer.isView(got.data) ? got.data : undefined;
  } catch {
    return undefined; // e.g. a stacked dataset of another shape
  } finally {
    file.close();
  }
}

/** Whether `d`'s bytes are journaled by reference (see BY_REFERENCE_MIN_BYTES). */
function isByReference(d: EncodedDataset): boolean {
  return ArrayBuffer.isView(d.data) && d.data.byteLength >= BY_REFERENCE_MIN_BYTES && hasFileLayout(d);
}

/**
 * The copies of clients that died while writing (see editCopy and SingleFileWriter). A living
 * client keeps its copy open, and libhdf5's lock on it (flock, across hosts where the file
 * system has locks) makes the run busy. Opened read-only: libhdf5 would cut a dead writer's copy
 * at its stale end-of-file address when closing it after writing, and the raw data past it
 * are what its journal names.
 */
function deadWritersCopies(containerPath: string): string[] {
  const prefix = workingCopyPrefix(basename(containerPath));
  const dir = dirname(containerPath);
  const dead: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith(prefix)) continue;
    const copy = join(dir, entry);
    try {
      hdf5().H5File.open(copy).close();
    } catch (err) {
      // Anything but a lock (e.g. a copy a crash left unreadable) is a dead writer's.
      if (/unable to lock the file/i.test((err as Error).message)) {
        throw new AcmeError(
          'ERR_ACME_RUN_BUSY',
          `another acme-ts client is still writing the run in ${dirname(containerPath)} (it holds ${copy} open); wait until it ends, or stop it, then run again`,
        );
      }
    }
    dead.push(copy);
  }
  return dead;
}

/**
 * After the calls: the further return values (or unstacked keys) of resultShape runs become
 * comp_i/<name> links
 * (ACME's layout), and calls whose value had to be serialized lose their comp_i link, so the
 * container never holds a link to a file that does not exist.
 */
export function finishContainer(
  layout: RunLayout,
  stored: ReadonlyMap<number, { stored: 'hdf5' | 'serialized'; names?: string[] }>,
  /** The container's virtual datasets map every call now (a fresh skeleton, or an earlier attempt that stored all). */
  mapsEveryCall: boolean,
): void {
  if (!layout.containerPath || layout.singleFile) return;
  editCopy(layout.containerPath, (file) => {
    // The skeleton's virtual dataset maps every call's payload file (ACME's, so a run's container
    // reads what exists while it runs); once the calls settled, it maps only stored results.
    // (Whether it does is told, not read: listing 5000 mappings back costs libhdf5 0.2 s.)
    for (const vds of layout.container?.virtualDatasets ?? []) {
      const mappings = vds.spec.mappings.filter((_, taskID) => stored.get(taskID)?.stored === 'hdf5');
      if (mappings.length === vds.spec.mappings.length && mapsEveryCall) continue;
      // No mapping at all: libhdf5 makes a plain dataset of fill values.
      file.remove(vds.path);
      file.createVirtualDataset(vds.path, { ...vds.spec, mappings });
    }
    for (let taskID = 0; taskID < layout.nInputs; taskID++) {
      const call = stored.get(taskID);
      const group = `comp_${taskID}`;
      if (!call || call.stored !== 'hdf5') {
        // No HDF5 result (failed, aborted, not run yet, or serialized): no link that would dangle.
        if (file.exists(group)) file.remove(group);
        continue;
      }
      const names = call.names ?? (layout.stacked ? datasetNames(layout.payloadPath(taskID)) : []);
      for (const link of layout.callLinks(taskID, names)) {
        if (!file.exists(link.path)) file.createExternalLink(link.path, link.file, link.object);
      }
    }
  });
}

function datasetNames(payloadPath: string): string[] {
  const payload = hdf5().H5File.open(payloadPath);
  try {
    return payload.list('/').map((e) => e.name);
  } finally {
    payload.close();
  }
}
