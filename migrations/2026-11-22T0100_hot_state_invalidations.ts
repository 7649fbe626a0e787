import { sql, type Kysely } from 'kysely';

/**
 * Threads written straight to Postgres while Redis was unreachable. Their cached sequence
 * counter in Redis is stale; the server re-seeds them from Postgres before the fast path
 * resumes, then deletes the rows.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('hot_state_invalidations')
    .addColumn('thread_id', 'text', (c) => c.primaryKey().references('threads.id').onDelete('cascade'))
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('hot_state_invalidations').execute();
}
