/**
 * The named form of options.resultShape (acme-ts's own; ACME stacks only the positional
 * result_0): `{ spectrum: [null, 1024], mean: [null] }` stacks those keys of every call's
 * returned object, one dataset per key (named by the key, each with its own dtype), and the
 * object's other keys stay per call (`comp_i/<key>`, as without resultShape).
 */
import { OptionError, ResultLayoutError, describeValue } from './errors';
import { isComplexDtype } from './complex';
import { hdf5 } from './hdf5';
import { describeSlot, fitsSlot, slotShape } from './slot-shape';
import {
  allocateStack,
  encodeResult,
  encodeValue,
  isPlainObject,
  placeInStack,
  stackResults,
  unsafeHdf5Name,
  type EncodedResult,
  type NumericDtype,
  type StackedArray,
  type StackedResults,
} from './result-encoding';

/** One shape of resultShape: exactly one null (the calls' axis), at most one Infinity. */
export type ShapeEntries = (number | null)[];

/** The named form: stacked key → its shape. */
export type NamedResultShape = Record<string, ShapeEntries>;

/** options.resultShape validated: the array form (result_0) or the named form. */
export type ResultShape = ShapeEntries | NamedResultShape;

/** options.resultDtype resolved: one dtype (array form), or one per stacked key (named form). */
export type ResolvedResultDtype = NumericDtype | Record<string, NumericDtype>;

/** One stacked dataset of the named form: the key, its shape (as in the option) and dtype. */
export interface StackedKey {
  name: string;
  shape: ShapeEntries;
  dtype: NumericDtype;
}

/** What compute() returns in memory with the named resultShape. */
export interface NamedStackedResults {
  /** Per stacked key, every call's value stacked along the key's null axis (as StackedResults' array). */
  stacked: Record<string, StackedArray>;
  /**
   * rest[i]: call i's returned object without the stacked keys (its values as returned); an
   * empty (frozen, shared) object for a call that returned only stacked keys.
   */
  rest: Record<string, unknown>[];
}

const NO_REST: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

export function isNamedResultShape(shape: ResultShape | undefined): shape is NamedResultShape {
  return shape !== undefined && !Array.isArray(shape);
}

/** The stacked keys of a named resultShape with their dtypes (resolved per key). */
export function stackedKeys(shape: NamedResultShape, dtype: ResolvedResultDtype): StackedKey[] {
  return Object.keys(shape).map((name) => ({ name, shape: shape[name]!, dtype: typeof dtype === 'string' ? dtype : (dtype[name] ?? 'float64') }));
}

function isNonNegativeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/**
 * Checks one shape (`label` names it in messages: `options.resultShape` or
 * `options.resultShape.spectrum`) and returns a copy.
 */
export function checkShapeEntries(value: unknown, label: string, writeWorkerResults: boolean): ShapeEntries {
  if (!Array.isArray(value)) {
    throw new OptionError(
      'resultShape',
      `${label} must be an array like [null, 10] (null marks the dimension along which calls are stacked), got ${describeValue(value)}`,
    );
  }
  value.forEach((entry: unknown, index) => {
    if (entry === null || entry === Infinity || isNonNegativeInteger(entry)) return;
    throw new OptionError('resultShape', `${label} entries must be non-negative integers, Infinity or null, got ${describeValue(entry)} at index ${index}`);
  });
  if (value.filter((entry) => entry === null).length !== 1) {
    throw new OptionError('resultShape', `${label} must contain exactly one null (the dimension along which calls are stacked), got ${describeValue(value)}`);
  }
  const infinities = value.filter((entry) => entry === Infinity).length;
  if (infinities > 1) throw new OptionError('resultShape', `${label} may contain at most one Infinity (unlimited dimension), got ${describeValue(value)}`);
  if (infinities === 1 && !writeWorkerResults) {
    throw new OptionError(
      'resultShape',
      `${label} may only contain Infinity when options.writeWorkerResults is true (in-memory results are allocated before the calls run), got ${describeValue(value)}`,
    );
  }
  return [...(value as ShapeEntries)];
}

/** The calls' groups at the container's root: a stacked dataset of that name would collide. */
const CALL_GROUP = /^comp_\d+$/;
/** The group in which the singleFile writer keeps datasets reserved for workers (container.ts). */
export const RESERVED_GROUP_NAME = '.acme-reserved';

/** Checks the named form (a plain object of shapes by key) and returns a copy. */
export function checkNamedResultShape(value: Record<string, unknown>, writeWorkerResults: boolean): NamedResultShape {
  const keys = Object.keys(value);
  if (keys.length === 0) {
    throw new OptionError('resultShape', 'options.resultShape must name at least one key to stack, like { spectrum: [null, 1024] }, got {}');
  }
  const named: NamedResultShape = {};
  for (const key of keys) {
    const problem =
      unsafeHdf5Name(key) ??
      (CALL_GROUP.test(key)
        ? "the container's calls are its comp_<i> groups"
        : key === RESERVED_GROUP_NAME
          ? 'the singleFile writer keeps that name for itself'
          : undefined);
    if (problem !== undefined) {
      throw new OptionError(
        'resultShape',
        `options.resultShape key ${JSON.stringify(key)} cannot name a stacked HDF5 dataset: ${problem}; rename the key (in options.resultShape and in what the function returns)`,
      );
    }
    named[key] = checkShapeEntries(value[key], `options.resultShape.${key}`, writeWorkerResults);
  }
  return named;
}

/**
 * options.resultDtype for the named form: one dtype for every key, or an object of dtypes by key
 * (keys it leaves out are float64). `normalize` maps a dtype name to its HDF5 name.
 */
export function checkNamedResultDtype(
  value: unknown,
  shape: NamedResultShape,
  normalize: (name: string) => NumericDtype | undefined,
  dtypeNames: string,
): Record<string, NumericDtype> {
  const keys = Object.keys(shape);
  const dtypes: Record<string, NumericDtype> = {};
  const name = (raw: unknown, label: string): NumericDtype => {
    const normalized = typeof raw === 'string' ? normalize(raw) : undefined;
    if (normalized === undefined) throw new OptionError('resultDtype', `${label} must be a numeric dtype name (${dtypeNames}), got ${describeValue(raw)}`);
    return normalized;
  };
  if (value === undefined || typeof value === 'string') {
    const one = value === undefined ? 'float64' : name(value, 'options.resultDtype');
    for (const key of keys) dtypes[key] = one;
    return dtypes;
  }
  if (!isPlainObject(value)) {
    throw new OptionError(
      'resultDtype',
      `options.resultDtype must be one dtype name or an object of them by key of options.resultShape (e.g. { ${keys[0]}: 'float32' }), got ${describeValue(value)}`,
    );
  }
  for (const key of Object.keys(value)) {
    if (!Object.prototype.hasOwnProperty.call(shape, key)) {
      throw new OptionError(
        'resultDtype',
        `options.resultDtype.${key} names no key of options.resultShape (${keys.join(', ')}); add ${key} to options.resultShape or remove it from options.resultDtype`,
      );
    }
  }
  for (const key of keys) dtypes[key] = value[key] === undefined ? 'float64' : name(value[key], `options.resultDtype.${key}`);
  return dtypes;
}

/**
 * Call `taskID`'s returned value as datasets (the object's keys, nested objects as groups), the
 * stacked keys checked against their slot and set to their dtype. A call that returned no object,
 * lacks a stacked key or returns one of another shape fails (ResultLayoutError); a value of
 * another key that HDF5 cannot hold gives `ok: false` (the caller serializes the whole value, as
 * without resultShape).
 */
export function encodeNamedResult(taskID: number, value: unknown, keys: readonly StackedKey[]): EncodedResult {
  const names = keys.map((k) => k.name).join(', ');
  if (!isPlainObject(value) || ('data' in value && 'shape' in value)) {
    const what = isPlainObject(value) ? 'an ndarray ({ data, shape })' : describeValue(value);
    throw new ResultLayoutError(
      `call ${taskID} returned ${what}, but options.resultShape stacks the keys ${names} of a returned object: return an object like { ${keys[0]!.name}: … }`,
    );
  }
  for (const key of keys) {
    if (!Object.prototype.hasOwnProperty.call(value, key.name) || value[key.name] === undefined) {
      throw new ResultLayoutError(
        `call ${taskID} returned an object without the key ${JSON.stringify(key.name)} that options.resultShape stacks (its keys: ${Object.keys(value).join(', ') || 'none'})`,
      );
    }
    const problem = stackedValueProblem(value[key.name], key);
    if (problem !== undefined) throw new ResultLayoutError(`call ${taskID} returned ${key.name} ${problem}`);
  }
  const encoded = encodeResult(value, { stacked: false });
  if (!encoded.ok) return encoded;
  for (const key of keys) {
    const dataset = encoded.datasets.find((d) => d.name === key.name)!;
    const slot = slotShape(key.shape);
    if (!fitsSlot(dataset.shape, slot)) {
      throw new ResultLayoutError(
        `call ${taskID} returned ${key.name} of shape [${dataset.shape.join(', ')}], but options.resultShape.${key.name} expects ${describeSlot(slot)} per call`,
      );
    }
    // Stored in the key's dtype, so the virtual dataset reads without a type conversion.
    dataset.dtype = key.dtype;
  }
  return encoded;
}

/** Why one stacked key's value cannot go into its stack (undefined: it can, shape aside). */
function stackedValueProblem(value: unknown, key: StackedKey): string | undefined {
  if (isPlainObject(value) && !('data' in value && 'shape' in value)) return 'as an object; a stacked key holds a number, an array or an ndarray';
  const encoded = encodeValue(value);
  if (typeof encoded === 'string') return `as a value HDF5 cannot hold: ${encoded}`;
  if (encoded.dtype === 'string') return `as strings, which cannot be stacked into dtype ${key.dtype}`;
  if (isComplexDtype(encoded.dtype) && !isComplexDtype(key.dtype)) {
    return `as ${encoded.dtype}, which cannot be stacked into the real dtype ${key.dtype} without dropping the imaginary parts; set options.resultDtype.${key.name} to complex64 or complex128`;
  }
  return undefined;
}

/**
 * In memory: every call's stacked keys in one array per key (slot i along the key's null axis),
 * and each call's other keys as returned. `values[i]` is call i's returned object.
 */
export function stackNamedResults(values: readonly unknown[], keys: readonly StackedKey[]): NamedStackedResults {
  const stacked: Record<string, StackedArray> = {};
  for (const key of keys) {
    const stackingDim = key.shape.indexOf(null);
    const shape = key.shape.map((extent) => (extent === null ? values.length : extent));
    // float16: stacked exactly, then rounded in one native call (not one per call).
    const stack = allocateStack(shape, key.dtype === 'float16' ? 'float64' : key.dtype);
    values.forEach((value, taskID) => {
      if (!isPlainObject(value) || !Object.prototype.hasOwnProperty.call(value, key.name)) {
        throw new ResultLayoutError(
          `call ${taskID} returned ${describeValue(value)}, without the key ${JSON.stringify(key.name)} that options.resultShape stacks`,
        );
      }
      const problem = stackedValueProblem(value[key.name], key);
      if (problem !== undefined) throw new ResultLayoutError(`call ${taskID} returned ${key.name} ${problem}`);
      const encoded = encodeValue(value[key.name]) as Exclude<ReturnType<typeof encodeValue>, string>;
      placeInStack(stack, stackingDim, taskID, { name: key.name, ...encoded });
    });
    stacked[key.name] = key.dtype === 'float16' ? { dtype: 'float16', shape: stack.shape, data: hdf5().roundToFloat16(stack.data as Float64Array) } : stack;
  }
  const rest = values.map((value) => {
    const others = Object.keys(value as Record<string, unknown>).filter((name) => !keys.some((key) => key.name === name));
    if (others.length === 0) return NO_REST;
    return Object.fromEntries(others.map((name) => [name, (value as Record<string, unknown>)[name]]));
  });
  return { stacked, rest };
}

/** In memory: the calls' values stacked by either form of resultShape (what compute() returns). */
export function stackCallValues(values: readonly unknown[], shape: ResultShape, dtype: ResolvedResultDtype): StackedResults | NamedStackedResults {
  if (Array.isArray(shape)) return stackResults(values, shape, dtype as NumericDtype);
  return stackNamedResults(values, stackedKeys(shape, dtype));
}
