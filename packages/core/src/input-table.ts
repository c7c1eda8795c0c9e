// Issue 20 §2: which input produced which result, readable beside the results. The container's
// root gets one attribute per argument (a split argument: its values in call order, so
// `f.attrs["mu"][i]` is call i's; a broadcast one: its value), named by the function's
// parameter (or the keyword). Attributes, not datasets: ACME's reading idiom iterates the
// container's root (`{k: f[k]["result_0"][()] for k in f}`), which a dataset there would break.

import type { AttributeInput, AttributeValue } from '@acme-ts/hdf5-native';
import type { SplitArgument } from './backend';
import { isRange, type ArgumentPlan, type Distribution } from './arguments';
import { isDatasetRows } from './dataset-rows';
import { isTypedArray, unsafeHdf5Name } from './result-encoding';

/** A column larger than this stays out of the container (2²¹ float64 inputs). */
const MAX_ATTRIBUTE_BYTES = 16 * 2 ** 20;

export interface InputTable {
  /** Attribute name → value, in argument order. */
  attributes: Record<string, AttributeInput>;
  /** Arguments left out, each with why (for the run's log). */
  skipped: string[];
}

type Outcome = { value: AttributeInput } | { reason: string };

/** One attribute value for values of one scalar kind, or why they have none. */
function column(values: ArrayLike<unknown>): Outcome {
  const value = columnValue(values);
  return typeof value === 'string' ? { reason: value } : { value };
}

function columnValue(values: ArrayLike<unknown>): AttributeInput | string {
  if (isRange(values)) {
    const out = new Float64Array(values.length);
    for (let i = 0; i < out.length; i++) out[i] = values.start + i * values.step;
    return out;
  }
  if (isTypedArray(values)) return values instanceof Uint8ClampedArray ? new Uint8Array(values) : values;
  const list = Array.from(values);
  const kind = list.length === 0 ? undefined : typeof list[0];
  if (kind === undefined || !list.every((v) => typeof v === kind)) return 'its values are not all numbers, bigints, booleans or strings of one kind';
  switch (kind) {
    case 'number':
      return Float64Array.from(list as number[]);
    case 'bigint':
      return list as bigint[];
    case 'boolean':
      return list as boolean[];
    case 'string':
      return list as string[];
    default:
      return `its values are ${kind}s`;
  }
}

function attributeValue(plan: ArgumentPlan): Outcome {
  if (plan.mode === 'split') return column(plan.values);
  const value = plan.value;
  const kind = typeof value;
  if (kind === 'number' || kind === 'bigint' || kind === 'boolean' || kind === 'string') return { value: value as AttributeInput };
  if (isTypedArray(value) || Array.isArray(value)) return column(value as ArrayLike<unknown>);
  return { reason: 'it is not a number, bigint, boolean, string or a list of them' };
}

function byteSize(value: AttributeInput): number {
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (Array.isArray(value)) return value.reduce((n: number, v: unknown) => n + (typeof v === 'string' ? v.length + 16 : 8), 0);
  return 8;
}

/** The attribute name of an argument: its parameter's name, `arg_<i>`, or the keyword. */
export function argumentName(target: { positional: number } | { keyword: string }, parameterNames: readonly (string | undefined)[] = []): string {
  return 'positional' in target ? (parameterNames[target.positional] ?? `arg_${target.positional}`) : target.keyword;
}

/**
 * Each split argument's attribute name on its call's payload file's root, in `splits` order;
 * undefined for one whose name HDF5 cannot hold.
 */
export function callInputNames(splits: readonly SplitArgument[], parameterNames?: readonly (string | undefined)[]): (string | undefined)[] {
  return splits.map((s) => {
    // A row of an N-D dataset is no scalar: not asked for (each ask copies the row).
    if (s.rows && s.rows.shape.length > 1) return undefined;
    const name = argumentName(s.target, parameterNames);
    return unsafeHdf5Name(name) === undefined ? name : undefined;
  });
}

/**
 * Call i's split inputs as scalar attributes: those whose value is a number or a bigint in
 * int64's range, which writeFileAtomic's file images patch in (a string or boolean attribute
 * would make libhdf5 write every payload file itself, several times slower; those inputs, like
 * lists, are in the container's table); undefined when none is.
 */
export function callInputAttributes(names: readonly (string | null | undefined)[], values: readonly unknown[]): Record<string, AttributeValue> | undefined {
  let out: Record<string, AttributeValue> | undefined;
  for (let k = 0; k < names.length; k++) {
    const name = names[k];
    const value = values[k];
    const kind = typeof value;
    // null: an unrecorded name after a trip through JSON (RunnerSetup is JSON-able but for its arguments).
    if (typeof name !== 'string') continue;
    if (kind === 'number' || (kind === 'bigint' && (value as bigint) >= INT64_MIN && (value as bigint) <= INT64_MAX)) {
      (out ??= {})[name] = value as AttributeValue;
    }
  }
  return out;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * The run's inputs as container attributes: positional argument i under its parameter's name
 * (`arg_<i>` when the parameter has none), keyword arguments under their key.
 */
export function inputTable(distribution: Distribution, parameterNames: readonly (string | undefined)[] = []): InputTable {
  const attributes: Record<string, AttributeInput> = {};
  const skipped: string[] = [];
  const add = (name: string, plan: ArgumentPlan) => {
    const unsafe = unsafeHdf5Name(name);
    const outcome: Outcome =
      unsafe !== undefined
        ? { reason: `its name cannot name an HDF5 attribute (${unsafe})` }
        : name in attributes
          ? { reason: 'another argument has its name' }
          : attributeValue(plan);
    if ('reason' in outcome) skipped.push(`${name}: ${outcome.reason}`);
    else if (byteSize(outcome.value) > MAX_ATTRIBUTE_BYTES) skipped.push(`${name}: its values take more than ${MAX_ATTRIBUTE_BYTES / 2 ** 20} MiB`);
    else attributes[name] = outcome.value;
  };
  // Dataset rows stay in their file (the workers read them): `<name>_source` names it instead,
  // after every argument so that it never takes an argument's name.
  const sources: [string, string][] = [];
  const addRows = (name: string, plan: ArgumentPlan) => {
    if (plan.mode !== 'split' || !isDatasetRows(plan.values)) return add(name, plan);
    skipped.push(`${name}: its rows are read by the workers from ${plan.values.source.file}:${plan.values.source.dataset} (named by ${name}_source)`);
    sources.push([`${name}_source`, `${plan.values.source.file}:${plan.values.source.dataset}`]);
  };
  distribution.positional.forEach((plan, i) => addRows(argumentName({ positional: i }, parameterNames), plan));
  for (const [key, plan] of Object.entries(distribution.keyword)) addRows(argumentName({ keyword: key }), plan);
  for (const [name, source] of sources) add(name, { mode: 'broadcast', value: source });
  return { attributes, skipped };
}
