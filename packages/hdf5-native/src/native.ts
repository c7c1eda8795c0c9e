// Loads the compiled addon. It is context-aware, so every worker thread may load it.
import { existsSync } from 'node:fs';
import * as path from 'node:path';

export interface NativeFile {
  close(): void;
  flush(): void;
  createGroup(path: string): void;
  list(path: string): unknown[];
  exists(path: string): boolean;
  remove(path: string): void;
  moveLink(from: string, to: string): void;
  createDataset(path: string, spec: NativeDatasetSpec): void;
  write(path: string, data: NativeData, start?: number[], count?: number[]): void;
  writeDatasets(datasets: NativeDatasetWrite[]): void;
  writeRows(groups: string[] | { prefix: string; numbers: Float64Array }, columns: NativeColumn[]): void;
  read(path: string, start?: number[], count?: number[]): { dtype: string; shape: number[]; data: unknown };
  info(path: string): NativeInfo;
  resize(path: string, shape: number[]): void;
  /** -1 when the dataset has no contiguous block of raw data in the file. */
  rawDataOffset(path: string): number;
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
  reserveSpace?: true;
  neverFill?: true;
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

const packageDir = path.join(__dirname, '..');
// The addon compiled at install time (scripts/install.js), else a prebuilt one for this platform.
const candidates = [
  path.join(packageDir, 'build', 'Release', 'hdf5_native.node'),
  path.join(packageDir, 'prebuilds', `${process.platform}-${process.arch}`, 'hdf5_native.node'),
];

/** scripts/find-hdf5.js's advice (which package to install, HDF5_DIR), if the package has it. */
function installHelp(): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return `\n${(require(path.join(packageDir, 'scripts', 'find-hdf5.js')) as { INSTALL_HELP: string }).INSTALL_HELP}`;
  } catch {
    return '';
  }
}

function load(): NativeAddon {
  const present = candidates.filter((file) => existsSync(file));
  const reasons: string[] = [];
  for (const file of present) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      return require(file) as NativeAddon;
    } catch (err) {
      reasons.push(`${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const why = present.length === 0 ? `it was not built (no ${candidates[0]}): its install step failed or was skipped (--ignore-scripts)` : reasons.join('; ');
  throw new Error(
    `cannot load the libhdf5 addon: ${why}. Rebuild it with \`npm rebuild @acme-ts/hdf5-native\` (in a clone of acme-ts: \`npm run build:native\`).${installHelp()}`,
  );
}

export const native: NativeAddon = load();
