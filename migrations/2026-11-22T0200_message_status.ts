import { sql, type Kysely } from 'kysely';

/** Streaming assistant messages: created IN_PROGRESS, filled by deltas, then COMPLETED. */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('messages')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('COMPLETED').check(sql`status in ('IN_PROGRESS', 'COMPLETED')`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('status').execute();
}
