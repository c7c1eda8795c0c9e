// Every example of the README, of `acme-ts --help` (packages/cli/src/cli.ts) and of examples/
// is run here and checked against what its documentation says it gives. The examples are read
// from those files, and each must have an entry below: a new example without one fails.
// Not run: fragments that are no program (`function rand2(x) { … /* seed with taskID */ }`,
// inline mentions such as `ParallelMap.resume(dir, { … })`), SLURM-only commands and the commands
// that wait for a debugger (`node --inspect-brk …`).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { openResults, ParallelMap, type ParallelMapInit } from '@acme-ts/core';
import { h5dump, tempDir } from './support/h5';
import { acme, python, start, until, type Finished } from './fixtures/cli-harness';

const ROOT = path.join(__dirname, '..');
/** The README and the user documentation it links to (docs/*.md), as one text. */
const README = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => path.join('docs', f)),
]
  .map((file) => fs.readFileSync(path.join(ROOT, file), 'utf8'))
  .join('\n');
const CLI_SOURCE = fs.readFileSync(path.join(ROOT, 'packages', 'cli', 'src', 'cli.ts'), 'utf8');
const EXAMPLE_TASKS = path.join(ROOT, 'examples', 'tasks.js');

/** examples/tasks.js's randout, the documented rule the values are checked against. */
const randout = (x: number, y = 3) => (x > 0 ? x / y : x * y);
const range = (start: number, stop: number) => Array.from({ length: stop - start }, (_, i) => start + i);

let work: string;
beforeAll(() => {
  work = tempDir('documented-examples');
  // The layout the examples assume: ./tasks.js (help) and ./examples/tasks.js (README).
  fs.copyFileSync(EXAMPLE_TASKS, path.join(work, 'tasks.js'));
  fs.mkdirSync(path.join(work, 'examples'));
  fs.copyFileSync(EXAMPLE_TASKS, path.join(work, 'examples', 'tasks.js'));
  python("with h5py.File('data.h5', 'w') as f: f['x'] = np.array([1.0, 2.0, 3.0, 4.0])", work);
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function expectOk(r: Finished): Finished {
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  return r;
}

/** result_0 of every call of a default-layout container, in call order. */
function storedValues(container: string): number[] {
  const dump = h5dump(container);
  const calls = Object.keys(dump).filter((k) => /^\/comp_\d+\/result_0$/.test(k));
  calls.sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]));
  return calls.map((k) => (dump[k] as { values: number[] }).values[0]!);
}

function outputFolder(r: Finished): string {
  return /^output folder: (.*)$/m.exec(r.stdout)![1]!;
}

describe("README's Arguments table (run in memory; results, warning or error as documented)", () => {
  const section = README.slice(README.indexOf('### Arguments'), README.indexOf('### What the function returns'));
  const functionsBlock = /```js\n([\s\S]*?)```/.exec(section)![1]!;
  const names = [...functionsBlock.matchAll(/^function (\w+)/gm)].map((m) => m[1]!);
  const functions = new Function(`${functionsBlock}\nreturn [${names.join(', ')}];`)() as unknown[];
  const rows = [...section.matchAll(/^\| `(new ParallelMap\(.*?\))` \| (.*?) \| (.*?) \|$/gm)].map((m) => [m[1]!, m[2]!] as const);

  test('the table has its rows', () => {
    expect(rows.length).toBeGreaterThanOrEqual(10);
  });

  // In memory, quiet: the documented call is unchanged apart from where the results go.
  class DocumentedParallelMap extends ParallelMap {
    constructor(func: never, args: unknown[], options: ParallelMapInit = {}) {
      super(func, args, { ...options, writeWorkerResults: false, verbose: false, nWorkers: 1 });
    }
  }
  test.each(rows)('%s → %s', async (call, documented) => {
    const make = () => new Function('ParallelMap', ...names, `return ${call};`)(DocumentedParallelMap, ...functions) as ParallelMap;
    const error = /^error: `(.*)`$/.exec(documented);
    if (error) {
      expect(make).toThrow(error[1]!);
      return;
    }
    const [, values, warning] = /^`(.*?)`(?:, with the warning `(.*)`)?$/.exec(documented)!;
    const pmap = make();
    try {
      expect(pmap.warnings.filter((w) => w.startsWith(warning ?? '\0'))).toHaveLength(warning ? 1 : 0);
      expect(await pmap.compute()).toEqual(JSON.parse(values!));
    } finally {
      await pmap.close();
    }
  });
});

describe('`acme-ts --help` examples (run in a folder holding examples/tasks.js as ./tasks.js and data.h5)', () => {
  const examples = [...CLI_SOURCE.matchAll(/\.example\('\$0 ([^']*)', '([^']*)'\)/g)].map((m) => m[1]!);
  let folder: string; // the run of the top-level example, which status/rerun/inspect/export use

  const expectations: Record<string, ((r: Finished) => void) | 'slurm' | 'served'> = {
    'run ./tasks.js#randout range:0:10 --n-workers 4': (r) => {
      folder = outputFolder(r);
      expect(path.basename(folder)).toMatch(/^ACME_\d{8}-\d{6}-\d{6}$/);
      expect(storedValues(path.join(folder, 'randout.h5'))).toEqual(range(0, 10).map((x) => randout(x)));
    },
    // 'randout(x, y = 3) for x = 0…9': before keyword binding by name this stored NaN (x / {y: 3}).
    'run ./tasks.js#randout range:0:10 --kwarg y=3 --n-workers 4': (r) => {
      expect(storedValues(path.join(outputFolder(r), 'randout.h5'))).toEqual(range(0, 10).map((x) => randout(x, 3)));
    },
    'run ./tasks.js#matconstruct range:0:8 --result-shape null,10,9 -o mats': () => {
      const stacked = h5dump(path.join(work, 'mats', 'matconstruct.h5'))['/result_0'] as { shape: number[]; values: number[][][] };
      expect(stacked.shape).toEqual([8, 10, 9]);
      expect(stacked.values[7]![4]![5]).toBeCloseTo(Math.cos(7 + 4 * 5), 12);
    },
    'run ./tasks.js#randout h5:data.h5:/x --no-write-worker-results': (r) => {
      expect(JSON.parse(r.stdout)).toEqual([1, 2, 3, 4].map((x) => randout(x)));
    },
    'run ./tasks.js#randout range:1:5 --kwarg y=10 --no-write-worker-results': (r) => {
      expect(r.stdout).toBe('[0.1,0.2,0.3,0.4]\n');
    },
    'status ACME_20261125-101500-123000': (r) => {
      expect(r.stdout).toContain('10 calls of randout');
      expect(r.stdout).toContain('10 done, 0 failed, 0 missing');
    },
    'status ACME_…': (r) => expect(r.stdout).toContain('10 done, 0 failed, 0 missing'),
    'inspect ACME_20261125-101500-123000/randout.h5': (r) => expect(r.stdout).toMatch(/comp_0 +→ randout_payload\/randout_0\.h5:\/ +\(exists\)/),
    'inspect ACME_…/randout.h5': (r) => expect(r.stdout).toMatch(/comp_9 +→ randout_payload\/randout_9\.h5:\/ +\(exists\)/),
    'rerun ACME_20261125-101500-123000 --n-workers 8': () => expect(storedValues(path.join(folder, 'randout.h5'))).toHaveLength(10),
    'rerun ACME_…': () => expect(storedValues(path.join(folder, 'randout.h5'))).toHaveLength(10),
    'rerun runs/big --mem-per-worker 2x --time-limit 2:00:00': 'slurm',
    // Call 7 has its result: named and skipped (a failed call would run here, in the foreground).
    'rerun ACME_20261125-101500-123000 --only 7 --debug': (r) => expect(r.stderr).toContain('Call 7 has a result already and is not run again'),
    'export ACME_20261125-101500-123000/randout.h5 randout-all.h5': () => {
      const copy = h5dump(path.join(work, 'randout-all.h5'));
      expect((copy['/comp_3/result_0'] as { values: number[] }).values).toEqual([1]);
    },
    'export ACME_…/randout.h5 copy.h5': () => expect(fs.existsSync(path.join(work, 'copy.h5'))).toBe(true),
    // Served until Ctrl-C: the printed address answers with the run's page.
    'dashboard ACME_20261125-101500-123000': 'served',
    'dashboard ACME_…': 'served',
  };

  test('every example has an expectation here', () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
    expect(examples.filter((e) => !(e in expectations))).toEqual([]);
  });

  test('--help shows them', async () => {
    let help = (await acme(['--help'], { cwd: work })).stdout;
    for (const command of ['run', 'inspect', 'status', 'rerun', 'export', 'dashboard']) help += (await acme([command, '--help'], { cwd: work })).stdout;
    // yargs may wrap an example around its description: its words in order, at most a description apart.
    const escape = (word: string) => word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const example of examples) expect(help).toMatch(new RegExp(['acme-ts', ...example.split(' ')].map(escape).join('[\\s\\S]{1,200}?')));
  });

  // In order: the top-level run example first, as the others look at its folder.
  const ordered = [
    ...examples.filter((e) => e === 'run ./tasks.js#randout range:0:10 --n-workers 4'),
    ...examples.filter((e) => e !== 'run ./tasks.js#randout range:0:10 --n-workers 4'),
  ];
  test.each(ordered.filter((e, i) => ordered.indexOf(e) === i))('acme-ts %s', async (example) => {
    const check = expectations[example];
    if (check === 'slurm') return; // SLURM only: the SLURM suites run such reruns, not this one.
    const words = example.split(' ').map((w) => (folder ? w.replace(/ACME_20261125-101500-123000|ACME_…/, path.basename(folder)) : w));
    if (check === 'served') {
      const server = start(words, { cwd: work });
      try {
        await until(() => /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.test(server.output().stdout), 'the dashboard address');
        const url = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(server.output().stdout)![0];
        const page = await fetch(url);
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<html');
      } finally {
        server.child.kill('SIGINT');
        await server.finished;
      }
      return;
    }
    check!(expectOk(await acme(words, { cwd: work })));
  });
});

describe('README command examples (run in a folder holding ./examples/tasks.js)', () => {
  const commands = [...README.matchAll(/```sh\n([\s\S]*?)```/g)]
    .flatMap((m) => m[1]!.split('\n').filter((l) => l.trim() !== ''))
    .map((l) => l.replace(/\s+#.*$/, ''));

  const expectations: Record<string, ((r: Finished) => void) | 'self' | 'debugger'> = {
    'acme-ts run ./examples/tasks.js#randout range:-50:50 3 --n-workers 2 --output-dir runs/randout': (r) => {
      const folder = path.join(work, 'runs', 'randout');
      expect(r.stderr).toContain(`acme-ts run: 100 calls of randout → ${folder}`);
      expect(r.stdout).toContain(`output folder: ${folder}\ncontainer:     ${folder}/randout.h5\n100 calls: 100 done, 0 failed in `);
      expect(storedValues(path.join(folder, 'randout.h5'))).toEqual(range(-50, 50).map((x) => randout(x, 3)));
    },
    'acme-ts run ./examples/tasks.js#randout range:1:5 --kwarg y=10 --no-write-worker-results': (r) => {
      // The README's output block right after the command.
      expect(README).toContain('--kwarg y=10 --no-write-worker-results\n```\n```\n[0.1,0.2,0.3,0.4]\n```');
      expect(r.stdout).toBe('[0.1,0.2,0.3,0.4]\n');
    },
    'acme-ts status runs/randout': (r) => {
      expect(r.stdout).toContain(
        `${path.join(work, 'runs', 'randout')}: 100 calls of randout\n  container: ${path.join(work, 'runs', 'randout', 'randout.h5')}\n  100 done, 0 failed, 0 missing`,
      );
    },
    'acme-ts rerun runs/randout --timeout 5m': () => expect(storedValues(path.join(work, 'runs', 'randout', 'randout.h5'))).toHaveLength(100),
    'acme-ts rerun runs/randout --only 17 --debug': (r) => expect(r.stderr).toContain('Call 17 has a result already and is not run again'),
    // They wait for a debugger to attach (debug-mode.test.ts runs the same without the inspector).
    'node --inspect-brk script.js': 'debugger',
    'node --inspect-brk "$(command -v acme-ts)" run ./tasks.js#randout range:0:10 --debug': 'debugger',
    'node --inspect-brk "$(command -v acme-ts)" rerun runs/randout --only 17 --debug': 'debugger',
    'acme-ts inspect runs/randout/randout.h5': (r) => {
      expect(r.stdout).toMatch(/├─ comp_0 +→ randout_payload\/randout_0\.h5:\/ +\(exists\) +external link\n│ +└─ result_0 +float64 +\(1,\)/);
      expect(r.stdout).toContain('… 94 more (comp_3 … comp_96); --all shows them');
    },
    'acme-ts export runs/randout/randout.h5 randout-all.h5': () => {
      const copy = h5dump(path.join(work, 'randout-all.h5'));
      expect((copy['/comp_99/result_0'] as { values: number[] }).values).toEqual([randout(49)]);
    },
    // The install route: e2e/install.test.ts installs the packed packages into a fresh project
    // (the registry's copies cannot be fetched here); scripts/setup.sh installs the Debian packages.
    'sudo apt-get install libhdf5-dev pkg-config g++ make': 'self',
    'npm install @acme-ts/core': 'self',
    'npm install @acme-ts/cli': 'self',
    'npm install @acme-ts/backend-slurm': 'self',
    // Runs on the user's laptop; e2e/dashboard.test.ts checks the address it forwards to.
    'ssh -N -L 8080:127.0.0.1:41873 you@login01': 'self',
    // `npm run example` is scripts/setup.sh, then examples/quickstart.js: the latter runs below.
    'npm run example': 'self',
    'npm test': 'self',
  };

  test('every command has an expectation here', () => {
    expect(commands.length).toBeGreaterThanOrEqual(7);
    expect(commands.filter((c) => !(c in expectations))).toEqual([]);
  });

  test.each(commands)('%s', async (command) => {
    const check = expectations[command];
    if (check === 'self' || check === 'debugger') return; // setup and this test suite itself; a debugger's commands
    if (command.includes('export')) fs.rmSync(path.join(work, 'randout-all.h5'), { force: true });
    check!(expectOk(await acme(command.split(' ').slice(1), { cwd: work })));
  });
});

test('examples/quickstart.js (npm run example): the 8 calls of randout, stored and read back', () => {
  const cwd = fs.mkdtempSync(path.join(work, 'quickstart-'));
  const out = execFileSync(process.execPath, [path.join(ROOT, 'examples', 'quickstart.js')], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const printed = [...out.matchAll(/comp_(\d+)\/result_0 +shape \[1\] +float64 += (.*)$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
  expect(printed).toEqual(range(-4, 4).map((x, i) => [i, randout(x)]));
  expect(out).toMatch(/container: +.*ACME_\d{8}-\d{6}-\d{6}\/randout\.h5/);
});

describe('README TypeScript and Python snippets (Using it, Reading results)', () => {
  const block = (heading: string, lang: string) => {
    const section = README.slice(README.indexOf(heading));
    return new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section)![1]!;
  };
  let container: string;

  test('Using it: the module function runs, and the logged container is <cwd>/ACME_<date>-<time>/randout.h5', async () => {
    const source = block('## Using it', 'ts');
    // The documented value of the logged expression, from the comment after it.
    expect(source).toContain('console.log(pmap.resultsContainer); // …/ACME_20261125-101500-123000/randout.h5');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const logged: unknown[] = [];
    const cwd = process.cwd();
    process.chdir(work);
    try {
      const run = new Function('require', 'exports', 'console', 'x', `return (async () => {\n${js}\n})();`);
      await run(require, {}, { log: (value: unknown) => logged.push(value) }, [-2, -1, 1, 2]);
    } finally {
      process.chdir(cwd);
    }
    container = logged[0] as string;
    expect(container).toMatch(new RegExp(`^${work}/ACME_\\d{8}-\\d{6}-\\d{6}/randout\\.h5$`));
    expect(storedValues(container)).toEqual([-2, -1, 1, 2].map((x) => randout(x)));
  });

  test('Quick start: randout over [1, 2, 3, 4] with y = 10 is stored, and h5py reads what the comment says', async () => {
    const source = block('## Quick start', 'ts');
    expect(source).toContain("await using pmap = new ParallelMap('./tasks.js#randout', [[1, 2, 3, 4]], { kwargs: { y: 10 } });");
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const logged: unknown[] = [];
    const cwd = process.cwd();
    process.chdir(work);
    try {
      await new Function('require', 'exports', 'console', `return (async () => {\n${js}\n})();`)(require, {}, { log: (value: unknown) => logged.push(value) });
    } finally {
      process.chdir(cwd);
    }
    const quick = logged[0] as string;
    expect(quick).toMatch(new RegExp(`^${work}/ACME_\\d{8}-\\d{6}-\\d{6}/randout\\.h5$`));
    const script = block('## Quick start', 'python')
      .split('ACME_…')
      .join(path.basename(path.dirname(quick)));
    const printed = execFileSync('/usr/bin/python3', ['-c', script], { cwd: work, encoding: 'utf8' });
    expect(printed).toBe("{'comp_0': array([0.1]), 'comp_1': array([0.2]), 'comp_2': array([0.3]), 'comp_3': array([0.4])}\n");
    expect(script).toContain("# {'comp_0': array([0.1]), 'comp_1': array([0.2]), …}");
  });

  test('Reading results: each documented expression gives what its comment says', async () => {
    const lines = [...block('## Reading results', 'ts').matchAll(/^(results\..*?); +\/\/ (.*)$/gm)].map((m) => [m[1]!, m[2]!] as const);
    const expected: Record<string, (read: (path: string) => unknown) => void> = {
      'results.taskIDs()': (read) => expect(read(container)).toEqual([0, 1, 2, 3]),
      'results.inputs().x': (read) => expect(Array.from(read(container) as Float64Array)).toEqual([-2, -1, 1, 2]),
      'results.call(3).datasets.result_0': (read) => expect(read(container)).toEqual({ dtype: 'float64', shape: [1], data: Float64Array.of(randout(2)) }),
      "results.dataset('result_0')": (read) => {
        // "the stacked array of a resultShape run": made here.
        const stacked = new ParallelMap(`${EXAMPLE_TASKS}#matconstruct`, [[0, 1, 2]], {
          verbose: false,
          nWorkers: 1,
          resultShape: [null, 10, 9],
          outputDir: path.join(work, 'stacked'),
        });
        return stacked.compute().then(async () => {
          await stacked.close();
          expect(read(stacked.resultsContainer!)).toMatchObject({ dtype: 'float64', shape: [3, 10, 9] });
        });
      },
    };
    expect(lines.map(([expr]) => expr).sort()).toEqual(Object.keys(expected).sort());
    for (const [expr] of lines) {
      const read = (file: string) => {
        const results = openResults(file);
        try {
          return new Function('results', `return ${expr};`)(results) as unknown;
        } finally {
          results.close();
        }
      };
      await expected[expr]!(read);
    }
  });

  test('Python: h5py follows the links; the self-contained copy has regular datasets', () => {
    const folder = path.dirname(container);
    const script = block('## Reading results', 'python').split('ACME_…').join(path.basename(folder));
    const printed = execFileSync('/usr/bin/python3', ['-c', script], { cwd: work, encoding: 'utf8' });
    expect(printed).toBe("{'comp_0': array([-6.]), 'comp_1': array([-3.]), 'comp_2': array([0.33333333]), 'comp_3': array([0.66666667])}\n");
    const copy = h5dump(path.join(work, 'copy.h5'));
    expect((copy['/comp_0/result_0'] as { values: number[] }).values).toEqual([randout(-2)]);
  });
});
