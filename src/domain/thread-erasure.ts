import type { ThreadId } from '../ids/id-types.js';

export const ERASURE_STATUSES = ['PENDING', 'COMPLETE'] as const;
/** PENDING: the thread is gone from the API and Postgres; Redis and ClickHouse are still being cleaned. */
export type ErasureStatus = (typeof ERASURE_STATUSES)[number];

/** Why a thread was erased: its owner asked (deleteThread, deleteThreads, deleteViewerData) or retention expired it. */
export type ErasureReason = 'REQUESTED' | 'RETENTION';

export interface ThreadErasure {
  threadId: ThreadId;
  status: ErasureStatus;
  reason: ErasureReason;
  requestedAt: Date;
  completedAt: Date | null;
}

/** Most threads one deleteThreads call may name. */
export const MAX_DELETE_BATCH = 100;
