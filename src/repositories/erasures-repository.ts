import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { ErasureReason, ThreadErasure } from '../domain/thread-erasure.js';
import { erasureKeyOf } from '../erasure/erasure-keys.js';
import type { ThreadId } from '../ids/id-types.js';

/** An erasure the eraser has still to finish: it needs the thread ID to clean Redis and ClickHouse. */
export interface PendingErasure {
  threadId: ThreadId;
  /** The persistence stream's newest entry when Redis was tombstoned; null until it was. */
  streamMark: string | null;
}

/**
 * The owner's key is salted with the thread ID, which the record does not keep: an owner ID that
 * is easy to guess (`alice`) cannot be found again by hashing guesses, yet the owner, who knows the
 * thread ID, is recognised.
 */
function ownerKeyOf(threadId: string, ownerId: string): string {
  return erasureKeyOf(`${threadId}\u0000${ownerId}`);
}

/** In the transaction that deletes the threads' rows: the record exists exactly when the deletion does. */
export async function insertThreadErasures(
  trx: Transaction<Database>,
  threads: ReadonlyArray<{ id: ThreadId; ownerId: string }>,
  reason: ErasureReason,
): Promise<ThreadErasure[]> {
  if (threads.length === 0) return [];
  const rows = await trx
    .insertInto('thread_erasures')
    .values(threads.map((thread) => ({ thread_key: erasureKeyOf(thread.id), owner_key: ownerKeyOf(thread.id, thread.ownerId), thread_id: thread.id, reason })))
    .returning(['thread_id', 'status', 'reason', 'requested_at', 'completed_at'])
    .modifyEnd(sql`/* erasures.insertThreadErasures */`)
    .execute();
  return rows.map((row) => ({
    threadId: row.thread_id as ThreadId,
    status: row.status,
    reason: row.reason,
    requestedAt: row.requested_at,
    completedAt: row.completed_at,
  }));
}

/** The owner's erasure of that thread, found by the keys alone (a completed one no longer holds the ID). */
export async function findThreadErasure(db: Kysely<Database>, ownerId: string, threadId: ThreadId): Promise<ThreadErasure | undefined> {
  const row = await db
    .selectFrom('thread_erasures')
    .select(['status', 'reason', 'requested_at', 'completed_at'])
    .where('thread_key', '=', erasureKeyOf(threadId))
    .where('owner_key', '=', ownerKeyOf(threadId, ownerId))
    .modifyEnd(sql`/* erasures.findThreadErasure */`)
    .executeTakeFirst();
  return row && { threadId, status: row.status, reason: row.reason, requestedAt: row.requested_at, completedAt: row.completed_at };
}

/** Which of these threads have been erased (pending or complete): stream entries naming them are dropped. */
export async function findErasedThreadIds(db: Kysely<Database>, threadIds: readonly string[]): Promise<Set<string>> {
  if (threadIds.length === 0) return new Set();
  const byKey = new Map(threadIds.map((id) => [erasureKeyOf(id), id]));
  const rows = await db
    .selectFrom('thread_erasures')
    .select('thread_key')
    .where('thread_key', '=', sql<string>`any(${sql.val([...byKey.keys()])})`)
    .modifyEnd(sql`/* erasures.findErasedThreadIds */`)
    .execute();
  return new Set(rows.map((row) => byKey.get(row.thread_key) as string));
}

/** The oldest pending erasures, at most `limit`. */
export async function listPendingErasures(db: Kysely<Database>, limit: number): Promise<PendingErasure[]> {
  const rows = await db
    .selectFrom('thread_erasures')
    .select(['thread_id', 'stream_mark'])
    .where('status', '=', 'PENDING')
    .orderBy('requested_at')
    .limit(limit)
    .modifyEnd(sql`/* erasures.listPendingErasures */`)
    .execute();
  return rows.map((row) => ({ threadId: row.thread_id as ThreadId, streamMark: row.stream_mark }));
}

/**
 * Records the stream mark once: an instance that tombstoned later keeps the first mark, which is
 * the earlier one and just as safe. Returns the mark in force.
 */
export async function setErasureStreamMark(db: Kysely<Database>, threadId: ThreadId, mark: string): Promise<string> {
  await db
    .updateTable('thread_erasures')
    .set({ stream_mark: mark })
    .where('thread_key', '=', erasureKeyOf(threadId))
    .where('stream_mark', 'is', null)
    .modifyEnd(sql`/* erasures.setErasureStreamMark */`)
    .execute();
  const row = await db
    .selectFrom('thread_erasures')
    .select('stream_mark')
    .where('thread_key', '=', erasureKeyOf(threadId))
    .modifyEnd(sql`/* erasures.findErasureStreamMark */`)
    .executeTakeFirst();
  return row?.stream_mark ?? mark;
}

/** Every tier is clean: the record keeps only the keys, the status and the times. */
export async function completeThreadErasure(db: Kysely<Database>, threadId: ThreadId, at: Date): Promise<void> {
  await db
    .updateTable('thread_erasures')
    .set({ status: 'COMPLETE', completed_at: at, thread_id: null, stream_mark: null })
    .where('thread_key', '=', erasureKeyOf(threadId))
    .where('status', '=', 'PENDING')
    .modifyEnd(sql`/* erasures.completeThreadErasure */`)
    .execute();
}

/** For /metrics. */
export async function countPendingErasures(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('thread_erasures')
    .select(sql<number>`count(*)::int`.as('count'))
    .where('status', '=', 'PENDING')
    .modifyEnd(sql`/* erasures.countPendingErasures */`)
    .executeTakeFirstOrThrow();
  return row.count;
}
