#!/usr/bin/env node
// The README's first command: a real ParallelMap run writing ACME's HDF5 layout, then what
// it wrote, read back.
const { ParallelMap, openResults } = require('@acme-ts/core');
const path = require('node:path');

async function main() {
  const x = Array.from({ length: 8 }, (_, i) => i - 4); // 8 inputs → 8 calls
  // No outputDir: results go to a new ACME_YYYYMMDD-hhmmss-ffffff folder here, as in ACME.
  const pmap = new ParallelMap(path.join(__dirname, 'tasks.js#randout'), [x]);
  try {
    const payloads = await pmap.compute();
    console.log(`\noutput folder: ${pmap.outputDir}`);
    console.log(`container:     ${pmap.resultsContainer}`);
    console.log(`payload files: ${payloads.length} (first: ${path.relative(process.cwd(), payloads[0])})`);
    const results = openResults(pmap.resultsContainer);
    try {
      for (const call of results.calls()) {
        const r = call.datasets.result_0;
        console.log(`  comp_${call.taskID}/result_0  shape [${r.shape}]  ${r.dtype}  = ${Array.from(r.data).join(', ')}`);
      }
    } finally {
      results.close();
    }
    console.log(
      `\nRead it from Python:  /usr/bin/python3 -c "import h5py; f = h5py.File('${pmap.resultsContainer}'); print({k: f[k]['result_0'][()] for k in f})"`,
    );
  } finally {
    await pmap.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
