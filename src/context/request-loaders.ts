import DataLoader from 'dataloader';
import type { UnitOfWork } from '../db/unit-of-work.js';
import type { Message, MessageRevision } from '../domain/message.js';
import type { Run, RunStatus } from '../domain/run.js';
import type { Thread } from '../domain/thread.js';
import type { MessageId, RunId, ThreadId } from '../ids/id-types.js';
import { NotFoundError } from '../errors/domain-errors.js';
import type { StoredMessage } from '../storage/hot-send.js';
import type { MessageStore } from '../storage/message-store.js';
import { findMessagePages } from '../repositories/messages-repository.js';
import { findRevisionPages } from '../repositories/message-revisions-repository.js';
import { findActiveRunsByThreadIds, findRunPagesByThreadIds, findRunsByIds, runNotFound } from '../repositories/runs-repository.js';
import { findThreadsByIds, threadNotFound } from '../repositories/threads-repository.js';
import { findFeedbackByMessageIds } from '../repositories/message-feedback-repository.js';
import type { MessageFeedback } from '../domain/message-feedback.js';
import { windowKey, type PageWindow, type TimeCursor } from '../repositories/page-window.js';

export interface PageKey<Parent, Cursor, Extra = undefined> {
  parentId: Parent;
  window: PageWindow<Cursor>;
  extra?: Extra;
}

/**
 * The per-request DataLoaders. Each is created on first use and batches everything asked for
 * in one tick into one query; by-ID loaders see only the viewer's rows and answer a
 * NotFoundError for the rest, in key order.
 */
export function createRequestLoaders(uow: UnitOfWork, viewerId: string | null, messageStore: MessageStore) {
  const lazy = <T>(make: () => T) => {
    let made: T | undefined;
    return () => (made ??= make());
  };
  const owner = viewerId ?? '';

  const threadById = lazy(() =>
    byIdLoader<ThreadId, Thread>((ids) => findThreadsByIds(uow.reader, owner, ids), threadNotFound),
  );
  const runById = lazy(() => byIdLoader<RunId, Run>((ids) => findRunsByIds(uow.reader, owner, ids), runNotFound));
  const messageById = lazy(() =>
    byIdLoader<MessageId, Message>(
      (ids) => messageStore.findByIds(uow.reader, owner, ids),
      (id) => new NotFoundError(`Message ${id} not found`, { id }),
    ),
  );
  // Thread pages go through the message store: the newest messages may be in Redis only.
  const messagesOfThread = lazy(() =>
    pageLoader<ThreadId, number, StoredMessage>((ids, window) => messageStore.readPages(uow.reader, ids, window)),
  );
  const messagesOfRun = lazy(() =>
    pageLoader<RunId, number, Message>((ids, window) => findMessagePages(uow.reader, { column: 'run_id', ids }, window)),
  );
  // Keyed by messages already loaded for the viewer, so the revisions need no owner check of their own.
  const revisionsOfMessage = lazy(() =>
    pageLoader<MessageId, number, MessageRevision>((ids, window) => findRevisionPages(uow.reader, ids, window)),
  );
  // Not cached: the newest seq moves during a request (a mutation's send), and a stale one would
  // undercount; batching the threads of one tick is what saves the round trips.
  const lastSeqOfThread = lazy(
    () => new DataLoader<Thread, number, ThreadId>((threads) => messageStore.lastSeqs(threads), { cache: false }),
  );
  const runsOfThread = lazy(() =>
    pageLoader<ThreadId, TimeCursor, Run, RunStatus>((ids, window, status) => findRunPagesByThreadIds(uow.reader, ids, window, status)),
  );
  // Keyed by threads already loaded for the viewer, so the runs need no owner check of their own.
  const activeRunOfThread = lazy(
    () =>
      new DataLoader<ThreadId, Run | null>(async (ids) => {
        const found = await findActiveRunsByThreadIds(uow.reader, ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
  );

  // Keyed by messages already loaded for the viewer, like activeRunOfThread.
  const feedbackOfMessage = lazy(
    () =>
      new DataLoader<MessageId, MessageFeedback | null>(async (ids) => {
        const found = await findFeedbackByMessageIds(uow.reader, ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
  );

  return {
    get threadById() { return threadById(); },
    get runById() { return runById(); },
    get messageById() { return messageById(); },
    get messagesOfThread() { return messagesOfThread(); },
    get messagesOfRun() { return messagesOfRun(); },
    /** Earlier versions of a message, newest first. */
    get revisionsOfMessage() { return revisionsOfMessage(); },
    get runsOfThread() { return runsOfThread(); },
    /** A thread's newest seq as the API reports it (Redis-only messages included). */
    get lastSeqOfThread() { return lastSeqOfThread(); },
    get activeRunOfThread() { return activeRunOfThread(); },
    get feedbackOfMessage() { return feedbackOfMessage(); },
  };
}

export type RequestLoaders = ReturnType<typeof createRequestLoaders>;

function byIdLoader<Id extends string, T extends { id: Id }>(
  fetch: (ids: readonly Id[]) => Promise<T[]>,
  notFound: (id: Id) => Error,
): DataLoader<Id, T> {
  return new DataLoader<Id, T>(async (ids) => {
    const found = new Map((await fetch(ids)).map((item) => [item.id, item]));
    return ids.map((id) => found.get(id) ?? notFound(id));
  });
}

/**
 * Batches page requests for many parents. Requests with the same window (the common case: one
 * connection field under a list) share one LATERAL query; different windows get one each.
 */
function pageLoader<Parent extends string, Cursor, T, Extra = undefined>(
  fetch: (ids: Parent[], window: PageWindow<Cursor>, extra: Extra | undefined) => Promise<Map<string, T[]>>,
): DataLoader<PageKey<Parent, Cursor, Extra>, T[], string> {
  const cacheKey = (key: PageKey<Parent, Cursor, Extra>) => `${key.parentId}|${windowKey(key.window)}|${String(key.extra)}`;
  return new DataLoader(
    async (keys) => {
      const groups = new Map<string, PageKey<Parent, Cursor, Extra>[]>();
      for (const key of keys) {
        const group = `${windowKey(key.window)}|${String(key.extra)}`;
        groups.set(group, [...(groups.get(group) ?? []), key]);
      }
      const results = new Map<string, T[]>();
      await Promise.all(
        [...groups.values()].map(async (group) => {
          const first = group[0] as PageKey<Parent, Cursor, Extra>;
          const pages = await fetch(group.map((key) => key.parentId), first.window, first.extra);
          for (const key of group) results.set(cacheKey(key), pages.get(key.parentId) ?? []);
        }),
      );
      return keys.map((key) => results.get(cacheKey(key)) ?? []);
    },
    { cacheKeyFn: cacheKey },
  );
}
