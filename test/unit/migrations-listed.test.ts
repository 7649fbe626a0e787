import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';

const MIGRATIONS_DIR = new URL('../../migrations/', import.meta.url);

async function migrationFileNames(): Promise<string[]> {
  const files = await readdir(MIGRATIONS_DIR);
  return files
    .filter((file) => file.endsWith('.ts') && file !== 'index.ts')
    .map((file) => file.slice(0, -'.ts'.length))
    .sort();
}

// The Migrator runs only what migrations/index.ts lists, so a file missing there is a
// migration that silently never runs.
describe('migrations/index.ts', () => {
  it('lists every migration file by its name, and nothing else', async () => {
    expect(Object.keys(migrations).sort()).toEqual(await migrationFileNames());
  });

  it('maps each name to the module of the same file', async () => {
    for (const name of await migrationFileNames()) {
      const module: unknown = await import(new URL(`${name}.ts`, MIGRATIONS_DIR).href);
      expect(migrations[name], `migrations['${name}']`).toBe(module);
    }
  });
});
