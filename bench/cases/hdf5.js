// HDF5 writing: the acme-ts API (@acme-ts/hdf5-native) against the same work done by a plain C
// program through libhdf5 (bench/c/hdf5_bench.c, compiled here into bench/out/).
'use strict';
const { execFileSync } = require('node:child_process');
const { compileC } = require('./fixtures/children');

const N_SMALL = 1000;
const N_BIG = 200;
const BIG = [1000, 1000];
const SMALL_DATA = Float64Array.from({ length: 10 }, (_, i) => i * 0.5);
const BIG_DATA = Float64Array.from({ length: BIG[0] * BIG[1] }, (_, i) => i * 1e-3);

let cBinary;
let h5;

/** Runs the C baseline; it reports the time of its HDF5 work (process start-up excluded). */
function runC(mode, n) {
  return ({ dir }) => Number(execFileSync(cBinary, [mode, dir, String(n)], { encoding: 'utf8' }).trim());
}

function timed(fn) {
  return ({ dir }) => {
    const t0 = process.hrtime.bigint();
    fn(dir);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
}

module.exports = {
  name: 'hdf5',
  title: 'HDF5 writing — acme-ts API vs libhdf5 C',

  prepare(ctx) {
    cBinary = compileC('hdf5_bench', ctx.outDir, ctx.log);
    h5 = require('@acme-ts/hdf5-native');
  },

  machineInfo() {
    const info = h5.libraryInfo();
    return { libhdf5: `${info.version} (threadsafe: ${info.threadsafe}, file locking: ${info.fileLocking})` };
  },

  benchmarks() {
    const smallSpec = { dtype: 'float64', shape: [10] };
    const bigSpec = { dtype: 'float64', shape: BIG };
    return [
      {
        name: `(a) ${N_SMALL} small files`,
        description: `Create, write one 10-element float64 dataset, close: ${N_SMALL} files.`,
        removeAtEnd: true,
        baseline: { label: 'C libhdf5 (H5Fcreate EXCL)', run: runC('small', N_SMALL) },
        subjects: [
          {
            label: 'writeFileAtomic (tmp name + rename)',
            run: timed((dir) => {
              for (let i = 0; i < N_SMALL; i++) {
                h5.writeFileAtomic(`${dir}/f_${i}.h5`, [{ path: '/result_0', ...smallSpec, data: SMALL_DATA }]);
              }
            }),
          },
          {
            label: 'H5File.create + createDataset + write + close',
            run: timed((dir) => {
              for (let i = 0; i < N_SMALL; i++) {
                const f = h5.H5File.create(`${dir}/f_${i}.h5`);
                f.createDataset('/result_0', smallSpec);
                f.write('/result_0', SMALL_DATA);
                f.close();
              }
            }),
          },
        ],
      },
      {
        name: `(b) ${N_BIG} × 1000×1000 float64 in one file`,
        description: `${N_BIG} datasets of 8 MB (1.6 GB) written into one file.`,
        baseline: { label: 'C libhdf5', run: runC('onefile', N_BIG) },
        subjects: [
          {
            label: 'H5File createDataset + write',
            run: timed((dir) => {
              const f = h5.H5File.create(`${dir}/one.h5`);
              for (let i = 0; i < N_BIG; i++) {
                f.createDataset(`/result_${i}`, bigSpec);
                f.write(`/result_${i}`, BIG_DATA);
              }
              f.close();
            }),
          },
        ],
      },
      {
        name: `(c) ${N_BIG} files of one 1000×1000 float64`,
        description: `${N_BIG} files, each one 8 MB dataset (1.6 GB in all).`,
        baseline: { label: 'C libhdf5 (H5Fcreate EXCL)', run: runC('manyfiles', N_BIG) },
        subjects: [
          {
            label: 'writeFileAtomic (tmp name + rename)',
            run: timed((dir) => {
              for (let i = 0; i < N_BIG; i++) {
                h5.writeFileAtomic(`${dir}/f_${i}.h5`, [{ path: '/result_0', ...bigSpec, data: BIG_DATA }]);
              }
            }),
          },
          {
            label: 'H5File.create + createDataset + write + close',
            run: timed((dir) => {
              for (let i = 0; i < N_BIG; i++) {
                const f = h5.H5File.create(`${dir}/f_${i}.h5`);
                f.createDataset('/result_0', bigSpec);
                f.write('/result_0', BIG_DATA);
                f.close();
              }
            }),
          },
        ],
      },
    ];
  },

  notes(results) {
    const target = 1.2;
    const lines = ['### Notes', '', `Target: every acme-ts variant within ${target}× of the C baseline (median).`, ''];
    for (const r of results) {
      for (const row of r.rows.slice(1)) {
        const ok = row.ratio.median <= target;
        lines.push(`- ${r.name} — ${row.label}: ${row.ratio.median.toFixed(2)}× ${ok ? '(met)' : '(**missed**)'}`);
      }
    }
    lines.push(
      '',
      'How it is measured: the C program reports the time of its own HDF5 work (process start-up',
      'excluded); the TypeScript variants are timed in this process around the same loop. Every',
      'run writes into a fresh folder that is removed afterwards (removal not timed). Files go to',
      'the OS temp folder (page cache; no fsync, as in libhdf5 by default). Data buffers are built',
      'once and reused by both sides, so the figures are the per-file / per-dataset costs.',
      '',
      'Where the time goes (profiled with perf while writing this case, 2-core VM shared with other',
      'jobs, so single figures swing by 2× between rounds; compare the ratios and medians):',
      '',
      '- (a) small files: on ext4 most time is kernel inode allocation (`find_inode_bit`,',
      '  `recently_deleted`), which depends on how many files were deleted recently — hence the',
      '  runs keep their files until all rounds are done. On tmpfs (`BENCH_DIR=/dev/shm`) per file:',
      '  C ≈ 75 µs for everything; our H5Fcreate+H5Fclose alone ≈ 60 µs, createDataset adds ≈ 30 µs',
      '  (more libhdf5 calls than the C loop: a type copy, intermediate-group link creation, and the',
      '  write reopens type/space to check the data length), writeFileAtomic adds ≈ 15 µs (rename,',
      '  one N-API call parsing the dataset spec) and the TypeScript validation ≈ 20 µs. That is',
      '  ≈ 50 µs per file over C, i.e. 1.4–1.8× for files this small; the target is missed here.',
      '  The absolute cost (≈ 0.13 ms per file) is small next to any real function call.',
      '- (b), (c) 8 MB datasets: time is the data copy into the page cache; the addon passes the',
      "  typed array's memory straight to H5Dwrite (no copy, no conversion), so it is as fast as C",
      '  within the noise. The tmp-name + rename of writeFileAtomic costs nothing measurable.',
      '',
    );
    return lines.join('\n');
  },
};
