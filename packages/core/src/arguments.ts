/**
 * ACME's argument distribution (reference §1.3), translated to JavaScript.
 *
 * Every argument either is SPLIT (call i gets element i) or BROADCAST (every call gets the same
 * value). Split candidates are Arrays, TypedArrays, `range()` objects and `{data, shape}`
 * ndarrays whose squeezed shape is 1-D along their first axis; everything else (strings, Maps,
 * Sets, plain objects, functions, scalars, 2-D+ ndarrays) is broadcast whole. `split(x)` and
 * `broadcast(x)` override the automatic choice.
 *
 * nInputs 'auto': all candidates must have one common length, which becomes nInputs.
 * nInputs = N: some candidate must have length N (unless all candidates have length 1 or there are
 * none); candidates of another length are broadcast whole.
 *
 * ACME quirks, decided:
 * - §6.4 (a length-1 Array is unwrapped with 'auto' but passed whole with an explicit nInputs):
 *   kept, because it is not a special case but the one rule "split iff length === nInputs":
 *   'auto' with [5] gives nInputs 1 and the call gets 5; nInputs 3 with [1] broadcasts [1].
 * - §6.5 (a kwarg whose default has the same length is excluded from inference but still split):
 *   not reproduced: a default is an expression in the source, not a value to compare, so keyword
 *   arguments (`options.kwargs`) follow exactly the positional rules.
 * - §6.6 (n_inputs = 0 accepted, message says ">= 2"): 0 is accepted (an empty Array gives 0
 *   calls) and messages state the real limit.
 * - §6.2/§6.3 (positional-count checks from the signature) and binding keywords by name are
 *   argument-binding.ts, which runs first, on the parameter list read from the source.
 * - numpy shape (1, n): ACME counts it as a candidate of length n but then broadcasts it whole.
 *   Here an ndarray is a candidate only if its first axis carries the length (shape [n] or
 *   [n, 1, …]); shape [1, n] is simply broadcast.
 */
import { ArgumentDistributionError, describeValue } from './errors';
import { isTypedArray, product } from './result-encoding';
import { datasetBytes, isDatasetRows, readWholeDataset } from './dataset-rows';

// ----------------------------------------------------------------------------------------------
// Explicit markers and range

const SPLIT = Symbol.for('acme-ts.split');
const BROADCAST = Symbol.for('acme-ts.broadcast');

export interface SplitMarker<T = unknown> {
  readonly [SPLIT]: true;
  readonly values: ArrayLike<T>;
}

export interface BroadcastMarker<T = unknown> {
  readonly [BROADCAST]: true;
  readonly value: T;
}

/** Force splitting: call i gets `values[i]`; `values.length` must equal nInputs. */
export function split<T>(values: ArrayLike<T> | Iterable<T>): SplitMarker<T> {
  let arrayLike: ArrayLike<T>;
  if (isArrayLikeCandidate(values)) arrayLike = values as ArrayLike<T>;
  else if (values !== null && typeof values === 'object' && Symbol.iterator in values) arrayLike = Array.from(values as Iterable<T>);
  else throw new ArgumentDistributionError(`split() needs an Array, TypedArray, range or other iterable, got ${describeValue(values)}`);
  return { [SPLIT]: true, values: arrayLike };
}

/** Force broadcasting: every call gets this same value, even an Array of length nInputs. */
export function broadcast<T>(value: T): BroadcastMarker<T> {
  return { [BROADCAST]: true, value };
}

function isSplitMarker(value: unknown): value is SplitMarker {
  return value !== null && typeof value === 'object' && (value as Record<symbol, unknown>)[SPLIT] === true;
}

function isBroadcastMarker(value: unknown): value is BroadcastMarker {
  return value !== null && typeof value === 'object' && (value as Record<symbol, unknown>)[BROADCAST] === true;
}

/** A lazy integer sequence with `length` and index access: range(1e6) allocates no array. */
export interface Range extends ArrayLike<number>, Iterable<number> {
  readonly start: number;
  readonly stop: number;
  readonly step: number;
  readonly length: number;
  toArray(): number[];
}

const RANGE_BRAND = Symbol.for('acme-ts.range');

/** Python's range: `range(stop)`, `range(start, stop)`, `range(start, stop, step)`. */
export function range(stop: number): Range;
export function range(start: number, stop: number, step?: number): Range;
export function range(first: number, second?: number, third?: number): Range {
  const [start, stop, step] = second === undefined ? [0, first, 1] : [first, second, third ?? 1];
  for (const [label, value] of [
    ['start', start],
    ['stop', stop],
    ['step', step],
  ] as const) {
    if (!Number.isSafeInteger(value)) throw new ArgumentDistributionError(`range ${label} must be an integer, got ${describeValue(value)}`);
  }
  if (step === 0) throw new ArgumentDistributionError('range step must not be 0, got 0');
  const length = Math.max(0, Math.ceil((stop - start) / step));
  const target = {
    [RANGE_BRAND]: true,
    start,
    stop,
    step,
    length,
    toArray: () => Array.from({ length }, (_, i) => start + i * step),
    [Symbol.iterator]: function* () {
      for (let i = 0; i < length; i++) yield start + i * step;
    },
  };
  // Index access without materializing: a Proxy answers range[i] by arithmetic.
  return new Proxy(target, {
    get(obj, key, receiver) {
      if (typeof key === 'string' && /^(0|[1-9]\d*)$/.test(key)) {
        const index = Number(key);
        return index < length ? start + index * step : undefined;
      }
      return Reflect.get(obj, key, receiver);
    },
    has(obj, key) {
      if (typeof key === 'string' && /^(0|[1-9]\d*)$/.test(key)) return Number(key) < length;
      return Reflect.has(obj, key);
    },
  }) as unknown as Range;
}

export function isRange(value: unknown): value is Range {
  return value !== null && typeof value === 'object' && (value as Record<symbol, unknown>)[RANGE_BRAND] === true;
}

// ----------------------------------------------------------------------------------------------
// Distribution

export type ArgumentPlan = { mode: 'split'; values: ArrayLike<unknown> } | { mode: 'broadcast'; value: unknown };

export interface Distribution {
  nInputs: number;
  positional: ArgumentPlan[];
  keyword: Record<string, ArgumentPlan>;
  /** Whether the function gets a trailing keyword-arguments object. */
  hasKwargs: boolean;
  /** Large-argument and function-argument warnings, for the caller to log. */
  warnings: string[];
  /** positional[i]'s parameter name, where the function's parameters could be read. */
  parameterNames?: (string | undefined)[];
}

export interface DistributeOptions {
  /** Warn about arguments whose estimated serialized size exceeds this (ACME's _maxArgSize). */
  sizeWarningMB?: number;
}

export const DEFAULT_SIZE_WARNING_MB = 1024;

function isArrayLikeCandidate(value: unknown): boolean {
  return Array.isArray(value) || isTypedArray(value) || isRange(value) || isDatasetRows(value);
}

interface NdArrayLike {
  data: ArrayLike<unknown>;
  shape: number[];
}

function isNdArrayLike(value: unknown): value is NdArrayLike {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const { data, shape } = value as { data?: unknown; shape?: unknown };
  return (
    Array.isArray(shape) &&
    shape.every((extent) => Number.isInteger(extent) && extent >= 0) &&
    (isTypedArray(data) || Array.isArray(data)) &&
    product(shape) === (data as ArrayLike<unknown>).length
  );
}

/** Rows of an ndarray along its first axis, lazily: rows of shape [] are the elements. */
function ndarrayRows(array: NdArrayLike): ArrayLike<unknown> {
  const rowShape = array.shape.slice(1);
  if (rowShape.length === 0) return array.data;
  const rowSize = product(rowShape);
  const length = array.shape[0];
  const data = array.data as ArrayLike<unknown> & { subarray?: (a: number, b: number) => unknown; slice?: (a: number, b: number) => unknown };
  const rowAt = (index: number) => ({
    data:
      typeof data.subarray === 'function'
        ? data.subarray(index * rowSize, (index + 1) * rowSize)
        : (data as unknown[]).slice(index * rowSize, (index + 1) * rowSize),
    shape: [...rowShape],
  });
  return new Proxy({ length } as ArrayLike<unknown>, {
    get(obj, key, receiver) {
      if (typeof key === 'string' && /^(0|[1-9]\d*)$/.test(key)) {
        const index = Number(key);
        return index < length ? rowAt(index) : undefined;
      }
      return Reflect.get(obj, key, receiver);
    },
  });
}

/** The split length of a value, or undefined when it is not a split candidate. */
function candidateLength(value: unknown): number | undefined {
  if (isArrayLikeCandidate(value)) return (value as ArrayLike<unknown>).length;
  if (isNdArrayLike(value)) {
    const squeezed = value.shape.filter((extent) => extent !== 1);
    // Like numpy's squeeze().ndim == 1, but the length must sit on the first axis (see header).
    if (squeezed.length === 1 && value.shape[0] === squeezed[0]) return squeezed[0];
  }
  return undefined;
}

function splitValues(value: unknown): ArrayLike<unknown> {
  if (isNdArrayLike(value) && !isArrayLikeCandidate(value)) return ndarrayRows(value);
  return value as ArrayLike<unknown>;
}

interface Entry {
  label: string;
  value: unknown;
  forced?: 'split' | 'broadcast';
  length?: number;
}

function toEntry(label: string, raw: unknown): Entry {
  if (isSplitMarker(raw)) return { label, value: raw.values, forced: 'split', length: raw.values.length };
  if (isBroadcastMarker(raw)) return { label, value: raw.value, forced: 'broadcast' };
  return { label, value: raw, length: candidateLength(raw) };
}

/**
 * Decide nInputs and, for every argument, split or broadcast. Keyword arguments follow the same
 * rules as positional ones; those left after binding by name (argument-binding.ts) reach the
 * function as one trailing object (see argumentsFor).
 */
export function distributeArguments(
  args: readonly unknown[],
  kwargs: Record<string, unknown> | undefined,
  nInputs: 'auto' | number,
  options: DistributeOptions = {},
): Distribution {
  const positional = args.map((value, index) => toEntry(`positional argument ${index}`, value));
  const keyword = Object.entries(kwargs ?? {}).map(([name, value]) => ({ name, entry: toEntry(`keyword argument ${name}`, value) }));
  const entries = [...positional, ...keyword.map((k) => k.entry)];

  const candidates = entries.filter((entry) => entry.forced !== 'broadcast' && entry.length !== undefined);
  const lengths = candidates.map((entry) => entry.length as number);
  let n: number;
  if (nInputs === 'auto') {
    const distinct = new Set(lengths);
    if (distinct.size !== 1) {
      const min = lengths.length ? Math.min(...lengths) : 0;
      const max = lengths.length ? Math.max(...lengths) : 0;
      throw new ArgumentDistributionError(
        `automatic input distribution failed: found ${lengths.length} objects containing ${min} to ${max} elements. Please specify \`nInputs\` manually.`,
      );
    }
    n = lengths[0];
  } else {
    if (!Number.isInteger(nInputs) || nInputs < 0) {
      throw new ArgumentDistributionError(`nInputs must be "auto" or a non-negative integer, got ${describeValue(nInputs)}`);
    }
    n = nInputs;
    const allUnitLength = lengths.every((length) => length === 1);
    if (!lengths.includes(n) && !allUnitLength) {
      throw new ArgumentDistributionError(`No object has required length of ${n} matching \`nInputs\`.`);
    }
  }

  for (const entry of entries) {
    if (entry.forced === 'split' && entry.length !== n) {
      throw new ArgumentDistributionError(
        `${entry.label} is marked split() but has ${entry.length} elements, not nInputs = ${n}; give it ${n} elements or remove split()`,
      );
    }
  }

  const splits = (entry: Entry) => entry.forced !== 'broadcast' && entry.length === n;
  // Dataset rows are read by the workers when split; broadcast, they are the whole dataset,
  // read here like the Array every call would get.
  const plan = (entry: Entry): ArgumentPlan =>
    splits(entry)
      ? { mode: 'split', values: splitValues(entry.value) }
      : { mode: 'broadcast', value: isDatasetRows(entry.value) ? readWholeDataset(entry.value.source) : entry.value };

  const warnings: string[] = [];
  const limitMB = options.sizeWarningMB ?? DEFAULT_SIZE_WARNING_MB;
  for (const entry of entries) {
    const value = entry.value;
    const sizeMB = isDatasetRows(value) ? (splits(entry) ? 0 : datasetBytes(value.source) / 1e6) : estimateSerializedSize(value) / 1e6;
    if (sizeMB > limitMB) {
      warnings.push(
        `${entry.label} has an estimated size of ${sizeMB.toFixed(2)} MB, which exceeds the recommended limit of ${limitMB} MB; distributing large values to workers may be slow (pass a file name and load the data inside the function instead)`,
      );
    }
    if (typeof entry.value === 'function') {
      warnings.push(`${entry.label} is a function; functions cannot be sent to workers (they are not serializable); import it inside the function instead`);
    }
  }

  return {
    nInputs: n,
    positional: positional.map(plan),
    keyword: Object.fromEntries(keyword.map(({ name, entry }) => [name, plan(entry)])),
    hasKwargs: kwargs !== undefined,
    warnings,
  };
}

/** The value an argument plan gives call `taskID`. */
export function valueFor(plan: ArgumentPlan, taskID: number): unknown {
  return plan.mode === 'split' ? plan.values[taskID] : plan.value;
}

/**
 * Arguments of call `taskID`. JS has no keyword arguments: when kwargs were given, the function
 * is called as `func(...args, kwargs)` with one trailing object; otherwise as `func(...args)`.
 */
export function argumentsFor(distribution: Distribution, taskID: number): { args: unknown[]; kwargs?: Record<string, unknown> } {
  if (!Number.isInteger(taskID) || taskID < 0 || taskID >= distribution.nInputs) {
    throw new ArgumentDistributionError(`taskID must be an integer between 0 and ${distribution.nInputs - 1}, got ${describeValue(taskID)}`);
  }
  const args = distribution.positional.map((plan) => valueFor(plan, taskID));
  if (!distribution.hasKwargs) return { args };
  const kwargs: Record<string, unknown> = {};
  for (const [name, plan] of Object.entries(distribution.keyword)) kwargs[name] = valueFor(plan, taskID);
  return { args, kwargs };
}

// ----------------------------------------------------------------------------------------------
// Size estimate

/** Elements inspected per Array before extrapolating, so a 1e8-element Array costs no more. */
const SAMPLED_ELEMENTS = 1000;

/**
 * Rough size in bytes of `value` once v8-serialized. Cheap: TypedArrays and buffers count their
 * byteLength, long Arrays are sampled, cycles are counted once. Meant for a warning, not accounting.
 */
export function estimateSerializedSize(value: unknown, seen: Set<object> = new Set()): number {
  switch (typeof value) {
    case 'number':
      return 9;
    case 'bigint':
      return 10 + Math.ceil(value.toString(16).length / 2);
    case 'boolean':
    case 'undefined':
      return 1;
    case 'string':
      return 5 + value.length * (/^[\x00-\xff]*$/.test(value.slice(0, 1000)) ? 1 : 2);
    case 'symbol':
    case 'function':
      return 0;
  }
  if (value === null) return 1;
  const object = value as object;
  if (seen.has(object)) return 5;
  seen.add(object);
  if (ArrayBuffer.isView(object)) return 16 + object.byteLength;
  if (object instanceof ArrayBuffer || object instanceof SharedArrayBuffer) return 8 + object.byteLength;
  if (isRange(object)) return 16 + object.length * 9;
  if (Array.isArray(object)) return 8 + sampledSum(object, seen);
  if (object instanceof Map) return 8 + sampledSum([...object.keys(), ...object.values()], seen);
  if (object instanceof Set) return 8 + sampledSum([...object.values()], seen);
  let total = 8;
  for (const key of Object.keys(object)) total += key.length + 2 + estimateSerializedSize((object as Record<string, unknown>)[key], seen);
  return total;
}

function sampledSum(items: readonly unknown[], seen: Set<object>): number {
  if (items.length <= SAMPLED_ELEMENTS) return items.reduce<number>((sum, item) => sum + estimateSerializedSize(item, seen), 0);
  const stride = items.length / SAMPLED_ELEMENTS;
  let sampled = 0;
  for (let i = 0; i < SAMPLED_ELEMENTS; i++) sampled += estimateSerializedSize(items[Math.floor(i * stride)], seen);
  return (sampled / SAMPLED_ELEMENTS) * items.length;
}
