import { sql, type Kysely } from 'kysely';

/**
 * Read state (issue 12 §3): how far the thread's owner has read it. A column on threads rather
 * than a thread_reads table: a thread has exactly one owner, so there is one read position per
 * thread, and every Thread already loaded (a page of them, one by ID) carries it with no join
 * or extra query. Should threads ever be shared, a (thread_id, user_id) table replaces it.
 *
 * No CHECK against last_seq: a FAST send is acked from Redis before Postgres's last_seq moves,
 * so the position may legitimately be ahead of this row's last_seq for a while.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('threads')
    .addColumn('last_read_seq', 'integer', (c) => c.notNull().defaultTo(0).check(sql`last_read_seq >= 0`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('threads').dropColumn('last_read_seq').execute();
}
