import { z } from 'zod';
import type { Message } from '../../domain/message.js';
import type { Run } from '../../domain/run.js';
import type { Thread } from '../../domain/thread.js';
import { metadataSchema } from '../../domain/metadata.js';
import { MAX_TITLE_FILTER_LENGTH, MAX_TITLE_LENGTH, THREAD_ORDERS, THREAD_STATUSES, type ThreadOrder } from '../../domain/thread.js';
import { THREAD_ID_REGEX } from '../../ids/id-formats.js';
import { parseThreadId } from '../../ids/parse-ids.js';
import {
  countThreadsByOwner,
  findActiveThread,
  listThreadsByOwner,
  THREAD_ORDER_KEYS,
  type ThreadFilter,
} from '../../repositories/threads-repository.js';
import { unreadCountOf } from '../../storage/read-state.js';
import { builder } from '../builder.js';
import { loadOrNull, nullWhenNotFound } from '../nullable-lookup.js';
import { parseSeqCursor, parseTimeCursor, seqCursor, timeCursor } from '../pagination/cursors.js';
import { resolvePage } from '../pagination/resolve-page.js';
import { MessageConnection, MessageRef } from './message.js';
import { RunConnection, RunRef, RunStatusEnum } from './run.js';

export const ThreadStatusEnum = builder.enumType('ThreadStatus', { values: THREAD_STATUSES });

const ThreadOrderEnum = builder.enumType('ThreadOrder', {
  description: 'The order of a list of threads; equal times are ordered by ID, the same way.',
  values: {
    UPDATED_AT_DESC: { description: 'Newest activity first.' },
    CREATED_AT_DESC: { description: 'Newest created first.' },
    CREATED_AT_ASC: { description: 'Oldest created first.' },
  } satisfies Record<ThreadOrder, unknown>,
});

/** Cursor kinds per order: `t` (activity, as before orders existed) stays valid for old clients. */
const CURSOR_KINDS: Record<ThreadOrder, string> = { UPDATED_AT_DESC: 't', CREATED_AT_DESC: 'tcd', CREATED_AT_ASC: 'tca' };

function threadCursors(order: ThreadOrder) {
  const kind = CURSOR_KINDS[order];
  return {
    toCursor: (thread: Thread) => timeCursor(THREAD_ORDER_KEYS[order].keyOf(thread), thread.id, kind),
    parse: (cursor: string) => parseTimeCursor(cursor, kind),
  };
}

export const ThreadRef = builder.objectRef<Thread>('Thread');

export const titleSchema = z.string().trim().max(MAX_TITLE_LENGTH, `Title must be at most ${MAX_TITLE_LENGTH} characters`);

builder.node(ThreadRef, {
  description: 'A conversation: an ordered list of messages, and the agent runs that worked on it.',
  id: { resolve: (thread) => thread.id },
  isTypeOf: (value) => THREAD_ID_REGEX.test((value as Thread).id),
  loadMany: (ids, ctx) => ctx.loaders.threadById.loadMany(ids.map(parseThreadId)).then(nullWhenNotFound),
  fields: (t) => ({
    title: t.exposeString('title', { nullable: true }),
    status: t.expose('status', { type: ThreadStatusEnum }),
    metadata: t.expose('metadata', { type: 'JSON' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'Last activity: a message, a rename, an archive.' }),
    retainUntil: t.expose('retainUntil', {
      type: 'DateTime',
      nullable: true,
      description: 'When retention erases the thread (set with createThread or updateThread); null: RETENTION_DAYS after its last activity, or never when that is unset.',
    }),
    messageCount: t.int({ resolve: (thread, _args, ctx) => ctx.loaders.lastSeqOfThread.load(thread) }),
    lastReadSeq: t.exposeInt('lastReadSeq', { description: 'The highest seq the viewer has marked read (markThreadRead); 0 until then.' }),
    unreadCount: t.int({
      description: 'Messages after lastReadSeq, counting those acked a moment ago and not yet in Postgres.',
      resolve: async (thread, _args, ctx) => unreadCountOf(await ctx.loaders.lastSeqOfThread.load(thread), thread.lastReadSeq),
    }),
    messages: t.connection(
      {
        type: MessageRef,
        description: 'Messages in seq order; `last: n` gives the newest n.',
        resolve: (thread, args, ctx) =>
          resolvePage(args, { toCursor: (m: Message) => seqCursor(m.seq), parse: parseSeqCursor }, (window) =>
            ctx.loaders.messagesOfThread.load({ parentId: thread.id, window }),
          ),
      },
      MessageConnection,
    ),
    runs: t.connection(
      {
        type: RunRef,
        description: 'Runs, newest first.',
        args: { status: t.arg({ type: RunStatusEnum, required: false }) },
        resolve: (thread, args, ctx) =>
          resolvePage(args, { toCursor: (r: Run) => timeCursor(r.createdAt, r.id), parse: parseTimeCursor }, (window) =>
            ctx.loaders.runsOfThread.load({ parentId: thread.id, window, extra: args.status ?? undefined }),
          ),
      },
      RunConnection,
    ),
    activeRun: t.field({
      type: RunRef,
      nullable: true,
      description:
        'The run occupying the thread: the oldest active run (IN_PROGRESS, REQUIRES_ACTION or CANCELLING) if there is one, ' +
        'else the oldest QUEUED run (the next to start); null when every run is final.',
      resolve: (thread, _args, ctx) => ctx.loaders.activeRunOfThread.load(thread.id),
    }),
  }),
});


builder.queryFields((t) => ({
  thread: t.withAuth({ authenticated: true }).field({
    type: ThreadRef,
    nullable: true,
    description: "One of the viewer's threads; null when absent or another user's.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => loadOrNull(ctx.loaders.threadById, parseThreadId(args.id)),
  }),
  threads: t.withAuth({ authenticated: true }).connection(
    {
      type: ThreadRef,
      description: "The viewer's threads, newest activity first unless `orderBy` says otherwise.",
      args: {
        status: t.arg({ type: ThreadStatusEnum, required: false }),
        metadata: t.arg({ type: 'JSON', required: false, description: 'Only threads whose metadata contains this object.', validate: metadataSchema.optional().nullable() }),
        titleContains: t.arg.string({
          required: false,
          description: `Only threads whose title contains this text, ignoring case (at most ${MAX_TITLE_FILTER_LENGTH} characters; % and _ are plain characters).`,
          validate: z.string().max(MAX_TITLE_FILTER_LENGTH, `titleContains must be at most ${MAX_TITLE_FILTER_LENGTH} characters`).nullish(),
        }),
        updatedAfter: t.arg({ type: 'DateTime', required: false, description: 'Only threads last active after this instant.' }),
        orderBy: t.arg({
          type: ThreadOrderEnum,
          required: false,
          defaultValue: 'UPDATED_AT_DESC',
          description: 'A cursor belongs to the order it came from: one from another order is refused.',
        }),
      },
      resolve: async (_root, args, ctx) => {
        const order = args.orderBy ?? 'UPDATED_AT_DESC';
        const filter: ThreadFilter = {
          status: args.status ?? undefined,
          metadataContains: (args.metadata as Record<string, unknown> | null) ?? undefined,
          titleContains: args.titleContains ?? undefined,
          updatedAfter: args.updatedAfter ?? undefined,
        };
        const page = await resolvePage(args, threadCursors(order), (window) => listThreadsByOwner(ctx.uow.reader, ctx.userId, filter, window, order));
        // Counted only when asked for: one more query, over the same filter.
        return { ...page, totalCount: () => countThreadsByOwner(ctx.uow.reader, ctx.userId, filter) };
      },
    },
    {
      name: 'ThreadConnection',
      fields: (t) => ({
        totalCount: t.int({ description: 'How many threads pass the filters, across all pages.', resolve: (connection) => connection.totalCount() }),
      }),
    },
    { name: 'ThreadEdge' },
  ),
  activeThread: t.withAuth({ authenticated: true }).field({
    type: ThreadRef,
    nullable: true,
    description: "The viewer's most recently active ACTIVE thread.",
    resolve: async (_root, _args, ctx) => (await findActiveThread(ctx.uow.reader, ctx.userId)) ?? null,
  }),
}));
