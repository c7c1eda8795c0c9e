// Checks, before anything is created, that the folders and files a run will write can be made:
// a raw EISDIR or ENOTDIR from the middle of compute() names neither the option nor the fix, and
// leaves a half-made output folder behind.
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { OptionError } from './errors';

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** The closest path at or above `p` that exists, with its stats. */
function nearestExisting(p: string): { at: string; stats: Stats } {
  let at = p;
  for (;;) {
    const stats = statOrUndefined(at);
    if (stats) return { at, stats };
    const parent = path.dirname(at);
    if (parent === at) throw new OptionError('outputDir', `no folder above ${p} exists`);
    at = parent;
  }
}

function isWritable(p: string): boolean {
  try {
    accessSync(p, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `folder` (absolute) is a folder, or can be created with mkdir -p. */
export function checkCreatableFolder(option: string, folder: string): void {
  const { at, stats } = nearestExisting(folder);
  if (at === folder) {
    if (!stats.isDirectory()) throw new OptionError(option, `options.${option} ${folder} is a file, not a folder; choose a folder path`);
    return;
  }
  if (!stats.isDirectory()) {
    throw new OptionError(option, `options.${option} ${folder} cannot be created: ${at} is a file, not a folder; choose another path`);
  }
  if (!isWritable(at)) {
    throw new OptionError(option, `options.${option} ${folder} cannot be created: no permission to create folders in ${at}; choose another path`);
  }
}

/** `file` (absolute) can be appended to: not a folder, and its folder exists. */
export function checkWritableFile(option: string, file: string, example: string): void {
  const stats = statOrUndefined(file);
  if (stats?.isDirectory()) {
    throw new OptionError(option, `options.${option} ${file} is a folder, not a file; give a file path such as ${path.join(file, example)}`);
  }
  const folder = path.dirname(file);
  const folderStats = statOrUndefined(folder);
  if (!folderStats?.isDirectory()) {
    throw new OptionError(option, `options.${option} ${file} cannot be written: its folder ${folder} does not exist; create it or choose another path`);
  }
  if (!isWritable(stats ? file : folder)) {
    throw new OptionError(option, `options.${option} ${file} cannot be written: no permission; choose another path`);
  }
}
