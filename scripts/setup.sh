#!/usr/bin/env bash
# One-step set-up from a clean clone on Debian 12: system packages, npm dependencies, the
# libhdf5 addon and the TypeScript build. Idempotent and quick when everything is in place,
# so `npm test`, `npm run example` and `npm run bench` call it first.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "[setup] $*"; }

# --- system packages -------------------------------------------------------------------------
# libhdf5 for the addon, h5dump and h5py as independent readers in tests, SLURM + munge for the
# SLURM backend's tests, a C/C++ toolchain for node-gyp.
DEB_PACKAGES=(libhdf5-dev hdf5-tools python3 python3-h5py python3-numpy slurm-wlm munge g++ make pkg-config)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "acme-ts set-up needs these Debian packages, which are not installed:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    echo "Install them (as root), then run this command again." >&2
    exit 1
  fi
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- npm dependencies ------------------------------------------------------------------------
stamp=node_modules/.acme-ts-setup-stamp
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  touch "$stamp"
fi

# --- native addon ----------------------------------------------------------------------------
# `npm ci` compiles it already (the package's install script, as for users); rebuilt here when
# its sources changed since.
addon_dir=packages/hdf5-native
addon="$addon_dir/build/Release/hdf5_native.node"
if [ -f "$addon_dir/binding.gyp" ]; then
  if [ ! -f "$addon" ] || [ -n "$(find "$addon_dir/binding.gyp" "$addon_dir/native" "$addon_dir/scripts" -newer "$addon" -print -quit 2>/dev/null)" ]; then
    say "building the libhdf5 addon"
    npm run --silent build --workspace @acme-ts/hdf5-native
  fi
fi

# --- TypeScript --------------------------------------------------------------------------------
npx tsc -b
node packages/backend-local/scripts/bundle-worker.js

# --- the acme-ts command -------------------------------------------------------------------------
# npm links a workspace's bin only when its target exists, and dist/ is built after `npm ci`:
# link it (and make it executable) now that the build made it.
if [ ! -x node_modules/.bin/acme-ts ] || [ ! -x packages/cli/dist/bin.js ]; then
  npm rebuild @acme-ts/cli --ignore-scripts --loglevel=error >/dev/null
fi
