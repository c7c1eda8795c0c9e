// What determines a run's results, hashed into its manifest: the function (its source, or its
// module file's content) and the distributed arguments. A later compute() into the same folder
// compares them, so another run's numbers are never taken for this run's.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FunctionReference } from './function-ref';

export interface RunFingerprint {
  /** sha256 of the function's source, or of its module file and export name. */
  function: string;
  /** sha256 of the v8-serialized distributed arguments (split, broadcast and keyword). */
  arguments: string;
}

function sha256(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/**
 * The function's hash. A module function hashes its module file only: a change in a file it
 * imports is not seen (the README says so).
 */
export function functionFingerprint(func: FunctionReference): string {
  return func.kind === 'source' ? sha256('source\0', func.source) : sha256('module\0', func.exportName, '\0', readFileSync(func.module));
}

export function argumentsFingerprint(serializedArguments: Uint8Array): string {
  return sha256(serializedArguments);
}
