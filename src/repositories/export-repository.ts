import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Message } from '../domain/message.js';
import type { Run } from '../domain/run.js';
import type { Thread } from '../domain/thread.js';
import type { ThreadId } from '../ids/id-types.js';
import { messageOfRow } from '../storage/message-record.js';
import { toRun } from './runs-repository.js';
import { toThread } from './threads-repository.js';

// Keyset batches for an export: each reads the next `limit` rows after the last one it gave, on
// the primary key or (thread_id, seq), so an export of any size holds one batch at a time.

/** The owner's threads after `afterId`, by ID. */
export async function exportThreadBatch(db: Kysely<Database>, ownerId: string, afterId: string | null, limit: number): Promise<Thread[]> {
  let query = db.selectFrom('threads').selectAll().where('owner_id', '=', ownerId).orderBy('id').limit(limit).modifyEnd(sql`/* export.threads */`);
  if (afterId !== null) query = query.where('id', '>', afterId);
  return (await query.execute()).map(toThread);
}

/** A thread's runs after `afterId`, by ID. */
export async function exportRunBatch(db: Kysely<Database>, threadId: ThreadId, afterId: string | null, limit: number): Promise<Run[]> {
  let query = db.selectFrom('runs').selectAll().where('thread_id', '=', threadId).orderBy('id').limit(limit).modifyEnd(sql`/* export.runs */`);
  if (afterId !== null) query = query.where('id', '>', afterId);
  return (await query.execute()).map(toRun);
}

/** A thread's messages after `afterSeq`, in seq order. */
export async function exportMessageBatch(db: Kysely<Database>, threadId: ThreadId, afterSeq: number, limit: number): Promise<Message[]> {
  const rows = await db
    .selectFrom('messages')
    .selectAll()
    .where('thread_id', '=', threadId)
    .where('seq', '>', afterSeq)
    .orderBy('seq')
    .limit(limit)
    .modifyEnd(sql`/* export.messages */`)
    .execute();
  return rows.map(messageOfRow);
}
