import { planLayout } from './layout';

const out = '/data/run';
const base = { funcName: 'f', nInputs: 3, outputDir: out, singleFile: false, resultDtype: 'float64' as const };

describe('planLayout paths', () => {
  test('default mode', () => {
    const layout = planLayout({ ...base, mode: 'hdf5' });
    expect(layout.containerPath).toBe('/data/run/f.h5');
    expect(layout.payloadDir).toBe('/data/run/f_payload');
    expect(layout.payloadPath(7)).toBe('/data/run/f_payload/f_7.h5');
    expect(layout.payloadRelativePath(7)).toBe('f_payload/f_7.h5');
    expect(layout.serializedPath(2)).toBe('/data/run/f_2.v8');
    expect(layout.metaDir).toBe('/data/run/.acme-ts');
    expect(layout.logPath(new Date(2024, 0, 2, 3, 4, 5))).toBe('/data/run/ACME_f_20240102-030405.log');
    // An empty container; call i's link comes once its payload exists.
    expect(layout.container).toEqual({ libverLatest: false, virtualDatasets: [], datasets: [] });
    expect(layout.callLinks(2, ['result_0', 'result_1'])).toEqual([{ path: 'comp_2', file: 'f_payload/f_2.h5', object: '/' }]);
  });
  test('single file: no payload folder, groups made by the writer (no links)', () => {
    const layout = planLayout({ ...base, mode: 'hdf5', singleFile: true });
    expect(layout.payloadDir).toBeUndefined();
    expect(layout.container).toEqual({ libverLatest: false, virtualDatasets: [], datasets: [] });
    expect(layout.callLinks(0, ['result_0'])).toEqual([]);
  });
  test('serialized and memory modes have no container', () => {
    const serialized = planLayout({ ...base, mode: 'serialized', resultShape: [null] });
    expect([serialized.container, serialized.containerPath, serialized.payloadDir, serialized.stacked]).toEqual([undefined, undefined, undefined, false]);
    const memory = planLayout({ ...base, outputDir: undefined, mode: 'memory', resultShape: [null, 2] });
    expect([memory.container, memory.metaDir, memory.stackedShape]).toEqual([undefined, undefined, [3, 2]]);
    expect(() => memory.payloadPath(0)).toThrow('a payload file needs an output folder, but this run keeps results in memory');
  });
});

describe('planLayout with resultShape', () => {
  test('multi-file: a VDS with relative sources', () => {
    const layout = planLayout({ ...base, nInputs: 2, mode: 'hdf5', resultShape: [3, null], resultDtype: 'float32' });
    expect([layout.stacked, layout.stackingDim, layout.stackedShape, layout.unlimitedDim]).toEqual([true, 1, [3, 2], undefined]);
    expect(layout.container).toEqual({
      libverLatest: true,
      datasets: [],
      virtualDatasets: [
        {
          path: 'result_0',
          spec: {
            dtype: 'float32',
            shape: [3, 2],
            fillValue: NaN,
            mappings: [
              { virtual: { start: [0, 0], count: [3, 1] }, file: 'f_payload/f_0.h5', dataset: 'result_0', source: { shape: [3] } },
              { virtual: { start: [0, 1], count: [3, 1] }, file: 'f_payload/f_1.h5', dataset: 'result_0', source: { shape: [3] } },
            ],
          },
        },
      ],
    });
  });
  test('multi-file with Infinity: unlimited virtual and source selections', () => {
    const layout = planLayout({ ...base, nInputs: 2, mode: 'hdf5', resultShape: [null, Infinity] });
    expect(layout.unlimitedDim).toBe(1);
    const source = { shape: [0], maxshape: [null], selection: { start: [0], count: ['unlimited'] } };
    expect(layout.container!.virtualDatasets[0].spec).toEqual({
      dtype: 'float64',
      shape: [2, 0],
      maxshape: [2, null],
      fillValue: NaN,
      mappings: [
        { virtual: { start: [0, 0], count: [1, 'unlimited'] }, file: 'f_payload/f_0.h5', dataset: 'result_0', source },
        { virtual: { start: [1, 0], count: [1, 'unlimited'] }, file: 'f_payload/f_1.h5', dataset: 'result_0', source },
      ],
    });
  });
  test('single file: a regular dataset, an unlimited dimension starts at 0', () => {
    expect(planLayout({ ...base, mode: 'hdf5', singleFile: true, resultShape: [null, 4] }).container).toEqual({
      libverLatest: false,
      virtualDatasets: [],
      datasets: [{ path: 'result_0', spec: { dtype: 'float64', shape: [3, 4], fillValue: NaN, neverFill: true } }],
    });
    expect(planLayout({ ...base, mode: 'hdf5', singleFile: true, resultShape: [Infinity, null], resultDtype: 'int32' }).container!.datasets).toEqual([
      { path: 'result_0', spec: { dtype: 'int32', shape: [0, 3], maxshape: [null, 3], fillValue: 0 } },
    ]);
  });
  test('extra return values become comp_i/result_k links', () => {
    const layout = planLayout({ ...base, nInputs: 2, mode: 'hdf5', resultShape: [null] });
    expect(layout.callLinks(1, ['result_0', 'result_1', 'result_2'])).toEqual([
      { path: 'comp_1/result_1', file: 'f_payload/f_1.h5', object: 'result_1' },
      { path: 'comp_1/result_2', file: 'f_payload/f_1.h5', object: 'result_2' },
    ]);
    expect(layout.callLinks(0, ['result_0'])).toEqual([]);
  });
});

describe('planLayout with the named resultShape', () => {
  const named = { spectrum: [null, 2], mean: [Infinity, null] };
  const dtypes = { spectrum: 'float32' as const, mean: 'int32' as const };

  test('multi-file: one VDS per key, named by it, mapping that key of every payload file; the other keys are linked per call', () => {
    const layout = planLayout({ ...base, nInputs: 2, mode: 'hdf5', resultShape: named, resultDtype: dtypes });
    expect([layout.stacked, layout.stackedShape]).toEqual([true, undefined]);
    expect(layout.stacks).toEqual([
      { name: 'spectrum', shape: [2, 2], stackingDim: 0, unlimitedDim: undefined, dtype: 'float32' },
      { name: 'mean', shape: [Infinity, 2], stackingDim: 1, unlimitedDim: 0, dtype: 'int32' },
    ]);
    const [spectrum, mean] = layout.container!.virtualDatasets;
    expect(layout.container!.libverLatest).toBe(true);
    expect(spectrum!.path).toBe('spectrum');
    expect(spectrum!.spec).toMatchObject({ dtype: 'float32', shape: [2, 2], fillValue: NaN });
    expect(spectrum!.spec.mappings[1]).toEqual({
      virtual: { start: [1, 0], count: [1, 2] },
      file: 'f_payload/f_1.h5',
      dataset: 'spectrum',
      source: { shape: [2] },
    });
    expect(mean!.path).toBe('mean');
    expect(mean!.spec).toMatchObject({ dtype: 'int32', shape: [0, 2], maxshape: [null, 2], fillValue: 0 });
    expect(mean!.spec.mappings[0]!.dataset).toBe('mean');
    expect(layout.callLinks(1, ['spectrum', 'mean', 'sd', 'fit/slope', 'fit/ok'])).toEqual([
      { path: 'comp_1/sd', file: 'f_payload/f_1.h5', object: 'sd' },
      { path: 'comp_1/fit', file: 'f_payload/f_1.h5', object: 'fit' },
    ]);
  });

  test('singleFile: one regular dataset per key; memory: stacks only', () => {
    const single = planLayout({ ...base, nInputs: 2, mode: 'hdf5', singleFile: true, resultShape: named, resultDtype: dtypes });
    expect(single.container!.datasets).toEqual([
      { path: 'spectrum', spec: { dtype: 'float32', shape: [2, 2], fillValue: NaN, neverFill: true } },
      { path: 'mean', spec: { dtype: 'int32', shape: [0, 2], maxshape: [null, 2], fillValue: 0 } },
    ]);
    expect(single.callLinks(0, ['sd'])).toEqual([]);
    const memory = planLayout({ ...base, outputDir: undefined, mode: 'memory', resultShape: { spectrum: [null, 2] }, resultDtype: { spectrum: 'float64' } });
    expect([memory.container, memory.stacks.map((s) => s.name)]).toEqual([undefined, ['spectrum']]);
  });
});
