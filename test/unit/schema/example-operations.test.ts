import { readdir, readFile } from 'node:fs/promises';
import { Kind, Source, parse, validate, type DefinitionNode, type DocumentNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from '../../../src/schema/index.js';

const OPERATIONS_DIR = new URL('../../../examples/operations/', import.meta.url);

/** Every example document, parsed with its file name as the source name so errors point at it. */
async function loadExampleDocuments(): Promise<Array<{ file: string; document: DocumentNode }>> {
  const files = (await readdir(OPERATIONS_DIR)).filter((name) => name.endsWith('.graphql')).sort();
  return Promise.all(
    files.map(async (file) => {
      const body = await readFile(new URL(file, OPERATIONS_DIR), 'utf8');
      return { file, document: parse(new Source(body, `examples/operations/${file}`)) };
    }),
  );
}

/** "file:line:column message", the way an editor would show it. */
function describeError(error: { message: string; source?: Source | undefined; locations?: ReadonlyArray<{ line: number; column: number }> | undefined }): string {
  const where = error.locations?.[0];
  return `${error.source?.name ?? '?'}:${where?.line ?? '?'}:${where?.column ?? '?'} ${error.message}`;
}

// Fragments live in their own file and are shared, so the documents are validated together,
// as codegen sees them: this also catches duplicate operation names and unused fragments.
describe('examples/operations', () => {
  it('has documents to check', async () => {
    expect((await loadExampleDocuments()).length).toBeGreaterThan(0);
  });

  it('validates against the schema', async () => {
    const definitions: DefinitionNode[] = (await loadExampleDocuments()).flatMap(({ document }) => document.definitions);
    const errors = validate(schema, { kind: Kind.DOCUMENT, definitions });
    expect(errors.map(describeError)).toEqual([]);
  });

  it('names every operation (typed documents are named after them)', async () => {
    const anonymous = (await loadExampleDocuments()).flatMap(({ file, document }) =>
      document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION && !d.name).map(() => file),
    );
    expect(anonymous).toEqual([]);
  });
});
