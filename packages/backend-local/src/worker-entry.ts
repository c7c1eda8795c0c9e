// Which file a worker thread starts from (see scripts/bundle-worker.js).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const chosen = new Map<string, string>();

/**
 * `worker-bundle.js` (the thread's modules in one file, ≈ 3 ms faster to start) while every file
 * it was made from is unchanged since, else `worker.js`: a `tsc -b` after the bundle never runs
 * stale code, it only starts slower. Decided once per folder and process.
 */
export function workerEntry(distDir: string = __dirname): string {
  let entry = chosen.get(distDir);
  if (entry === undefined) {
    entry = join(distDir, isBundleCurrent(distDir) ? 'worker-bundle.js' : 'worker.js');
    chosen.set(distDir, entry);
  }
  return entry;
}

function isBundleCurrent(distDir: string): boolean {
  try {
    const { files } = JSON.parse(readFileSync(join(distDir, 'worker-bundle.json'), 'utf8')) as { files: [string, number, number][] };
    statSync(join(distDir, 'worker-bundle.js'));
    return files.every(([file, size, mtimeMs]) => {
      const now = statSync(join(distDir, file));
      return now.size === size && now.mtimeMs === mtimeMs;
    });
  } catch {
    return false; // no bundle (only `tsc -b` ran), or a file it was made from is gone
  }
}
