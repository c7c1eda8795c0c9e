// `acme-ts export <container.h5> <out.h5>`: a self-contained copy — what the seed document does
// with h5py's `copy(..., expand_external=True)` — so results can be mailed or archived without
// the payload folder. External links are followed and their targets copied in place; virtual
// datasets are read (libhdf5 assembles them) and written as regular datasets; names, dtypes,
// shapes and scalar attributes stay. The copy is written under a temporary name and renamed,
// so a failed export leaves no half file behind.

import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { H5File, elementBytes, type DatasetSpec, type Dtype } from '@acme-ts/hdf5-native';
import { FileFormatError, OutputExistsError } from '../errors';
import type { CliIO } from '../io';
import { openExisting } from './inspect';

export interface ExportArgs {
  source: string;
  target: string;
  force?: boolean;
  skipMissing?: boolean;
}

export interface ExportStats {
  datasets: number;
  /** Datasets and groups reached through external links. */
  expandedLinks: number;
  /** Virtual datasets written as regular ones. */
  virtualMadeRegular: number;
  /** Dangling links left out (only with --skip-missing). */
  skipped: string[];
  /** Other files the copy read from (external link targets, virtual dataset sources), absolute. */
  readFrom: Set<string>;
}

/** Bytes read and written at once; a bigger dataset is copied in slabs along its first axis. */
const SLAB_BYTES = 64 * 1024 * 1024;

export function exportCommand(argv: ExportArgs, io: CliIO): number {
  const target = path.resolve(argv.target);
  using source = openExisting(argv.source, 'the HDF5 file to export, e.g. a container acme-ts run printed');
  if (target === source.path) throw new OutputExistsError(target, `export would overwrite its own source ${target}; name another output file`);
  if (existsSync(target) && !argv.force) {
    throw new OutputExistsError(target, `${target} already exists; pass --force to replace it, or name another output file`);
  }
  const temporary = `${target}.tmp-${process.pid}`;
  const stats: ExportStats = { datasets: 0, expandedLinks: 0, virtualMadeRegular: 0, skipped: [], readFrom: new Set() };
  try {
    // A container's root may hold attributes over 64 KiB (its run's inputs): so may the copy's.
    const rootAttributes = Object.keys(source.getAttributes('/')).length > 0;
    using copy = H5File.create(temporary, { overwrite: true, largeRootAttributes: rootAttributes });
    copyAttributes(source, '/', copy, '/');
    copyGroup(source, '/', copy, '/', stats, argv.skipMissing === true);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  // --force onto a file the source links to (a call's payload file) would destroy that call's
  // result while the run's records still call it done.
  if (stats.readFrom.has(target)) {
    rmSync(temporary, { force: true });
    throw new OutputExistsError(
      target,
      `${target} holds results ${source.path} links to; exporting onto it would destroy them (even with --force): name another output file`,
    );
  }
  renameSync(temporary, target);
  const megabytes = (statSync(target).size / 1e6).toFixed(1);
  const parts = [`${stats.datasets} datasets`];
  if (stats.expandedLinks > 0) parts.push(`${stats.expandedLinks} external links expanded`);
  if (stats.virtualMadeRegular > 0) parts.push(`${stats.virtualMadeRegular} virtual datasets made regular`);
  io.stdout.write(`exported ${source.path} → ${target} (${parts.join(', ')}; ${megabytes} MB)\n`);
  for (const name of stats.skipped) io.stderr.write(`warning: left out ${name}: its link target is missing\n`);
  return 0;
}

function join(group: string, name: string): string {
  return group.endsWith('/') ? `${group}${name}` : `${group}/${name}`;
}

function copyGroup(source: H5File, from: string, copy: H5File, to: string, stats: ExportStats, skipMissing: boolean): void {
  for (const entry of source.list(from)) {
    const sourcePath = join(from, entry.name);
    const copyPath = join(to, entry.name);
    switch (entry.kind) {
      case 'group':
        copy.createGroup(copyPath);
        copyAttributes(source, sourcePath, copy, copyPath);
        copyGroup(source, sourcePath, copy, copyPath, stats, skipMissing);
        break;
      case 'dataset':
        copyDataset(source, sourcePath, copy, copyPath, stats);
        break;
      case 'soft-link':
        // Inside the file, so the copy stays self-contained (h5py's copy keeps soft links too).
        copy.createSoftLink(copyPath, entry.target?.path ?? '/');
        break;
      case 'external-link':
        copyLinkTarget(source, sourcePath, copy, copyPath, entry.target ?? { path: '/' }, stats, skipMissing);
        break;
      default:
        throw new FileFormatError(source.path, `${sourcePath} in ${source.path} is neither a group, a dataset nor a link; export cannot copy it`);
    }
  }
}

function copyLinkTarget(
  source: H5File,
  sourcePath: string,
  copy: H5File,
  copyPath: string,
  target: { file?: string; path: string },
  stats: ExportStats,
  skipMissing: boolean,
): void {
  let isGroup = false;
  try {
    source.list(sourcePath);
    isGroup = true;
  } catch {
    // Not a group: a dataset, or a dangling link (told apart below).
  }
  if (target.file) stats.readFrom.add(linkedFile(source, target.file));
  if (isGroup) {
    stats.expandedLinks++;
    copy.createGroup(copyPath);
    copyAttributes(source, sourcePath, copy, copyPath);
    copyGroup(source, sourcePath, copy, copyPath, stats, skipMissing);
    return;
  }
  try {
    source.info(sourcePath);
  } catch {
    const file = linkedFile(source, target.file ?? '');
    if (skipMissing) {
      stats.skipped.push(sourcePath);
      return;
    }
    throw new FileFormatError(
      source.path,
      `${sourcePath} links to ${target.file}:${target.path}, which ${existsSync(file) ? `is not in ${file}` : `cannot be read (${file} does not exist)`}; restore it, or pass --skip-missing to export without it`,
    );
  }
  stats.expandedLinks++;
  copyDataset(source, sourcePath, copy, copyPath, stats);
}

/** A file a link or virtual dataset of `source` names, as an absolute path. */
function linkedFile(source: H5File, file: string): string {
  return path.resolve(path.dirname(source.path), file);
}

function copyDataset(source: H5File, from: string, copy: H5File, to: string, stats: ExportStats): void {
  let info;
  try {
    info = source.info(from);
  } catch (error) {
    throw new FileFormatError(
      source.path,
      `${from} in ${source.path} cannot be read (${(error as Error).message.split('\n')[0]}); export copies numeric, bool and string datasets`,
      { cause: error },
    );
  }
  const spec: DatasetSpec = { dtype: info.dtype, shape: info.shape };
  // A regular dataset keeps an unlimited dimension; a virtual one becomes a plain array.
  if (info.layout !== 'virtual' && info.maxshape.some((m) => m === null)) spec.maxshape = info.maxshape;
  copy.createDataset(to, spec);
  if (info.layout === 'virtual') stats.virtualMadeRegular++;
  for (const { file } of info.virtualSources ?? []) if (file !== '.') stats.readFrom.add(linkedFile(source, file));
  stats.datasets++;
  copyValues(source, from, copy, to, info.dtype, info.shape);
  copyAttributes(source, from, copy, to);
}

function copyValues(source: H5File, from: string, copy: H5File, to: string, dtype: Dtype, shape: number[]): void {
  if (shape.some((n) => n === 0)) return;
  if (shape.length === 0) {
    copy.write(to, source.read(from).data);
    return;
  }
  const rowElements = shape.slice(1).reduce((a, b) => a * b, 1);
  // Variable-length strings count as their descriptors: a guess, only used to size slabs.
  const rowsPerSlab = Math.max(1, Math.floor(SLAB_BYTES / Math.max(1, rowElements * elementBytes(dtype))));
  const rows = shape[0]!;
  if (rowsPerSlab >= rows) {
    copy.write(to, source.read(from).data);
    return;
  }
  for (let start = 0; start < rows; start += rowsPerSlab) {
    const count = [Math.min(rowsPerSlab, rows - start), ...shape.slice(1)];
    const selection = { start: [start, ...shape.slice(1).map(() => 0)], count };
    copy.write(to, source.read(from, selection).data, selection);
  }
}

function copyAttributes(source: H5File, from: string, copy: H5File, to: string): void {
  for (const [name, value] of Object.entries(source.getAttributes(from))) copy.setAttribute(to, name, value);
}
