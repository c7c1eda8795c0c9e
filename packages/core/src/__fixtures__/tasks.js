// A CommonJS module of task functions for function-ref tests.
exports.randout = function randout(x, y = 3) {
  return x > 0 ? x / y : x * y;
};
exports.notAFunction = 42;
