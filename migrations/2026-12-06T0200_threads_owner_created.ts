import type { Kysely } from 'kysely';

/**
 * Serves "my threads by creation", newest or oldest first (read backwards), with keyset
 * pagination over (created_at, id). Without status: the unfiltered list is the common one, and
 * a status filter over two values costs little on the way.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createIndex('threads_owner_created_idx')
    .on('threads')
    .columns(['owner_id', 'created_at desc', 'id desc'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('threads_owner_created_idx').execute();
}
