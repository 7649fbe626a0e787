import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { ThreadId } from '../ids/id-types.js';
import type { ThreadWire } from '../realtime/thread-events.js';
import type { MessageRecord } from '../storage/message-record.js';
import type { FeedbackRecord, RunRecord } from '../storage/stream-records.js';

/** A committed change Redis has still to hear of (see the outbox migration). */
export type OutboxEntry =
  | { kind: 'message'; payload: MessageRecord }
  /** A copy written by forkThread: a message on the stream like any other, but no activity of the viewer feed. */
  | { kind: 'messageCopied'; payload: MessageRecord }
  | { kind: 'messageCompleted'; payload: MessageRecord }
  /** A message's new revision, or its tombstone (message-changes.ts). */
  | { kind: 'messageEdited' | 'messageDeleted'; payload: MessageRecord }
  | { kind: 'run'; payload: RunRecord }
  | { kind: 'thread'; payload: ThreadWire }
  /** A new thread: for the owner's viewer feed only. */
  | { kind: 'threadCreated'; payload: ThreadWire }
  /** A read mark, with the thread's newest seq when it was made (the unread count then): for the viewer feed only. */
  | { kind: 'threadRead'; payload: ThreadReadWire }
  | { kind: 'feedback'; payload: FeedbackRecord };

export interface ThreadReadWire {
  thread: ThreadWire;
  lastSeq: number;
}

export type StoredOutboxEntry = OutboxEntry & { id: number };

/** In the transaction of the change itself: the entry exists exactly when the change does. */
export async function insertOutboxEntry(trx: Transaction<Database>, threadId: ThreadId, entry: OutboxEntry): Promise<void> {
  await insertOutboxEntries(trx, threadId, [entry]);
}

/** Several entries of one thread in one statement, relayed in the order given (their ids ascend). */
export async function insertOutboxEntries(trx: Transaction<Database>, threadId: ThreadId, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await trx
    .insertInto('outbox')
    .values(entries.map((entry) => ({ thread_id: threadId, kind: entry.kind, payload: JSON.stringify(entry.payload) })))
    .modifyEnd(sql`/* outbox.insertOutboxEntries */`)
    .execute();
}

/** The oldest entries, in commit order per thread; the caller holds the relay's lock (outbox-relay.ts). */
export async function claimOutboxEntries(trx: Transaction<Database>, limit: number): Promise<StoredOutboxEntry[]> {
  const rows = await trx
    .selectFrom('outbox')
    .select(['id', 'kind', 'payload'])
    .where('set_aside_at', 'is', null)
    .orderBy('id')
    .limit(limit)
    .modifyEnd(sql`/* outbox.claimOutboxEntries */`)
    .execute();
  return rows.map((row) => ({ id: row.id, kind: row.kind, payload: row.payload }) as StoredOutboxEntry);
}

export async function deleteOutboxEntries(db: Kysely<Database> | Transaction<Database>, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .deleteFrom('outbox')
    .where('id', '=', sql<number>`any(${sql.val(ids)}::bigint[])`)
    .modifyEnd(sql`/* outbox.deleteOutboxEntries */`)
    .execute();
}

/**
 * Entries waiting to be relayed (for the metrics), or with `setAside`, those the relay set aside
 * (for /ready and the metrics: each is a change Redis has not heard of).
 */
export async function countOutboxEntries(db: Kysely<Database>, which: { setAside: boolean } = { setAside: false }): Promise<number> {
  const { count } = await db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('set_aside_at', which.setAside ? 'is not' : 'is', null)
    .modifyEnd(sql`/* outbox.countOutboxEntries */`)
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** Marks an entry Redis refused, so the relay skips it (outbox-relay.ts); in the relay's transaction. */
export async function setOutboxEntryAside(trx: Transaction<Database>, id: number, refusal: string): Promise<void> {
  await trx
    .updateTable('outbox')
    .set({ set_aside_at: new Date(), refusal })
    .where('id', '=', id)
    .modifyEnd(sql`/* outbox.setOutboxEntryAside */`)
    .execute();
}
