import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the example client operations: `npm run codegen` writes
 * examples/generated/ from schema.graphql (itself printed from the code by `npm run schema`)
 * and examples/**\/*.graphql. The output is checked in; `npm run codegen:check` fails when it
 * is stale.
 */
const config: CodegenConfig = {
  schema: './schema.graphql',
  documents: ['examples/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'examples/generated/': {
      preset: 'client',
      presetConfig: {
        // Result types carry the fragment fields directly, so scripts and tests can read
        // them without unmasking helpers.
        fragmentMasking: false,
      },
      config: {
        // The repository is ESM with NodeNext resolution and verbatimModuleSyntax.
        importExtension: '.js',
        useTypeImports: true,
        strictScalars: true,
        // How the scalars arrive in a JSON response.
        scalars: {
          DateTime: 'string',
          JSON: 'unknown',
          SafeInt: 'number',
        },
      },
    },
  },
};

export default config;
