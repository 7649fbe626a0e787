import { describe, expect, it } from 'vitest';
import { ARCHIVE_MIGRATIONS, pendingMigrations, type ArchiveMigration } from '../../../src/archive/archive-migrations.js';

const migration = (name: string): ArchiveMigration => ({ name, statements: [`SELECT '${name}'`] });

describe('pendingMigrations', () => {
  it('returns the unapplied migrations in name order, whatever the list order', () => {
    const list = [migration('2026-01-03_c'), migration('2026-01-01_a'), migration('2026-01-02_b')];
    expect(pendingMigrations(list, new Set(['2026-01-02_b'])).map((m) => m.name)).toEqual(['2026-01-01_a', '2026-01-03_c']);
  });

  it('returns nothing when all are applied', () => {
    expect(pendingMigrations([migration('2026-01-01_a')], new Set(['2026-01-01_a', '2027-01-01_from_the_future']))).toEqual([]);
  });

  it('refuses duplicate names', () => {
    expect(() => pendingMigrations([migration('2026-01-01_a'), migration('2026-01-01_a')], new Set())).toThrow(/Duplicate/);
  });
});

describe('ARCHIVE_MIGRATIONS', () => {
  it('are dated, listed in order, and safe to run twice', () => {
    const names = ARCHIVE_MIGRATIONS.map((m) => m.name);
    for (const name of names) expect(name).toMatch(/^\d{4}-\d{2}-\d{2}T\d{4}_[a-z0-9_]+$/);
    expect([...names].sort()).toEqual(names);
    // A MODIFY COLUMN to the same definition is a no-op the second time; IF EXISTS keeps it from failing on its own.
    for (const statement of ARCHIVE_MIGRATIONS.flatMap((m) => m.statements)) expect(statement).toMatch(/IF (NOT )?EXISTS/);
  });

  it('make the archive tables collapse redelivered rows', () => {
    const creates = ARCHIVE_MIGRATIONS.flatMap((m) => m.statements).filter((statement) => statement.startsWith('CREATE TABLE'));
    expect(creates.length).toBeGreaterThan(0);
    for (const statement of creates) expect(statement).toMatch(/ENGINE = ReplacingMergeTree/);
  });
});
