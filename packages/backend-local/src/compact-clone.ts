// A small value (what a call usually returns: a few numbers, strings, a plain object, a short
// typed array, core's record of a stored call) written into shared memory as structured
// cloning would copy it, in a fraction of v8.serialize's time (≈ 10 µs a call, mostly fixed
// cost). Anything it cannot copy exactly — other classes, bigints, shared or repeated objects,
// holes, large values — it refuses, and the caller serializes it with v8 instead.

/** Tags of the encoding (Uint8). */
const Tag = { Undefined: 0, Null: 1, True: 2, False: 3, Number: 4, String: 5, Array: 6, Object: 7, TypedArray: 8 } as const;
type Tag = (typeof Tag)[keyof typeof Tag];

/** Typed-array classes by code; a subclass (Buffer) is not among them. */
const TYPED_ARRAYS = [Float64Array, Float32Array, Int32Array, Uint32Array, Int16Array, Uint16Array, Int8Array, Uint8Array, Uint8ClampedArray] as const;
type TypedArray = InstanceType<(typeof TYPED_ARRAYS)[number]>;

/** Beyond these a value is not small: v8.serialize's fixed cost no longer matters. */
const MAX_DEPTH = 6;
const MAX_ELEMENTS = 64;
const MAX_STRING = 4096;

/** Why a value is refused (thrown inside, caught by writeCompactClone). */
const REFUSED = Symbol('refused');

class Writer {
  at: number;
  /** Objects written so far: one seen twice is refused (cloning would keep it one object). */
  private readonly seen: object[] = [];

  constructor(
    private readonly view: DataView,
    start: number,
    private readonly end: number,
  ) {
    this.at = start;
  }

  private room(bytes: number): number {
    const at = this.at;
    if (at + bytes > this.end) throw REFUSED;
    this.at = at + bytes;
    return at;
  }

  private tag(tag: Tag): void {
    this.view.setUint8(this.room(1), tag);
  }

  private int(n: number): void {
    this.view.setInt32(this.room(4), n, true);
  }

  private string(s: string): void {
    if (s.length > MAX_STRING) throw REFUSED;
    this.int(s.length);
    // UTF-16 code units as they are (lone surrogates included, which UTF-8 would replace).
    const at = this.room(2 * s.length);
    for (let i = 0; i < s.length; i++) this.view.setUint16(at + 2 * i, s.charCodeAt(i), true);
  }

  private object(value: object): void {
    if (this.seen.includes(value)) throw REFUSED;
    this.seen.push(value);
  }

  value(value: unknown, depth: number): void {
    switch (typeof value) {
      case 'undefined':
        return this.tag(Tag.Undefined);
      case 'boolean':
        return this.tag(value ? Tag.True : Tag.False);
      case 'number':
        this.tag(Tag.Number);
        return this.view.setFloat64(this.room(8), value, true);
      case 'string':
        this.tag(Tag.String);
        return this.string(value);
      case 'object':
        break;
      default:
        throw REFUSED; // bigint, symbol, function
    }
    if (value === null) return this.tag(Tag.Null);
    if (depth >= MAX_DEPTH) throw REFUSED;
    this.object(value);
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === Array.prototype) return this.array(value as unknown[], depth);
    if (proto === Object.prototype || proto === null) return this.plainObject(value as Record<string, unknown>, depth);
    const code = TYPED_ARRAYS.indexOf((value as TypedArray).constructor as (typeof TYPED_ARRAYS)[number]);
    if (code >= 0 && proto === TYPED_ARRAYS[code]!.prototype) return this.typedArray(value as TypedArray, code);
    throw REFUSED;
  }

  private array(array: unknown[], depth: number): void {
    const { length } = array;
    // Cloning keeps holes and extra properties: only dense arrays without them.
    if (length > MAX_ELEMENTS || Object.keys(array).length !== length) throw REFUSED;
    this.tag(Tag.Array);
    this.int(length);
    for (let i = 0; i < length; i++) {
      if (!(i in array)) throw REFUSED;
      this.value(array[i], depth + 1);
    }
  }

  private plainObject(object: Record<string, unknown>, depth: number): void {
    const keys = Object.keys(object);
    if (keys.length > MAX_ELEMENTS) throw REFUSED;
    this.tag(Tag.Object);
    this.int(keys.length);
    for (const key of keys) {
      this.string(key);
      this.value(object[key], depth + 1);
    }
  }

  private typedArray(array: TypedArray, code: number): void {
    const { buffer, byteOffset, byteLength } = array;
    // Cloning copies a view's whole buffer, and shares a SharedArrayBuffer: only whole buffers.
    if (Object.prototype.toString.call(buffer) !== '[object ArrayBuffer]' || byteOffset !== 0 || byteLength !== buffer.byteLength) throw REFUSED;
    this.tag(Tag.TypedArray);
    this.view.setUint8(this.room(1), code);
    this.int(byteLength);
    new Uint8Array(this.view.buffer, this.view.byteOffset + this.room(byteLength), byteLength).set(new Uint8Array(buffer));
  }
}

/**
 * Writes `value` at byte `start` of `view` (not past `end`); returns where it ends, or
 * undefined when it is refused or does not fit (nothing meaningful was written).
 */
export function writeCompactClone(value: unknown, view: DataView, start: number, end: number): number | undefined {
  const writer = new Writer(view, start, end);
  try {
    writer.value(value, 0);
  } catch {
    // Refused, or a getter of the value threw (posting the value will throw it again).
    return undefined;
  }
  return writer.at;
}

/** Reads a value writeCompactClone wrote at byte `start`: the value and where it ends. */
export function readCompactClone(view: DataView, start: number): { value: unknown; end: number } {
  let at = start;
  const int = () => {
    const n = view.getInt32(at, true);
    at += 4;
    return n;
  };
  const string = () => {
    const length = int();
    const units = new Array<number>(length);
    for (let i = 0; i < length; i++) units[i] = view.getUint16(at + 2 * i, true);
    at += 2 * length;
    let s = '';
    for (let i = 0; i < length; i += 4096) s += String.fromCharCode(...units.slice(i, i + 4096));
    return s;
  };
  const value = (): unknown => {
    const tag = view.getUint8(at++) as Tag;
    switch (tag) {
      case Tag.Undefined:
        return undefined;
      case Tag.Null:
        return null;
      case Tag.True:
        return true;
      case Tag.False:
        return false;
      case Tag.Number: {
        const n = view.getFloat64(at, true);
        at += 8;
        return n;
      }
      case Tag.String:
        return string();
      case Tag.Array: {
        const length = int();
        const array = new Array<unknown>(length);
        for (let i = 0; i < length; i++) array[i] = value();
        return array;
      }
      case Tag.Object: {
        const n = int();
        const object: Record<string, unknown> = {};
        for (let k = 0; k < n; k++) {
          const key = string();
          const v = value();
          // An own property named __proto__, as cloning makes it (an assignment would set the prototype).
          if (key === '__proto__') Object.defineProperty(object, key, { value: v, enumerable: true, writable: true, configurable: true });
          else object[key] = v;
        }
        return object;
      }
      case Tag.TypedArray: {
        const Type = TYPED_ARRAYS[view.getUint8(at++)]!;
        const byteLength = int();
        const bytes = new Uint8Array(byteLength);
        bytes.set(new Uint8Array(view.buffer, view.byteOffset + at, byteLength));
        at += byteLength;
        return new Type(bytes.buffer, 0, byteLength / Type.BYTES_PER_ELEMENT);
      }
      default:
        throw new Error(`compact clone: unknown tag ${String(tag)} at byte ${at - 1}`);
    }
  };
  const read = value();
  return { value: read, end: at };
}
