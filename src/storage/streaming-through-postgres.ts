import type { UnitOfWork } from '../db/unit-of-work.js';
import type { Message } from '../domain/message.js';
import { assertContentSize } from '../domain/message.js';
import { InvalidInputError, NotFoundError } from '../errors/domain-errors.js';
import type { MessageId } from '../ids/id-types.js';
import { assertThreadWritable } from '../domain/thread.js';
import { lockOwnedMessage, updateStreamingMessage } from '../repositories/messages-repository.js';
import { findThreadsByIds } from '../repositories/threads-repository.js';

/**
 * Deltas and completion for a streaming message held in Postgres: one started while Redis was
 * unavailable, or any message once its draft is gone (then it is usually already completed).
 */
export async function changeStreamingMessageInPostgres(
  uow: UnitOfWork,
  ownerId: string,
  messageId: MessageId,
  change: { appendContent?: string; complete?: boolean; maxBytes: number },
): Promise<Message> {
  const trx = await uow.writer();
  const message = await lockOwnedMessage(trx, ownerId, messageId);
  if (!message) throw new NotFoundError(`Message ${messageId} not found`, { id: messageId });
  if (message.status === 'COMPLETED') throw new InvalidInputError(`Message ${messageId} is already completed`, { id: messageId });
  if (change.appendContent) {
    const [thread] = await findThreadsByIds(trx, ownerId, [message.threadId]);
    if (thread) assertThreadWritable(thread);
    assertContentSize(message.content + change.appendContent, change.maxBytes);
  }
  return updateStreamingMessage(trx, messageId, change);
}
