// The runs a dashboard serves: the folder it was given, if it is a run, or the runs inside it
// (its subfolders, two levels deep: `runs/ACME_…`, `project/runs/…`). The page names a run by
// its id here, never by a path, so no request can reach a folder outside this list.

import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { hasManifest, readManifest } from '../run-store';

export interface CatalogEntry {
  /** The run's id in URLs: its path relative to the served folder ("." for the folder itself). */
  id: string;
  outputDir: string;
  function: string;
  nInputs: number;
  createdAt: string;
}

const MAX_DEPTH = 2;
const MAX_RUNS = 500;

export class RunCatalog {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Whether the served folder is itself one run. */
  get isSingleRun(): boolean {
    return hasManifest(this.root);
  }

  /** The runs, newest first (read anew each time: runs started later appear). */
  list(): CatalogEntry[] {
    const dirs: string[] = [];
    const visit = (dir: string, depth: number) => {
      if (dirs.length >= MAX_RUNS) return;
      if (hasManifest(dir)) {
        dirs.push(dir);
        return;
      }
      if (depth >= MAX_DEPTH) return;
      let names: string[];
      try {
        names = readdirSync(dir, { withFileTypes: true })
          .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
          .map((e) => e.name);
      } catch {
        return;
      }
      for (const name of names.sort()) visit(join(dir, name), depth + 1);
    };
    visit(this.root, 0);
    const entries: CatalogEntry[] = [];
    for (const outputDir of dirs) {
      try {
        const m = readManifest(outputDir);
        entries.push({ id: relative(this.root, outputDir) || '.', outputDir, function: m.funcName, nInputs: m.nInputs, createdAt: m.createdAt });
      } catch {
        // A manifest of another version, or one being written: not listed.
      }
    }
    return entries.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  /** The run with this id, if the catalog lists it. */
  find(id: string): CatalogEntry | undefined {
    return this.list().find((e) => e.id === id);
  }
}
