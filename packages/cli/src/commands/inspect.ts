// `acme-ts inspect <file.h5>`: the tree of any HDF5 file, drawn as the seed document draws an
// ACME container (comp_0 └─ result_0 …), with dtypes, shapes, and where links and virtual
// datasets point and whether that exists.

import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { H5File } from '@acme-ts/hdf5-native';
import { FileFormatError, UsageError } from '../errors';
import { describeFile, formatShape, type TreeNode } from '../h5-tree';
import { colorsFor, type CliIO, type Colors } from '../io';

export interface InspectArgs {
  file: string;
  json?: boolean;
  all?: boolean;
}

export function openExisting(file: string, what: string): H5File {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) throw new UsageError(`${absolute} does not exist; pass ${what}`, '<file>');
  try {
    return H5File.open(absolute);
  } catch (error) {
    throw new FileFormatError(absolute, `${absolute} cannot be opened as an HDF5 file (${(error as Error).message.split('\n')[0]})`, { cause: error });
  }
}

export function inspectCommand(argv: InspectArgs, io: CliIO): number {
  using file = openExisting(argv.file, 'an HDF5 file, e.g. the container acme-ts run printed');
  const tree = describeFile(file, { all: argv.all === true });
  tree.name = file.path;
  if (argv.json) {
    io.stdout.write(`${JSON.stringify(tree, null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [tree.name];
  renderChildren(tree, '', lines, colorsFor(io.stdout, io.env));
  const problems = countProblems(tree);
  if (problems > 0) lines.push(`${problems} link or source target${problems === 1 ? '' : 's'} missing`);
  io.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function renderChildren(node: TreeNode, indent: string, lines: string[], c: Colors): void {
  const children = node.children ?? [];
  // A shortened group shows its omitted middle as one line between the two ends.
  const half = node.omitted ? Math.ceil(children.length / 2) : -1;
  const rows: (TreeNode | 'omitted')[] = node.omitted ? [...children.slice(0, half), 'omitted', ...children.slice(half)] : children;
  rows.forEach((row, index) => {
    const last = index === rows.length - 1;
    const branch = last ? '└─ ' : '├─ ';
    if (row === 'omitted') {
      const o = node.omitted!;
      const missing = o.missingTargets > 0 ? c.red(`, ${o.missingTargets} with missing target files`) : '';
      lines.push(`${indent}${branch}${c.dim(`… ${o.count} more (${o.first} … ${o.last})`)}${missing}${c.dim('; --all shows them')}`);
      return;
    }
    lines.push(`${indent}${branch}${describeLine(row, c)}`);
    for (const source of sourceLines(row, c)) lines.push(`${indent}${last ? '   ' : '│  '}   ${source}`);
    if (row.children) renderChildren(row, indent + (last ? '   ' : '│  '), lines, c);
  });
}

function describeLine(node: TreeNode, c: Colors): string {
  const parts: string[] = [node.name];
  if (node.link) {
    const target = node.link.file !== undefined ? `${node.link.file}:${node.link.path}` : node.link.path;
    const kind = node.kind === 'external-link' ? 'external link' : 'soft link';
    parts.push(`→ ${target}`, node.link.exists ? c.green('(exists)') : c.red('(MISSING)'), c.dim(kind));
  }
  if (node.dtype !== undefined) {
    parts.push(node.dtype, formatShape(node.shape ?? []));
    if (node.maxshape) parts.push(c.dim(`maxshape ${formatShape(node.maxshape)}`));
    if (node.layout === 'virtual') parts.push(c.dim('virtual'));
  }
  if (node.error && !(node.link && !node.link.exists)) parts.push(c.red(`(${node.error})`));
  return parts.join('  ');
}

/** Sources of a virtual dataset: all when few, else the first ones and a count. */
function sourceLines(node: TreeNode, c: Colors): string[] {
  const sources = node.virtualSources;
  if (!sources || sources.length === 0) return [];
  const missing = sources.filter((s) => !s.exists);
  const head = `${sources.length} source${sources.length === 1 ? '' : 's'}, ${missing.length > 0 ? c.red(`${missing.length} missing`) : c.green('all exist')}`;
  const shown = sources.length <= 6 ? sources : [...missing.slice(0, 3), ...sources.filter((s) => s.exists).slice(0, 3 - Math.min(3, missing.length))];
  const lines = [c.dim(head)];
  for (const s of shown) lines.push(`${s.file}:${s.dataset}  ${s.exists ? c.green('(exists)') : c.red('(MISSING)')}`);
  if (shown.length < sources.length) lines.push(c.dim(`… ${sources.length - shown.length} more (--json lists all)`));
  return lines;
}

function countProblems(node: TreeNode): number {
  let n = (node.link && !node.link.exists ? 1 : 0) + (node.virtualSources?.filter((s) => !s.exists).length ?? 0) + (node.omitted?.missingTargets ?? 0);
  for (const child of node.children ?? []) n += countProblems(child);
  return n;
}
