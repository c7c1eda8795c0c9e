// File modes: a ParallelMap run writing ACME's layout against a C program writing the identical
// files through libhdf5 (bench/c/acme_layout.c), and the big-result case against dd.
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { filesRun, compileAcmeLayout, cRun, libhdf5, row } = require('./fixtures/children');

const N_DEFAULT = 1000;
const N_SINGLE = 5000;
const N_VDS = 200;
const PMAP = 'ParallelMap (2 worker threads, own child process)';
const DD = 'dd if=/dev/zero bs=8000000 count=200 (same bytes, no fdatasync)';

function ddRun({ dir }) {
  const t0 = process.hrtime.bigint();
  execFileSync('dd', ['if=/dev/zero', `of=${path.join(dir, 'dd.bin')}`, 'bs=8000000', `count=${N_VDS}`, 'status=none']);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

module.exports = {
  name: 'files',
  title: 'file modes — ParallelMap vs a C libhdf5 writer of the identical files',
  targets: { default: 1.5, single: 1.5, vds: 1.2 },

  prepare(ctx) {
    compileAcmeLayout(ctx.outDir, ctx.log);
  },

  machineInfo() {
    return { libhdf5: libhdf5() };
  },

  benchmarks() {
    return [
      {
        name: `default mode, ${N_DEFAULT} calls`,
        mode: 'default',
        description:
          `${N_DEFAULT} payload files f_payload/f_i.h5 (result_0 = [2i], float64 (1,)) + container f.h5 with ` +
          `${N_DEFAULT} external links comp_i. ParallelMap also writes its manifest, arguments, status lines and log. ` +
          'Files are kept until all rounds are done (ext4 inode reuse, see the hdf5 case).',
        calls: N_DEFAULT,
        removeAtEnd: true,
        baseline: { label: 'C libhdf5 (acme_layout default)', run: cRun('default', N_DEFAULT) },
        subjects: [{ label: PMAP, run: filesRun('default', N_DEFAULT) }],
      },
      {
        name: `singleFile mode, ${N_SINGLE} calls`,
        mode: 'single',
        description: `One container f.h5 with groups comp_i/result_0 = [2i] float64 (1,), ${N_SINGLE} calls.`,
        calls: N_SINGLE,
        removeAtEnd: true,
        baseline: { label: 'C libhdf5 (acme_layout single)', run: cRun('single', N_SINGLE) },
        subjects: [{ label: PMAP, run: filesRun('single', N_SINGLE) }],
      },
      {
        name: `resultShape [null, 1000, 1000], ${N_VDS} calls`,
        mode: 'vds',
        description:
          `${N_VDS} payload files of one 1000×1000 float64 result_0 (8 MB each, 1.6 GB) + a virtual-dataset ` +
          `container (libver latest, fill NaN, relative sources). The function returns one buffer built once per ` +
          'worker (the C writer reuses one buffer too). Each run\'s folder is removed right after it, and `sync` ' +
          'runs before each run (neither timed), so no run pays for the previous run\'s write-back.',
        calls: N_VDS,
        // Every run starts with the page cache's dirty data written out (untimed), else a run
        // pays for the write-back of the previous run's 1.6 GB.
        beforeEach: () => execFileSync('sync'),
        baseline: { label: 'C libhdf5 (acme_layout vds)', run: cRun('vds', N_VDS) },
        subjects: [
          { label: PMAP, run: filesRun('vds', N_VDS) },
          { label: DD, run: ddRun },
        ],
      },
    ];
  },

  notes(results) {
    const lines = ['### Targets', ''];
    const targets = [1.5, 1.5, 1.2];
    results.forEach((r, i) => {
      const x = row(r, PMAP);
      const t = targets[i];
      lines.push(`- ${r.name}: ParallelMap ${x.ratio.median.toFixed(2)}× the C writer (median; min ${x.ratio.min.toFixed(2)}×, max ${x.ratio.max.toFixed(2)}×), target ≤ ${t}× — ${x.ratio.median <= t ? 'met' : '**missed**'}`);
    });
    const big = results[2];
    if (big) {
      const dd = row(big, DD);
      const x = row(big, PMAP);
      const c = big.rows[0];
      const perRound = x.times.map((t, k) => t / dd.times[k]).sort((a, b) => a - b);
      const mid = perRound[perRound.length >> 1];
      lines.push(
        `- ${big.name} against dd (same 1.6 GB, one file): ParallelMap ${(x.median / dd.median).toFixed(2)}× dd (medians; per-round ratios ${perRound[0].toFixed(2)}–${perRound[perRound.length - 1].toFixed(2)}×, middle ${mid.toFixed(2)}×), C writer ${(c.median / dd.median).toFixed(2)}× dd; ` +
          `bandwidth median: dd ${(1.6e3 / (dd.median / 1000)).toFixed(0)} MB/s, C ${(1.6e3 / (c.median / 1000)).toFixed(0)} MB/s, ParallelMap ${(1.6e3 / (x.median / 1000)).toFixed(0)} MB/s.`,
      );
    }
    lines.push(
      '',
      '### Where the time goes (profiled: `node --cpu-prof` of one run of each mode, `perf record -g` of the payload writes)',
      '',
      '- **default mode**: libhdf5 serializes every call in the process, so two workers writing payload',
      '  files only queue for its lock — measured on tmpfs: 1000 `writeFileAtomic` calls take ≈ 140 ms in',
      '  one thread and ≈ 190–230 ms split over two. The local backend now has small payload files',
      '  (≤ 1 MiB) written by its host thread (`deferSmallWrites`), which took 1000 calls on tmpfs from',
      '  275–300 ms to 220–245 ms. What remains: `writeFileAtomic` itself is ≈ 1.7× the C loop per file on',
      '  tmpfs (≈ 136 µs against ≈ 75 µs: the temporary name and rename that make a result file either',
      '  complete or absent, the TypeScript argument checks, the extra libhdf5 calls of a general',
      '  dataset creation), plus ≈ 50–60 ms of fixed cost (two workers start, manifest, arguments, log,',
      '  status, container links). On ext4 ≈ 45 % of a file\'s time is the kernel\'s inode allocation',
      '  (`ext4_create` → `recently_deleted`), which C pays as well; the scaling case shows the ratio',
      '  falling with the number of calls as the fixed cost is spread (≈ 1.6× at 10^4 calls).',
      '- **singleFile**: the client\'s main thread writes every result (the only writer, so calls finishing',
      '  in any order never interleave). It used to pre-create every `comp_i` group, then remove and',
      '  recreate it per call (5 libhdf5 operations per call on the container); now a group is created with',
      '  its datasets in one native call (`H5File.writeDatasets`), which took 5000 calls from 5.3× to',
      '  ≈ 3× the C writer. What remains is per call: the encoded result crosses from the worker, one',
      '  `writeDatasets` (argument checks, group + dataset creation) and one status line; C creates the',
      '  group and dataset through handles it keeps.',
      '- **resultShape / VDS**: 8 MB per call, the time is copying into the page cache; the addon hands the',
      '  typed array\'s memory to H5Dwrite, and results above 1 MiB are written by the workers (so the',
      '  computation of one call overlaps the other\'s write). Large swings between rounds come from the',
      '  kernel\'s write-back of earlier runs (hence `sync` before each run).',
      '',
    );
    return lines.join('\n');
  },
};
