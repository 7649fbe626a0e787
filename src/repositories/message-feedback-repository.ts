import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, MessageFeedbackTable } from '../db/database.js';
import type { MessageFeedback } from '../domain/message-feedback.js';
import type { MessageId, ThreadId } from '../ids/id-types.js';

function toFeedback(row: Selectable<MessageFeedbackTable>): MessageFeedback {
  return {
    messageId: row.message_id as MessageId,
    threadId: row.thread_id as ThreadId,
    score: row.score,
    comment: row.comment,
    ratedAt: row.rated_at,
  };
}

/**
 * Writes the rating of a message, replacing any earlier one in the same statement, so two
 * ratings at once end as one of them, whole. The caller has checked the message is the owner's.
 */
export async function upsertMessageFeedback(
  trx: Transaction<Database>,
  feedback: Pick<MessageFeedback, 'messageId' | 'threadId' | 'score' | 'comment'>,
): Promise<MessageFeedback> {
  const row = await trx
    .insertInto('message_feedback')
    .values({ message_id: feedback.messageId, thread_id: feedback.threadId, score: feedback.score, comment: feedback.comment, rated_at: sql<Date>`now()` })
    .onConflict((oc) => oc.column('message_id').doUpdateSet({ score: feedback.score, comment: feedback.comment, rated_at: sql<Date>`now()` }))
    .returningAll()
    .modifyEnd(sql`/* messageFeedback.upsertMessageFeedback */`)
    .executeTakeFirstOrThrow();
  return toFeedback(row);
}

/** Forgets the message's rating (deleteMessage: a tombstone keeps none). */
export async function deleteMessageFeedback(trx: Transaction<Database>, messageId: MessageId): Promise<void> {
  await trx.deleteFrom('message_feedback').where('message_id', '=', messageId).modifyEnd(sql`/* messageFeedback.deleteMessageFeedback */`).execute();
}

/** The ratings of these messages, by message ID; messages never rated are absent. */
export async function findFeedbackByMessageIds(db: Kysely<Database>, messageIds: readonly MessageId[]): Promise<Map<MessageId, MessageFeedback>> {
  const rows = await db
    .selectFrom('message_feedback')
    .selectAll()
    .modifyEnd(sql`/* messageFeedback.findFeedbackByMessageIds */`)
    .where('message_id', '=', sql<string>`any(${sql.val(messageIds)})`)
    .execute();
  return new Map(rows.map((row) => [row.message_id as MessageId, toFeedback(row)]));
}
