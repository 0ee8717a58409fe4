// @ts-check
import js from '@eslint/js';
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.devcrew/', 'test/histories/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
    },
  },
  {
    // Workflow code is replayed deterministically in Temporal's sandbox: no I/O, no runtime imports of side effects.
    files: ['workflows/**/*.ts', 'test/fixtures/*-workflow.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '../activities',
                '../activities/*',
                '../sandbox',
                '../sandbox/*',
                '../artifacts',
                '../artifacts/*',
                '../runtime',
                '../runtime/*',
                '../workers',
                '../workers/*',
              ],
              allowTypeImports: true,
              message: 'workflows import activities, sandbox, store and runtime code as types only',
            },
          ],
          paths: [
            'fs',
            'node:fs',
            'fs/promises',
            'node:fs/promises',
            'child_process',
            'node:child_process',
            'dockerode',
            'simple-git',
            'express',
            'net',
            'node:net',
            'http',
            'node:http',
          ].map((name) => ({
            name,
            message: 'no I/O in workflow code; do it in an activity',
          })),
        },
      ],
      'no-console': 'error',
    },
  },
);
