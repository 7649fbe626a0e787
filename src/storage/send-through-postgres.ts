import type { UnitOfWork } from '../db/unit-of-work.js';
import type { Message } from '../domain/message.js';
import { assertThreadWritable } from '../domain/thread.js';
import { markHotStateStale } from '../repositories/message-records-repository.js';
import { findMessageByClientId, findToolCallStates, insertMessageWithNextSeq } from '../repositories/messages-repository.js';
import { toolCallRefusalOf, toolCallRefused } from '../domain/message-parts.js';
import { insertOutboxEntry } from '../repositories/outbox-repository.js';
import { findRunsByIds, runNotFound } from '../repositories/runs-repository.js';
import { lockOwnedThread } from '../repositories/threads-repository.js';
import type { SendMessageInput } from './send-message-input.js';
import { messageRecordOf } from './message-record.js';

/**
 * The synchronous path: lock the thread, take the next seq from Postgres, insert, commit with
 * the request. Used when there is no Redis, and while its circuit is open. `bypassingRedis`
 * (there is a Redis, this write goes around it): Redis's cached counter for the thread is now
 * behind, so it is marked for re-seeding before the fast path resumes, and the message waits
 * in the outbox, in the same transaction, for the persistence stream and the subscribers.
 */
export async function sendThroughPostgres(uow: UnitOfWork, input: SendMessageInput, options: { bypassingRedis: boolean }): Promise<Message> {
  const trx = await uow.writer();
  const thread = await lockOwnedThread(trx, input.ownerId, input.threadId);
  assertThreadWritable(thread);
  const earlier = input.clientMessageId ? await findMessageByClientId(trx, thread.id, input.clientMessageId) : undefined;
  if (earlier) return earlier;
  if (input.runId && (await findRunsByIds(trx, input.ownerId, [input.runId])).length === 0) throw runNotFound(input.runId);
  if (input.parts?.some((part) => part.type === 'toolCall' || part.type === 'toolResult')) {
    // Under the thread lock: no concurrent send can open or answer a call between check and insert.
    const refusal = toolCallRefusalOf(input.parts, await findToolCallStates(trx, thread.id));
    if (refusal) throw toolCallRefused(refusal);
  }
  if (options.bypassingRedis) await markHotStateStale(trx, thread.id);
  // The input is the new message, and what only routing needs (owner, durability), which the insert ignores.
  const message = await insertMessageWithNextSeq(trx, input);

  if (options.bypassingRedis) await insertOutboxEntry(trx, thread.id, { kind: 'message', payload: messageRecordOf(message, input.ownerId) });
  return message;
}
