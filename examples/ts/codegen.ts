import type { CodegenConfig } from '@graphql-codegen/cli';

// Typed documents for the operations written in src/, checked against the
// published schema; the output (src/gql/) is committed.
const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/**/*.ts', '!src/gql/**/*'],
  // Imports with .js, as Node's ES modules (tsconfig: NodeNext) need them.
  emitLegacyCommonJSImports: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        // Money amounts are decimal strings ("129.00"), never floats.
        scalars: {
          Decimal: 'string',
          Time: 'string',
          Cursor: 'string',
          Map: 'Record<string, unknown>',
          ID: 'string',
        },
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};
export default config;
