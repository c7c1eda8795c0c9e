import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { journalDir, leftoverJournals, readJournal, ResultJournal } from './result-journal';

let outputDir: string;
beforeEach(() => {
  outputDir = mkdtempSync(join(tmpdir(), 'acme-journal-'));
});
afterEach(() => rmSync(outputDir, { recursive: true, force: true }));

const call = (taskID: number) => ({ taskID, datasets: [{ name: 'result_0', dtype: 'float64' as const, shape: [2], data: new Float64Array([taskID, -taskID]) }] });

test('frames round-trip with their typed arrays; nothing is written before flush', () => {
  const journal = new ResultJournal(outputDir);
  journal.add(0, call(0).datasets);
  journal.add(1, call(1).datasets);
  expect([...readJournal(journal.path)]).toEqual([]);
  journal.flush();
  journal.add(7, [{ name: 'result_0', dtype: 'string', shape: [], data: ['seven'] }]);
  journal.flush();
  const calls = [...readJournal(journal.path)];
  expect(calls.map((c) => c.taskID)).toEqual([0, 1, 7]);
  expect(calls[1]!.datasets[0]!.data).toEqual(new Float64Array([1, -1]));
  expect(calls[2]!.datasets[0]!.data).toEqual(['seven']);
  journal.discard();
  expect(readdirSync(journalDir(outputDir))).toEqual([]);
});

test('a frame cut short by a crash is ignored, with everything after it', () => {
  const journal = new ResultJournal(outputDir);
  journal.add(3, call(3).datasets);
  journal.flush();
  // A length that promises more bytes than follow, as a kill mid-append leaves it.
  const torn = Buffer.alloc(12);
  torn.writeUInt32LE(500, 0);
  appendFileSync(journal.path, torn);
  expect([...readJournal(journal.path)].map((c) => c.taskID)).toEqual([3]);
  // A complete frame whose bytes are not a v8 value ends the reading too.
  writeFileSync(journal.path, Buffer.from([3, 0, 0, 0, 1, 2, 3]));
  expect([...readJournal(journal.path)]).toEqual([]);
});

test("leftoverJournals: a dead client's journal is left over; a living client's stops the run with ERR_ACME_RUN_BUSY", async () => {
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const dir = journalDir(outputDir);
  new ResultJournal(outputDir); // creates the folder and this process's own (empty) journal
  const deadJournal = join(dir, `client-${hostname()}-${dead.stdout}.bin`);
  writeFileSync(deadJournal, '');
  const otherHost = join(dir, `client-not-${hostname()}-1.bin`);
  writeFileSync(otherHost, '');
  expect(leftoverJournals(outputDir).sort()).toEqual([deadJournal, otherHost, join(dir, `client-${hostname()}-${process.pid}.bin`)].sort());

  const living = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 20000)']);
  try {
    await new Promise((resolve) => living.once('spawn', resolve));
    // Written after the process started, as its own journal would be.
    writeFileSync(join(dir, `client-${hostname()}-${living.pid}.bin`), '');
    expect(() => leftoverJournals(outputDir)).toThrow(
      expect.objectContaining({ code: 'ERR_ACME_RUN_BUSY', message: expect.stringContaining(`process ${living.pid} on this host`) }),
    );
  } finally {
    living.kill();
  }
});

test('leftoverJournals: no journal folder, nothing left over', () => {
  expect(leftoverJournals(outputDir)).toEqual([]);
});
