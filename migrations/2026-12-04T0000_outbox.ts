import { sql, type Kysely } from 'kysely';

/**
 * Changes committed in Postgres that Redis has still to hear of: a message or a completion
 * written on the Postgres path (no Redis, or its circuit open), a run transition, a thread
 * change. Written in the same transaction as the change; relayed to the persistence stream and
 * the thread's channel (storage/outbox-relay.ts), then deleted. In commit order per thread.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('outbox')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('thread_id', 'text', (c) => c.notNull().references('threads.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('message', 'messageCompleted', 'run', 'thread')`))
    .addColumn('payload', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('outbox_thread_idx').on('outbox').column('thread_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('outbox').execute();
}
