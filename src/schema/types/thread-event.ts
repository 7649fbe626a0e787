import { subscribeToThread } from '../../realtime/thread-subscription.js';
import { eventOf, type DeliveredThreadEvent, type TailItem } from '../../realtime/thread-tail.js';
import { builder } from '../builder.js';
import { AFTER_SEQ_DESCRIPTION, asDelivered } from './message-added.js';
import { MessageRef } from './message.js';
import { RunRef } from './run.js';
import { ThreadRef } from './thread.js';

type EventOf<Type extends DeliveredThreadEvent['type']> = Extract<DeliveredThreadEvent, { type: Type }>;

const EVENT_CURSOR_FIELD = {
  description: "Where this event sits among the thread's events: pass it as `after` to threadEvents (or runUpdated) to resume after it. Opaque.",
} as const;

const MessageAddedRef = builder.objectRef<EventOf<'MessageAdded'>>('MessageAdded').implement({
  description: 'A message was added at `seq`. Messages replayed after `afterSeq` are of this type too.',
  fields: (t) => ({
    threadId: t.exposeID('threadId'),
    cursor: t.exposeString('cursor', EVENT_CURSOR_FIELD),
    seq: t.exposeInt('seq'),
    message: t.field({ type: MessageRef, resolve: (event) => asDelivered(event.message) }),
  }),
});

const MessageDeltaRef = builder.objectRef<EventOf<'MessageDelta'>>('MessageDelta').implement({
  description:
    'A chunk of a streaming message (at `seq`); `index` counts chunks from 0. Replayed after `after` while the message streams; once it completed, ' +
    'a replay carries its MessageCompleted instead of its chunks (afterSeq replays carry the content so far).',
  fields: (t) => ({
    threadId: t.exposeID('threadId'),
    cursor: t.exposeString('cursor', EVENT_CURSOR_FIELD),
    seq: t.exposeInt('seq'),
    messageId: t.exposeID('messageId'),
    index: t.exposeInt('index'),
    partIndex: t.int({
      description: 'The part of the message the chunk extends (0 for a message without parts).',
      // Deltas published before structured messages carry none: they extended the one text part.
      resolve: (event) => event.partIndex ?? 0,
    }),
    delta: t.exposeString('delta'),
  }),
});

const MessageCompletedRef = builder.objectRef<EventOf<'MessageCompleted'>>('MessageCompleted').implement({
  description: 'A streaming message (at `seq`) is final; its content is the concatenation of its deltas.',
  fields: (t) => ({
    threadId: t.exposeID('threadId'),
    cursor: t.exposeString('cursor', EVENT_CURSOR_FIELD),
    seq: t.exposeInt('seq'),
    message: t.field({ type: MessageRef, resolve: (event) => event.message }),
  }),
});

const MessageEditedRef = builder.objectRef<EventOf<'MessageEdited'>>('MessageEdited').implement({
  description: 'The message at `seq` has a new revision (editMessage). Replayed after `after`; an afterSeq replay carries the newest revision instead.',
  fields: (t) => ({
    threadId: t.exposeID('threadId'),
    cursor: t.exposeString('cursor', EVENT_CURSOR_FIELD),
    seq: t.exposeInt('seq'),
    message: t.field({ type: MessageRef, resolve: (event) => event.message }),
  }),
});

const MessageDeletedRef = builder.objectRef<EventOf<'MessageDeleted'>>('MessageDeleted').implement({
  description: 'The message at `seq` was deleted (deleteMessage); a tombstone keeps its seq. Replayed after `after`; an afterSeq replay carries the tombstone instead.',
  fields: (t) => ({
    threadId: t.exposeID('threadId'),
    cursor: t.exposeString('cursor', EVENT_CURSOR_FIELD),
    seq: t.exposeInt('seq'),
    messageId: t.exposeID('messageId'),
  }),
});

const RunStatusChangedRef = builder.objectRef<EventOf<'RunStatusChanged'>>('RunStatusChanged').implement({
  description: 'A run of the thread changed status.',
  fields: (t) => ({
    threadId: t.exposeID('threadId'),
    cursor: t.exposeString('cursor', EVENT_CURSOR_FIELD),
    run: t.field({ type: RunRef, resolve: (event) => event.run }),
  }),
});

const ThreadUpdatedRef = builder.objectRef<EventOf<'ThreadUpdated'>>('ThreadUpdated').implement({
  description: 'The thread itself changed: title, metadata, status.',
  fields: (t) => ({
    threadId: t.exposeID('threadId'),
    cursor: t.exposeString('cursor', EVENT_CURSOR_FIELD),
    thread: t.field({ type: ThreadRef, resolve: (event) => event.thread }),
  }),
});

const ThreadDeletedRef = builder.objectRef<EventOf<'ThreadDeleted'>>('ThreadDeleted').implement({
  description: 'The thread was deleted (deleteThread, deleteThreads, deleteViewerData or retention): the last event of the subscription, which then completes.',
  fields: (t) => ({
    threadId: t.exposeID('threadId'),
    cursor: t.exposeString('cursor', EVENT_CURSOR_FIELD),
  }),
});

const ThreadEventUnion = builder.unionType('ThreadEvent', {
  description: 'Something that happened in a thread. Events with a `seq` name the thread position they concern.',
  types: [MessageAddedRef, MessageDeltaRef, MessageCompletedRef, MessageEditedRef, MessageDeletedRef, RunStatusChangedRef, ThreadUpdatedRef, ThreadDeletedRef],
  // The wire's `type` is the GraphQL type name, by construction of the names above.
  resolveType: (event) => event.type,
});

export const AFTER_CURSOR_DESCRIPTION =
  'The `cursor` of the last event you have: every event after it is replayed (a completed streaming message as its MessageCompleted, without its chunks), ' +
  'then live, with no gap and no duplicate. Further back than the thread keeps (THREAD_EVENT_LOG_MAX_EVENTS, default 1000, for HOT_STATE_TTL_DAYS): ' +
  'REPLAY_UNAVAILABLE; not a cursor, or past the newest event: BAD_USER_INPUT.';

builder.subscriptionField('threadEvents', (t) =>
  // Authenticated once, at subscribe, by subscribeToThread/subscribeToRun (not withAuth: see there).
  t.field({
    type: ThreadEventUnion,
    description: "Everything that happens in one of the viewer's threads. NOT_FOUND for another user's thread.",
    args: {
      threadId: t.arg.id({ required: true }),
      afterSeq: t.arg.int({ required: false, description: `${AFTER_SEQ_DESCRIPTION} Other events are delivered from now. Not with after.` }),
      after: t.arg.string({ required: false, description: `${AFTER_CURSOR_DESCRIPTION} Not with afterSeq.` }),
    },
    subscribe: (_root, args, ctx) => subscribeToThread(ctx, args.threadId, { afterSeq: args.afterSeq, after: args.after }, () => true),
    resolve: (item: TailItem) => eventOf(item),
  }),
);
