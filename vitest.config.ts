import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships two builds. Vite would resolve our imports to index.mjs while Pothos and
    // graphql-yoga, loaded by Node, get the CommonJS index.js: two copies of every class, so
    // `instanceof GraphQLError` and schema checks fail ("from another module or realm").
    // Pointing Vite at the build Node loads keeps one graphql, as under `npm start`.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
