// SLURM: ParallelMap on the local test cluster against a bare `sbatch --array` doing the same
// work with the same grouping (one node process per task computing its chunk and writing one
// HDF5 file per call) and the cheapest possible client (it watches the folder for the tasks'
// marker files every 20 ms). Both submit with the same reduced environment and --export=ALL.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const WORK = path.join(__dirname, 'fixtures', 'slurm-work.js');
const BARE_TASK = path.join(__dirname, 'fixtures', 'slurm-bare-task.js');
const REPO = path.join(__dirname, '..', '..');
const N_WORKERS = 16;

let ParallelMap;

function bareArray(fn, n) {
  const perTask = Math.ceil(n / N_WORKERS);
  const nTasks = Math.ceil(n / perTask);
  return async ({ dir }) => {
    const t0 = process.hrtime.bigint();
    const script = path.join(dir, 'bare.sh');
    fs.writeFileSync(script, `#!/bin/sh\nexec '${process.execPath}' '${BARE_TASK}' '${dir}' ${fn} ${n} ${perTask}\n`);
    fs.mkdirSync(path.join(dir, 'logs'));
    const env = { PATH: process.env.PATH, HOME: process.env.HOME };
    execFileSync('sbatch', ['--parsable', `--array=0-${nTasks - 1}%${N_WORKERS}`, '--export=ALL', `--output=${dir}/logs/%A_%a.out`, script], { env });
    while (fs.readdirSync(dir).filter((f) => f.startsWith('done_')).length < nTasks) await new Promise((r) => setTimeout(r, 20));
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
}

function parallelMap(fn, n) {
  return async ({ dir }) => {
    const t0 = process.hrtime.bigint();
    const pmap = new ParallelMap(`${WORK}#${fn}`, [Array.from({ length: n }, (_, i) => i)], {
      verbose: false,
      logfile: false,
      outputDir: path.join(dir, 'run'),
      backend: 'slurm',
      slurm: { nWorkers: N_WORKERS },
    });
    await pmap.compute();
    await pmap.close();
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
}

module.exports = {
  name: 'slurm',
  title: 'SLURM job arrays — ParallelMap (backend "slurm") vs a bare sbatch --array',

  prepare() {
    execFileSync('bash', [path.join(REPO, 'scripts', 'slurm-start.sh')], { stdio: 'inherit' });
    ({ ParallelMap } = require('@acme-ts/core'));
  },

  machineInfo() {
    const version = execFileSync('sinfo', ['--version'], { encoding: 'utf8' }).trim();
    return { slurm: `${version}, single-node test cluster (scripts/slurm-start.sh, 16 CPUs advertised)` };
  },

  benchmarks() {
    const cases = [
      ['trivial', 1000, '1000 trivial calls (x → 2x), one payload file each'],
      ['sleepy', 200, '200 calls sleeping 0.1 s each, one payload file each'],
    ];
    return cases.map(([fn, n, description]) => ({
      name: `${n} × ${fn}`,
      description: `${description}; ${N_WORKERS} array tasks of ${Math.ceil(n / N_WORKERS)} calls, %${N_WORKERS} throttle.`,
      removeAtEnd: true,
      baseline: { label: 'bare sbatch --array + node task', run: bareArray(fn, n) },
      subjects: [{ label: 'ParallelMap backend "slurm"', run: parallelMap(fn, n) }],
    }));
  },

  notes() {
    return [
      '',
      'Both sides pay the same scheduler cost (one array, 16 tasks started at ≈ 23/s) and one Node start per task.',
      'ParallelMap adds: writing setup and chunk files, validating options (scontrol), the call runner in a worker',
      'thread inside each task, status lines, the container with one external link per call, and squeue polling',
      '(first look after 0.2 s, then ×1.5 up to 5 s while nothing new is reported).',
      '',
      "Runs swing with the machine: on 2026-11-25 ParallelMap's median for 1000 trivial calls was 1.74 s at 18:10",
      "and 1.88–2.06 s at 19:00, while the bare array's went from 1.29 s to 1.11–1.14 s. An interleaved A/B of the",
      "code before and after that evening's changes gave 1.90 s and 1.94 s (5 runs each): the move is not the code's.",
    ].join('\n');
  },
};
