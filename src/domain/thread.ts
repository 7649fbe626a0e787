import { InvalidInputError } from '../errors/domain-errors.js';
import type { ThreadId } from '../ids/id-types.js';

export const THREAD_STATUSES = ['ACTIVE', 'ARCHIVED'] as const;
export type ThreadStatus = (typeof THREAD_STATUSES)[number];

/** Longest thread title, in characters. */
export const MAX_TITLE_LENGTH = 200;

/** Longest `threads(titleContains:)`: a longer substring could match no title. */
export const MAX_TITLE_FILTER_LENGTH = MAX_TITLE_LENGTH;

/** The orders a list of threads comes in, each then by ID (the tie-breaker). The first is the default. */
export const THREAD_ORDERS = ['UPDATED_AT_DESC', 'CREATED_AT_DESC', 'CREATED_AT_ASC'] as const;
export type ThreadOrder = (typeof THREAD_ORDERS)[number];

export interface Thread {
  id: ThreadId;
  ownerId: string;
  title: string | null;
  status: ThreadStatus;
  metadata: Record<string, unknown>;
  /** Sequence number of the newest message; sequences are gap-free, so this is also the count. */
  lastSeq: number;
  /** The highest seq its owner has marked read; may be ahead of `lastSeq` while Postgres trails Redis. */
  lastReadSeq: number;
  /** When the retention sweeper erases it; null: RETENTION_DAYS after its last activity, or never. */
  retainUntil: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Where a fork was copied from (forkThread); null for a thread that is no fork. */
  forkedFrom: ThreadFork | null;
}

/** The origin of a fork: messages 1..seq of `threadId` (null once that thread is deleted). */
export interface ThreadFork {
  threadId: ThreadId | null;
  seq: number;
}

/**
 * Archived threads are history: they take no new content (messages, deltas) and start no runs.
 * What only finishes something already under way stays possible (completing a streamed reply,
 * ending a run), and so do the thread's own attributes (title, metadata): archiving is reversible.
 */
export function assertThreadWritable(thread: Thread): void {
  if (thread.status === 'ARCHIVED') throw threadArchived(thread.id);
}

export function threadArchived(threadId: ThreadId): InvalidInputError {
  return new InvalidInputError(`Thread ${threadId} is archived; start or pick an active thread`, { id: threadId });
}
