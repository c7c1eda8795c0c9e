/** Error codes raised by this package. */
export type Hdf5ErrorCode =
  | 'ERR_HDF5' // libhdf5 refused; the message carries its error stack
  | 'ERR_HDF5_CLOSED' // the file was closed
  | 'ERR_HDF5_READONLY' // a change to a file opened read-only
  | 'ERR_HDF5_UNSUPPORTED_TYPE' // a dataset/attribute type with no acme-ts dtype
  | 'ERR_INVALID_ARG'; // an argument is malformed (message names it, what is allowed, what was given)

/**
 * Every error thrown by @acme-ts/hdf5-native. `code` says which kind (see Hdf5ErrorCode). The
 * one error class of acme-ts not on core's AcmeError: this package is below core.
 */
export class Hdf5Error extends Error {
  readonly code: Hdf5ErrorCode;
  constructor(code: Hdf5ErrorCode, message: string) {
    super(message);
    this.name = 'Hdf5Error';
    this.code = code;
  }
}

/** writeRows failed at group `row`: the groups before it are complete. */
export class Hdf5RowError extends Hdf5Error {
  constructor(
    code: Hdf5ErrorCode,
    message: string,
    readonly row: number,
  ) {
    super(code, message);
    this.name = 'Hdf5RowError';
  }
}

export function invalidArg(message: string): Hdf5Error {
  return new Hdf5Error('ERR_INVALID_ARG', message);
}

/** Runs a native call, re-throwing the addon's coded errors as Hdf5Error. */
export function callNative<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    // Not `instanceof Error`: the addon's errors may come from another realm (vm contexts, jest).
    const e = err as { code?: unknown; message?: unknown; row?: unknown } | null;
    if (typeof e === 'object' && e !== null && typeof e.code === 'string' && !(err instanceof Hdf5Error)) {
      // The addon's AddonError codes are Hdf5ErrorCode's (native/h5util.h, and ERR_INVALID_ARG).
      const code = e.code as Hdf5ErrorCode;
      throw typeof e.row === 'number' ? new Hdf5RowError(code, String(e.message), e.row) : new Hdf5Error(code, String(e.message));
    }
    throw err;
  }
}
