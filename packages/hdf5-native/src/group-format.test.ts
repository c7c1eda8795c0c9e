// Link names are encoded as h5py encodes them (ASCII names as ASCII, others as UTF-8), so the
// groups of an ACME layout have the format h5py gives them: HDF5's original symbol table.
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { H5File, writeFileAtomic } from './index';
import { h5dump, PYTHON, tempDir } from './__fixtures__/h5check';

const dir = tempDir('groups');
const file = (name: string) => path.join(dir, name);

/** Per group: how its links are stored (the message types h5debug finds in its object header), per link: its encoding (h5py). */
function layout(f: string, groups: string[], links: [string, string][]): { groups: Record<string, string>; csets: Record<string, number> } {
  const script = `import h5py, sys, json
groups, links = json.loads(sys.argv[2]), json.loads(sys.argv[3])
def cset(group, name):
    return group.id.links.get_info(name.encode()).cset
with h5py.File(sys.argv[1], 'r') as f:
    print(json.dumps({
        'addr': {g: h5py.h5o.get_info(f[g].id).addr for g in groups},
        'csets': {g + '/' + n: cset(f[g], n) for g, n in links},
    }))`;
  const info = JSON.parse(execFileSync(PYTHON, ['-c', script, f, JSON.stringify(groups), JSON.stringify(links)], { encoding: 'utf8' }));
  const storage = (addr: number) => {
    const header = execFileSync('h5debug', [f, String(addr)], { encoding: 'utf8' });
    return /`stab'/.test(header) ? 'symbol table' : /`linfo'/.test(header) ? 'link messages' : 'unknown';
  };
  return { groups: Object.fromEntries(groups.map((g) => [g, storage(info.addr[g])])), csets: info.csets };
}

test('ASCII names give the groups h5py writes: symbol tables, ASCII link names', () => {
  const ours = file('ours.h5');
  using h = H5File.create(ours);
  h.writeDatasets([
    { path: 'comp_0/result_0', dtype: 'float64', shape: [1], data: [0] },
    { path: 'comp_1/result_0', dtype: 'float64', shape: [1], data: [2] },
  ]);
  h.createExternalLink('comp_2', 'f_payload/f_2.h5', '/');
  h.close();
  const h5pys = file('h5py.h5');
  execFileSync(PYTHON, [
    '-c',
    `import h5py, sys
with h5py.File(sys.argv[1], 'w') as f:
    for i in range(2): f.create_group(f'comp_{i}').create_dataset('result_0', data=[2.0 * i])
    f['comp_2'] = h5py.ExternalLink('f_payload/f_2.h5', '/')`,
    h5pys,
  ]);
  const groups = ['/', 'comp_0', 'comp_1'];
  const links: [string, string][] = [
    ['/', 'comp_0'],
    ['/', 'comp_2'],
    ['comp_0', 'result_0'],
  ];
  const expected = layout(h5pys, groups, links);
  // (A group that holds an external link needs link messages: a symbol table cannot hold one.)
  expect(expected).toEqual({
    groups: { '/': 'link messages', comp_0: 'symbol table', comp_1: 'symbol table' },
    csets: { '//comp_0': 0, '//comp_2': 0, 'comp_0/result_0': 0 },
  });
  expect(layout(ours, groups, links)).toEqual(expected);

  // A payload file's root group too.
  const payload = file('payload.h5');
  writeFileAtomic(payload, [{ path: 'result_0', dtype: 'float64', shape: [1], data: Float64Array.of(1) }]);
  expect(layout(payload, ['/'], [['/', 'result_0']])).toEqual({ groups: { '/': 'symbol table' }, csets: { '//result_0': 0 } });
});

test('other names are UTF-8 and read back unchanged', () => {
  const f = file('utf8.h5');
  using h = H5File.create(f);
  h.createGroup('grüße');
  h.writeDatasets([{ path: 'grüße/wert', dtype: 'int32', shape: [1], data: [5] }]);
  h.createGroup('plain');
  h.close();
  const { csets } = layout(
    f,
    ['/', 'plain'],
    [
      ['/', 'grüße'],
      ['/', 'plain'],
      ['grüße', 'wert'],
    ],
  );
  // The encoding follows the whole path given, as h5py's does.
  expect(csets).toEqual({ '//grüße': 1, '//plain': 0, 'grüße/wert': 1 });
  expect(h5dump(f)['/grüße/wert'].values).toEqual([5]);
});
