// Test runner (ESM): returns which module ran the call.
export function createRunner(setup) {
  return { runCall: (taskID) => ({ taskID, kind: 'esm', offset: setup.offset }) };
}
