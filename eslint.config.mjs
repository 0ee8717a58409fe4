// @ts-check
import js from '@eslint/js';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** The layers, bottom to top (ARCHITECTURE.md; test/architecture checks the same graph). */
const LAYERS = [
  ['contracts'],
  ['core'],
  ['prompts', 'models', 'artifacts', 'sandbox'],
  ['activities', 'workflows'],
  ['server', 'workers'],
  ['runtime', 'evaluation'],
  ['cli'],
];
/** A folder may not import a folder of its own layer or above (workflows' type imports are checked below). */
const layerZones = LAYERS.flatMap((layer, i) =>
  layer.flatMap((target) =>
    LAYERS.slice(i)
      .flat()
      .filter((from) => from !== target && !(target === 'workflows' && from === 'activities'))
      .map((from) => ({
        target: `./${target}`,
        from: `./${from}`,
        message: `${target}/ is below ${from}/ in the layers (ARCHITECTURE.md); move the shared part down`,
      })),
  ),
);

/**
 * The test doubles (models/doubles/: the scripted model, its recordings, the evaluation double) are reached
 * from production code only through the provider registry, models/providers.ts.
 */
const doubleZones = [
  {
    target: [
      './models/!(providers).ts',
      ...LAYERS.flat()
        .filter((f) => f !== 'models')
        .map((f) => `./${f}/**`),
    ],
    from: './models/doubles',
    message: 'the test doubles are reached through the provider registry (models/providers.ts) only',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.devcrew/', 'test/histories/', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    // Without a resolver that knows .ts, import-x resolves nothing and its cycle and path rules see no edges.
    settings: { 'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })] },
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
      'import-x/no-restricted-paths': ['error', { zones: [...layerZones, ...doubleZones] }],
    },
  },
  {
    // Workflow code is replayed deterministically in Temporal's sandbox: no I/O, no runtime imports of side effects.
    // core/errors.ts and core/failure.ts are bundled into the workflows (workflowFailure), so the same holds there.
    files: ['workflows/**/*.ts', 'test/fixtures/*-workflow.ts', 'core/errors.ts', 'core/failure.ts'],
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
