// What an HDF5 file holds, as a tree `inspect` prints and `--json` returns: groups, datasets
// (dtype, shape, layout), links with their targets, virtual datasets with their sources, and
// for each link or source whether its target exists. Relative targets are resolved against
// the folder of the file that holds them, as libhdf5 does when it follows them.

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { DatasetInfo, Dtype, H5File, NodeEntry } from '@acme-ts/hdf5-native';

const NATURAL = new Intl.Collator('en', { numeric: true });

export interface LinkTarget {
  /** The file name as stored in the link (absent for soft links). */
  file?: string;
  path: string;
  /** Absolute file the link resolves to (external links). */
  resolvedFile?: string;
  /** Whether the target file exists and holds the object (soft links: whether the path exists). */
  exists: boolean;
}

export interface VirtualSource {
  file: string;
  dataset: string;
  /** Absolute source file ("." is the file itself). */
  resolvedFile: string;
  exists: boolean;
}

export interface TreeNode {
  name: string;
  /** HDF5 path inside the inspected file, e.g. "/comp_0/result_0". */
  path: string;
  kind: 'group' | 'dataset' | 'external-link' | 'soft-link' | 'other';
  /** For links: the object found at the target ("group" or "dataset"), if it was reached. */
  targetKind?: 'group' | 'dataset';
  link?: LinkTarget;
  dtype?: string;
  shape?: number[];
  maxshape?: (number | null)[];
  layout?: DatasetInfo['layout'];
  virtualSources?: VirtualSource[];
  children?: TreeNode[];
  /** Children left out of a long group (see TreeOptions.all). */
  omitted?: OmittedChildren;
  /** Why this node could not be described (unsupported type, unreadable target, …). */
  error?: string;
}

export interface OmittedChildren {
  count: number;
  first: string;
  last: string;
  /** Omitted external links whose target file does not exist (checked for every one). */
  missingTargets: number;
}

export interface TreeOptions {
  /** Describe every child of long groups; default: the first and last few. */
  all?: boolean;
  /** A group with more children than this is shortened (default 12). */
  maxChildren?: number;
  /** Children shown at each end of a shortened group (default 3). */
  shownAtEachEnd?: number;
}

/** `float64`, `int32`, `string` (variable-length UTF-8), `S10` (fixed-length bytes). */
export function formatDtype(dtype: Dtype): string {
  return typeof dtype === 'string' ? dtype : `S${dtype.fixedString}`;
}

/** Python-style shape: `(10, 9)`, `(3,)`, `()`. */
export function formatShape(shape: readonly (number | null)[]): string {
  const items = shape.map((n) => (n === null ? 'None' : String(n)));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/** The tree of `file` from `groupPath` down; external links are followed into their targets. */
export function describeFile(file: H5File, options: TreeOptions = {}, groupPath = '/'): TreeNode {
  const root: TreeNode = { name: path.basename(file.path), path: groupPath, kind: 'group' };
  root.children = describeChildren(file, groupPath, options, root);
  return root;
}

function describeChildren(file: H5File, groupPath: string, options: TreeOptions, parent: TreeNode): TreeNode[] {
  // comp_2 before comp_10: files without tracked creation order list by plain name.
  const entries = file.list(groupPath).sort((a, b) => NATURAL.compare(a.name, b.name));
  const maxChildren = options.maxChildren ?? 12;
  const atEachEnd = options.shownAtEachEnd ?? 3;
  let shown = entries;
  if (!options.all && entries.length > maxChildren) {
    const omitted = entries.slice(atEachEnd, entries.length - atEachEnd);
    shown = [...entries.slice(0, atEachEnd), ...entries.slice(entries.length - atEachEnd)];
    parent.omitted = {
      count: omitted.length,
      first: omitted[0]!.name,
      last: omitted[omitted.length - 1]!.name,
      missingTargets: omitted.filter((e) => e.kind === 'external-link' && !existsSync(resolveTargetFile(file, e.target?.file ?? ''))).length,
    };
  }
  return shown.map((entry) => describeEntry(file, join(groupPath, entry.name), entry, options));
}

function describeEntry(file: H5File, objectPath: string, entry: NodeEntry, options: TreeOptions): TreeNode {
  const node: TreeNode = { name: entry.name, path: objectPath, kind: entry.kind };
  try {
    switch (entry.kind) {
      case 'group':
        node.children = describeChildren(file, objectPath, options, node);
        break;
      case 'dataset':
        Object.assign(node, describeDataset(file, objectPath));
        break;
      case 'soft-link': {
        const target = entry.target?.path ?? '';
        node.link = { path: target, exists: file.exists(target) };
        if (node.link.exists) reachTarget(file, objectPath, node, options);
        break;
      }
      case 'external-link': {
        const stored = entry.target?.file ?? '';
        const resolvedFile = resolveTargetFile(file, stored);
        node.link = { file: stored, path: entry.target?.path ?? '/', resolvedFile, exists: false };
        if (existsSync(resolvedFile)) reachTarget(file, objectPath, node, options);
        if (!node.link.exists && !node.error)
          node.error = existsSync(resolvedFile) ? `${node.link.path} not found in ${resolvedFile}` : `target file ${resolvedFile} does not exist`;
        break;
      }
    }
  } catch (error) {
    node.error = firstLine(error);
  }
  return node;
}

/** Follows a link (libhdf5 does the resolving) and describes what it points to. */
function reachTarget(file: H5File, objectPath: string, node: TreeNode, options: TreeOptions): void {
  try {
    node.children = describeChildren(file, objectPath, options, node);
    node.targetKind = 'group';
    node.link!.exists = true;
    return;
  } catch {
    // Not a group: a dataset, or an unreachable target (told apart below).
  }
  try {
    Object.assign(node, describeDataset(file, objectPath));
    node.targetKind = 'dataset';
    node.link!.exists = true;
  } catch (error) {
    node.error = firstLine(error);
  }
}

function describeDataset(file: H5File, objectPath: string): Partial<TreeNode> {
  const info = file.info(objectPath);
  const out: Partial<TreeNode> = { dtype: formatDtype(info.dtype), shape: info.shape, layout: info.layout };
  if (info.maxshape.some((m, i) => m !== info.shape[i])) out.maxshape = info.maxshape;
  if (info.virtualSources) {
    out.virtualSources = info.virtualSources.map((s) => {
      const resolvedFile = s.file === '.' ? file.path : resolveTargetFile(file, s.file);
      return { file: s.file, dataset: s.dataset, resolvedFile, exists: existsSync(resolvedFile) };
    });
  }
  return out;
}

/** A link's file name as libhdf5 resolves it: relative to the folder of the file holding it. */
export function resolveTargetFile(file: H5File, stored: string): string {
  return path.resolve(path.dirname(file.path), stored);
}

/** Up to `limit` dataset paths of a file (for "its datasets are …" messages). */
export function listDatasets(file: H5File, limit: number, groupPath = '/', out: string[] = []): string[] {
  for (const entry of file.list(groupPath)) {
    if (out.length >= limit) break;
    const full = join(groupPath, entry.name);
    if (entry.kind === 'dataset') out.push(full);
    else if (entry.kind === 'group') listDatasets(file, limit, full, out);
  }
  return out;
}

function join(groupPath: string, name: string): string {
  return groupPath.endsWith('/') ? `${groupPath}${name}` : `${groupPath}/${name}`;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
