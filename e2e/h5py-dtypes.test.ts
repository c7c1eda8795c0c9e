// Issue 20 §3: what h5py writes by default — numpy's fixed-length byte strings (`S` dtype), bytes
// as variable-length ASCII, str as variable-length UTF-8, numbers, bool, complex — read as
// `h5:` inputs and copied by `acme-ts export` (checked with h5py).
import * as fs from 'node:fs';
import { tempDir } from './support/h5';
import { acme, python, TASKS } from './fixtures/cli-harness';

let work: string;
beforeAll(() => {
  work = tempDir('h5py-dtypes');
  python(
    [
      "with h5py.File('py.h5', 'w') as f:",
      "    f['s'] = np.array([b'ab', b'cde', b''], dtype='S3')",
      "    f['s_scalar'] = np.bytes_(b'xyz')",
      "    f['s_2d'] = np.array([[b'a', b'b'], [b'c', b'd']], dtype='S1')",
      "    f['s_padded'] = np.array([b'ab\\x00', b'a b'], dtype='S4')",
      "    f['s_utf8_bytes'] = np.array(['ä'.encode(), b'x'], dtype='S2')",
      "    f['vlen_bytes'] = np.array([b'ab', b'cde'], dtype=h5py.string_dtype('ascii'))",
      "    f['vlen_str'] = np.array(['ä', 'bc'], dtype=h5py.string_dtype())",
      "    f['i16'] = np.arange(3, dtype=np.int16)",
      "    f['u64'] = np.array([0, 2**64 - 1], dtype=np.uint64)",
      "    f['f16'] = np.array([0.5, 65504], dtype=np.float16)",
      "    f['b'] = np.array([True, False, True])",
      "    f['c'] = np.array([1 + 2j, 3 - 1j])",
    ].join('\n'),
    work,
  );
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const echo = async (input: string, extra: string[] = []) => {
  const r = await acme(['run', `${TASKS}#echo`, `h5:py.h5:/${input}`, '--no-write-worker-results', '-q', ...extra], { cwd: work });
  expect([r.code, r.stderr]).toEqual([0, expect.stringMatching(/calls: \d+ done, 0 failed/)]);
  return JSON.parse(r.stdout.trim().split('\n')[0]!) as unknown;
};

test('h5: inputs: fixed-length (S) and variable-length byte strings are split as strings, NUL padding dropped', async () => {
  expect(await echo('s')).toEqual(['ab', 'cde', '']);
  expect(await echo('s_padded')).toEqual(['ab', 'a b']);
  expect(await echo('s_utf8_bytes')).toEqual(['ä', 'x']);
  expect(await echo('vlen_bytes')).toEqual(['ab', 'cde']);
  expect(await echo('vlen_str')).toEqual(['ä', 'bc']);
  // A scalar is broadcast; an N-D array is one {data, shape} value.
  expect(await echo('s_scalar', ['--n-inputs', '2'])).toEqual(['xyz', 'xyz']);
  expect(await echo('s_2d', ['--n-inputs', '1'])).toEqual([{ data: ['a', 'b', 'c', 'd'], shape: [2, 2] }]);
  expect(await echo('i16')).toEqual([0, 1, 2]);
  expect(await echo('b')).toEqual([true, false, true]);
});

test('export: every one of them copied with its dtype (S stays fixed-length) and values', async () => {
  const r = await acme(['export', 'py.h5', 'copy.h5'], { cwd: work });
  expect(r.code).toBe(0);
  const compared = python(
    [
      'import json',
      "with h5py.File('py.h5') as a, h5py.File('copy.h5') as b:",
      '    print(json.dumps({k: [str(a[k].dtype), str(b[k].dtype), bool(np.array_equal(np.asarray(a[k][()]), np.asarray(b[k][()]))), a[k].shape == b[k].shape] for k in a}))',
    ].join('\n'),
    work,
  );
  const table = JSON.parse(compared) as Record<string, [string, string, boolean, boolean]>;
  expect(Object.keys(table).sort()).toEqual(['b', 'c', 'f16', 'i16', 's', 's_2d', 's_padded', 's_scalar', 's_utf8_bytes', 'u64', 'vlen_bytes', 'vlen_str']);
  for (const [name, [from, to, same, sameShape]] of Object.entries(table)) {
    expect([name, to, same, sameShape]).toEqual([name, from, true, true]);
  }
});
