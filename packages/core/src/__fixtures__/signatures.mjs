// ES module exports of every shape the client reads without running the module.
export function declared(x, y = 3) {
  return x / y;
}
export const arrow = (x, { scale }) => x * scale;
function local(a, b) {
  return a - b;
}
export { local as renamed };
export default function (k, m = 10) {
  return k * m;
}
export { withDefaults as reexported } from './signatures.js';
