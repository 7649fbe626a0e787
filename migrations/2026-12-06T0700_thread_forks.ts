import { sql, type Kysely } from 'kysely';

/**
 * Forks (issue 11 §3): a thread made by forkThread remembers the thread and the seq it was copied
 * from. The reference is a foreign key ON DELETE SET NULL: it can never name a thread that does
 * not exist, and it never stands in the way of deleting the source (the fork keeps its seq and
 * loses only the link). The seq is set exactly on forks, and a link never comes without it.
 * The partial index serves the key's ON DELETE (finding a deleted thread's forks) without
 * indexing the many threads that are no fork.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('threads')
    .addColumn('forked_from_thread_id', 'text', (c) => c.references('threads.id').onDelete('set null'))
    .addColumn('forked_from_seq', 'integer', (c) => c.check(sql`forked_from_seq >= 1`))
    .execute();
  await db.schema
    .alterTable('threads')
    .addCheckConstraint('threads_forked_from_seq_present', sql`forked_from_thread_id is null or forked_from_seq is not null`)
    .execute();
  await db.schema
    .createIndex('threads_forked_from_idx')
    .on('threads')
    .column('forked_from_thread_id')
    .where(sql.ref('forked_from_thread_id'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('threads_forked_from_idx').execute();
  await db.schema
    .alterTable('threads')
    .dropConstraint('threads_forked_from_seq_present')
    .execute();
  await db.schema
    .alterTable('threads')
    .dropColumn('forked_from_seq')
    .dropColumn('forked_from_thread_id')
    .execute();
}
