// Uses the built package (dist/) and the bundle `npm run build` makes after `tsc -b`.
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParallelMap } from '@acme-ts/core';

// The built module: the package's index does not export it (an internal choice of the pool).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { workerEntry, bundledFileHash } = require('../dist/worker-entry.js') as typeof import('./worker-entry');
const DIST = join(__dirname, '..', 'dist');

describe('the thread entry', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'acme-worker-entry-'));
    writeFileSync(join(dir, 'worker-bundle.js'), '');
    writeFileSync(join(dir, 'a.js'), 'exports.a = 1;');
    writeFileSync(join(dir, 'b.js'), 'exports.b = 2;');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const writeManifest = () => {
    const files = ['a.js', 'b.js'].map((f) => [f, statSync(join(dir, f)).size, statSync(join(dir, f)).mtimeMs, bundledFileHash(readFileSync(join(dir, f)))]);
    writeFileSync(join(dir, 'worker-bundle.json'), JSON.stringify({ files }));
  };

  test('is the bundle while every file it was made from is unchanged', () => {
    writeManifest();
    expect(workerEntry(dir)).toBe(join(dir, 'worker-bundle.js'));
  });

  test('is worker.js once a bundled file changed after the bundle, even at the same size (a later tsc -b)', () => {
    writeManifest();
    writeFileSync(join(dir, 'b.js'), 'exports.b = 3;');
    utimesSync(join(dir, 'b.js'), new Date(), new Date(Date.now() + 5000));
    expect(workerEntry(dir)).toBe(join(dir, 'worker.js'));
  });

  test('is still the bundle when only the file dates changed (installed from a tarball)', () => {
    writeManifest();
    utimesSync(join(dir, 'a.js'), new Date(), new Date(Date.now() + 5000));
    expect(workerEntry(dir)).toBe(join(dir, 'worker-bundle.js'));
  });

  test('is worker.js when a bundled file changed size, or is gone', () => {
    writeManifest();
    writeFileSync(join(dir, 'a.js'), 'exports.a = 10;');
    const other = mkdtempSync(join(tmpdir(), 'acme-worker-entry-'));
    try {
      writeFileSync(join(other, 'worker-bundle.js'), '');
      writeFileSync(join(other, 'worker-bundle.json'), JSON.stringify({ files: [['gone.js', 1, 1]] }));
      expect(workerEntry(dir)).toBe(join(dir, 'worker.js'));
      expect(workerEntry(other)).toBe(join(other, 'worker.js'));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  test('is worker.js without a bundle (only tsc -b ran)', () => {
    expect(workerEntry(dir)).toBe(join(dir, 'worker.js'));
  });

  test('after the build, threads start from the bundle and share its modules with user code', async () => {
    // If this fails after only `npx tsc -b`: run `node packages/backend-local/scripts/bundle-worker.js`.
    expect(workerEntry(DIST)).toBe(join(DIST, 'worker-bundle.js'));
    await using pmap = new ParallelMap(`${join(__dirname, '__fixtures__', 'functions.js')}#threadFacts`, [[0, 1, 2, 3]], {
      writeWorkerResults: false,
      verbose: false,
      nWorkers: 2,
    });
    const facts = (await pmap.compute()) as { fromBundle: boolean; taskID: number }[];
    expect(facts).toEqual([0, 1, 2, 3].map((taskID) => ({ fromBundle: true, taskID })));
  });
});
