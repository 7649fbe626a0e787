import { sql, type Kysely } from 'kysely';

/**
 * The owner's rating of a message (rateMessage): one row per message, replaced on re-rating.
 *
 * Keyed by the message ID with no foreign key to `messages`: a message acked on the fast path is
 * in Redis before the persister writes it to Postgres, and rating it must not wait for that (nor
 * fail when Postgres lags). The API checks that the message exists and is the viewer's (Redis
 * first, then Postgres) before writing; reads look the rating up by message ID. The thread's
 * foreign key ties the rating to its thread, so deleting a thread deletes its ratings.
 * Frozen in time: the limits are spelled out here (score -1 or 1, a comment of 2,000 characters).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('message_feedback')
    .addColumn('message_id', 'text', (c) => c.primaryKey())
    .addColumn('thread_id', 'text', (c) => c.notNull().references('threads.id').onDelete('cascade'))
    .addColumn('score', 'smallint', (c) => c.notNull().check(sql`score in (-1, 1)`))
    .addColumn('comment', 'text', (c) => c.check(sql`length(comment) <= 2000`))
    .addColumn('rated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('message_feedback_thread_idx').on('message_feedback').column('thread_id').execute();
  // Ratings reach the archive through the outbox, like run changes.
  await sql`alter table outbox drop constraint outbox_kind_check`.execute(db);
  await sql`alter table outbox add constraint outbox_kind_check check (kind in ('message', 'messageCompleted', 'run', 'thread', 'feedback'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from outbox where kind = 'feedback'`.execute(db);
  await sql`alter table outbox drop constraint outbox_kind_check`.execute(db);
  await sql`alter table outbox add constraint outbox_kind_check check (kind in ('message', 'messageCompleted', 'run', 'thread'))`.execute(db);
  await db.schema.dropTable('message_feedback').execute();
}
