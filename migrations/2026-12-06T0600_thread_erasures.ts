import { sql, type Kysely } from 'kysely';

/**
 * Erasure (issue 11 §4–§7). `thread_erasures` records every thread deletion, keyed by a hash of the
 * thread ID (`thread_key`, SHA-1 hex; `owner_key` likewise for the owner) so the record outlives the
 * thread without holding its ID: `thread_id` is kept only while the erasure is PENDING (the eraser
 * needs it to clean Redis and ClickHouse) and cleared when it completes. `stream_mark` is the
 * persistence stream's newest entry when Redis was tombstoned: both consumer groups must pass it
 * before ClickHouse rows are deleted, so nothing the archiver inserts later resurrects the thread.
 *
 * `threads.retain_until`: a per-thread expiry the retention sweeper honours (RETENTION_DAYS is
 * the default for threads without one, measured from their last activity, updated_at).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('thread_erasures')
    .addColumn('thread_key', 'text', (c) => c.primaryKey().check(sql`thread_key ~ '^[0-9a-f]{40}$'`))
    .addColumn('owner_key', 'text', (c) => c.notNull().check(sql`owner_key ~ '^[0-9a-f]{40}$'`))
    .addColumn('thread_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('PENDING').check(sql`status in ('PENDING', 'COMPLETE')`))
    .addColumn('reason', 'text', (c) => c.notNull().check(sql`reason in ('REQUESTED', 'RETENTION')`))
    .addColumn('stream_mark', 'text')
    .addColumn('requested_at', sql`timestamptz(3)`, (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', sql`timestamptz(3)`)
    // A completed erasure names no thread; a pending one must, or nobody could finish it.
    .addCheckConstraint('thread_erasures_id_while_pending', sql`(status = 'PENDING') = (thread_id is not null)`)
    .execute();
  await sql`create index thread_erasures_pending_idx on thread_erasures (requested_at) where status = 'PENDING'`.execute(db);

  await db.schema.alterTable('threads').addColumn('retain_until', sql`timestamptz(3)`).execute();
  await sql`create index threads_retain_until_idx on threads (retain_until) where retain_until is not null`.execute(db);
  // RETENTION_DAYS sweeps by last activity across all owners.
  await sql`create index threads_updated_at_idx on threads (updated_at)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists threads_updated_at_idx`.execute(db);
  await sql`drop index if exists threads_retain_until_idx`.execute(db);
  await db.schema.alterTable('threads').dropColumn('retain_until').execute();
  await db.schema.dropTable('thread_erasures').execute();
}
