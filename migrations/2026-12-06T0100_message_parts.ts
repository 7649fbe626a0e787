import { sql, type Kysely } from 'kysely';

/**
 * Structured messages: `parts` holds a message's text, reasoning, tool calls, tool results and
 * files as JSONB. Null means one text part, the content, so every existing row reads as it did
 * and needs no rewrite. The partial index serves the tool-call checks of a thread (which calls
 * are open), reading only the messages that have parts.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('parts', 'jsonb').execute();
  await db.schema
    .createIndex('messages_with_parts_by_thread')
    .on('messages')
    .column('thread_id')
    .where(sql.ref('parts'), 'is not', null)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_with_parts_by_thread').execute();
  await db.schema.alterTable('messages').dropColumn('parts').execute();
}
