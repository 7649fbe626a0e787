import type { UnitOfWork } from '../db/unit-of-work.js';
import type { Message } from '../domain/message.js';
import type { Thread } from '../domain/thread.js';
import { InvalidInputError, NotFoundError } from '../errors/domain-errors.js';
import { ids } from '../ids/generate-ids.js';
import type { MessageId, ThreadId } from '../ids/id-types.js';
import { insertMessageRecords } from '../repositories/message-records-repository.js';
import { findThreadsByIds, insertThread } from '../repositories/threads-repository.js';
import { messageRecordOf } from './message-record.js';
import type { MessageStore } from './message-store.js';

/**
 * Forks (issue 11 §3), across the tiers. The source is read through the message store, so
 * messages acked from Redis a moment ago and not yet persisted are copied too; the copy is
 * written to Postgres in the request's transaction (thread row, messages, their outbox entries),
 * so the fork exists whole or not at all, and the outbox carries the copies to the persistence
 * stream after commit, for the archive. Redis learns of the fork only when it is first written
 * to: its first send finds it cold and seeds its counter from Postgres, at the fork's last seq.
 */

/** Messages read from the source per page and copied per statement. */
const FORK_BATCH_SIZE = 500;

/**
 * Copies messages 1..seq of the thread holding `messageId` (seq being that message's) into a new
 * thread of the owner: new IDs, same role, content, parts, metadata and actor, seqs 1..n. What is
 * not copied: runs (so `runId` is null in the copy), client message IDs (they are the source's
 * idempotency keys), and the source's metadata; the title is the source's. Each copy's
 * `createdAt` is the fork's creation. The owner has seen what they fork, so the fork starts read
 * to its end. A message still streaming in the range refuses the fork, leaving nothing behind.
 */
export async function forkThread(uow: UnitOfWork, messageStore: MessageStore, ownerId: string, messageId: MessageId): Promise<Thread> {
  const notFound = () => new NotFoundError(`Message ${messageId} not found`, { id: messageId });
  const [at] = await messageStore.findByIds(uow.reader, ownerId, [messageId]);
  if (!at) throw notFound();
  // The common refusal (forking at the reply still streaming) comes before any write.
  assertComplete(at);
  const [source] = await findThreadsByIds(uow.reader, ownerId, [at.threadId]);
  if (!source) throw notFound();
  const trx = await uow.writer();
  const fork = await insertThread(trx, {
    id: ids.threadId('api'),
    ownerId,
    title: source.title,
    metadata: {},
    forkedFrom: { threadId: at.threadId, seq: at.seq },
    lastSeq: at.seq,
    lastReadSeq: at.seq,
  });
  await messageStore.recordThreadCreated(uow, fork);
  for (let copied = 0; copied < at.seq; ) {
    const page = await readSourcePage(uow, messageStore, at.threadId, copied, Math.min(FORK_BATCH_SIZE, at.seq - copied));
    const records = page.map((message) => messageRecordOf(copyOf(message, fork), ownerId));
    await insertMessageRecords(trx, records);
    await messageStore.recordMessagesWritten(uow, fork.id, records);
    copied += page.length;
  }
  return fork;
}

/** The `count` messages after seq `after`, complete and gap-free, or a refusal. */
async function readSourcePage(uow: UnitOfWork, messageStore: MessageStore, threadId: ThreadId, after: number, count: number): Promise<Message[]> {
  const pages = await messageStore.readPages(uow.reader, [threadId], { after, before: after + count + 1, limit: count, backwards: false });
  const page = pages.get(threadId) ?? [];
  page.forEach((message, index) => {
    if (message.seq !== after + index + 1) throw new Error(`Thread ${threadId} has no message at seq ${after + index + 1}`);
    assertComplete(message);
  });
  if (page.length !== count) throw new Error(`Thread ${threadId} has ${page.length} of its messages ${after + 1}..${after + count}`);
  return page;
}

/** A streaming message would be copied half-written, and its copy could never be completed. */
function assertComplete(message: Message): void {
  if (message.status === 'IN_PROGRESS') {
    throw new InvalidInputError(
      `Message ${message.id} (seq ${message.seq}) of thread ${message.threadId} is still streaming; fork once it is completed, or from an earlier message`,
      { id: message.id, seq: message.seq },
    );
  }
}

function copyOf(message: Message, fork: Thread): Message {
  return {
    id: ids.messageId(),
    threadId: fork.id,
    runId: null,
    role: message.role,
    content: message.content,
    parts: message.parts,
    metadata: message.metadata,
    seq: message.seq,
    clientMessageId: null,
    createdAt: fork.createdAt,
    status: 'COMPLETED',
    actor: message.actor,
    // The copy is a new message at its current version (earlier revisions stay with the source);
    // a tombstone stays a tombstone (revision 2: written, then deleted), so seqs stay gap-free.
    revision: message.deletedAt ? 2 : 1,
    editedAt: null,
    deletedAt: message.deletedAt ? fork.createdAt : null,
  };
}
