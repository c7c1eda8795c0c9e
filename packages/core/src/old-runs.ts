// ACME's clean-up of automatic run folders (cleanup_threshold_days): automatic folders pile up
// beside the user's scripts. Only folders named exactly like automatic ones are touched.

import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AUTO_FOLDER_NAME } from './run-folder';

/** ACME warns when more than this many automatic folders have accumulated. */
export const OLD_RUNS_WARNING_COUNT = 20;
const DAY_MS = 24 * 3600 * 1000;

export interface OldRunsReport {
  found: number;
  removed: string[];
  /** Folders that could not be removed, with why (a warning, not an error, as in ACME). */
  failed: { path: string; reason: string }[];
}

/**
 * Looks at the automatic run folders in `baseDir`; with a threshold, removes those whose last
 * change is more than `thresholdDays` days ago (0: all of them).
 */
export function cleanupOldRuns(baseDir: string, thresholdDays: number | undefined, now = Date.now()): OldRunsReport {
  let entries: string[];
  try {
    entries = readdirSync(baseDir).filter((name) => AUTO_FOLDER_NAME.test(name));
  } catch {
    return { found: 0, removed: [], failed: [] };
  }
  const report: OldRunsReport = { found: entries.length, removed: [], failed: [] };
  if (thresholdDays === undefined) return report;
  for (const name of entries) {
    const path = join(baseDir, name);
    try {
      const stat = statSync(path);
      if (!stat.isDirectory()) continue;
      if (thresholdDays > 0 && now - stat.mtimeMs <= thresholdDays * DAY_MS) continue;
      rmSync(path, { recursive: true, force: true });
      report.removed.push(path);
    } catch (err) {
      report.failed.push({ path, reason: (err as Error).message });
    }
  }
  return report;
}
