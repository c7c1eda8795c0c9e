#!/usr/bin/env node
// Where libhdf5 is: compiler and linker flags for binding.gyp, and the help text shown when it
// cannot be found (by the install script and by the addon loader). Plain CommonJS without
// dependencies: it runs at install time, before anything is built.
//
//   HDF5_DIR=/opt/hdf5     <dir>/include and <dir>/lib (or lib64): HPC modules, conda, own builds
//   otherwise pkg-config   `hdf5` or `hdf5-serial` (Debian's serial build), so PKG_CONFIG_PATH
//                          points at any other installation
//
// Usage from binding.gyp: `node scripts/find-hdf5.js cflags|libs`.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const INSTALL_HELP = [
  'libhdf5 (with its headers) is needed to build @acme-ts/hdf5-native. Install it, then run `npm rebuild @acme-ts/hdf5-native`:',
  '  Debian/Ubuntu:  apt-get install libhdf5-dev pkg-config g++ make',
  '  RHEL/Fedora:    dnf install hdf5-devel pkgconf-pkg-config gcc-c++ make   (RHEL: from EPEL)',
  '  conda:          conda install -c conda-forge hdf5   then   export HDF5_DIR="$CONDA_PREFIX"',
  'A custom HDF5 (e.g. `module load hdf5` on a cluster): set HDF5_DIR to its prefix (the folder holding include/ and lib/),',
  'or add the folder holding its hdf5.pc to PKG_CONFIG_PATH.',
].join('\n');

function pkgConfig(args) {
  return execFileSync('pkg-config', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

/** `{ cflags, libs, source }` (arrays of flags), or `{ error }` saying what was tried. */
function findHdf5(env = process.env) {
  const dir = env.HDF5_DIR;
  if (dir) {
    const include = path.join(dir, 'include');
    const lib = ['lib', 'lib64'].map((l) => path.join(dir, l)).find((l) => fs.existsSync(l));
    if (!fs.existsSync(path.join(include, 'hdf5.h')) || lib === undefined) {
      return { error: `HDF5_DIR=${dir} holds no include/hdf5.h with a lib/ (or lib64/) folder` };
    }
    // rpath: a module-loaded HDF5 is not on the loader's path once the module is unloaded.
    return { cflags: [`-I${include}`], libs: [`-L${lib}`, '-lhdf5', `-Wl,-rpath,${lib}`], source: `HDF5_DIR=${dir}` };
  }
  for (const name of ['hdf5', 'hdf5-serial']) {
    try {
      const cflags = pkgConfig(['--cflags', name]).split(/\s+/).filter(Boolean);
      const libs = pkgConfig(['--libs', name]).split(/\s+/).filter(Boolean);
      // rpath only outside /usr: the system's own libhdf5 is found by the loader anyway.
      const rpaths = libs.filter((f) => f.startsWith('-L') && !f.startsWith('-L/usr/')).map((f) => `-Wl,-rpath,${f.slice(2)}`);
      return { cflags, libs: [...libs, ...rpaths], source: `pkg-config ${name}` };
    } catch {
      // not this name (or no pkg-config at all): try the next
    }
  }
  return { error: 'HDF5_DIR is not set and pkg-config knows no hdf5 (nor hdf5-serial)' };
}

module.exports = { findHdf5, INSTALL_HELP };

if (require.main === module) {
  const found = findHdf5();
  if (found.error) {
    process.stderr.write(`${found.error}.\n${INSTALL_HELP}\n`);
    process.exit(1);
  }
  const which = process.argv[2];
  if (which !== 'cflags' && which !== 'libs') {
    process.stderr.write('usage: node scripts/find-hdf5.js cflags|libs\n');
    process.exit(2);
  }
  process.stdout.write(found[which].join(' ') + '\n');
}
