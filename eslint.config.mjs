// Lint for the whole monorepo (`npm run lint`, also run by `npm test`): typescript-eslint's
// recommended rules over the TypeScript sources and tests, Node globals for the scripts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/build/**', '**/node_modules/**', 'bench/out/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_`-prefixed names are deliberately unused (a parameter a signature requires).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Heavy or optional modules (libhdf5, the user's module, a backend) load with require() when
      // first needed, on purpose: start-up of threads and CLI completion depends on it.
      '@typescript-eslint/no-require-imports': 'off',
      // Byte ranges (\x00-\xff) and terminal escapes (\x1b) in patterns are meant.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['**/*.test.ts', 'e2e/**'],
    languageOptions: { globals: { ...globals.jest } },
    // Tests match fixed-width terminal output and check how functions see `arguments`.
    rules: { 'no-regex-spaces': 'off', 'prefer-rest-params': 'off' },
  },
);
