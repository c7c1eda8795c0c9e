// Which file a worker thread starts from (see scripts/bundle-worker.js).
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';

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
 * A file the manifest names: relative to `distDir`, or `<package>#<path>` inside the package
 * found as require finds it from `distDir` (the first node_modules/<package> up, symlinks
 * resolved). The bundle resolves its files by the same rule, in the thread.
 */
export function bundledFilePath(distDir: string, name: string): string {
  const hash = name.indexOf('#');
  if (hash < 0) return join(distDir, name);
  const pkg = name.slice(0, hash);
  const dir = (Module as unknown as { _nodeModulePaths(from: string): string[] })
    ._nodeModulePaths(distDir)
    .find((d) => existsSync(join(d, pkg, 'package.json')));
  if (dir === undefined) throw new Error(`${pkg} is not installed`);
  return join(realpathSync(join(dir, pkg)), name.slice(hash + 1));
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
