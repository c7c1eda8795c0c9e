export { H5File, writeFileAtomic, libraryInfo, fileImageStats, roundToFloat16, SMALL_METADATA_CACHE_BYTES, FILE_IMAGES_ENV } from './h5file';
export type { WriteFileAtomicOptions } from './h5file';
export { Hdf5Error, Hdf5RowError } from './errors';
export { elementBytes } from './convert';
export type { Hdf5ErrorCode } from './errors';
export type {
  AttributeArray,
  AttributeInput,
  AttributeReadValue,
  AttributeValue,
  DataInput,
  DatasetColumn,
  NumberedGroups,
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
