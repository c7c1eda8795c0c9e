import { readCompactClone, writeCompactClone } from './compact-clone';
import { FinishedCalls } from './finished-calls';

/** Writes and reads `value` through compact-clone.ts; undefined when refused. */
function compactRoundTrip(value: unknown): { value: unknown } | undefined {
  const view = new DataView(new SharedArrayBuffer(1 << 16));
  const end = writeCompactClone(value, view, 8, view.byteLength);
  if (end === undefined) return undefined;
  const read = readCompactClone(view, 8);
  expect(read.end).toBe(end);
  return { value: read.value };
}

describe('compact clone', () => {
  it.each([
    ['numbers, -0, NaN, Infinity', [1.5, -0, NaN, -Infinity]],
    ['strings with a lone surrogate and non-ASCII', ['', 'Grüße', '\ud800x', 'a'.repeat(300)]],
    ['null, booleans, undefined in arrays and objects', { a: null, b: true, c: false, d: undefined, e: [undefined, 1] }],
    [
      'a nested stored call',
      {
        stored: 'hdf5',
        path: '/x/f_payload/f_3.h5',
        names: ['result_0'],
        datasets: [{ name: 'result_0', dtype: 'float64', shape: [1], data: new Float64Array([6]) }],
        deferred: true,
      },
    ],
    ['typed arrays of each class', [new Float32Array([1.5]), new Int32Array([-3]), new Uint8Array([255]), new Uint8ClampedArray([7]), new Int16Array(0)]],
    ['an own __proto__ property and integer-like keys', JSON.parse('{"__proto__": 1, "2": "b", "1": "a"}') as unknown],
    ['an object without a prototype', Object.assign(Object.create(null) as object, { k: 1 })],
    ['typed arrays after a nested one', { a: Array.from({ length: 60 }, (_, i) => i / 7), b: [{ c: new Float64Array([1, 2]) }], d: new Int8Array([-1]) }],
  ])('copies %s as structured cloning does', (_, value) => {
    const copied = compactRoundTrip(value);
    expect(copied).toBeDefined();
    expect(copied!.value).toStrictEqual(structuredClone(value));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) expect(Object.keys(copied!.value as object)).toEqual(Object.keys(value));
  });

  const shared = { x: 1 };
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  it.each([
    ['a bigint', 1n],
    ['a Map', new Map([[1, 2]])],
    ['a Date', new Date(0)],
    ['a class instance', new (class Point {})()],
    ['a Buffer', Buffer.from('ab')],
    ['a view into a larger buffer', new Float64Array(new ArrayBuffer(32), 8, 2)],
    ['a SharedArrayBuffer view', new Int32Array(new SharedArrayBuffer(8))],
    // eslint-disable-next-line no-sparse-arrays
    ['an array with a hole', [1, , 3]],
    ['an array with an extra property', Object.assign([1, 2], { extra: true })],
    ['an object twice (cloning keeps it one object)', [shared, shared]],
    ['a cycle', cyclic],
    ['a function', () => 1],
    ['a long array', new Array(100).fill(1)],
    ['an object with a method', { toJSON: () => 1 }],
  ])('refuses %s (left to v8.serialize)', (_, value) => {
    expect(compactRoundTrip(value)).toBeUndefined();
  });

  it('refuses a value that does not fit', () => {
    const view = new DataView(new SharedArrayBuffer(64));
    expect(writeCompactClone('x'.repeat(100), view, 0, 64)).toBeUndefined();
  });
});

describe('FinishedCalls', () => {
  it('records calls from the last hand-over on, in order, and reads them back', () => {
    const buffer = FinishedCalls.buffer(1, true);
    const [slot] = FinishedCalls.slots(buffer, 1);
    slot!.begin(7, 0);
    expect(slot!.add(0, true, 2, 0.5)).toBe(true);
    expect(slot!.add(1, false, { name: 'RangeError', message: 'm' }, 0.25)).toBe(true);
    expect(slot!.add(2, true, new Map([[1, 2]]), 0.125)).toBe(true); // v8-serialized
    expect(slot!.add(3, true, undefined, 1)).toBe(true);
    expect(slot!.add(5, true, 1, 1)).toBe(false); // not the next call
    expect(slot!.read()).toEqual({
      batchSeq: 7,
      from: 0,
      calls: [
        { ok: true, value: 2, durationMs: 0.5 },
        { ok: false, value: { name: 'RangeError', message: 'm' }, durationMs: 0.25 },
        { ok: true, value: new Map([[1, 2]]), durationMs: 0.125 },
        { ok: true, value: undefined, durationMs: 1 },
      ],
    });
    // A hand-over empties the slot.
    slot!.begin(7, 4);
    expect(slot!.read()).toBeUndefined();
    expect(slot!.add(4, true, 'x', 1)).toBe(true);
    expect(slot!.read()).toMatchObject({ from: 4, calls: [{ value: 'x' }] });
  });

  it('refuses a value too big for the slot, and other values when it records numbers only', () => {
    const buffer = FinishedCalls.buffer(1, true);
    const slot = new FinishedCalls(buffer, 0, buffer.byteLength, false);
    slot.begin(1, 0);
    expect(slot.add(0, true, new Float64Array(buffer.byteLength / 8), 1)).toBe(false);
    expect(slot.add(0, true, { plain: [1] }, 1)).toBe(false);
    expect(slot.add(0, true, 1.5, 1)).toBe(true);
    expect(slot.add(1, true, undefined, 1)).toBe(true);
  });

  it('sizes a worker that records numbers only small, and refuses a number once its slot is full', () => {
    const buffer = FinishedCalls.buffer(2, false);
    expect(buffer.byteLength).toBe(2 * FinishedCalls.MIN_SLOT_BYTES);
    const [slot] = FinishedCalls.slots(buffer, 2, false);
    slot!.begin(1, 0);
    let index = 0;
    while (slot!.add(index, true, index, 0)) index++;
    expect(index).toBe(Math.floor((FinishedCalls.MIN_SLOT_BYTES - 16) / 24));
    expect(slot!.read()!.calls).toHaveLength(index);
  });

  it('gives each slot of a worker running several batches its own region', () => {
    const buffer = FinishedCalls.buffer(4, true);
    const slots = FinishedCalls.slots(buffer, 4);
    slots.forEach((slot, i) => slot.begin(i + 1, 0));
    slots.forEach((slot, i) => expect(slot.add(0, true, i, 0)).toBe(true));
    expect(slots.map((slot) => slot.read()?.calls[0]?.value)).toEqual([0, 1, 2, 3]);
  });
});
