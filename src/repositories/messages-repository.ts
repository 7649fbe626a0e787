import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, MessageRow } from '../db/database.js';
import type { Message, MessageRole } from '../domain/message.js';
import type { MessagePart, ToolCallState } from '../domain/message-parts.js';
import type { ToolCallPart } from '../domain/required-action.js';
import type { MessageId, RunId, ThreadId } from '../ids/id-types.js';
import {
  MESSAGE_COLUMNS, MESSAGE_RECORD_COLUMNS, messageOfRow, messageRecordValues, type NewMessage,
} from '../storage/message-record.js';
import { groupBy } from './group-by.js';
import type { PageWindow } from './page-window.js';

/** Messages in the owner's threads only. */
export async function findMessagesByIds(db: Kysely<Database>, ownerId: string, ids: readonly MessageId[]): Promise<Message[]> {
  const rows = await db
    .selectFrom('messages')
    .innerJoin('threads', 'threads.id', 'messages.thread_id')
    .selectAll('messages')
    .modifyEnd(sql`/* messages.findMessagesByIds */`)
    .where('messages.id', '=', sql<string>`any(${sql.val(ids)})`)
    .where('threads.owner_id', '=', ownerId)
    .execute();
  return rows.map(messageOfRow);
}

type MessageParent = { column: 'thread_id'; ids: readonly ThreadId[] } | { column: 'run_id'; ids: readonly RunId[] };

/**
 * One page of messages (ordered by seq) for each parent thread or run, in one statement: a
 * LATERAL subquery per parent walks the (thread_id, seq) or (run_id, seq) index.
 */
export async function findMessagePages(
  db: Kysely<Database>,
  parent: MessageParent,
  window: PageWindow<number>,
): Promise<Map<string, Message[]>> {
  const column = sql.ref(`m.${parent.column}`);
  const direction = sql.raw(window.backwards ? 'desc' : 'asc');
  const after = window.after !== undefined ? sql`and m.seq > ${window.after}` : sql``;
  const before = window.before !== undefined ? sql`and m.seq < ${window.before}` : sql``;
  const { rows } = await sql<MessageRow>`/* messages.findMessagePages */
    select page.* from unnest(${sql.val(parent.ids)}::text[]) as p(id)
    cross join lateral (
      select m.* from messages m
      where ${column} = p.id ${after} ${before}
      order by m.seq ${direction}
      limit ${window.limit}
    ) page`.execute(db);
  const messages = rows.map(messageOfRow);
  return parent.column === 'thread_id' ? groupBy(messages, (m) => m.threadId) : groupBy(messages, (m) => m.runId as string);
}

export async function findMessageByClientId(db: Kysely<Database>, threadId: ThreadId, clientMessageId: string): Promise<Message | undefined> {
  const row = await db
    .selectFrom('messages')
    .selectAll()
    .modifyEnd(sql`/* messages.findMessageByClientId */`)
    .where('thread_id', '=', threadId)
    .where('client_message_id', '=', clientMessageId)
    .executeTakeFirst();
  return row && messageOfRow(row);
}

export async function findFirstMessageByRole(db: Kysely<Database>, threadId: ThreadId, role: MessageRole): Promise<Message | undefined> {
  const row = await db
    .selectFrom('messages')
    .selectAll()
    .modifyEnd(sql`/* messages.findFirstMessageByRole */`)
    .where('thread_id', '=', threadId)
    .where('role', '=', role)
    .orderBy('seq', 'asc')
    .limit(1)
    .executeTakeFirst();
  return row && messageOfRow(row);
}

/** A new message's values: the seq just taken, the time of the insert unless it has one (a re-sequenced record keeps its ack's). */
const NEXT_SEQ_VALUES = messageRecordValues('r', {
  seq: 'next.last_seq',
  createdAt: 'coalesce(r."createdAt", now())',
  status: "coalesce(r.status, 'COMPLETED')",
});

/**
 * Takes the thread's next seq and inserts the message in one statement. The thread row's
 * update lock serialises concurrent senders, so seqs stay gap-free; the caller must hold
 * the thread lock already if it checked anything (like a client message ID) beforehand.
 */
export async function insertMessageWithNextSeq(trx: Transaction<Database>, message: NewMessage & { createdAt?: Date }): Promise<Message> {
  const { rows } = await sql<MessageRow>`/* messages.insertMessageWithNextSeq */
    with next as (
      update threads set last_seq = last_seq + 1, updated_at = now()
      where id = ${message.threadId}
      returning last_seq
    )
    insert into messages (${sql.raw(MESSAGE_COLUMNS)})
    select ${sql.raw(NEXT_SEQ_VALUES)}
    from jsonb_to_record(${JSON.stringify(message)}::jsonb) as r(${sql.raw(MESSAGE_RECORD_COLUMNS)}), next
    returning *`.execute(trx);
  const row = rows[0];
  if (!row) throw new Error(`Thread ${message.threadId} vanished while inserting a message`);
  return messageOfRow(row);
}

/**
 * Every tool call of a thread and whether a result answers it, from the parts of its messages
 * (the partial index on messages with parts keeps plain-text messages out of the scan).
 */
export async function findToolCallStates(db: Kysely<Database>, threadId: ThreadId): Promise<ToolCallState[]> {
  const { rows } = await sql<ToolCallState>`/* messages.findToolCallStates */
    select part->>'callId' as "callId", bool_or(part->>'type' = 'toolResult') as answered
    from messages cross join lateral jsonb_array_elements(messages.parts) as part
    where messages.thread_id = ${threadId} and messages.parts is not null and part->>'type' in ('toolCall', 'toolResult')
    group by 1`.execute(db);
  return rows;
}

/**
 * The run's tool calls that no message of its thread answers yet, in seq then part order: what
 * Postgres knows of them (the caller adds what Redis holds beyond, required-action.ts).
 */
export async function findOpenToolCallsOfRun(db: Kysely<Database>, threadId: ThreadId, runId: RunId): Promise<ToolCallPart[]> {
  const { rows } = await sql<{ part: ToolCallPart }>`/* messages.findOpenToolCallsOfRun */
    select c.part from messages m cross join lateral jsonb_array_elements(m.parts) with ordinality as c(part, position)
    where m.thread_id = ${threadId} and m.run_id = ${runId} and m.parts is not null and c.part->>'type' = 'toolCall'
      and not exists (
        select 1 from messages r cross join lateral jsonb_array_elements(r.parts) as p(part)
        where r.thread_id = ${threadId} and r.parts is not null
          and p.part->>'type' = 'toolResult' and p.part->>'callId' = c.part->>'callId'
      )
    order by m.seq, c.position`.execute(db);
  return rows.map((row) => row.part);
}

/** Locks one of the owner's messages (for streaming updates), or returns undefined. */
export async function lockOwnedMessage(trx: Transaction<Database>, ownerId: string, id: MessageId): Promise<Message | undefined> {
  const row = await trx
    .selectFrom('messages')
    .innerJoin('threads', 'threads.id', 'messages.thread_id')
    .selectAll('messages')
    .where('messages.id', '=', id)
    .where('threads.owner_id', '=', ownerId)
    .forUpdate('messages')
    .modifyEnd(sql`/* messages.lockOwnedMessage */`)
    .executeTakeFirst();
  return row && messageOfRow(row);
}

/** Writes a streaming message's content and parts so far, or its final form; the caller holds its row lock. */
export async function updateStreamingMessage(
  trx: Transaction<Database>,
  id: MessageId,
  change: { content: string; parts: MessagePart[] | null; complete: boolean },
): Promise<Message> {
  const row = await trx
    .updateTable('messages')
    .set({
      content: change.content,
      parts: change.parts && JSON.stringify(change.parts),
      ...(change.complete ? { status: 'COMPLETED' as const } : {}),
    })
    .where('id', '=', id)
    .returningAll()
    .modifyEnd(sql`/* messages.updateStreamingMessage */`)
    .executeTakeFirstOrThrow();
  return messageOfRow(row);
}

/** The threads' messages still streaming, by thread: their drafts in Redis must go when the threads are erased. */
export async function findStreamingMessageIds(db: Kysely<Database>, threadIds: readonly ThreadId[]): Promise<Map<ThreadId, MessageId[]>> {
  if (threadIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('messages')
    .select(['id', 'thread_id'])
    .where('thread_id', '=', sql<string>`any(${sql.val(threadIds)})`)
    .where('status', '=', 'IN_PROGRESS')
    .modifyEnd(sql`/* messages.findStreamingMessageIds */`)
    .execute();
  const byThread = groupBy(rows, (row) => row.thread_id as ThreadId);
  return new Map([...byThread].map(([threadId, group]) => [threadId, group.map((row) => row.id as MessageId)]));
}
