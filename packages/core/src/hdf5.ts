// libhdf5 (through @acme-ts/hdf5-native) is loaded on first use: loading it costs a process or
// worker thread ≈ 10 ms, and in-memory runs need it only to round float16 stacks.

let addon: typeof import('@acme-ts/hdf5-native') | undefined;

/**
 * The addon's module, loaded now if it is not yet. Kept here: `require` re-resolves a package
 * path on every call (≈ 35 µs of file-system lookups) when the package was first loaded by
 * another module's folder, which cost 1000 payload files 35 ms.
 */
export function hdf5(): typeof import('@acme-ts/hdf5-native') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (addon ??= require('@acme-ts/hdf5-native') as typeof import('@acme-ts/hdf5-native'));
}
