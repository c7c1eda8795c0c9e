// CommonJS exports of every shape whose parameters argument binding reads (argument-binding tests).
function withDefaults(x, y = 3, z = 4) {
  return [x, y, z];
}
const options = (x, { scale, shift = 0 }) => x * scale + shift;
function ownFunction(a) {
  return a;
}
module.exports = {
  withDefaults,
  options,
  bound: ownFunction.bind(null),
  native: Math.max,
  method(x, y = 1) {
    return x + y;
  },
};
