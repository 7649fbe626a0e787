import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, ThreadRow } from '../db/database.js';
import type { Thread, ThreadStatus } from '../domain/thread.js';
import type { ThreadId } from '../ids/id-types.js';
import { NotFoundError } from '../errors/domain-errors.js';
import type { PageWindow, TimeCursor } from './page-window.js';

export interface ThreadFilter {
  status?: ThreadStatus | undefined;
  /** Threads whose metadata contains this object (`@>`). */
  metadataContains?: Record<string, unknown> | undefined;
}

export function toThread(row: ThreadRow): Thread {
  return {
    id: row.id as ThreadId,
    ownerId: row.owner_id,
    title: row.title,
    status: row.status,
    metadata: row.metadata,
    lastSeq: row.last_seq,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
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

/** Newest activity first; keyset pagination over (updated_at, id). */
export async function listThreadsByOwner(
  db: Kysely<Database>,
  ownerId: string,
  filter: ThreadFilter,
  window: PageWindow<TimeCursor>,
): Promise<Thread[]> {
  const direction = window.backwards ? 'asc' : 'desc';
  let query = db
    .selectFrom('threads')
    .selectAll()
    .modifyEnd(sql`/* threads.listThreadsByOwner */`)
    .where('owner_id', '=', ownerId)
    .orderBy('updated_at', direction)
    .orderBy('id', direction)
    .limit(window.limit);
  if (filter.status) query = query.where('status', '=', filter.status);
  if (filter.metadataContains) {
    query = query.where(sql<boolean>`metadata @> ${JSON.stringify(filter.metadataContains)}::jsonb`);
  }
  if (window.after) query = query.where(sql<boolean>`(updated_at, id) < (${window.after.at}, ${window.after.id})`);
  if (window.before) query = query.where(sql<boolean>`(updated_at, id) > (${window.before.at}, ${window.before.id})`);
  return (await query.execute()).map(toThread);
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
}

export async function insertThread(trx: Transaction<Database>, thread: NewThread): Promise<Thread> {
  const row = await trx
    .insertInto('threads')
    .values({ id: thread.id, owner_id: thread.ownerId, title: thread.title, metadata: JSON.stringify(thread.metadata) })
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

export interface ThreadChanges {
  title?: string | null | undefined;
  metadata?: Record<string, unknown> | undefined;
}

export async function updateThread(trx: Transaction<Database>, ownerId: string, id: ThreadId, changes: ThreadChanges): Promise<Thread> {
  const row = await trx
    .updateTable('threads')
    .set({
      updated_at: sql`now()`,
      ...(changes.title !== undefined ? { title: changes.title } : {}),
      ...(changes.metadata !== undefined ? { metadata: JSON.stringify(changes.metadata) } : {}),
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

export function threadNotFound(id: string): NotFoundError {
  return new NotFoundError(`Thread ${id} not found`, { id });
}
