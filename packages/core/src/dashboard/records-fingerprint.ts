// A cheap token that changes whenever the run folder's records may have: the sizes and times
// of the status files, client.json, live.json, the manifest and the journal, and the times of
// the folders results are linked into. A page left open on a large run then costs a few stat
// calls a second instead of re-reading every status line.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { clientLockPath, journalDir, manifestPath, statusDir } from '../run-folder';
import { livePath } from './live-tracker';

function stamp(path: string): string {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '-';
  }
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

export function recordsFingerprint(outputDir: string): string {
  const parts = [stamp(outputDir)];
  for (const path of [manifestPath(outputDir), clientLockPath(outputDir), livePath(outputDir), journalDir(outputDir)]) parts.push(stamp(path));
  const status = statusDir(outputDir);
  for (const name of entries(status)) parts.push(name, stamp(join(status, name)));
  // Payload folders (`<f>_payload`): a result file linked in changes the folder's time.
  for (const name of entries(outputDir)) if (name.endsWith('_payload')) parts.push(name, stamp(join(outputDir, name)));
  return parts.join('|');
}
