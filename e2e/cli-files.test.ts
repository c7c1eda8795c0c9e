// `acme-ts inspect` and `export` on containers and on files h5py wrote; the command line's
// errors, help and completion. The real executable as a child process; copies checked with h5py.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { h5dump, tempDir } from './support/h5';
import { acme, python, TASKS } from './fixtures/cli-harness';

let work: string;
beforeAll(async () => {
  work = tempDir('cli-files');
  // A default-layout run with two return values per call, and a virtual-dataset run.
  const pair = await acme(['run', `${TASKS}#pair`, 'range:0:5', '-o', 'pair', '-q'], { cwd: work });
  const stacked = await acme(['run', `${TASKS}#matconstruct`, 'range:0:4', '--result-shape', 'null,10,9', '-o', 'stacked', '-q'], { cwd: work });
  expect([pair.code, stacked.code]).toEqual([0, 0]);
  python(
    [
      "with h5py.File('foreign.h5', 'w') as f:",
      "    f['data/x'] = np.arange(6, dtype='int16').reshape(2, 3)",
      "    f['data/flags'] = np.array([True, False])",
      "    f['label'] = 'hello'",
      "    f['data/x'].attrs['unit'] = 'mV'",
      "    f['alias'] = h5py.SoftLink('/data/x')",
      "    f['outside'] = h5py.ExternalLink('other.h5', '/y')",
      "    f['gone'] = h5py.ExternalLink('missing.h5', '/')",
      "    layout = h5py.VirtualLayout(shape=(2, 5), dtype='f8')",
      "    layout[0] = h5py.VirtualSource('other.h5', 'y', shape=(5,))",
      "    layout[1] = h5py.VirtualSource('absent.h5', 'y', shape=(5,))",
      "    f.create_virtual_dataset('vds', layout, fillvalue=-1)",
      "with h5py.File('other.h5', 'w') as f:",
      "    f['y'] = np.arange(5.0)",
    ].join('\n'),
    work,
  );
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('inspect', () => {
  test('an ACME container: comp_i → payload (exists), result_k with dtype and shape', async () => {
    const r = await acme(['inspect', 'pair/pair.h5'], { cwd: work });
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(path.join(work, 'pair', 'pair.h5'));
    expect(lines).toContain('├─ comp_0  → pair_payload/pair_0.h5:/  (exists)  external link');
    expect(lines).toContain('│  ├─ result_0  float64  (3,)');
    expect(lines).toContain('│  └─ result_1  float64  ()');
    expect(lines).toContain('└─ comp_4  → pair_payload/pair_4.h5:/  (exists)  external link');
  });

  test('a virtual dataset lists its sources and whether each exists; a removed payload shows as MISSING', async () => {
    const copy = path.join(work, 'stacked-broken');
    fs.cpSync(path.join(work, 'stacked'), copy, { recursive: true });
    fs.rmSync(path.join(copy, 'matconstruct_payload', 'matconstruct_2.h5'));
    const r = await acme(['inspect', path.join(copy, 'matconstruct.h5')], { cwd: work });
    expect(r.stdout).toContain('└─ result_0  float64  (4, 10, 9)  virtual');
    expect(r.stdout).toContain('4 sources, 1 missing');
    expect(r.stdout).toContain('matconstruct_payload/matconstruct_2.h5:result_0  (MISSING)');
    expect(r.stdout).toContain('matconstruct_payload/matconstruct_0.h5:result_0  (exists)');
    const json = JSON.parse((await acme(['inspect', path.join(copy, 'matconstruct.h5'), '--json'], { cwd: work })).stdout);
    const sources = json.children[0].virtualSources;
    expect(sources).toHaveLength(4);
    expect(sources.map((s: { exists: boolean }) => s.exists)).toEqual([true, true, false, true]);
    expect(sources[2].resolvedFile).toBe(path.join(copy, 'matconstruct_payload', 'matconstruct_2.h5'));
  });

  test('a file h5py wrote: groups, bool/int/string datasets, soft and external links, dangling link, VDS', async () => {
    const r = await acme(['inspect', 'foreign.h5'], { cwd: work });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('├─ alias  → /data/x  (exists)  soft link  int16  (2, 3)');
    expect(r.stdout).toContain('│  ├─ flags  bool  (2,)');
    expect(r.stdout).toContain('│  └─ x  int16  (2, 3)');
    expect(r.stdout).toContain('├─ gone  → missing.h5:/  (MISSING)  external link');
    expect(r.stdout).toContain('├─ label  string  ()');
    expect(r.stdout).toContain('├─ outside  → other.h5:/y  (exists)  external link  float64  (5,)');
    expect(r.stdout).toContain('absent.h5:y  (MISSING)');
    expect(r.stdout).toMatch(/2 link or source targets missing\n$/);
    const tree = JSON.parse((await acme(['inspect', 'foreign.h5', '--json'], { cwd: work })).stdout);
    const gone = tree.children.find((c: { name: string }) => c.name === 'gone');
    expect(gone.link).toEqual({ file: 'missing.h5', path: '/', resolvedFile: path.join(work, 'missing.h5'), exists: false });
  });

  test('a large container is summarized (first and last calls and a count) unless --all', async () => {
    const run = await acme(['run', `${TASKS}#randout`, 'range:0:30', '-o', 'many', '-q'], { cwd: work });
    expect(run.code).toBe(0);
    fs.rmSync(path.join(work, 'many', 'randout_payload', 'randout_17.h5'));
    const short = await acme(['inspect', 'many/randout.h5'], { cwd: work });
    expect(short.stdout).toContain('├─ comp_2  → ');
    expect(short.stdout).toContain('├─ … 24 more (comp_3 … comp_26), 1 with missing target files; --all shows them');
    expect(short.stdout).toContain('└─ comp_29  → ');
    expect(short.stdout).not.toContain('comp_10 ');
    const all = await acme(['inspect', 'many/randout.h5', '--all'], { cwd: work });
    expect(all.stdout.match(/─ comp_\d+ /g)).toHaveLength(30);
    expect(all.stdout).toContain('comp_17  → randout_payload/randout_17.h5:/  (MISSING)');
  });
});

describe('export', () => {
  test('a default container: a self-contained copy (no links) with the same names, dtypes, shapes and values', async () => {
    const r = await acme(['export', 'pair/pair.h5', 'pair-copy.h5'], { cwd: work });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('(10 datasets, 5 external links expanded;');
    const original = h5dump(path.join(work, 'pair', 'pair.h5'));
    const copy = h5dump(path.join(work, 'pair-copy.h5'));
    expect(Object.values(copy).some((e) => e.kind === 'external-link' || e.virtual)).toBe(false);
    for (let i = 0; i < 5; i++) {
      expect(copy[`/comp_${i}`].kind).toBe('group');
      for (const name of ['result_0', 'result_1']) {
        const key = `/comp_${i}/${name}`;
        expect({ dtype: copy[key].dtype, shape: copy[key].shape, values: copy[key].values }).toEqual({
          dtype: original[key].dtype,
          shape: original[key].shape,
          values: original[key].values,
        });
      }
    }
    // It stands alone: readable after the run folder is gone.
    fs.renameSync(path.join(work, 'pair-copy.h5'), path.join(work, 'moved.h5'));
    expect(h5dump(path.join(work, 'moved.h5'))['/comp_3/result_0'].values).toEqual([3, 6, 9]);
  });

  test('a virtual dataset becomes a regular dataset with the same values; refuses to overwrite unless --force', async () => {
    const first = await acme(['export', 'stacked/matconstruct.h5', 'stacked.h5'], { cwd: work });
    expect(first.code).toBe(0);
    const original = h5dump(path.join(work, 'stacked', 'matconstruct.h5'))['/result_0'];
    const copy = h5dump(path.join(work, 'stacked.h5'))['/result_0'];
    expect(copy).toMatchObject({ virtual: false, dtype: 'float64', shape: [4, 10, 9] });
    expect(copy.values).toEqual(original.values);

    const again = await acme(['export', 'stacked/matconstruct.h5', 'stacked.h5'], { cwd: work });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`${path.join(work, 'stacked.h5')} already exists; pass --force to replace it`);
    const forced = await acme(['export', 'stacked/matconstruct.h5', 'stacked.h5', '--force'], { cwd: work });
    expect(forced.code).toBe(0);
  });

  test("--force onto a payload file the container links to is refused: the call's result stays", async () => {
    const payload = path.join(work, 'pair', 'pair_payload', 'pair_2.h5');
    const before = fs.readFileSync(payload);
    const r = await acme(['export', 'pair/pair.h5', 'pair/pair_payload/pair_2.h5', '--force'], { cwd: work });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${payload} holds results ${path.join(work, 'pair', 'pair.h5')} links to; exporting onto it would destroy them (even with --force)`,
    );
    expect(fs.readFileSync(payload).equals(before)).toBe(true);
    expect(fs.readdirSync(path.dirname(payload)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // The same for a virtual dataset's source file.
    const source = path.join(work, 'stacked', 'matconstruct_payload', 'matconstruct_1.h5');
    const stacked = await acme(['export', 'stacked/matconstruct.h5', source, '--force'], { cwd: work });
    expect(stacked.code).toBe(2);
    expect(stacked.stderr).toContain('exporting onto it would destroy them');
  });

  test('a file with a dangling link: refused (naming the link) unless --skip-missing; attributes and soft links kept', async () => {
    const refused = await acme(['export', 'foreign.h5', 'foreign-copy.h5'], { cwd: work });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('/gone links to missing.h5:/');
    expect(refused.stderr).toContain('--skip-missing');
    expect(fs.readdirSync(work).filter((f) => f.startsWith('foreign-copy'))).toEqual([]);

    const r = await acme(['export', 'foreign.h5', 'foreign-copy.h5', '--skip-missing'], { cwd: work });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('left out /gone');
    const copy = h5dump(path.join(work, 'foreign-copy.h5'));
    expect(copy['/gone']).toBeUndefined();
    expect(copy['/outside']).toMatchObject({ kind: 'dataset', virtual: false, values: [0, 1, 2, 3, 4] });
    expect(copy['/vds']).toMatchObject({
      virtual: false,
      shape: [2, 5],
      values: [
        [0, 1, 2, 3, 4],
        [-1, -1, -1, -1, -1],
      ],
    });
    expect(copy['/data/x']).toMatchObject({
      dtype: 'int16',
      values: [
        [0, 1, 2],
        [3, 4, 5],
      ],
      attrs: { unit: 'mV' },
    });
    expect(copy['/data/flags'].values).toEqual([true, false]);
    expect(copy['/alias']).toEqual({ kind: 'soft-link', target: '/data/x' });
  });
});

describe('errors and help', () => {
  const run = (args: string[]) => acme(args, { cwd: work });

  test('an unknown flag gets a "did you mean"; exit 2', async () => {
    const r = await run(['run', `${TASKS}#randout`, 'range:0:3', '--n-worker', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown flag --n-worker (did you mean --n-workers?); see acme-ts run --help');
    const status = await run(['status', 'pair', '--jsn']);
    expect(status.stderr).toContain('unknown flag --jsn (did you mean --json?)');
    const command = await run(['inspekt', 'pair/pair.h5']);
    expect(command.stderr).toContain('unknown command "inspekt"; did you mean inspect?');
  });

  test('conflicting flags: --single-file with --serialize-results names both', async () => {
    const r = await run(['run', `${TASKS}#randout`, 'range:0:3', '--single-file', '--serialize-results']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--single-file and --serialize-results cannot be combined');
  });

  test("a missing module names the file; a missing export lists the module's exports", async () => {
    const module = await run(['run', './nowhere.js#f', '1']);
    expect(module.code).toBe(2);
    expect(module.stderr).toContain(`module "./nowhere.js" does not exist (resolved to ${path.join(work, 'nowhere.js')})`);
    const exported = await run(['run', `${TASKS}#randomout`, 'range:0:2']);
    expect(exported.code).toBe(2);
    expect(exported.stderr).toContain(`module ${TASKS} does not export "randomout", not a function; its exports are: `);
    expect(exported.stderr).toContain('randout, scaled, slowSquare');
    const bare = await run(['run', TASKS, 'range:0:2']);
    expect(bare.stderr).toContain(`name the function to run: acme-ts run ${TASKS}#<export>; ${TASKS} exports the functions randout, matconstruct`);
  });

  test('bad values name the flag or the input', async () => {
    const cases: [string[], string][] = [
      [['run', `${TASKS}#randout`, 'range:0:3', '--n-workers', '0'], '--n-workers must be a positive integer or "auto", got "0"'],
      [['run', `${TASKS}#randout`, 'range:0:3', '--result-shape', 'null,ten'], '--result-shape entries must be non-negative integers'],
      [['run', `${TASKS}#randout`, 'range:0:3', '--result-dtype', 'float17'], '--result-dtype must be a numeric dtype name'],
      [['run', `${TASKS}#randout`, 'range:0:3', '--timeout', 'soon'], '--timeout must be a positive duration'],
      [['run', `${TASKS}#randout`, 'rnage:0:3'], 'input 1: "rnage:" is not an input prefix; did you mean "range:"?'],
      [['run', `${TASKS}#randout`, '1', '[1,2'], 'input 2: the word [1,2 looks like JSON but is not valid JSON'],
      [['run', `${TASKS}#randout`, '@none.json'], `input 1: @none.json: the file ${path.join(work, 'none.json')} does not exist`],
      [
        ['run', `${TASKS}#randout`, 'h5:foreign.h5:/nope'],
        'input 1: "h5:foreign.h5:/nope": ' + `${path.join(work, 'foreign.h5')} has no dataset /nope; its datasets: /data/flags, /data/x`,
      ],
      [['run', `${TASKS}#scaled`, '1', '--kwarg', 'factor'], '--kwarg: expected name=value'],
      [['run', `${TASKS}#randout`, 'range:0:3', '[1,2]'], 'found 2 objects containing 2 to 3 elements. Please specify --n-inputs manually'],
      [['run', `${TASKS}#randout`, '7'], 'no input is a list to split over the calls; give one (e.g. range:0:10) or set --n-inputs N'],
      [['run', `${TASKS}#randout`, 'range:0:3', '--partition', 'gpu'], '--partition applies to the SLURM backend, but this run uses the local backend'],
      [['run', `${TASKS}#randout`, 'range:0:3', '--backend', 'cloud'], 'Invalid values'],
      [['status', work], `${work} holds no acme-ts run (no .acme-ts/manifest.json)`],
    ];
    for (const [args, message] of cases) {
      const r = await run(args);
      expect({ args, code: r.code, stderr: r.stderr }).toEqual({ args, code: 2, stderr: expect.stringContaining(message) });
    }
  });

  test("--help and each command's help show examples; completion prints a script", async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Examples:');
    for (const command of ['run', 'inspect', 'status', 'rerun', 'export']) {
      const help = await run([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Examples:');
      expect(help.stdout).toContain(`acme-ts ${command} `);
    }
    expect((await run(['run', '--help'])).stdout).toContain('range:0:100:5');
    const completion = await run(['completion']);
    expect(completion.code).toBe(0);
    expect(completion.stdout).toContain('_acme-ts_yargs_completions');
    const words = await run(['--get-yargs-completions', 'acme-ts', 'in']);
    expect(words.stdout.split('\n')).toContain('inspect');
  });
});
