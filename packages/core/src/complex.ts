// Complex results (resultDtype complex64/complex128, or a function returning complex values).
// On disk as h5py stores numpy complex: a compound of two floats named r and i. In JavaScript a
// complex array is `{ dtype, shape, data }` with `data` holding 2·prod(shape) numbers, re and im
// interleaved (numpy's memory layout): a Float32Array for complex64, a Float64Array for
// complex128. One typed array keeps the values in one allocation and hands them to HDF5 as is.

export type ComplexDtype = 'complex64' | 'complex128';

export interface ComplexArray {
  dtype: ComplexDtype;
  shape: number[];
  /** re0, im0, re1, im1, … in C order: 2·prod(shape) numbers. */
  data: Float32Array | Float64Array;
}

export function isComplexDtype(dtype: unknown): dtype is ComplexDtype {
  return dtype === 'complex64' || dtype === 'complex128';
}

/**
 * A complex return value from real and imaginary parts (`im` absent: 0), e.g.
 * `return complexArray(re, im, [rows, cols])`. The shape defaults to `[re.length]`.
 */
export function complexArray(re: ArrayLike<number>, im?: ArrayLike<number>, shape?: readonly number[], dtype: ComplexDtype = 'complex128'): ComplexArray {
  if (im !== undefined && im.length !== re.length) throw new RangeError(`complexArray: re has ${re.length} values, im ${im.length}`);
  const points = shape ? shape.reduce((a, b) => a * b, 1) : re.length;
  if (points !== re.length) throw new RangeError(`complexArray: shape [${shape!.join(', ')}] holds ${points} values, re has ${re.length}`);
  const data = dtype === 'complex64' ? new Float32Array(2 * points) : new Float64Array(2 * points);
  for (let i = 0; i < points; i++) {
    data[2 * i] = re[i]!;
    data[2 * i + 1] = im ? im[i]! : 0;
  }
  return { dtype, shape: shape ? [...shape] : [points], data };
}

/** `{ data, shape, dtype: complex… }` → dataset contents, or a reason it cannot be stored. */
export function encodeComplex(
  dtype: ComplexDtype,
  shape: number[],
  data: ArrayLike<unknown>,
  points: number,
): { dtype: ComplexDtype; shape: number[]; data: Float32Array | Float64Array } | string {
  if (data.length !== 2 * points) {
    return `a ${dtype} ndarray of shape [${shape.join(', ')}] needs ${2 * points} numbers (re and im interleaved), but data has ${data.length}`;
  }
  const tag = Object.prototype.toString.call(data);
  const wanted = dtype === 'complex64' ? '[object Float32Array]' : '[object Float64Array]';
  if (tag === wanted) return { dtype, shape: [...shape], data: data as Float32Array | Float64Array };
  const out = dtype === 'complex64' ? new Float32Array(data.length) : new Float64Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (typeof x !== 'number') return `${dtype} data must hold numbers, found ${typeof x}`;
    out[i] = x;
  }
  return { dtype, shape: [...shape], data: out };
}
