import { readFile } from 'node:fs/promises';
import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../src/schema/index.js';

const read = (file: string) => readFile(new URL(`../../${file}`, import.meta.url), 'utf8');

/** The text of a `## heading` section of the README, up to the next `## `. */
function section(readme: string, heading: string): string {
  const start = readme.indexOf(`\n## ${heading}\n`);
  expect(start, `README has a "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** The names in the first column of a section's tables: | `NAME` | … */
const tableKeys = (text: string) => [...text.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]).sort();

// The README is the documentation users read first; these keep its tables and its example
// session from drifting away from the code.
describe('README.md', () => {
  it('documents every environment variable of src/config.ts, and no other', async () => {
    const config = await read('src/config.ts');
    const model = config.slice(config.indexOf('z.object({'), config.indexOf('\n});'));
    const variables = [...model.matchAll(/^ {2}([A-Z][A-Z0-9_]*): z\./gm)].map((m) => m[1]).sort();
    expect(variables.length).toBeGreaterThan(0);
    expect(tableKeys(section(await read('README.md'), 'Configuration'))).toEqual(variables);
  });

  it('documents every error code of src/errors/error-codes.ts', async () => {
    const source = await read('src/errors/error-codes.ts');
    const union = source.slice(source.indexOf('export type ErrorCode'), source.indexOf(';', source.indexOf('export type ErrorCode')));
    const codes = [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]).sort();
    expect(codes.length).toBeGreaterThan(0);
    expect(tableKeys(section(await read('README.md'), 'Errors'))).toEqual(codes);
  });

  it("example session's operations are valid against the schema", async () => {
    const session = section(await read('README.md'), 'Example session');
    const queries = [...session.matchAll(/"query":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
    expect(queries.length).toBeGreaterThan(0);
    const problems = queries.flatMap((query) => validate(schema, parse(query)).map((error) => `${query}: ${error.message}`));
    expect(problems).toEqual([]);
  });
});
