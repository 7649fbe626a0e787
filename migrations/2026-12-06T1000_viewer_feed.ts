import { sql, type Kysely } from 'kysely';

/**
 * The viewer feed (viewerEvents): a new thread and a read mark reach the owner's feed in Redis
 * through the outbox, like every change committed in Postgres, so they are written exactly when
 * the change commits and survive a Redis outage. A fork's copies are `messageCopied`: streamed
 * like any message, but no activity of the feed (the fork's ThreadCreated says it all).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table outbox drop constraint outbox_kind_check`.execute(db);
  await sql`alter table outbox add constraint outbox_kind_check
    check (kind in ('message', 'messageCopied', 'messageCompleted', 'messageEdited', 'messageDeleted', 'run', 'thread', 'threadCreated', 'threadRead', 'feedback'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`delete from outbox where kind in ('messageCopied', 'threadCreated', 'threadRead')`.execute(db);
  await sql`alter table outbox drop constraint outbox_kind_check`.execute(db);
  await sql`alter table outbox add constraint outbox_kind_check
    check (kind in ('message', 'messageCompleted', 'messageEdited', 'messageDeleted', 'run', 'thread', 'feedback'))`.execute(db);
}
