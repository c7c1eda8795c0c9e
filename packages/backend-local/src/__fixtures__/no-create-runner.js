// A module that is not a runner.
exports.somethingElse = 1;
