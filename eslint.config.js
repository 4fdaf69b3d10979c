import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // One owner per table: SQL lives in a table's repo (`*-repo.ts`), in
    // src/db/ (connections, migrations runner, shared fragments) or in a
    // migration. Services, routes, jobs and pages call repo functions. Any
    // tagged template counts: the only ones in src/ are postgres.js queries.
    files: ['src/**/*.ts', 'src/**/*.tsx'],
    ignores: ['src/**/*-repo.ts', 'src/db/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'TaggedTemplateExpression',
          message: 'SQL belongs in the table\'s repo (a *-repo.ts module taking the transaction or connection first) or in src/db/; call a repo function here.',
        },
      ],
    },
  },
);
