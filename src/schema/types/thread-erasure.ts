import { z } from 'zod';
import { ERASURE_STATUSES, MAX_DELETE_BATCH, type ThreadErasure } from '../../domain/thread-erasure.js';
import { parseThreadId } from '../../ids/parse-ids.js';
import { findThreadErasure } from '../../repositories/erasures-repository.js';
import { lockAllThreadsOfOwner, lockOwnedThreads } from '../../repositories/threads-repository.js';
import { builder } from '../builder.js';

const ErasureStatusEnum = builder.enumType('ErasureStatus', {
  description: 'Where the erasure of a thread stands.',
  values: {
    PENDING: { description: 'Gone from the API and from Postgres; Redis and ClickHouse are being cleaned (poll `erasure`).' },
    COMPLETE: { description: 'No tier holds anything of the thread: no Postgres row, no ClickHouse row, no Redis key or stream entry.' },
  } satisfies Record<(typeof ERASURE_STATUSES)[number], unknown>,
});

const ErasureReasonEnum = builder.enumType('ErasureReason', {
  values: {
    REQUESTED: { description: 'deleteThread, deleteThreads or deleteViewerData.' },
    RETENTION: { description: "The thread's retainUntil passed, or RETENTION_DAYS since its last activity." },
  },
});

const ThreadErasureRef = builder.objectRef<ThreadErasure>('ThreadErasure').implement({
  description: 'The erasure of a deleted thread, kept after it completes under a hash of the thread ID (never the ID itself).',
  fields: (t) => ({
    threadId: t.exposeID('threadId'),
    status: t.expose('status', { type: ErasureStatusEnum }),
    reason: t.expose('reason', { type: ErasureReasonEnum }),
    requestedAt: t.expose('requestedAt', { type: 'DateTime' }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
  }),
});

builder.queryFields((t) => ({
  erasure: t.withAuth({ authenticated: true }).field({
    type: ThreadErasureRef,
    nullable: true,
    description: "Where the erasure of one of the viewer's deleted threads stands; null when the viewer never had that thread erased.",
    args: { threadId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => (await findThreadErasure(ctx.uow.reader, ctx.userId, parseThreadId(args.threadId))) ?? null,
  }),
}));

builder.mutationFields((t) => ({
  deleteThread: t.withAuth({ authenticated: true }).field({
    type: ThreadErasureRef,
    description:
      'Deletes the thread, its runs and messages, from every tier. Irreversible (archiveThread is the reversible kind). ' +
      'Subscribers to it get ThreadDeleted and are completed. Answers PENDING; `erasure(threadId)` turns COMPLETE once Redis and ClickHouse are clean.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const threads = await lockOwnedThreads(await ctx.uow.writer(), ctx.userId, [parseThreadId(args.id)]);
      const [erasure] = await ctx.eraser.erase(ctx.uow, threads, 'REQUESTED');
      return erasure as ThreadErasure;
    },
  }),
  deleteThreads: t.withAuth({ authenticated: true }).field({
    type: [ThreadErasureRef],
    description: `Deletes all the named threads or none (at most ${MAX_DELETE_BATCH}), as deleteThread does; in the order named.`,
    args: { ids: t.arg.idList({ required: true, validate: z.array(z.unknown()).max(MAX_DELETE_BATCH) }) },
    resolve: async (_root, args, ctx) => {
      const threadIds = [...new Set(args.ids.map(parseThreadId))];
      const threads = await lockOwnedThreads(await ctx.uow.writer(), ctx.userId, threadIds);
      const erasures = await ctx.eraser.erase(ctx.uow, threads, 'REQUESTED');
      const byThread = new Map(erasures.map((erasure) => [erasure.threadId, erasure]));
      return threadIds.map((id) => byThread.get(id) as ThreadErasure);
    },
  }),
  deleteViewerData: t.withAuth({ authenticated: true }).field({
    type: [ThreadErasureRef],
    description: "Erases every thread of the viewer (the right to erasure), as deleteThread does; an empty list when there are none.",
    resolve: async (_root, _args, ctx) => {
      const threads = await lockAllThreadsOfOwner(await ctx.uow.writer(), ctx.userId);
      return threads.length ? ctx.eraser.erase(ctx.uow, threads, 'REQUESTED') : [];
    },
  }),
}));
