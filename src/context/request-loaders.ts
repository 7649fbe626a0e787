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
 * NotFoundError for the rest, in key order. A class, not an object of closures: every request
 * makes one, and most use none of its loaders (bench/read-path: `{ viewer { id } }`), so making
 * it must cost no more than its fields.
 */
export class RequestLoaders {
  #threadById?: DataLoader<ThreadId, Thread>;
  #runById?: DataLoader<RunId, Run>;
  #messageById?: DataLoader<MessageId, Message>;
  #messagesOfThread?: DataLoader<PageKey<ThreadId, number>, StoredMessage[], string>;
  #messagesOfRun?: DataLoader<PageKey<RunId, number>, Message[], string>;
  #revisionsOfMessage?: DataLoader<PageKey<MessageId, number>, MessageRevision[], string>;
  #lastSeqOfThread?: DataLoader<Thread, number, ThreadId>;
  #runsOfThread?: DataLoader<PageKey<ThreadId, TimeCursor, RunStatus>, Run[], string>;
  #activeRunOfThread?: DataLoader<ThreadId, Run | null>;
  #feedbackOfMessage?: DataLoader<MessageId, MessageFeedback | null>;
  readonly #owner: string;

  constructor(
    private readonly uow: UnitOfWork,
    viewerId: string | null,
    private readonly messageStore: MessageStore,
  ) {
    this.#owner = viewerId ?? '';
  }

  get threadById() {
    return (this.#threadById ??= byIdLoader<ThreadId, Thread>((ids) => findThreadsByIds(this.uow.reader, this.#owner, ids), threadNotFound));
  }

  get runById() {
    return (this.#runById ??= byIdLoader<RunId, Run>((ids) => findRunsByIds(this.uow.reader, this.#owner, ids), runNotFound));
  }

  get messageById() {
    return (this.#messageById ??= byIdLoader<MessageId, Message>(
      (ids) => this.messageStore.findByIds(this.uow.reader, this.#owner, ids),
      (id) => new NotFoundError(`Message ${id} not found`, { id }),
    ));
  }

  /** Thread pages go through the message store: the newest messages may be in Redis only. */
  get messagesOfThread() {
    return (this.#messagesOfThread ??= pageLoader((ids, window) => this.messageStore.readPages(this.uow.reader, ids, window)));
  }

  get messagesOfRun() {
    return (this.#messagesOfRun ??= pageLoader((ids, window) => findMessagePages(this.uow.reader, { column: 'run_id', ids }, window)));
  }

  /** Earlier versions of a message, newest first. Keyed by messages already loaded for the viewer, so no owner check of their own. */
  get revisionsOfMessage() {
    return (this.#revisionsOfMessage ??= pageLoader((ids, window) => findRevisionPages(this.uow.reader, ids, window)));
  }

  /**
   * A thread's newest seq as the API reports it (Redis-only messages included). Not cached: the
   * newest seq moves during a request (a mutation's send), and a stale one would undercount;
   * batching the threads of one tick is what saves the round trips.
   */
  get lastSeqOfThread() {
    return (this.#lastSeqOfThread ??= new DataLoader((threads) => this.messageStore.lastSeqs(threads), { cache: false }));
  }

  get runsOfThread() {
    return (this.#runsOfThread ??= pageLoader((ids, window, status) => findRunPagesByThreadIds(this.uow.reader, ids, window, status)));
  }

  /** Keyed by threads already loaded for the viewer, so the runs need no owner check of their own. */
  get activeRunOfThread() {
    return (this.#activeRunOfThread ??= new DataLoader(async (ids) => {
      const found = await findActiveRunsByThreadIds(this.uow.reader, ids);
      return ids.map((id) => found.get(id) ?? null);
    }));
  }

  /** Keyed by messages already loaded for the viewer, like activeRunOfThread. */
  get feedbackOfMessage() {
    return (this.#feedbackOfMessage ??= new DataLoader(async (ids) => {
      const found = await findFeedbackByMessageIds(this.uow.reader, ids);
      return ids.map((id) => found.get(id) ?? null);
    }));
  }
}


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
