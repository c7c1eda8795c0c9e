// Which file a worker thread starts from (see scripts/bundle-worker.js).
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const chosen = new Map<string, string>();

/**
 * `worker-bundle.js` (the thread's modules in one file, ≈ 3 ms faster to start) while every file
 * it was made from is unchanged since (same size, and same date or content), else `worker.js`:
 * a `tsc -b` after the bundle never runs stale code, it only starts slower. Decided once per
 * folder and process.
 */
export function workerEntry(distDir: string = __dirname): string {
  let entry = chosen.get(distDir);
  if (entry === undefined) {
    entry = join(distDir, isBundleCurrent(distDir) ? 'worker-bundle.js' : 'worker.js');
    chosen.set(distDir, entry);
  }
  return entry;
}

/** The content hash the bundle's manifest records per file (scripts/bundle-worker.js). */
export function bundledFileHash(content: Buffer): string {
  // Required here: only an installed copy needs it, and node:crypto costs a process 1-2 ms.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:crypto') as typeof import('node:crypto')).createHash('sha1').update(content).digest('base64');
}

/**
 * A file the manifest names: relative to `distDir`, or `<package>#<path>` inside a package
 * resolved from `distDir` (wherever npm installed it). The bundle resolves its files alike.
 */
export function bundledFilePath(distDir: string, name: string): string {
  const hash = name.indexOf('#');
  if (hash < 0) return join(distDir, name);
  const manifest = createRequire(join(distDir, 'worker-entry.js')).resolve(`${name.slice(0, hash)}/package.json`);
  return join(dirname(manifest), name.slice(hash + 1));
}

function isBundleCurrent(distDir: string): boolean {
  try {
    const { files } = JSON.parse(readFileSync(join(distDir, 'worker-bundle.json'), 'utf8')) as { files: [string, number, number, string][] };
    statSync(join(distDir, 'worker-bundle.js'));
    return files.every(([file, size, mtimeMs, hash]) => {
      const path = bundledFilePath(distDir, file);
      const now = statSync(path);
      if (now.size !== size) return false;
      // Unchanged since the build (a clone). An install from a tarball gives every file a new
      // date: then the content decides (≈ 0.5 ms for all files, once per process).
      return now.mtimeMs === mtimeMs || bundledFileHash(readFileSync(path)) === hash;
    });
  } catch {
    return false; // no bundle (only `tsc -b` ran), or a file it was made from is gone
  }
}
