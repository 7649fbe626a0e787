import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { ThreadId } from '../ids/id-types.js';
import {
  MESSAGE_COLUMNS, MESSAGE_RECORD_COLUMNS, messageRecordValues, STREAMED_COLUMNS_FROM_EXCLUDED, type MessageRecord,
} from '../storage/message-record.js';

/** A sequenced record's values as they are; records queued before streaming existed carry no status. */
const SEQUENCED_VALUES = messageRecordValues('r', { status: "coalesce(r.status, 'COMPLETED')" });

/**
 * Writes messages already sequenced by the hot tier, in one statement for the whole batch:
 * insert what is new (idempotent on the message ID, so a redelivered batch changes nothing)
 * and move each thread's last_seq and activity forward. `completing` records are the final
 * form of streamed messages: they overwrite an IN_PROGRESS row, never a completed one.
 */
export async function insertMessageRecords(
  db: Kysely<Database>,
  records: readonly MessageRecord[],
  { completing = false }: { completing?: boolean } = {},
): Promise<void> {
  if (records.length === 0) return;
  await sql`/* messageRecords.insertMessageRecords */
    with incoming as (
      select * from jsonb_to_recordset(${JSON.stringify(records)}::jsonb) as r(${sql.raw(MESSAGE_RECORD_COLUMNS)})
    ), inserted as (
      insert into messages (${sql.raw(MESSAGE_COLUMNS)})
      select ${sql.raw(SEQUENCED_VALUES)}
      from incoming r
      on conflict (id) do ${completing ? sql`update set ${sql.raw(STREAMED_COLUMNS_FROM_EXCLUDED)}, status = 'COMPLETED' where messages.status = 'IN_PROGRESS'` : sql`nothing`}
      returning thread_id, seq, created_at
    )
    update threads t
    set last_seq = greatest(t.last_seq, s.max_seq), updated_at = greatest(t.updated_at, s.max_at)
    from (select thread_id, max(seq) as max_seq, max(created_at) as max_at from inserted group by thread_id) s
    where t.id = s.thread_id`.execute(db);
}

/** Remembers that a thread was written while Redis was unreachable (same transaction as the write). */
export async function markHotStateStale(trx: Transaction<Database>, threadId: ThreadId): Promise<void> {
  await trx
    .insertInto('hot_state_invalidations')
    .values({ thread_id: threadId })
    .onConflict((c) => c.column('thread_id').doUpdateSet({ created_at: sql`now()` }))
    .modifyEnd(sql`/* messageRecords.markHotStateStale */`)
    .execute();
}

export interface StaleHotState {
  threadId: ThreadId;
  lastSeq: number;
  /** Time of the latest write that made it stale. */
  since: Date;
}

/** Threads to re-seed, with their committed last seq. */
export async function listStaleHotStates(db: Kysely<Database>): Promise<StaleHotState[]> {
  const rows = await db
    .selectFrom('hot_state_invalidations as i')
    .innerJoin('threads as t', 't.id', 'i.thread_id')
    .select(['t.id', 't.last_seq', 'i.created_at'])
    .modifyEnd(sql`/* messageRecords.listStaleHotStates */`)
    .execute();
  return rows.map((row) => ({ threadId: row.id as ThreadId, lastSeq: row.last_seq, since: row.created_at }));
}

/** Clears re-seeded entries; one written again since it was listed stays for the next pass. */
export async function clearStaleHotStates(db: Kysely<Database>, reseeded: readonly StaleHotState[]): Promise<void> {
  if (reseeded.length === 0) return;
  await db
    .deleteFrom('hot_state_invalidations')
    .where((eb) => eb.or(reseeded.map((s) => eb.and([eb('thread_id', '=', s.threadId), eb('created_at', '<=', s.since)]))))
    .modifyEnd(sql`/* messageRecords.clearStaleHotStates */`)
    .execute();
}
