// Tests live next to the code (packages/*/src/**/*.test.ts) and end-to-end tests in e2e/.
// Cross-package imports resolve to the built output (dist/), exactly as users and worker
// threads load them, so `npm test` builds first.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/e2e'],
  testMatch: ['**/src/**/*.test.ts', '<rootDir>/e2e/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  testTimeout: 60000,
  // 2 cores: one jest worker per core; thread-heavy suites create their own workers.
  maxWorkers: 2,
};
