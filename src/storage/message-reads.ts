import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { Message } from '../domain/message.js';
import type { ThreadId } from '../ids/id-types.js';
import { messageReads } from '../observability/metrics.js';
import { findMessagePages } from '../repositories/messages-repository.js';
import type { PageWindow } from '../repositories/page-window.js';
import { durabilityOf, type WindowSlice } from './hot-tier.js';
import type { StoredMessage } from './hot-send.js';

/**
 * Pages of messages for many threads: served from each thread's Redis window when it holds the
 * whole page, otherwise from one batched Postgres query merged with the window, so the answer
 * is the same, in seq order, whether or not the persister has caught up. `windows` holds the
 * slice of each hot thread's window in the page's range (HotTier.readSlices, the same range).
 */
export async function readMessagePages(
  db: Kysely<Database>,
  windows: Map<ThreadId, WindowSlice>,
  threadIds: readonly ThreadId[],
  window: PageWindow<number>,
): Promise<Map<string, StoredMessage[]>> {
  const pages = new Map<string, StoredMessage[]>();
  const misses: ThreadId[] = [];
  for (const threadId of threadIds) {
    const hot = windows.get(threadId);
    const page = hot && pageFromWindow(hot, window);
    if (page) pages.set(threadId, page);
    else misses.push(threadId);
  }
  messageReads.inc({ source: 'redis' }, threadIds.length - misses.length);
  messageReads.inc({ source: 'postgres' }, misses.length);
  if (misses.length === 0) return pages;

  const stored = await findMessagePages(db, { column: 'thread_id', ids: misses }, window);
  for (const threadId of misses) {
    const hot = windows.get(threadId);
    const fromPostgres = (stored.get(threadId) ?? []).map((message) => withCommittedDurability(message, hot));
    const fromWindow = hot ? hot.messages : [];
    pages.set(threadId, limitPage(mergeBySeq(fromPostgres, fromWindow), window));
  }
  return pages;
}

/** The page, if the window alone can answer it: it reaches back to the page's start, or to seq 1. */
function pageFromWindow(hot: WindowSlice, window: PageWindow<number>): StoredMessage[] | undefined {
  if (hot.firstSeq > hot.lastSeq) return hot.lastSeq === 0 ? [] : undefined;
  const candidates = hot.messages;
  const reachesStart = hot.firstSeq <= (window.after ?? 0) + 1;
  if (!reachesStart && !(window.backwards && candidates.length >= window.limit)) return undefined;
  return limitPage(candidates, window);
}

/**
 * A row read from Postgres is committed, whatever the watermark says (a DURABLE send outruns
 * it): DURABLE, or ARCHIVED when the thread's archive watermark has passed it. The row is fresh
 * from this read, so it is given its durability rather than copied.
 */
function withCommittedDurability(message: Message, hot: WindowSlice | undefined): StoredMessage {
  const judged = hot ? durabilityOf(message.seq, hot.watermarks) : 'DURABLE';
  return Object.assign(message, { durability: judged === 'HOT' ? 'DURABLE' : judged });
}

/**
 * For a seq both have, the newer version wins. Postgres is usually that: an edit or a deletion
 * commits there before the outbox brings it to the window. But a streamed message's completion is
 * acked from Redis: until the persister has written it, Postgres still holds the row as it was
 * started (IN_PROGRESS), and the window the completed message.
 */
function mergeBySeq(fromPostgres: StoredMessage[], fromWindow: StoredMessage[]): StoredMessage[] {
  const bySeq = new Map<number, StoredMessage>();
  for (const message of fromWindow) bySeq.set(message.seq, message);
  for (const message of fromPostgres) {
    const windowed = bySeq.get(message.seq);
    if (!windowed || !completedSince(message, windowed)) bySeq.set(message.seq, message);
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** Whether the window's version completed the message Postgres still has streaming (same revision: streaming messages are not edited). */
function completedSince(fromPostgres: StoredMessage, fromWindow: StoredMessage): boolean {
  return fromPostgres.status === 'IN_PROGRESS' && fromWindow.status === 'COMPLETED' && fromWindow.revision >= fromPostgres.revision;
}

/** Ascending messages → the page in the order the connection helper expects (backwards pages newest first). */
function limitPage(ascending: StoredMessage[], window: PageWindow<number>): StoredMessage[] {
  return window.backwards ? ascending.slice(-window.limit).reverse() : ascending.slice(0, window.limit);
}
