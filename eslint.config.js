// Type-aware linting: no-floating-promises above all (a dropped promise is a lost error).
import tseslint from 'typescript-eslint';
import { layerRules, processEnvRestriction } from './eslint.layers.js';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'studio/vite.config.ts', 'coverage/**', 'eslint.config.js', 'eslint.layers.js', 'bench/*.mjs', 'test/**/*.mjs', 'bench/*.js', 'scripts/*.mjs'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // User YAML and JSON arrive untyped; String(value) on them is deliberate.
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      'no-restricted-syntax': ['error', processEnvRestriction],
    },
  },
  {
    // The studio is type-checked against its own (DOM) project.
    files: ['studio/**/*.ts', 'studio/**/*.tsx'],
    ignores: ['studio/**/*.test.ts'],
    languageOptions: { parserOptions: { project: './studio/tsconfig.json', tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: ['src/config/**', 'test/**', 'bench/**', 'src/**/*.test.ts', 'studio/**/*.test.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // Tests read untyped JSON answers; asserting on them is the point.
    files: ['test/**', 'src/**/*.test.ts', 'studio/**/*.test.ts', 'bench/**'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  ...layerRules,
);
