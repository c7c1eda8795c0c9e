// `files:PATTERN` inputs: the files a glob pattern matches, sorted, as absolute paths — one call
// per file is the most common sweep there is. Node 20 has no fs.glob, and the shell leaves a
// word like `files:data/*.txt` alone (no file has that name), so the CLI expands it itself.
import { readdirSync, type Dirent } from 'node:fs';
import * as path from 'node:path';

/** One path segment's pattern as a regular expression: `*`, `?` and `[...]` as in the shell. */
function segmentPattern(segment: string): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end < 0) source += '\\[';
      else {
        const body = segment.slice(i + 1, end);
        source += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function hasWildcard(segment: string): boolean {
  return /[*?[]/.test(segment);
}

function entries(dir: string): Dirent[] {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/**
 * The regular files `pattern` matches (relative to `cwd`), absolute and sorted. Segments may use
 * `*`, `?`, `[abc]`, `[!abc]`; `**` matches any number of folders. Hidden files match only a
 * pattern that starts with a dot, as in the shell.
 */
export function matchFiles(pattern: string, cwd: string): string[] {
  const absolute = path.resolve(cwd, pattern);
  const { root } = path.parse(absolute);
  const segments = absolute
    .slice(root.length)
    .split(path.sep)
    .filter((s) => s !== '');
  const found: string[] = [];
  const walk = (dir: string, index: number): void => {
    if (index === segments.length) return;
    const segment = segments[index]!;
    const last = index === segments.length - 1;
    if (segment === '**') {
      walk(dir, index + 1);
      for (const entry of entries(dir)) if (entry.isDirectory() && !entry.name.startsWith('.')) walk(path.join(dir, entry.name), index);
      return;
    }
    if (!hasWildcard(segment)) {
      const next = path.join(dir, segment);
      if (!last) return walk(next, index + 1);
      const entry = entries(dir).find((e) => e.name === segment);
      if (entry && (entry.isFile() || entry.isSymbolicLink())) found.push(next);
      return;
    }
    const matcher = segmentPattern(segment);
    for (const entry of entries(dir)) {
      if (entry.name.startsWith('.') && !segment.startsWith('.')) continue;
      if (!matcher.test(entry.name)) continue;
      const next = path.join(dir, entry.name);
      if (!last) {
        if (entry.isDirectory()) walk(next, index + 1);
      } else if (entry.isFile() || entry.isSymbolicLink()) found.push(next);
    }
  };
  walk(root, 0);
  // `**` can reach a file twice (a/**/b/*.txt); byte order is the same on every machine.
  return [...new Set(found)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
