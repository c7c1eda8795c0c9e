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
      datasets: [{ path: 'result_0', spec: { dtype: 'float64', shape: [3, 4], fillValue: NaN } }],
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
