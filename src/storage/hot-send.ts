import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { threadArchived } from '../domain/thread.js';
import { findMessageByClientId, findMessagesByIds, findToolCallStates } from '../repositories/messages-repository.js';
import { toolCallRefused } from '../domain/message-parts.js';
import { findRunsByIds, runNotFound } from '../repositories/runs-repository.js';
import { findThreadsByIds, threadNotFound } from '../repositories/threads-repository.js';
import { insertMessageRecords } from '../repositories/message-records-repository.js';
import { durabilityOf, type Durability, type HotTier } from './hot-tier.js';
import { violatedUniqueConstraint } from './postgres-errors.js';
import { messageRecordOf, newMessageRecordOf } from './message-record.js';
import type { SendMessageInput } from './send-message-input.js';
import type { Message } from '../domain/message.js';

export type StoredMessage = Message & { durability: Durability };

/**
 * What a hot send came to. Domain outcomes and Postgres failures are values, so that only
 * Redis failures (thrown) count against the Redis circuit breaker.
 */
export type HotSendResult = { ok: true; message: StoredMessage } | { ok: false; error: unknown };

/** Retries of the script after filling in what Redis did not know (thread, client ID, run, tool calls). */
const MAX_ROUNDS = 5;

/**
 * The fast path: one Lua script sequences, windows, queues and publishes the message. When the
 * script lacks a fact it asks Postgres once and tries again; a DURABLE write then also commits
 * the message to Postgres itself (idempotently) before acking.
 */
export async function sendThroughHotTier(hot: HotTier, db: Kysely<Database>, input: SendMessageInput): Promise<HotSendResult> {
  const record = newMessageRecordOf(input, new Date());
  let clientIdChecked = false;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const outcome = await hot.append(record, { clientId: clientIdChecked });
    switch (outcome.status) {
      case 'OK':
      case 'DUPLICATE':
        return settle(db, input, { ...outcome.message, durability: durabilityOf(outcome.message.seq, outcome.watermarks) });
      case 'NOT_FOUND':
        return { ok: false, error: threadNotFound(input.threadId) };
      case 'ARCHIVED':
        return { ok: false, error: threadArchived(input.threadId) };
      case 'COLD': {
        const fact = await fromPostgres(() => findThreadsByIds(db, input.ownerId, [input.threadId]));
        if (!fact.ok) return fact;
        const [thread] = fact.value;
        if (!thread || !(await hot.seedThread(thread))) return { ok: false, error: threadNotFound(input.threadId) };
        break;
      }
      case 'CHECK_CLIENT_ID': {
        const fact = await fromPostgres(() => findMessageByClientId(db, input.threadId, input.clientMessageId as string));
        if (!fact.ok) return fact;
        if (fact.value) return { ok: true, message: { ...fact.value, durability: 'DURABLE' } };
        clientIdChecked = true;
        break;
      }
      case 'TOOL_CALL_EXISTS':
      case 'UNKNOWN_TOOL_CALL':
      case 'TOOL_CALL_ANSWERED':
        return { ok: false, error: toolCallRefused(outcome) };
      case 'CHECK_TOOL_CALLS': {
        const fact = await fromPostgres(() => findToolCallStates(db, input.threadId));
        if (!fact.ok) return fact;
        await hot.indexToolCalls(input.threadId, fact.value);
        break;
      }
      case 'CHECK_RUN': {
        const fact = await fromPostgres(() => findRunsByIds(db, input.ownerId, [input.runId!]));
        if (!fact.ok) return fact;
        if (fact.value.length === 0) return { ok: false, error: runNotFound(input.runId as string) };
        await hot.rememberRun(input.threadId, input.runId!);
        break;
      }
    }
  }
  throw new Error(`Hot send of ${input.id} did not settle after ${MAX_ROUNDS} rounds`);
}

async function settle(db: Kysely<Database>, input: SendMessageInput, message: StoredMessage): Promise<HotSendResult> {
  if (input.durability !== 'DURABLE' || message.durability !== 'HOT') return { ok: true, message };
  const written = await fromPostgres(async () => {
    try {
      await insertMessageRecords(db, [messageRecordOf(message, input.ownerId)]);
    } catch (error) {
      // The persister may be inserting the same record from the stream at this very moment; the
      // loser of that race can fail on the (thread, seq) key rather than skip on the ID. Stored is stored.
      if (!violatedUniqueConstraint(error) || (await findMessagesByIds(db, input.ownerId, [message.id])).length === 0) throw error;
    }
  });
  return written.ok ? { ok: true, message: { ...message, durability: 'DURABLE' } } : written;
}

async function fromPostgres<T>(query: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await query() };
  } catch (error) {
    return { ok: false, error };
  }
}
