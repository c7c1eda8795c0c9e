import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { matchFiles } from './file-list';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'file-list-'));
  for (const f of ['a1.txt', 'a2.txt', 'b.txt', 'c.csv', '.hidden.txt', 'sub/d.txt', 'sub/deeper/e.txt', 'sub/.git/f.txt']) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), '');
  }
  fs.mkdirSync(path.join(dir, 'folder.txt'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const names = (files: string[]) => files.map((f) => path.relative(dir, f));

test('* ? [] match within one folder, sorted; folders and hidden files are left out', () => {
  expect(names(matchFiles('*.txt', dir))).toEqual(['a1.txt', 'a2.txt', 'b.txt']);
  expect(names(matchFiles('a?.txt', dir))).toEqual(['a1.txt', 'a2.txt']);
  expect(names(matchFiles('[ab]*', dir))).toEqual(['a1.txt', 'a2.txt', 'b.txt']);
  expect(names(matchFiles('[!a]*', dir))).toEqual(['b.txt', 'c.csv']);
  expect(names(matchFiles('.*.txt', dir))).toEqual(['.hidden.txt']);
});

test('** matches any depth (also none), skipping hidden folders; an absolute pattern works', () => {
  expect(names(matchFiles('**/*.txt', dir))).toEqual(['a1.txt', 'a2.txt', 'b.txt', 'sub/d.txt', 'sub/deeper/e.txt']);
  expect(names(matchFiles(path.join(dir, 'sub', '**', 'e.txt'), '/'))).toEqual(['sub/deeper/e.txt']);
});

test('a plain path matches itself; nothing matched is an empty list', () => {
  expect(names(matchFiles('b.txt', dir))).toEqual(['b.txt']);
  expect(matchFiles('*.json', dir)).toEqual([]);
  expect(matchFiles('nope/*.txt', dir)).toEqual([]);
});

test('regex characters in names are literal', () => {
  fs.writeFileSync(path.join(dir, 'x+(1).txt'), '');
  expect(names(matchFiles('x+(1).*', dir))).toEqual(['x+(1).txt']);
});
