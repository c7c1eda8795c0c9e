#!/usr/bin/env node
// acme-ts benchmark harness. Usage: node bench/run.js [filter] [--repeats N]
// Runs every module in bench/cases/ whose name contains `filter`, writes bench/RESULTS.md.
// A case module exports { name, title, prepare?(ctx), benchmarks(ctx) → benchmark[],
// notes?(results, ctx) → markdown, machineInfo?(ctx) → extra header fields }; see harness.js.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { machineInfo, runBenchmark, benchmarkTable, writeResults } = require('./harness');

async function main() {
  const args = process.argv.slice(2);
  let repeats = 5;
  const filters = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--repeats') repeats = Number(args[++i]);
    else filters.push(args[i]);
  }
  if (!Number.isInteger(repeats) || repeats < 5) {
    throw new Error(`--repeats must be an integer ≥ 5 (min/median/max need several runs), got ${repeats}`);
  }
  const casesDir = path.join(__dirname, 'cases');
  const cases = fs
    .readdirSync(casesDir)
    .filter((f) => f.endsWith('.js'))
    .sort()
    .map((f) => require(path.join(casesDir, f)))
    .filter((c) => filters.length === 0 || filters.some((f) => c.name.includes(f)));
  if (cases.length === 0) throw new Error(`no benchmark case matches ${filters.join(', ')}`);
  const outDir = path.join(__dirname, 'out');
  fs.mkdirSync(outDir, { recursive: true });
  // BENCH_DIR picks the file system the cases write to (default: bench/out/, on the disk that
  // holds the checkout — the OS temp folder may be a tmpfs, which would hide the file system).
  const filesDir = process.env.BENCH_DIR || outDir;
  const workDir = fs.mkdtempSync(path.join(filesDir, 'acme-bench-'));
  const log = (s) => console.log(s);
  const sections = [];
  let extra = {};
  try {
    for (const c of cases) {
      log(`# ${c.name}: ${c.title}`);
      const ctx = { outDir, workDir, filesDir, repeats, log };
      if (c.prepare) await c.prepare(ctx);
      if (c.machineInfo) extra = { ...extra, ...c.machineInfo(ctx) };
      const results = [];
      for (const b of c.benchmarks(ctx)) results.push(await runBenchmark(b, { repeats, workDir, log }));
      const markdown = [
        `## ${c.name}: ${c.title}`,
        '',
        `Measured ${new Date().toISOString()}.`,
        '',
        ...results.map(benchmarkTable),
        c.notes ? c.notes(results, ctx) : '',
      ].join('\n');
      sections.push({ name: c.name, markdown });
      for (const r of results) {
        log(`  ${r.name}`);
        for (const row of r.rows) log(`    ${row.label.padEnd(44)} median ${row.median.toFixed(1)} ms  (${row.ratio.median.toFixed(2)}×)`);
      }
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
  const file = path.join(__dirname, 'RESULTS.md');
  writeResults(file, machineInfo(extra, filesDir), sections);
  log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
