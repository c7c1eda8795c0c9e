// Loads the compiled addon. It is context-aware, so every worker thread may load it.
import * as path from 'node:path';

export interface NativeFile {
  close(): void;
  flush(): void;
  createGroup(path: string): void;
  list(path: string): unknown[];
  exists(path: string): boolean;
  remove(path: string): void;
  createDataset(path: string, spec: NativeDatasetSpec): void;
  write(path: string, data: NativeData, start?: number[], count?: number[]): void;
  writeDatasets(datasets: NativeDatasetWrite[]): void;
  writeRows(groups: string[] | { prefix: string; numbers: Float64Array }, columns: NativeColumn[]): void;
  read(path: string, start?: number[], count?: number[]): { dtype: string; shape: number[]; data: unknown };
  info(path: string): NativeInfo;
  resize(path: string, shape: number[]): void;
  createExternalLink(path: string, file: string, objectPath: string): void;
  createSoftLink(path: string, target: string): void;
  createVirtualDataset(path: string, spec: NativeVirtualSpec): void;
  /** `dtype` only for an array value (1-D). */
  setAttribute(path: string, name: string, value: AttributeValue | NativeData, dtype?: string): void;
  getAttributes(path: string): Record<string, AttributeValue | ArrayBufferView | boolean[] | string[]>;
  metadataCacheSize(): { maxBytes: number; usedBytes: number; entries: number };
}

export type AttributeValue = number | bigint | boolean | string;
/** A typed array (numbers; bools as 0/1 in a Uint8Array) or strings. */
export type NativeData = ArrayBufferView | string[];

/** Dimensions use -1 for "unlimited"; dtype is a code: float64 … bool, string, S<n>. */
export interface NativeDatasetSpec {
  dtype: string;
  shape: number[];
  maxshape?: number[];
  chunks?: number[];
  fillValue?: AttributeValue;
}
export interface NativeDatasetWrite extends NativeDatasetSpec {
  path: string;
  data: NativeData;
}
export interface NativeColumn {
  name: string;
  dtype: string;
  shape: number[];
  data: ArrayBufferView;
  attribute?: boolean;
}
export interface NativeMapping {
  vstart: number[];
  vcount: number[];
  file: string;
  dataset: string;
  sshape: number[];
  smaxshape?: number[];
  sstart?: number[];
  scount?: number[];
}
export interface NativeVirtualSpec {
  dtype: string;
  shape: number[];
  maxshape?: number[];
  fillValue?: number;
  mappings: NativeMapping[];
}
export interface NativeInfo {
  dtype: string;
  shape: number[];
  maxshape: (number | null)[];
  chunks?: number[];
  layout: 'contiguous' | 'chunked' | 'compact' | 'virtual';
  virtualSources?: { file: string; dataset: string }[];
}

export interface NativeAddon {
  createFile(path: string, overwrite: boolean, libverLatest: boolean, largeRootAttributes: boolean): NativeFile;
  openFile(path: string, write: boolean, inMemory: boolean, metadataCacheBytes: number): NativeFile;
  writeFileAtomic(path: string, datasets: NativeDatasetWrite[], attributes: [string, AttributeValue][], fileImages: boolean): void;
  libraryInfo(): { version: string; threadsafe: boolean; fileLocking: string };
  fileImageStats(): { images: number; filesWritten: number };
  roundToFloat16(values: Float64Array | Float32Array): Float32Array;
}

const addonPath = path.join(__dirname, '..', 'build', 'Release', 'hdf5_native.node');

function load(): NativeAddon {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(addonPath) as NativeAddon;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(
      `cannot load the libhdf5 addon ${addonPath}: ${reason}. Build it with \`npm run build:native\` (needs libhdf5-dev, g++, make, pkg-config).`,
    );
  }
}

export const native: NativeAddon = load();
