#!/usr/bin/env node
// npm's install step for @acme-ts/hdf5-native: use a prebuilt addon when one fits this machine,
// else compile native/ with node-gyp against the system's libhdf5 (see find-hdf5.js).
//   --from-source                 always compile (also: ACME_TS_HDF5_FROM_SOURCE=1)
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { findHdf5, INSTALL_HELP } = require('./find-hdf5');

const root = path.join(__dirname, '..');
const say = (text) => process.stderr.write(`@acme-ts/hdf5-native: ${text}\n`);

/** Whether `file` loads in a fresh process (right platform, N-API version and libhdf5 soname). */
function loads(file) {
  if (!fs.existsSync(file)) return false;
  const probe = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(file)}).libraryInfo()`], { stdio: 'ignore' });
  return probe.status === 0;
}

const fromSource = process.argv.includes('--from-source') || process.env.ACME_TS_HDF5_FROM_SOURCE === '1';
const prebuilt = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'hdf5_native.node');
if (!fromSource && loads(prebuilt)) {
  say(`using the prebuilt addon ${path.relative(root, prebuilt)}`);
  process.exit(0);
}

const hdf5 = findHdf5();
if (hdf5.error) {
  say(`cannot build the libhdf5 addon: ${hdf5.error}.\n${INSTALL_HELP}`);
  process.exit(1);
}
say(`building the libhdf5 addon against ${hdf5.source}`);

// npm hands its own node-gyp to install scripts; the monorepo also has one as a devDependency.
let nodeGyp = process.env.npm_config_node_gyp;
if (!nodeGyp || !fs.existsSync(nodeGyp)) {
  try {
    nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    say('node-gyp is not available: run this through npm (npm rebuild @acme-ts/hdf5-native), or `npm install -g node-gyp`.');
    process.exit(1);
  }
}
const args = [nodeGyp, 'rebuild'];
// Node's own headers, when the installation has them (Debian's nodejs, the official tarballs):
// node-gyp then downloads nothing.
const nodedir = path.resolve(process.execPath, '..', '..');
if (fs.existsSync(path.join(nodedir, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${nodedir}`);
const build = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (build.status !== 0) {
  say(`node-gyp failed (exit ${build.status ?? build.signal}). Needs a C++17 compiler and make besides libhdf5.\n${INSTALL_HELP}`);
  process.exit(1);
}
