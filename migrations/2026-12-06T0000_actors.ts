import type { Kysely } from 'kysely';

/**
 * Who wrote a message or started a run on its owner's behalf: the `act.sub` of a delegated
 * token (an agent worker), null when the owner wrote it. Nullable, so existing rows need nothing.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('actor', 'text').execute();
  await db.schema.alterTable('runs').addColumn('actor', 'text').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('actor').execute();
  await db.schema.alterTable('runs').dropColumn('actor').execute();
}
