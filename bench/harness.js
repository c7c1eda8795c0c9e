// The benchmark harness: runs each case's variants interleaved (baseline, subject, subject …,
// baseline, …) so drift on a shared machine hits all of them alike, and reports min / median /
// max of every variant plus the same figures as ratios against the baseline.
'use strict';
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

function sh(cmd) {
  try {
    return execSync(cmd, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
/** The load average when this module was loaded, i.e. when the run started. */
const loadAtStart = loadavg();

function machineInfo(extra = {}, filesDir = process.env.BENCH_DIR || os.tmpdir()) {
  const commit = sh('git rev-parse --short HEAD');
  const dirty = sh('git status --porcelain --untracked-files=no') ? ' (+ uncommitted changes)' : '';
  return {
    cpus: String(os.availableParallelism ? os.availableParallelism() : os.cpus().length) + ' (nproc ' + sh('nproc') + ')',
    cpu: (os.cpus()[0] && os.cpus()[0].model) || 'unknown',
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    date: new Date().toISOString(),
    commit: commit + dirty,
    node: process.version,
    'files written to':
      `${filesDir} (` +
      sh(`df --output=fstype,target ${JSON.stringify(filesDir)} | tail -1`)
        .replace(/\s+/g, ' ')
        .trim() +
      ')',
    'load average at start (1/5/15 min)': loadAtStart,
    'load average at end (1/5/15 min)': loadavg(),
    ...extra,
  };
}

function stats(times) {
  const s = [...times].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median, max: s[s.length - 1], n: s.length };
}

/**
 * benchmark = { name, description, repeats?, baseline: variant, subjects: variant[] }
 * variant   = { label, run(ctx) → ms | { ms, metrics? } | undefined }  (undefined: the harness
 *             times the call; metrics: named numbers, e.g. { 'peak RSS MiB': 123 }, reported with
 *             min / median / max beside the times)
 * bench.calls: number of calls per run; the table then adds µs per call and calls/s.
 * bench.beforeEach(): optional, untimed, before every run (e.g. `sync`, so every run starts
 *             without dirty pages left by the previous one).
 * ctx       = { dir } a fresh empty folder per run, removed afterwards (not timed). With
 *             bench.removeAtEnd the folders are removed only after all runs: deleting many
 *             files makes the next run's file creation slower (ext4 skips recently freed
 *             inodes), which would favour whichever variant runs first.
 */
async function runBenchmark(bench, { repeats, workDir, log }) {
  const variants = [bench.baseline, ...bench.subjects];
  const times = variants.map(() => []);
  const metrics = variants.map(() => ({}));
  const n = Math.max(repeats, bench.minRepeats || 0);
  const pending = [];
  const remove = (dir) => fs.rmSync(dir, { recursive: true, force: true });
  for (let r = 0; r < n; r++) {
    for (let v = 0; v < variants.length; v++) {
      const dir = fs.mkdtempSync(path.join(workDir, 'run-'));
      if (bench.beforeEach) await bench.beforeEach();
      try {
        const t0 = process.hrtime.bigint();
        const reported = await variants[v].run({ dir });
        const measured = Number(process.hrtime.bigint() - t0) / 1e6;
        if (reported && typeof reported === 'object') {
          times[v].push(typeof reported.ms === 'number' ? reported.ms : measured);
          for (const [k, x] of Object.entries(reported.metrics || {})) (metrics[v][k] ??= []).push(x);
        } else {
          times[v].push(typeof reported === 'number' ? reported : measured);
        }
      } finally {
        if (bench.removeAtEnd) pending.push(dir);
        else remove(dir);
      }
    }
    log(`  ${bench.name}: round ${r + 1}/${n}: ` + variants.map((vv, i) => `${vv.label} ${times[i][r].toFixed(0)} ms`).join(', '));
  }
  pending.forEach(remove);
  const base = stats(times[0]);
  return {
    name: bench.name,
    description: bench.description,
    calls: bench.calls,
    rows: variants.map((variant, i) => {
      const s = stats(times[i]);
      return {
        label: variant.label,
        ...s,
        times: times[i],
        metrics: Object.fromEntries(Object.entries(metrics[i]).map(([k, xs]) => [k, stats(xs)])),
        ratio: { min: s.min / base.min, median: s.median / base.median, max: s.max / base.max },
      };
    }),
  };
}

const fmtMs = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms >= 1 ? ms.toFixed(2) : ms.toPrecision(2));
const fmtRatio = (r) => (r >= 0.1 ? `${r.toFixed(2)}×` : `${r.toPrecision(2)}×`);
const fmtCount = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)} k` : x.toFixed(0));

function benchmarkTable(result) {
  const lines = [
    `#### ${result.name}`,
    '',
    result.description,
    '',
    `| variant | min ms | median ms | max ms | min ratio | median ratio | max ratio |`,
    `| --- | ---: | ---: | ---: | ---: | ---: | ---: |`,
  ];
  for (const r of result.rows) {
    lines.push(
      `| ${r.label} | ${fmtMs(r.min)} | ${fmtMs(r.median)} | ${fmtMs(r.max)} | ${fmtRatio(r.ratio.min)} | ${fmtRatio(r.ratio.median)} | ${fmtRatio(r.ratio.max)} |`,
    );
  }
  lines.push('', `Runs per variant: ${result.rows[0].n}, interleaved. Ratio = variant figure ÷ baseline (first row) figure.`, '');
  const metricNames = [...new Set(result.rows.flatMap((r) => Object.keys(r.metrics || {})))];
  if (result.calls || metricNames.length > 0) {
    const head = ['variant'];
    if (result.calls) head.push('calls/s min / median / max', 'µs per call (median)', 'throughput ÷ baseline (median)');
    for (const m of metricNames) head.push(`${m} min / median / max`);
    lines.push(`| ${head.join(' | ')} |`, `| --- |${' ---: |'.repeat(head.length - 1)}`);
    const base = result.rows[0];
    for (const r of result.rows) {
      const cells = [r.label];
      if (result.calls) {
        const rate = (ms) => fmtCount(result.calls / (ms / 1000));
        cells.push(`${rate(r.max)} / ${rate(r.median)} / ${rate(r.min)}`, fmtMs((r.median * 1000) / result.calls), fmtRatio(base.median / r.median));
      }
      for (const m of metricNames) {
        const s = r.metrics && r.metrics[m];
        cells.push(s ? `${fmtMs(s.min)} / ${fmtMs(s.median)} / ${fmtMs(s.max)}` : '—');
      }
      lines.push(`| ${cells.join(' | ')} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

const START = (name) => `<!-- case:${name} -->`;
const END = (name) => `<!-- /case:${name} -->`;

/** Rewrites RESULTS.md: a fresh machine header, the sections of the cases just run, others kept. */
function writeResults(file, machine, sections) {
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const kept = {};
  const re = /<!-- case:([\w-]+) -->[\s\S]*?<!-- \/case:\1 -->/g;
  for (const m of old.matchAll(re)) kept[m[1]] = m[0];
  for (const s of sections) kept[s.name] = `${START(s.name)}\n${s.markdown}\n${END(s.name)}`;
  const header = [
    '# acme-ts benchmark results',
    '',
    'Written by `npm run bench` (`node bench/run.js [filter]`). Sections of cases not run in the',
    'latest invocation are kept from earlier runs; each section states when it was measured.',
    '',
    '## Machine (latest run)',
    '',
    ...Object.entries(machine).map(([k, v]) => `- ${k}: ${v}`),
    '',
  ].join('\n');
  fs.writeFileSync(
    file,
    header +
      '\n' +
      Object.keys(kept)
        .sort()
        .map((k) => kept[k])
        .join('\n\n') +
      '\n',
  );
}

module.exports = { machineInfo, runBenchmark, benchmarkTable, writeResults, stats, sh };
