// Lint rules: typescript-eslint's recommended set on the sources, tests and benches, and the layer rule of
// docs/architecture.md (eslint/layers.js) on src/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layersPlugin } from './eslint/layers.js';

export default tseslint.config(
  { ignores: ['node_modules/**', 'test/controlplane/**', '.cache/**'] },
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
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      // No line over 120 columns (Prettier's printWidth), strings, template literals, comments and URLs included:
      // Prettier does not break those, this rule makes the build fail on them. Core max-len is deprecated since
      // ESLint 8.53 but available until 11.0; on ESLint 11 switch to @stylistic/eslint-plugin's max-len.
      'max-len': [
        'error',
        {
          code: 120,
          tabWidth: 2,
          ignoreUrls: false,
          ignoreComments: false,
          ignoreStrings: false,
          ignoreTemplateLiterals: false,
          ignoreRegExpLiterals: false,
        },
      ],
    },
  },
  {
    // Type-aware rules (the TypeScript program of tsconfig.json): a promise nobody awaits or handles, a promise
    // where a callback must return void, a switch over a union that forgets a member.
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { layers: layersPlugin },
    rules: { 'layers/imports': 'error' },
  },
  {
    // Settings: only src/settings/process-env.ts reads the environment (docs/architecture.md).
    files: ['src/**/*.ts', 'bin/**/*.js'],
    ignores: ['src/settings/process-env.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'read settings through src/settings/ (SettingsReader over the env the composition root passes down)',
        },
      ],
    },
  },
);
