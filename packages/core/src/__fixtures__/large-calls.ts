// Calls with datasets large enough to be journaled by reference (container.test.ts, copy-slots.test.ts).
import { execFileSync } from 'node:child_process';
import type { EncodedDataset } from '../result-encoding';

// Call `taskID` with two datasets large enough to be journaled by reference and a small one.
export const largeCall = (taskID: number): EncodedDataset[] => [
  { name: 'result_0', dtype: 'float64', shape: [512, 512], data: Float64Array.from({ length: 1 << 18 }, (_, i) => taskID + i * 0.5) },
  { name: 'result_1', dtype: 'int32', shape: [3], data: Int32Array.of(taskID, -1, 7) },
  { name: 'result_2', dtype: 'int16', shape: [1 << 19], data: Int16Array.from({ length: 1 << 19 }, (_, i) => ((i * 7 + taskID) % 30000) - 15000) },
];
/** h5py's verdict on comp_<taskID> of `file` holding largeCall(taskID), value by value. */
export const h5pyHoldsLargeCall = (file: string, taskID: number): string =>
  execFileSync(
    '/usr/bin/python3',
    [
      '-c',
      [
        'import sys, h5py, numpy as np',
        'g = h5py.File(sys.argv[1], "r")["comp_" + sys.argv[2]]; t = int(sys.argv[2]); i = np.arange(1 << 19)',
        'print(g["result_0"].dtype == np.float64 and g["result_0"].shape == (512, 512) and np.array_equal(g["result_0"][()].ravel(), t + np.arange(1 << 18) * 0.5)',
        '      and list(g["result_1"][()]) == [t, -1, 7] and g["result_2"].dtype == np.int16 and np.array_equal(g["result_2"][()], (i * 7 + t) % 30000 - 15000))',
      ].join('\n'),
      file,
      String(taskID),
    ],
    { encoding: 'utf8' },
  ).trim();
