// The independent reader for end-to-end tests: Debian's python3-h5py via the check script the
// hdf5-native tests use (one script for the whole repo).
export { h5dump, h5copyExpand, PYTHON, tempDir } from '../../packages/hdf5-native/src/__fixtures__/h5check';
export type { Dump } from '../../packages/hdf5-native/src/__fixtures__/h5check';
