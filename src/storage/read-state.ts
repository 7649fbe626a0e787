import type { UnitOfWork } from '../db/unit-of-work.js';
import type { Thread } from '../domain/thread.js';
import { InvalidInputError } from '../errors/domain-errors.js';
import type { ThreadId } from '../ids/id-types.js';
import { findThreadsByIds, listReadPositionsByOwner, markThreadReadUpTo, threadNotFound } from '../repositories/threads-repository.js';
import type { MessageStore } from './message-store.js';

/**
 * Read state (issue 12 §3), across the tiers: the position lives in Postgres (threads.last_read_seq),
 * the newest seq it is measured against may be in Redis only (a FAST send acked before the
 * persister wrote it), so both are judged by the same lastSeq the API reports.
 */

/**
 * Unread messages: gap-free seqs make it a difference. Never negative: while Redis is out of
 * reach, the reported lastSeq can fall behind a position marked from Redis's counter.
 */
export function unreadCountOf(lastSeq: number, lastReadSeq: number): number {
  return Math.max(0, lastSeq - lastReadSeq);
}

/**
 * Marks the owner's thread read up to `seq`, never backwards. A seq past the thread's newest
 * message is refused, unless the position is already there (a repeat from another device,
 * harmless): nothing is written then, and no transaction is opened.
 */
export async function markThreadRead(uow: UnitOfWork, messageStore: MessageStore, ownerId: string, threadId: ThreadId, seq: number): Promise<Thread> {
  const [thread] = await findThreadsByIds(uow.reader, ownerId, [threadId]);
  if (!thread) throw threadNotFound(threadId);
  // The newest seq only grows, so a seq within it now stays within it when the update runs.
  const [lastSeq] = await messageStore.lastSeqs([thread]);
  if (seq > Math.max(lastSeq as number, thread.lastReadSeq)) {
    throw new InvalidInputError(`seq ${seq} is past the newest message of thread ${threadId} (seq ${lastSeq})`, { id: threadId });
  }
  const marked = await markThreadReadUpTo(await uow.writer(), ownerId, threadId, seq);
  // Pushed to the owner's other devices through the viewer feed, once committed.
  await messageStore.recordThreadRead(uow, marked, lastSeq as number);
  return marked;
}

/**
 * How many of the owner's ACTIVE threads have unread messages. Archived threads are left out:
 * archiving puts a thread away, and a badge should not count what the sidebar does not show.
 * Redis is asked only about the threads Postgres thinks are read to the end, in one round trip.
 */
export async function countUnreadThreads(uow: UnitOfWork, messageStore: MessageStore, ownerId: string): Promise<number> {
  const positions = await listReadPositionsByOwner(uow.reader, ownerId, 'ACTIVE');
  const caughtUp = positions.filter((position) => position.lastSeq <= position.lastReadSeq);
  const lastSeqs = await messageStore.lastSeqs(caughtUp);
  const behindInRedis = caughtUp.filter((position, index) => unreadCountOf(lastSeqs[index] ?? 0, position.lastReadSeq) > 0).length;
  return positions.length - caughtUp.length + behindInRedis;
}
