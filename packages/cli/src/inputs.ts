// Command-line words → the function's arguments. Each input is one word; its form says where
// the value comes from. The values then go to ParallelMap unchanged, so they are split or
// broadcast by the library's own rules (an explicit `split:`/`broadcast:` wraps them in
// core's markers).
//
//   4  -2.5  1e3  Infinity  NaN  12n   numbers (12n: a BigInt)
//   true  false  null                  booleans, null
//   [1,2,3]  {"a":1}  '"text"'          JSON (a JSON string keeps words like "true" a string)
//   @x.json                            the JSON in a file
//   range:100  range:0:100[:step]      core's lazy range
//   h5:data.h5:/x                      a dataset of an HDF5 file (1-D → typed array, N-D → {data, shape});
//                                      above 16 MiB one that would be split is core's datasetRows
//                                      (each worker reads its calls' rows), and so is split:h5:…
//   files:data/*.txt                   the matching files' absolute paths, sorted: one call per file
//   split:<input>  broadcast:<input>   force the rule for that input
//   anything else                      the word itself, as a string

import { readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { broadcast, datasetRows, range, split } from '@acme-ts/core';
import { suggestName } from '@acme-ts/core/internal';
import { elementBytes, H5File, type Dtype, type ReadResult } from '@acme-ts/hdf5-native';
import { InputError } from './errors';
import { listDatasets } from './h5-tree';
import { matchFiles } from './file-list';

/** The prefixes an input may start with (also used to spot a mistyped one). */
export const INPUT_PREFIXES = ['split', 'broadcast', 'range', 'h5', 'files'] as const;

const NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i;
const BIGINT = /^[-+]?\d+n$/;

export interface InputContext {
  /** Base folder for relative file names (@x.json, h5:…). */
  cwd: string;
  /** `h5:` datasets larger than this are read by the workers (default LAZY_DATASET_BYTES). */
  lazyDatasetBytes?: number;
}

/**
 * `h5:` datasets whose data take more than this are not read in the client when they are split
 * (core's datasetRows). Smaller ones are read whole, as before: their values go into the
 * container's input table (whose columns stop at the same 16 MiB) and the run's fingerprint
 * hashes their content, and per-call reads would only cost time.
 */
export const LAZY_DATASET_BYTES = 16 * 2 ** 20;

/**
 * The value an input word stands for. `flag` names the input in error messages
 * ("input 2", "--kwarg x").
 */
export function parseInput(text: string, flag: string, context: InputContext): unknown {
  const prefix = /^([A-Za-z][A-Za-z0-9]*):/.exec(text)?.[1];
  const rest = prefix === undefined ? '' : text.slice(prefix.length + 1);
  switch (prefix) {
    case 'split':
      // split:h5:… splits a dataset of any rank along its first axis, read by the workers.
      if (rest.startsWith('h5:')) return forceSplit(readDatasetInput(rest.slice(3), rest, flag, context, true), text, flag);
      return forceSplit(parseInput(rest, flag, context), text, flag);
    case 'broadcast':
      return broadcast(parseInput(rest, flag, context));
    case 'range':
      return parseRange(rest, text, flag);
    case 'h5':
      return readDatasetInput(rest, text, flag, context);
    case 'files':
      return fileListInput(rest, text, flag, context);
  }
  if (text.startsWith('@')) return readJsonFile(text.slice(1), flag, context);
  if (/^[[{"]/.test(text)) return parseJson(text, flag, 'the word');
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null') return null;
  if (NUMBER.test(text)) return Number(text);
  if (/^[-+]?(Infinity|inf)$/i.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (BIGINT.test(text)) return BigInt(text.slice(0, -1));
  if (prefix !== undefined && prefix.length >= 3) {
    // "rnage:0:10" is far more likely a typo than the string the user wants ("a:b" is not).
    const guess = suggestName(prefix, INPUT_PREFIXES);
    if (guess !== undefined) {
      throw new InputError(flag, `"${prefix}:" is not an input prefix; did you mean "${guess}:"? (to pass the text itself, quote it as JSON: '"${text}"')`);
    }
  }
  return text;
}

/** `name=value` of --kwarg; the name must be usable as a property name. */
export function parseKeywordInput(text: string, context: InputContext): [string, unknown] {
  const eq = text.indexOf('=');
  const name = eq < 0 ? text : text.slice(0, eq);
  if (eq < 0 || !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) {
    throw new InputError('--kwarg', `expected name=value (e.g. --kwarg y=3, --kwarg data=@x.json), got ${JSON.stringify(text)}`);
  }
  return [name, parseInput(text.slice(eq + 1), `--kwarg ${name}`, context)];
}

function forceSplit(value: unknown, text: string, flag: string): unknown {
  try {
    return split(value as ArrayLike<unknown>);
  } catch (error) {
    throw new InputError(
      flag,
      `${JSON.stringify(text)}: split: needs a list (JSON array, range:…, @file with an array, or an h5: dataset with at least one dimension); ${(error as Error).message}`,
    );
  }
}

function parseRange(rest: string, text: string, flag: string): unknown {
  const parts = rest.split(':');
  const numbers = parts.map(Number);
  if (parts.length < 1 || parts.length > 3 || parts.some((p) => !/^[-+]?\d+$/.test(p))) {
    throw new InputError(
      flag,
      `${JSON.stringify(text)} is not a range; write range:STOP, range:START:STOP or range:START:STOP:STEP with integers, e.g. range:0:100`,
    );
  }
  try {
    return numbers.length === 1 ? range(numbers[0]!) : range(numbers[0]!, numbers[1]!, numbers[2]);
  } catch (error) {
    throw new InputError(flag, `${JSON.stringify(text)}: ${(error as Error).message}`);
  }
}

function parseJson(text: string, flag: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(
      flag,
      `${what} ${abbreviate(text)} looks like JSON but is not valid JSON (${(error as Error).message}); fix it, or quote it for the shell: '${abbreviate(text)}'`,
    );
  }
}

function readJsonFile(file: string, flag: string, context: InputContext): unknown {
  const absolute = path.resolve(context.cwd, file);
  if (file === '' || !existsSync(absolute)) {
    throw new InputError(
      flag,
      `@${file}: the file ${absolute} does not exist; @FILE reads a JSON file (to pass a string starting with "@", write it as JSON: '"@${file}"')`,
    );
  }
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new InputError(flag, `@${file}: cannot read ${absolute} (${(error as Error).message})`);
  }
  return parseJson(text, flag, `the file ${absolute}`);
}

/**
 * `file.h5:/dataset` → the dataset's values, or its rows for the workers to read (core's
 * datasetRows) when it is split by force or would be split by the library's rules (1-D, or
 * only its first extent above 1) and is larger than context.lazyDatasetBytes. The last ":/"
 * separates file and dataset.
 */
function readDatasetInput(rest: string, text: string, flag: string, context: InputContext, forcedSplit = false): unknown {
  const at = rest.lastIndexOf(':/');
  if (at <= 0) {
    throw new InputError(flag, `${JSON.stringify(text)} names no dataset; write h5:FILE:/DATASET, e.g. h5:data.h5:/x`);
  }
  const file = path.resolve(context.cwd, rest.slice(0, at));
  const dataset = rest.slice(at + 1);
  if (!existsSync(file)) throw new InputError(flag, `${JSON.stringify(text)}: the file ${file} does not exist`);
  let result: ReadResult;
  let h5: H5File | undefined;
  try {
    h5 = H5File.open(file);
    if (!h5.exists(dataset)) {
      const names = listDatasets(h5, 20);
      throw new InputError(flag, `${JSON.stringify(text)}: ${file} has no dataset ${dataset}; its datasets: ${names.join(', ') || '(none)'}`);
    }
    const info = h5.info(dataset);
    if (readsRows(info.dtype, info.shape, forcedSplit, context.lazyDatasetBytes ?? LAZY_DATASET_BYTES)) {
      h5.close();
      h5 = undefined;
      return datasetRows(file, dataset);
    }
    result = h5.read(dataset);
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError(flag, `${JSON.stringify(text)}: cannot read ${dataset} from ${file} (${(error as Error).message.split('\n')[0]})`, { cause: error });
  } finally {
    h5?.close();
  }
  // A scalar is the value, a 1-D dataset the array (split when its length is nInputs),
  // more dimensions an ndarray (broadcast unless its first axis carries the calls).
  if (result.shape.length === 0) return (result.data as ArrayLike<unknown>)[0];
  if (result.shape.length === 1) return result.data;
  return { data: result.data, shape: result.shape };
}

/** Whether a dataset is passed as rows the workers read rather than read here. */
function readsRows(dtype: Dtype, shape: number[], forcedSplit: boolean, lazyBytes: number): boolean {
  // Complex 1-D datasets arrive as their interleaved (re, im) array: kept as they are.
  if (shape.length === 0 || dtype === 'complex64' || dtype === 'complex128') return false;
  if (forcedSplit && shape.length > 1) return true;
  const splitAlongFirst = shape.slice(1).every((extent) => extent === 1);
  const bytes = shape.reduce((n, extent) => n * extent, typeof dtype === 'string' ? (dtype === 'string' ? 16 : elementBytes(dtype)) : dtype.fixedString);
  return splitAlongFirst && bytes > lazyBytes;
}

/** `files:PATTERN` → the matching files, split over the calls (also when one file matches). */
function fileListInput(pattern: string, text: string, flag: string, context: InputContext): unknown {
  if (pattern === '') throw new InputError(flag, `${JSON.stringify(text)} names no files; write files:PATTERN, e.g. files:data/*.txt (quote it for the shell)`);
  const files = matchFiles(pattern, context.cwd);
  if (files.length === 0) {
    throw new InputError(
      flag,
      `${JSON.stringify(text)} matches no file (the pattern is relative to ${context.cwd}; * ? [abc] and ** are understood); check the pattern`,
    );
  }
  return split(files);
}

function abbreviate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}
