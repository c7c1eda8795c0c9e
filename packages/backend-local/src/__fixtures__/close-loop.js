// Runs a pool and closes it N times in one process, printing "closed N" at the end. A close()
// that lets the event loop end early (an unref'd worker still terminating) makes the process
// exit before the last line, with code 0 and no error.
'use strict';
const path = require('node:path');
const { ThreadPool } = require('../../dist/index.js');

const runnerModule = path.join(__dirname, 'runner.js');
const rounds = Number(process.argv[2] || 40);
(async () => {
  for (let i = 0; i < rounds; i++) {
    const pool = new ThreadPool({ nWorkers: 2, runnerModule, setup: {} });
    await pool.run(
      Array.from({ length: 200 }, (_, k) => k),
      () => {},
    );
    await pool.close();
  }
  process.stdout.write(`closed ${rounds}\n`);
})();
