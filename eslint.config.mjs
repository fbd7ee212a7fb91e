import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/generated/**', '.nx/**', 'tmp/**', '.data/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            // End-to-end suites and benchmarks drive the whole platform from outside.
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['*'] },
            { sourceTag: 'scope:e2e', onlyDependOnLibsWithTags: ['*'] },
            // Operational commands (launcher, migrate, ledger-check, key rotation) span every context.
            { sourceTag: 'scope:ops', onlyDependOnLibsWithTags: ['*'] },
            // Apps wire libraries together; libraries never import apps.
            {
              sourceTag: 'type:app',
              onlyDependOnLibsWithTags: ['type:data-access', 'type:domain', 'type:util', 'type:feature'],
            },
            {
              sourceTag: 'type:feature',
              onlyDependOnLibsWithTags: ['type:feature', 'type:data-access', 'type:domain', 'type:util'],
            },
            {
              sourceTag: 'type:data-access',
              onlyDependOnLibsWithTags: ['type:data-access', 'type:domain', 'type:util'],
            },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain', 'type:util'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
            // Bounded contexts talk through platform libraries, not through each other's internals.
            { sourceTag: 'scope:platform', onlyDependOnLibsWithTags: ['scope:platform'] },
            { sourceTag: 'scope:accounts', onlyDependOnLibsWithTags: ['scope:accounts', 'scope:platform'] },
            { sourceTag: 'scope:ledger', onlyDependOnLibsWithTags: ['scope:ledger', 'scope:platform'] },
            {
              sourceTag: 'scope:transactions',
              onlyDependOnLibsWithTags: [
                'scope:transactions',
                'scope:ledger',
                'scope:accounts',
                'scope:platform',
              ],
            },
            {
              sourceTag: 'scope:compliance',
              onlyDependOnLibsWithTags: [
                'scope:compliance',
                'scope:transactions',
                'scope:ledger',
                'scope:accounts',
                'scope:platform',
              ],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through @ledgerline/config in main.ts.',
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@prisma/client',
              message: 'Only type:data-access libraries use Prisma, through @ledgerline/db.',
            },
          ],
          patterns: [
            {
              group: ['@ledgerline/*/src/*', '**/libs/*/*/src/*'],
              message: 'Import a library through its public entry.',
            },
          ],
        },
      ],
    },
  },
  {
    // Entry points and tooling are where the environment is read (the process library passes it on to the apps it runs).
    files: [
      'apps/*/src/main.ts',
      'apps/platform-e2e/src/**/*.ts',
      'tools/**/*.ts',
      'bench/**/*.ts',
      'libs/platform/db/src/testing/**/*.ts',
      'libs/platform/processes/src/**/*.ts',
      'prisma.config.ts',
    ],
    rules: { 'no-restricted-properties': 'off' },
  },
];
