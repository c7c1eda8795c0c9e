// libhdf5 (through @acme-ts/hdf5-native) is loaded on first use: loading it costs a process or
// worker thread ≈ 10 ms, and in-memory runs never need it.

/** The addon's module, loaded now if it is not yet. */
export function hdf5(): typeof import('@acme-ts/hdf5-native') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('@acme-ts/hdf5-native');
}
