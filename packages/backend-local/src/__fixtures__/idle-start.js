// Starts a pool's workers ahead of a run (warmUp) and never runs or closes it: the process must
// still end on its own (idle workers are unref'd). Prints "started" first.
'use strict';
const path = require('node:path');
const { ThreadPool } = require('../../dist/index.js');

const pool = new ThreadPool({ nWorkers: 2, runnerModule: path.join(__dirname, 'runner.js'), setup: {} });
pool.warmUp();
process.stdout.write('started\n');
