import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { printSchemaSdl } from '../../../src/schema/index.js';

const SCHEMA_FILE = new URL('../../../schema.graphql', import.meta.url);

describe('schema.graphql', () => {
  it('is exactly the SDL printed from the code-first schema', async () => {
    const checkedIn = await readFile(SCHEMA_FILE, 'utf8');
    expect(checkedIn, 'schema.graphql differs from the code: run `npm run schema` and commit the result').toBe(printSchemaSdl());
  });
});
