import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, ThreadRow } from '../db/database.js';
import type { Thread, ThreadOrder, ThreadStatus } from '../domain/thread.js';
import type { ThreadId } from '../ids/id-types.js';
import { NotFoundError } from '../errors/domain-errors.js';
import type { PageWindow, TimeCursor } from './page-window.js';

export interface ThreadFilter {
  status?: ThreadStatus | undefined;
  /** Threads whose metadata contains this object (`@>`). */
  metadataContains?: Record<string, unknown> | undefined;
  /** Threads whose title contains this text, ignoring case; `%`, `_` and `\` match themselves. */
  titleContains?: string | undefined;
  /** Threads last active strictly after this instant. */
  updatedAfter?: Date | undefined;
}

/** What each order sorts by (then by ID), which way, and the key a cursor of it carries. */
export const THREAD_ORDER_KEYS = {
  UPDATED_AT_DESC: { column: 'updated_at', direction: 'desc', keyOf: (thread: Thread) => thread.updatedAt },
  CREATED_AT_DESC: { column: 'created_at', direction: 'desc', keyOf: (thread: Thread) => thread.createdAt },
  CREATED_AT_ASC: { column: 'created_at', direction: 'asc', keyOf: (thread: Thread) => thread.createdAt },
} as const satisfies Record<ThreadOrder, { column: 'updated_at' | 'created_at'; direction: 'asc' | 'desc'; keyOf: (thread: Thread) => Date }>;

/** A LIKE pattern matching `text` anywhere, its wildcards and escape character taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

export function toThread(row: ThreadRow): Thread {
  return {
    id: row.id as ThreadId,
    ownerId: row.owner_id,
    title: row.title,
    status: row.status,
    metadata: row.metadata,
    lastSeq: row.last_seq,
    lastReadSeq: row.last_read_seq,
    retainUntil: row.retain_until,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    forkedFrom: row.forked_from_seq === null ? null : { threadId: row.forked_from_thread_id as ThreadId | null, seq: row.forked_from_seq },
  };
}

/** Only the owner's threads come back: another user's thread is indistinguishable from none. */
export async function findThreadsByIds(db: Kysely<Database>, ownerId: string, ids: readonly ThreadId[]): Promise<Thread[]> {
  const rows = await db
    .selectFrom('threads')
    .selectAll()
    .where('id', '=', sql<string>`any(${sql.val(ids)})`)
    .where('owner_id', '=', ownerId)
    .modifyEnd(sql`/* threads.findThreadsByIds */`)
    .execute();
  return rows.map(toThread);
}

/** The owner's threads that pass the filter: the one WHERE clause a page and its count share. */
function filteredThreads(db: Kysely<Database>, ownerId: string, filter: ThreadFilter) {
  let query = db.selectFrom('threads').where('owner_id', '=', ownerId);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.metadataContains) {
    query = query.where(sql<boolean>`metadata @> ${JSON.stringify(filter.metadataContains)}::jsonb`);
  }
  if (filter.titleContains !== undefined) {
    query = query.where(sql<boolean>`title ilike ${containsPattern(filter.titleContains)} escape '\\'`);
  }
  if (filter.updatedAfter) query = query.where('updated_at', '>', filter.updatedAfter);
  return query;
}

/**
 * In `order` (newest activity first by default); keyset pagination over (its column, id), served
 * by threads_owner_activity_idx or threads_owner_created_idx.
 */
export async function listThreadsByOwner(
  db: Kysely<Database>,
  ownerId: string,
  filter: ThreadFilter,
  window: PageWindow<TimeCursor>,
  order: ThreadOrder = 'UPDATED_AT_DESC',
): Promise<Thread[]> {
  const { column, direction } = THREAD_ORDER_KEYS[order];
  const reading = window.backwards ? (direction === 'desc' ? 'asc' : 'desc') : direction;
  // "After" a cursor is further along the order: smaller keys when it descends.
  const [afterOp, beforeOp] = direction === 'desc' ? (['<', '>'] as const) : (['>', '<'] as const);
  let query = filteredThreads(db, ownerId, filter)
    .selectAll()
    .modifyEnd(sql`/* threads.listThreadsByOwner */`)
    .orderBy(column, reading)
    .orderBy('id', reading)
    .limit(window.limit);
  const key = sql.ref(column);
  if (window.after) query = query.where(sql<boolean>`(${key}, id) ${sql.raw(afterOp)} (${window.after.at}, ${window.after.id})`);
  if (window.before) query = query.where(sql<boolean>`(${key}, id) ${sql.raw(beforeOp)} (${window.before.at}, ${window.before.id})`);
  return (await query.execute()).map(toThread);
}

/** How many of the owner's threads pass the filter, whatever the page. */
export async function countThreadsByOwner(db: Kysely<Database>, ownerId: string, filter: ThreadFilter): Promise<number> {
  const row = await filteredThreads(db, ownerId, filter)
    .select(sql<number>`count(*)::int`.as('count'))
    .modifyEnd(sql`/* threads.countThreadsByOwner */`)
    .executeTakeFirstOrThrow();
  return row.count;
}

export async function findActiveThread(db: Kysely<Database>, ownerId: string): Promise<Thread | undefined> {
  const row = await db
    .selectFrom('threads')
    .selectAll()
    .modifyEnd(sql`/* threads.findActiveThread */`)
    .where('owner_id', '=', ownerId)
    .where('status', '=', 'ACTIVE')
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && toThread(row);
}

export interface NewThread {
  id: ThreadId;
  ownerId: string;
  title: string | null;
  metadata: Record<string, unknown>;
  retainUntil?: Date | null | undefined;
  /** A fork's origin; its copied messages then follow in the same transaction (storage/thread-fork.ts). Default none. */
  forkedFrom?: { threadId: ThreadId; seq: number };
  /** Messages the thread starts with, inserted by the caller in the same transaction. Default 0. */
  lastSeq?: number;
  /** Default 0. */
  lastReadSeq?: number;
}

export async function insertThread(trx: Transaction<Database>, thread: NewThread): Promise<Thread> {
  const row = await trx
    .insertInto('threads')
    .values({
      id: thread.id,
      owner_id: thread.ownerId,
      title: thread.title,
      metadata: JSON.stringify(thread.metadata),
      last_seq: thread.lastSeq ?? 0,
      last_read_seq: thread.lastReadSeq ?? 0,
      forked_from_thread_id: thread.forkedFrom?.threadId ?? null,
      forked_from_seq: thread.forkedFrom?.seq ?? null,
      retain_until: thread.retainUntil ?? null,
    })
    .returningAll()
    .modifyEnd(sql`/* threads.insertThread */`)
    .executeTakeFirstOrThrow();
  return toThread(row);
}

/**
 * Serialises "get or create the active thread" per user, so two concurrent calls cannot both
 * create one. Held until the transaction ends.
 */
export async function lockThreadCreationForOwner(trx: Transaction<Database>, ownerId: string): Promise<void> {
  await sql`/* threads.lockThreadCreationForOwner */ select pg_advisory_xact_lock(hashtextextended(${`threads:${ownerId}`}, 0))`.execute(trx);
}

/** Locks the owner's thread for the rest of the transaction, or reports it absent. */
export async function lockOwnedThread(trx: Transaction<Database>, ownerId: string, id: ThreadId): Promise<Thread> {
  const row = await trx
    .selectFrom('threads')
    .selectAll()
    .modifyEnd(sql`/* threads.lockOwnedThread */`)
    .where('id', '=', id)
    .where('owner_id', '=', ownerId)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw threadNotFound(id);
  return toThread(row);
}

/**
 * Locks the owner's threads, in ID order (so two callers naming the same threads cannot
 * deadlock); all or nothing: if any is absent or another user's, NOT_FOUND names it.
 */
export async function lockOwnedThreads(trx: Transaction<Database>, ownerId: string, ids: readonly ThreadId[]): Promise<Thread[]> {
  const rows = await trx
    .selectFrom('threads')
    .selectAll()
    .modifyEnd(sql`/* threads.lockOwnedThreads */`)
    .where('id', '=', sql<string>`any(${sql.val(ids)})`)
    .where('owner_id', '=', ownerId)
    .orderBy('id')
    .forUpdate()
    .execute();
  const found = new Set(rows.map((row) => row.id));
  const missing = ids.find((id) => !found.has(id));
  if (missing) throw threadNotFound(missing);
  return rows.map(toThread);
}

/** Every thread of the owner, locked, in ID order (deleteViewerData). */
export async function lockAllThreadsOfOwner(trx: Transaction<Database>, ownerId: string): Promise<Thread[]> {
  const rows = await trx
    .selectFrom('threads')
    .selectAll()
    .modifyEnd(sql`/* threads.lockAllThreadsOfOwner */`)
    .where('owner_id', '=', ownerId)
    .orderBy('id')
    .forUpdate()
    .execute();
  return rows.map(toThread);
}

/**
 * Threads past their retention, at most `limit`, locked; rows another transaction holds are
 * skipped (the next sweep takes them). Expired: `retain_until` has passed, or, without one,
 * the last activity is more than `retentionDays` ago (null: only retain_until counts).
 */
export async function lockExpiredThreads(trx: Transaction<Database>, now: Date, retentionDays: number | null, limit: number): Promise<Thread[]> {
  let query = trx
    .selectFrom('threads')
    .selectAll()
    .modifyEnd(sql`/* threads.lockExpiredThreads */`)
    .where((eb) => {
      const expiresOwn = eb.and([eb('retain_until', 'is not', null), eb('retain_until', '<=', now)]);
      if (retentionDays === null) return expiresOwn;
      const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
      return eb.or([expiresOwn, eb.and([eb('retain_until', 'is', null), eb('updated_at', '<=', cutoff)])]);
    })
    .limit(limit)
    .forUpdate()
    .skipLocked();
  query = query.orderBy('id');
  return (await query.execute()).map(toThread);
}

/**
 * When the next thread expires (see lockExpiredThreads), or null when none ever will: the
 * retention sweeper sleeps until then. Two index lookups (threads_retain_until_idx, threads_updated_at_idx).
 */
export async function findNextExpiry(db: Kysely<Database>, retentionDays: number | null): Promise<Date | null> {
  const own = await db
    .selectFrom('threads')
    .select((eb) => eb.fn.min('retain_until').as('at'))
    .where('retain_until', 'is not', null)
    .modifyEnd(sql`/* threads.findNextOwnExpiry */`)
    .executeTakeFirst();
  let next = own?.at ? new Date(own.at) : null;
  if (retentionDays !== null) {
    const idle = await db
      .selectFrom('threads')
      .select('updated_at')
      .where('retain_until', 'is', null)
      .orderBy('updated_at')
      .limit(1)
      .modifyEnd(sql`/* threads.findOldestActivity */`)
      .executeTakeFirst();
    const byRetention = idle && new Date(idle.updated_at.getTime() + retentionDays * 86_400_000);
    if (byRetention && (!next || byRetention < next)) next = byRetention;
  }
  return next;
}

/** Deletes the threads; their runs, messages, outbox entries and invalidations go with them (ON DELETE CASCADE). */
export async function deleteThreadsByIds(trx: Transaction<Database>, ids: readonly ThreadId[]): Promise<void> {
  if (ids.length === 0) return;
  await trx
    .deleteFrom('threads')
    .where('id', '=', sql<string>`any(${sql.val(ids)})`)
    .modifyEnd(sql`/* threads.deleteThreadsByIds */`)
    .execute();
}

/**
 * Keeps the owner's thread from being deleted until the transaction ends (FOR KEY SHARE: other
 * writers of the thread are not held up), or reports it absent.
 */
export async function shareLockThread(trx: Transaction<Database>, ownerId: string, id: ThreadId): Promise<void> {
  const row = await trx
    .selectFrom('threads')
    .select('id')
    .modifyEnd(sql`/* threads.shareLockThread */`)
    .where('id', '=', id)
    .where('owner_id', '=', ownerId)
    .forKeyShare()
    .executeTakeFirst();
  if (!row) throw threadNotFound(id);
}

export interface ThreadChanges {
  title?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
  retainUntil?: Date | null | undefined;
}

export async function updateThread(trx: Transaction<Database>, ownerId: string, id: ThreadId, changes: ThreadChanges): Promise<Thread> {
  const row = await trx
    .updateTable('threads')
    .set({
      updated_at: sql`now()`,
      ...(changes.title !== undefined ? { title: changes.title } : {}),
      ...(changes.metadata !== undefined ? { metadata: JSON.stringify(changes.metadata) } : {}),
      ...(changes.retainUntil !== undefined ? { retain_until: changes.retainUntil } : {}),
    })
    .modifyEnd(sql`/* threads.updateThread */`)
    .where('id', '=', id)
    .where('owner_id', '=', ownerId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw threadNotFound(id);
  return toThread(row);
}

/** All or nothing: if any ID is absent or not the owner's, nothing is archived. */
export async function archiveThreads(trx: Transaction<Database>, ownerId: string, ids: readonly ThreadId[]): Promise<Thread[]> {
  const rows = await trx
    .updateTable('threads')
    .set({ status: 'ARCHIVED', updated_at: sql`now()` })
    .modifyEnd(sql`/* threads.archiveThreads */`)
    .where('id', '=', sql<string>`any(${sql.val(ids)})`)
    .where('owner_id', '=', ownerId)
    .returningAll()
    .execute();
  const found = new Map(rows.map((row) => [row.id, toThread(row)]));
  const missing = ids.find((id) => !found.has(id));
  if (missing) throw threadNotFound(missing);
  return ids.map((id) => found.get(id) as Thread);
}

/**
 * Back to ACTIVE, the inverse of archiveThreads. A thread that is not archived comes back as it
 * is, `changed: false`: nothing is written and there is nothing to announce.
 */
export async function unarchiveThread(trx: Transaction<Database>, ownerId: string, id: ThreadId): Promise<{ thread: Thread; changed: boolean }> {
  const thread = await lockOwnedThread(trx, ownerId, id);
  if (thread.status !== 'ARCHIVED') return { thread, changed: false };
  const row = await trx
    .updateTable('threads')
    .set({ status: 'ACTIVE', updated_at: sql`now()` })
    .modifyEnd(sql`/* threads.unarchiveThread */`)
    .where('id', '=', id)
    .where('owner_id', '=', ownerId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { thread: toThread(row), changed: true };
}

/**
 * Moves the owner's read position to `seq`, never backwards: one statement, so two devices
 * marking at once serialise on the row and end at the higher of the two. Not activity, so
 * updated_at stays.
 */
export async function markThreadReadUpTo(trx: Transaction<Database>, ownerId: string, id: ThreadId, seq: number): Promise<Thread> {
  const row = await trx
    .updateTable('threads')
    .set({ last_read_seq: sql<number>`greatest(last_read_seq, ${seq})` })
    .modifyEnd(sql`/* threads.markThreadReadUpTo */`)
    .where('id', '=', id)
    .where('owner_id', '=', ownerId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw threadNotFound(id);
  return toThread(row);
}

export interface ReadPosition {
  id: ThreadId;
  /** Postgres's last seq, which Redis may be ahead of. */
  lastSeq: number;
  lastReadSeq: number;
}

/** Where the owner stands in each of their threads of `status`, for counting unread threads. */
export async function listReadPositionsByOwner(db: Kysely<Database>, ownerId: string, status: ThreadStatus): Promise<ReadPosition[]> {
  const rows = await db
    .selectFrom('threads')
    .select(['id', 'last_seq', 'last_read_seq'])
    .modifyEnd(sql`/* threads.listReadPositionsByOwner */`)
    .where('owner_id', '=', ownerId)
    .where('status', '=', status)
    .execute();
  return rows.map((row) => ({ id: row.id as ThreadId, lastSeq: row.last_seq, lastReadSeq: row.last_read_seq }));
}

export function threadNotFound(id: string): NotFoundError {
  return new NotFoundError(`Thread ${id} not found`, { id });
}
