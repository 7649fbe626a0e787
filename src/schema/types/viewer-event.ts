import type { Thread } from '../../domain/thread.js';
import type { ExecutionContext } from '../../context/execution-context.js';
import type { ViewerEvent } from '../../realtime/viewer-events.js';
import { subscribeToViewer, viewerEventOf, type ViewerTailItem } from '../../realtime/viewer-subscription.js';
import { findThreadsByIds } from '../../repositories/threads-repository.js';
import { unreadCountOf } from '../../storage/read-state.js';
import { builder } from '../builder.js';
import { asDelivered } from './message-added.js';
import { MessageRef } from './message.js';
import { RunRef } from './run.js';
import { ThreadRef } from './thread.js';

type EventOf<Type extends ViewerEvent['type']> = Extract<ViewerEvent, { type: Type }>;

const CURSOR_DESCRIPTION = 'Where this event sits in the viewer feed: pass it as `after` to viewerEvents to resume after it.';

/**
 * A ThreadActivity's thread as it is when the event is delivered (its read position moves after
 * the message was sent), read once per event, not through the subscription's loaders, whose cache
 * lives as long as the subscription. Null once the thread is deleted.
 */
const threadsAtDelivery = new WeakMap<ViewerEvent, Promise<Thread | null>>();
function threadAtDelivery(event: EventOf<'ThreadActivity'>, ctx: ExecutionContext): Promise<Thread | null> {
  let thread = threadsAtDelivery.get(event);
  if (!thread) {
    thread = findThreadsByIds(ctx.uow.reader, ctx.userId as string, [event.threadId]).then(([found]) => found ?? null);
    threadsAtDelivery.set(event, thread);
  }
  return thread;
}

const ThreadCreatedRef = builder.objectRef<EventOf<'ThreadCreated'>>('ThreadCreated').implement({
  description: 'The viewer created a thread (createThread, getOrCreateActiveThread, forkThread), on any device.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: CURSOR_DESCRIPTION }),
    thread: t.field({ type: ThreadRef, resolve: (event) => event.thread }),
  }),
});

const ViewerThreadUpdatedRef = builder.objectRef<EventOf<'ViewerThreadUpdated'>>('ViewerThreadUpdated').implement({
  description: "One of the viewer's threads changed: title, metadata, status (archived, unarchived). `thread` is as the change left it.",
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: CURSOR_DESCRIPTION }),
    thread: t.field({ type: ThreadRef, resolve: (event) => event.thread }),
  }),
});

const ThreadActivityRef = builder.objectRef<EventOf<'ThreadActivity'>>('ThreadActivity').implement({
  description: "A message was added to one of the viewer's threads (sent, or a streamed reply started).",
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: CURSOR_DESCRIPTION }),
    threadId: t.exposeID('threadId'),
    thread: t.field({
      type: ThreadRef,
      nullable: true,
      description: 'The thread as it is when the event is delivered; null once it is deleted.',
      resolve: (event, _args, ctx) => threadAtDelivery(event, ctx),
    }),
    lastMessage: t.field({ type: MessageRef, description: 'The message added.', resolve: (event) => asDelivered(event.message) }),
    unreadCount: t.int({
      description: "Messages up to and including this one that the viewer has not marked read, by the thread's read position when the event is delivered.",
      resolve: async (event, _args, ctx) => {
        const thread = await threadAtDelivery(event, ctx);
        return thread ? unreadCountOf(event.message.seq, thread.lastReadSeq) : 0;
      },
    }),
  }),
});

const ThreadReadRef = builder.objectRef<EventOf<'ThreadRead'>>('ThreadRead').implement({
  description: 'The viewer marked a thread read (markThreadRead), on any device: the unread count to show now.',
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: CURSOR_DESCRIPTION }),
    thread: t.field({ type: ThreadRef, description: 'The thread as the mark left it.', resolve: (event) => event.thread }),
    unreadCount: t.int({
      description: "The thread's messages after its read position, when the mark was made.",
      resolve: (event) => unreadCountOf(event.lastSeq, event.thread.lastReadSeq),
    }),
  }),
});

const ViewerRunStatusChangedRef = builder.objectRef<EventOf<'ViewerRunStatusChanged'>>('ViewerRunStatusChanged').implement({
  description: "A run in one of the viewer's threads was started or changed status. `run` is as the change left it.",
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: CURSOR_DESCRIPTION }),
    run: t.field({ type: RunRef, resolve: (event) => event.run }),
  }),
});

const ViewerThreadDeletedRef = builder.objectRef<EventOf<'ViewerThreadDeleted'>>('ViewerThreadDeleted').implement({
  description: "One of the viewer's threads was deleted (deleteThread, deleteThreads, deleteViewerData or retention).",
  fields: (t) => ({
    cursor: t.exposeString('cursor', { description: CURSOR_DESCRIPTION }),
    threadId: t.exposeID('threadId'),
  }),
});

const ViewerEventUnion = builder.unionType('ViewerEvent', {
  description: "Something that happened in any of the viewer's threads, in the viewer feed's one order.",
  types: [ThreadCreatedRef, ViewerThreadUpdatedRef, ThreadActivityRef, ThreadReadRef, ViewerRunStatusChangedRef, ViewerThreadDeletedRef],
  // The feed entry's type is the GraphQL type name, by construction of the names above.
  resolveType: (event) => event.type,
});

builder.subscriptionField('viewerEvents', (t) =>
  // Authenticated once, at subscribe, by subscribeToViewer (as the other subscriptions: see thread-subscription.ts).
  t.field({
    type: ViewerEventUnion,
    description:
      "Every event of all the viewer's threads, in one order, each with a cursor. With `after`, first everything since that cursor, then live, with no gap and no duplicate.",
    args: {
      after: t.arg.string({
        required: false,
        description:
          'The cursor of the last event you have. Further back than the feed keeps (VIEWER_FEED_MAX_EVENTS, default 1000): REPLAY_UNAVAILABLE; not a cursor: BAD_USER_INPUT. Omitted: live from now.',
      }),
    },
    subscribe: (_root, args, ctx) => subscribeToViewer(ctx, args.after),
    resolve: (item: ViewerTailItem) => viewerEventOf(item),
  }),
);
