import type { CodegenConfig } from '@graphql-codegen/cli';

/** Shared by both targets. */
const clientConfig = {
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
};

/**
 * Typed documents for two clients, each from its own operations: `npm run codegen` writes
 * examples/generated/ from examples/**\/*.graphql and dashboard/src/gql/ from
 * dashboard/src/operations/*.graphql, against schema.graphql (itself printed from the code by
 * `npm run schema`). The output is checked in; `npm run codegen:check` fails when it is stale.
 */
const config: CodegenConfig = {
  schema: './schema.graphql',
  ignoreNoDocuments: false,
  generates: {
    'examples/generated/': {
      documents: ['examples/**/*.graphql'],
      preset: 'client',
      presetConfig: {
        // Result types carry the fragment fields directly, so scripts and tests can read
        // them without unmasking helpers.
        fragmentMasking: false,
      },
      config: clientConfig,
    },
    'dashboard/src/gql/': {
      documents: ['dashboard/src/operations/*.graphql'],
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        ...clientConfig,
        // Documents as strings: the page sends them as they are, without bundling graphql's printer.
        documentMode: 'string',
      },
    },
  },
};

export default config;
