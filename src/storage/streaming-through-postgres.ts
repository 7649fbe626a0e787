import type { UnitOfWork } from '../db/unit-of-work.js';
import type { Message } from '../domain/message.js';
import { assertContentSize } from '../domain/message.js';
import { InvalidInputError, NotFoundError } from '../errors/domain-errors.js';
import type { MessageId } from '../ids/id-types.js';
import { assertThreadWritable } from '../domain/thread.js';
import { lockOwnedMessage, updateStreamingMessage } from '../repositories/messages-repository.js';
import { findThreadsByIds } from '../repositories/threads-repository.js';
import { completedParts, partNotStreamable, streamableKindsOf, withStreamed } from '../domain/part-streaming.js';
import { assertPartsSize } from '../domain/message-parts.js';

/**
 * Deltas and completion for a streaming message held in Postgres: one started while Redis was
 * unavailable, or any message once its draft is gone (then it is usually already completed).
 */
export async function changeStreamingMessageInPostgres(
  uow: UnitOfWork,
  ownerId: string,
  messageId: MessageId,
  change: { append?: { text: string; partIndex: number }; complete?: boolean; maxBytes: number },
): Promise<Message> {
  const trx = await uow.writer();
  const message = await lockOwnedMessage(trx, ownerId, messageId);
  if (!message) throw new NotFoundError(`Message ${messageId} not found`, { id: messageId });
  if (message.status === 'COMPLETED') throw new InvalidInputError(`Message ${messageId} is already completed`, { id: messageId });
  let body = { content: message.content, parts: message.parts };
  if (change.append) {
    const [thread] = await findThreadsByIds(trx, ownerId, [message.threadId]);
    if (thread) assertThreadWritable(thread);
    body = appended(body, change.append, change.maxBytes);
  }
  if (change.complete) body = { ...body, parts: completedParts(body.parts) };
  return updateStreamingMessage(trx, messageId, { ...body, complete: change.complete ?? false });
}

/** The message with one more chunk in part `partIndex`, within the size limit. */
function appended(body: Pick<Message, 'content' | 'parts'>, delta: { text: string; partIndex: number }, maxBytes: number) {
  const kinds = streamableKindsOf(body.parts);
  if (delta.partIndex >= kinds.length || kinds[delta.partIndex] === '-') throw partNotStreamable(delta.partIndex, kinds);
  const streamed = Array.from(kinds, (_kind, index) => (index === delta.partIndex ? delta.text : ''));
  const next = withStreamed(body, streamed);
  if (next.parts) assertPartsSize(next.parts, maxBytes);
  else assertContentSize(next.content, maxBytes);
  return next;
}
