import { InvalidInputError } from '../errors/domain-errors.js';
import type { ThreadId } from '../ids/id-types.js';

export const THREAD_STATUSES = ['ACTIVE', 'ARCHIVED'] as const;
export type ThreadStatus = (typeof THREAD_STATUSES)[number];

/** Longest thread title, in characters. */
export const MAX_TITLE_LENGTH = 200;

export interface Thread {
  id: ThreadId;
  ownerId: string;
  title: string | null;
  status: ThreadStatus;
  metadata: Record<string, unknown>;
  /** Sequence number of the newest message; sequences are gap-free, so this is also the count. */
  lastSeq: number;
  createdAt: Date;
  updatedAt: Date;
}

/** Archived threads are read-only history; new activity belongs in an active thread. */
export function assertThreadWritable(thread: Thread): void {
  if (thread.status === 'ARCHIVED') {
    throw new InvalidInputError(`Thread ${thread.id} is archived; start or pick an active thread`, { id: thread.id });
  }
}
