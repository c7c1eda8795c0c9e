import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AUTO_FOLDER_NAME,
  autoOutputDir,
  containerFileName,
  logFileName,
  parseResultFileName,
  payloadFileName,
  serializedFileName,
  timestamp,
  writeAtomically,
  writeFileAtomically,
} from './run-folder';

describe('run folder names (docs/run-folder.md)', () => {
  test('files of function f', () => {
    expect([containerFileName('f'), payloadFileName('f', 7), serializedFileName('f', 7)]).toEqual(['f.h5', 'f_7.h5', 'f_7.v8']);
    expect(logFileName('f', new Date(2024, 0, 2, 3, 4, 5))).toBe('ACME_f_20240102-030405.log');
  });

  test('a result file names its call and kind; other files do not parse', () => {
    expect(parseResultFileName('f', 'f_12.h5')).toEqual({ taskID: 12, kind: 'h5' });
    expect(parseResultFileName('f', 'f_0.v8')).toEqual({ taskID: 0, kind: 'v8' });
    expect(parseResultFileName('my_f', 'my_f_3.h5')).toEqual({ taskID: 3, kind: 'h5' });
    for (const other of ['g_1.h5', 'f_1.h5.tmp-1-0-1', 'f_x.h5', 'f.h5', 'f_1.json']) expect(parseResultFileName('f', other)).toBeUndefined();
  });
});

describe('autoOutputDir', () => {
  test('ACME_YYYYMMDD-hhmmss-ffffff in local time, unique within a millisecond', () => {
    const now = new Date(2025, 10, 30, 23, 59, 58, 123);
    expect(timestamp(now)).toBe('20251130-235958');
    const first = autoOutputDir('/base', now);
    const second = autoOutputDir('/base', now);
    expect(first).toBe('/base/ACME_20251130-235958-123000');
    expect(second).toBe('/base/ACME_20251130-235958-123001');
    expect(autoOutputDir('/base', new Date(2025, 0, 1, 0, 0, 0, 7))).toBe('/base/ACME_20250101-000000-007000');
    expect(AUTO_FOLDER_NAME.test('ACME_20250101-000000-007000')).toBe(true);
  });
});

describe('writeAtomically', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'acme-run-folder-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('the file appears complete under its name, and no temporary file is left', () => {
    const path = join(dir, 'manifest.json');
    writeFileAtomically(path, '{"version":1}\n');
    expect(readFileSync(path, 'utf8')).toBe('{"version":1}\n');
    expect(readdirSync(dir)).toEqual(['manifest.json']);
  });

  test('a write that fails leaves the old file as it was and removes its temporary file', () => {
    const path = join(dir, 'f.h5');
    writeFileSync(path, 'old');
    expect(() =>
      writeAtomically(path, (temporary) => {
        writeFileSync(temporary, 'half');
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(readFileSync(path, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['f.h5']);
    expect(() =>
      writeAtomically(join(dir, 'never.h5'), () => {
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(existsSync(join(dir, 'never.h5'))).toBe(false);
  });
});
