// close() must keep the process alive until its workers have exited. A worker being
// terminated was once unref'd again by a late reply, so `await pool.close()` could let the
// event loop end: the process exited with code 0 in the middle of a script (about one close in
// 30). The race is timing-dependent, so this runs many closes in one child process: with the
// bug it fails in most runs, without it never.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

const LOOP = path.join(__dirname, '__fixtures__', 'close-loop.js');

test('a script that awaits close() 100 times runs to its end', () => {
  const out = execFileSync(process.execPath, [LOOP, '100'], { encoding: 'utf8', timeout: 60_000 });
  expect(out).toBe('closed 100\n');
});

test('workers started ahead of a run that never comes let the process end', () => {
  // comlink's message listener used to ref the worker again after the pool had unref'd it: a
  // ParallelMap whose compute() failed before its run (prepare() had started the workers) kept
  // node running until close().
  const out = execFileSync(process.execPath, [path.join(__dirname, '__fixtures__', 'idle-start.js')], { encoding: 'utf8', timeout: 20_000 });
  expect(out).toBe('started\n');
});
