// One call's slot in a stacked dataset (resultShape, either form): the shape its value must have.

/** The stacked shape without the calls' (null) axis; an Infinity entry (unlimited) becomes null: any length. */
export function slotShape(shape: readonly (number | null)[]): (number | null)[] {
  const stackingDim = shape.indexOf(null);
  return shape.filter((_, dim) => dim !== stackingDim).map((extent) => (extent === Infinity ? null : extent));
}

/** Whether a value of shape `got` fills `slot`. */
export function fitsSlot(got: readonly number[], slot: readonly (number | null)[]): boolean {
  return got.length === slot.length && got.every((extent, dim) => slot[dim] === null || slot[dim] === extent);
}

/** `slot` for messages: `[3, any]`. */
export function describeSlot(slot: readonly (number | null)[]): string {
  return `[${slot.map((extent) => (extent === null ? 'any' : extent)).join(', ')}]`;
}
