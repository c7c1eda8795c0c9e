import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Logger } from './logger';

function capture(verbose?: boolean) {
  const lines: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acme-log-'));
  const logger = new Logger({ verbose, write: (l) => lines.push(l), color: false });
  return { logger, lines, file: path.join(dir, 'run.log') };
}

test('ACME formats and levels: default shows INFO and up', () => {
  const { logger, lines } = capture();
  logger.debug('hidden');
  logger.info('Preparing 2 parallel calls');
  logger.announce('SUCCESS!');
  logger.warn('careful');
  logger.error('broken');
  expect(lines).toEqual([
    'acme-ts - INFO - Preparing 2 parallel calls',
    'acme-ts > ANNOUNCE < SUCCESS!',
    'acme-ts ! WARNING ! careful',
    'acme-ts | ERROR | broken',
  ]);
});

test('verbose true adds DEBUG; verbose false keeps warnings and errors on the console', () => {
  const loud = capture(true);
  loud.logger.debug('details');
  expect(loud.lines).toEqual(['acme-ts # DEBUG # details']);
  const quiet = capture(false);
  quiet.logger.info('progress');
  quiet.logger.warn('careful');
  expect(quiet.lines).toEqual(['acme-ts ! WARNING ! careful']);
});

test('the log file gets what was logged before it was attached, INFO and up even when the console is quiet', () => {
  const { logger, file } = capture(false);
  logger.info('before the file');
  logger.attachFile(file);
  logger.debug('not in the file');
  logger.info('after');
  logger.flush();
  const text = fs.readFileSync(file, 'utf8');
  expect(text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z acme-ts - INFO - before the file\n/);
  expect(text).toContain('acme-ts - INFO - after');
  expect(text).not.toContain('not in the file');
});

test('errors reach the file at once, without an explicit flush', () => {
  const { logger, file } = capture();
  logger.attachFile(file);
  logger.info('queued');
  expect(fs.existsSync(file)).toBe(false);
  logger.error('failed');
  expect(fs.readFileSync(file, 'utf8')).toMatch(/INFO - queued\n.*ERROR \| failed\n$/);
});
