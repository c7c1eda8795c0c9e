// Shared set-up of the ParallelMap end-to-end tests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './h5';

/** The fixture module of test functions, as `${TASKS}#name`. */
export const TASKS = path.join(__dirname, '..', 'fixtures', 'tasks.js');

/** Two workers (the machine has two cores), console quiet but for warnings. */
export const quiet = { verbose: false, nWorkers: 2 } as const;

/** A temporary folder for the test file, made before its tests and removed after them. */
export function useWorkDir(label: string): () => string {
  let dir: string | undefined;
  beforeAll(() => {
    dir = tempDir(label);
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => dir!;
}
