export { H5File, writeFileAtomic, libraryInfo, fileImageStats } from './h5file';
export { Hdf5Error } from './errors';
export type { Hdf5ErrorCode } from './errors';
export type {
  AttributeValue,
  DataInput,
  DatasetInfo,
  DatasetSpec,
  DatasetWrite,
  Dtype,
  NodeEntry,
  NodeKind,
  ReadResult,
  Selection,
  TypedArray,
  VirtualDatasetSpec,
  VirtualMapping,
} from './types';
