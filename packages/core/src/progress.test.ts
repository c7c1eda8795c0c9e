import { PassThrough } from 'node:stream';
import { formatProgressLine, Progress } from './progress';

test('the progress line: percent, bar, counts, failures, elapsed < left, rate', () => {
  expect(formatProgressLine('randout', { done: 30, failed: 2, total: 64 }, 16, 10)).toBe(
    'randout:  50% |█████     | 32/64, 2 failed [00:16<00:16, 2.0 calls/s]',
  );
  expect(formatProgressLine('f', { done: 0, failed: 0, total: 10 }, 0, 4)).toBe('f:   0% |    | 0/10 [00:00<--:--, 0.0 calls/s]');
  expect(formatProgressLine('f', { done: 7200, failed: 0, total: 7200 }, 3723, 4)).toBe('f: 100% |████| 7200/7200 [1:02:03<00:00, 1.9 calls/s]');
});

test('not a TTY: plain lines at the interval, nothing redrawn; disabled: nothing at all', async () => {
  const stream = new PassThrough() as unknown as NodeJS.WriteStream;
  let written = '';
  (stream as unknown as PassThrough).on('data', (d) => (written += d));
  const progress = new Progress(4, { stream, intervalMs: 20, label: 'g' });
  progress.update(1, 0);
  // Until the second line (a loaded machine runs a 20 ms interval late, and only once per delay).
  for (const deadline = Date.now() + 10_000; written.split('\n').length < 3 && Date.now() < deadline;) {
    await new Promise((r) => setTimeout(r, 10));
  }
  progress.stop();
  const lines = written.split('\n').filter(Boolean);
  expect(lines.length).toBeGreaterThanOrEqual(2);
  expect(lines[0]).toMatch(/^g:  25% \|/);
  expect(written).not.toContain('\r');

  let silent = '';
  const quietStream = new PassThrough();
  quietStream.on('data', (d) => (silent += d));
  const off = new Progress(4, { stream: quietStream as unknown as NodeJS.WriteStream, intervalMs: 10, enabled: false });
  await new Promise((r) => setTimeout(r, 40));
  off.stop();
  expect(silent).toBe('');
});
