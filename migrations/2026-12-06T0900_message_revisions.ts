import { sql, type Kysely } from 'kysely';

/**
 * Edits and deletions of messages. `revision` counts the versions a message has had (1: never
 * changed; an edit and a deletion each add one, which is also what makes a redelivered change
 * recognisable), `edited_at` is the time of the latest edit, `deleted_at` marks a tombstone (its
 * content, parts and metadata emptied, its seq kept so seqs stay gap-free). Earlier versions live
 * in `message_revisions`, one row per version an edit replaced; a deletion removes them, and so
 * does the message's row going (ON DELETE CASCADE).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('messages')
    .addColumn('revision', 'integer', (column) => column.notNull().defaultTo(1).check(sql`revision >= 1`))
    .addColumn('edited_at', 'timestamptz')
    .addColumn('deleted_at', 'timestamptz')
    .execute();
  await db.schema
    .createTable('message_revisions')
    .addColumn('message_id', 'text', (column) => column.notNull().references('messages.id').onDelete('cascade'))
    .addColumn('revision', 'integer', (column) => column.notNull())
    .addColumn('content', 'text', (column) => column.notNull())
    .addColumn('parts', 'jsonb')
    // When this version was written: the message's creation for revision 1, else the edit that made it.
    .addColumn('written_at', 'timestamptz', (column) => column.notNull())
    .addPrimaryKeyConstraint('message_revisions_pkey', ['message_id', 'revision'])
    .execute();
  // Edits and deletions reach Redis, the archive and subscribers through the outbox like every change committed in Postgres.
  await sql`alter table outbox drop constraint outbox_kind_check`.execute(db);
  await sql`alter table outbox add constraint outbox_kind_check
    check (kind in ('message', 'messageCompleted', 'messageEdited', 'messageDeleted', 'run', 'thread', 'feedback'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from outbox where kind in ('messageEdited', 'messageDeleted')`.execute(db);
  await sql`alter table outbox drop constraint outbox_kind_check`.execute(db);
  await sql`alter table outbox add constraint outbox_kind_check check (kind in ('message', 'messageCompleted', 'run', 'thread', 'feedback'))`.execute(db);
  await db.schema.dropTable('message_revisions').execute();
  await db.schema.alterTable('messages').dropColumn('revision').dropColumn('edited_at').dropColumn('deleted_at').execute();
}
