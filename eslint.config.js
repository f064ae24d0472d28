// Lint rules: typescript-eslint's recommended set plus the house rules of
// STYLE.md that a linter can check (no console, no process.env outside config).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.tools/**',
      '.cache/**',
      '.infra/**',
      'libs/contracts/src/gen/**',
      'coverage/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        structuredClone: 'readonly',
        performance: 'readonly',
        queueMicrotask: 'readonly',
      },
    },
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through the typed schema in libs/platform/config (STYLE.md rule 6).',
        },
      ],
    },
  },
  {
    // Entry points, config readers, tests, scripts and benches may read the environment.
    files: [
      '**/main.ts',
      '**/*.main.ts',
      'libs/platform/config/**',
      '**/*.spec.ts',
      '**/test/**',
      'libs/testing/**',
      'scripts/**',
      'bench/**',
      'apps/cli/**',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['scripts/**/*.mjs', 'bench/**'],
    rules: { 'no-console': 'off' },
  },
  {
    // Decorated Nest/ORM classes need runtime imports of the types they inject.
    files: ['apps/**', 'libs/platform/**'],
    rules: { '@typescript-eslint/consistent-type-imports': 'off' },
  },
);
