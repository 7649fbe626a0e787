import { sql, type Kysely } from 'kysely';

/**
 * Run control: the CANCELLING status (a cancel asked for, not yet confirmed by the agent), and
 * an index over each thread's active runs, which startRun locks and Thread.activeRun reads.
 * Frozen in time: the status lists are spelled out here, not imported.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table runs drop constraint runs_status_check`.execute(db);
  await sql`alter table runs add constraint runs_status_check
    check (status in ('QUEUED', 'IN_PROGRESS', 'REQUIRES_ACTION', 'CANCELLING', 'COMPLETED', 'FAILED', 'CANCELLED'))`.execute(db);
  await sql`create index runs_thread_active_idx on runs (thread_id, created_at, id)
    where status in ('QUEUED', 'IN_PROGRESS', 'REQUIRES_ACTION', 'CANCELLING')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index runs_thread_active_idx`.execute(db);
  // A run being cancelled has no place in the older lifecycle: it counts as cancelled.
  await sql`update runs set status = 'CANCELLED', completed_at = coalesce(completed_at, now()) where status = 'CANCELLING'`.execute(db);
  await sql`alter table runs drop constraint runs_status_check`.execute(db);
  await sql`alter table runs add constraint runs_status_check
    check (status in ('QUEUED', 'IN_PROGRESS', 'REQUIRES_ACTION', 'COMPLETED', 'FAILED', 'CANCELLED'))`.execute(db);
}
