import { sql, type Kysely } from 'kysely';

/**
 * An outbox entry Redis refuses for good (a script error, a key of the wrong type: an answer, not
 * an outage) is set aside rather than retried forever in front of every later entry: `set_aside_at`
 * and the refusal are recorded, the relay skips it, and an operator requeues it once the cause is
 * fixed (README: "Outbox entries set aside"). Pending entries are read through a partial index.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('outbox')
    .addColumn('set_aside_at', sql`timestamptz(3)`)
    .addColumn('refusal', 'text')
    .execute();
  await sql`create index outbox_pending_idx on outbox (id) where set_aside_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index outbox_pending_idx`.execute(db);
  await db.schema.alterTable('outbox').dropColumn('set_aside_at').dropColumn('refusal').execute();
}
