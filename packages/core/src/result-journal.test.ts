import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { serialize } from 'node:v8';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { journalDir, leftoverJournals, readJournal, ResultJournal } from './result-journal';

let outputDir: string;
beforeEach(() => {
  outputDir = mkdtempSync(join(tmpdir(), 'acme-journal-'));
});
afterEach(() => rmSync(outputDir, { recursive: true, force: true }));

const call = (taskID: number) => ({
  taskID,
  datasets: [{ name: 'result_0', dtype: 'float64' as const, shape: [2], data: new Float64Array([taskID, -taskID]) }],
});

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

test('large typed arrays travel raw after the serialized part, aligned, beside small ones and packed columns', () => {
  const journal = new ResultJournal(outputDir);
  const big = new Float64Array(20000).map((_, i) => i * 0.5); // 160 KB: raw
  const odd = new Uint8Array(70001).fill(7); // raw, leaves the next one unaligned unless padded
  const ints = new Int32Array(30000).map((_, i) => -i);
  journal.add(4, [
    { name: 'result_0', dtype: 'float64', shape: [20000], data: big },
    { name: 'result_1', dtype: 'uint8', shape: [70001], data: odd },
    { name: 'result_2', dtype: 'int32', shape: [30000], data: ints },
    { name: 'result_3', dtype: 'float64', shape: [1], data: new Float64Array([4]) },
  ]);
  const column = new Float64Array(2 * 10000).map((_, i) => i);
  journal.addPacked([8, 9], { count: 2, columns: [{ name: 'result_0', dtype: 'float64', shape: [10000], data: column }] } as never);
  journal.flush();
  const calls = [...readJournal(journal.path)];
  expect(calls.map((c) => c.taskID)).toEqual([4, 8, 9]);
  const [first, packed8, packed9] = calls;
  expect(first!.datasets.map((d) => d.data)).toEqual([big, odd, ints, new Float64Array([4])]);
  expect(packed8!.datasets[0]!.data).toEqual(column.subarray(0, 10000));
  expect(packed9!.datasets[0]!.data).toEqual(column.subarray(10000));
  // The large arrays are not in the serialized part (its length follows the frame's magic).
  const head = readFileSync(journal.path).subarray(0, 12);
  expect(head.subarray(4, 8).toString('latin1')).toBe('AJ2\0');
  expect(head.readUInt32LE(8)).toBeLessThan(4096);
  // The caller's datasets are left as they were.
  expect(big[3]).toBe(1.5);
});

test('a frame cut short in its raw part is ignored; frames of an older journal (v8 only) still read', () => {
  const journal = new ResultJournal(outputDir);
  journal.add(1, call(1).datasets);
  journal.flush();
  const good = statSync(journal.path).size;
  journal.add(2, [{ name: 'result_0', dtype: 'float64', shape: [20000], data: new Float64Array(20000).fill(2) }]);
  journal.flush();
  truncateSync(journal.path, statSync(journal.path).size - 1000);
  expect([...readJournal(journal.path)].map((c) => c.taskID)).toEqual([1]);
  expect(statSync(journal.path).size).toBeGreaterThan(good);

  const old = serialize([call(5)]);
  const frame = Buffer.alloc(4);
  frame.writeUInt32LE(old.length, 0);
  writeFileSync(journal.path, Buffer.concat([frame, old]));
  expect([...readJournal(journal.path)]).toEqual([call(5)]);
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
