import { z } from 'zod';
import { deriveThreadTitle } from '../../domain/thread-title.js';
import { ids } from '../../ids/generate-ids.js';
import { parseThreadId } from '../../ids/parse-ids.js';
import { InvalidInputError } from '../../errors/domain-errors.js';
import { findFirstMessageByRole } from '../../repositories/messages-repository.js';
import {
  archiveThreads,
  findActiveThread,
  insertThread,
  lockOwnedThread,
  lockThreadCreationForOwner,
  unarchiveThread,
  updateThread,
} from '../../repositories/threads-repository.js';
import { markThreadRead } from '../../storage/read-state.js';
import type { ExecutionContext } from '../../context/execution-context.js';
import type { Thread } from '../../domain/thread.js';
import { builder } from '../builder.js';
import { metadataSchema } from '../../domain/metadata.js';
import { ThreadRef, titleSchema } from './thread.js';

/** How long generateThreadTitle waits for the persister to write what was acked before it, ms. */
const TITLE_PERSISTED_WAIT_MS = 5_000;

/** Most threads one archiveThreads call may name. */
const MAX_ARCHIVE_BATCH = 100;

const RETAIN_UNTIL_DESCRIPTION =
  'Erase the thread (as deleteThread does) once this instant has passed, whatever RETENTION_DAYS says. A past instant erases it on the next sweep.';

const CreateThreadInput = builder.inputType('CreateThreadInput', {
  fields: (t) => ({
    title: t.string({ required: false, validate: titleSchema.nullish() }),
    metadata: t.field({ type: 'JSON', required: false, validate: metadataSchema.nullish() }),
    retainUntil: t.field({ type: 'DateTime', required: false, description: RETAIN_UNTIL_DESCRIPTION }),
  }),
});

const MarkThreadReadInput = builder.inputType('MarkThreadReadInput', {
  fields: (t) => ({
    threadId: t.id({ required: true }),
    seq: t.int({
      required: true,
      description: "Read up to and including this message's seq; 0 is nothing read. At most the thread's newest seq.",
      validate: z.number().int().min(0, 'seq must be 0 or more'),
    }),
  }),
});

const UpdateThreadInput = builder.inputType('UpdateThreadInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    title: t.string({ required: false, description: 'New title; null clears it, omitted keeps it.', validate: titleSchema.nullish() }),
    metadata: t.field({ type: 'JSON', required: false, description: 'Replaces the metadata object.', validate: metadataSchema.nullish() }),
    retainUntil: t.field({ type: 'DateTime', required: false, description: `${RETAIN_UNTIL_DESCRIPTION} null clears it, omitted keeps it.` }),
  }),
});

/** Once committed, Redis learns of the change (archived threads take no more fast writes) and subscribers hear of it. */
async function announced(ctx: ExecutionContext, thread: Thread): Promise<Thread> {
  await ctx.messageStore.recordThreadChange(ctx.uow, thread);
  return thread;
}

/** A new thread reaches the owner's viewer feed (ThreadCreated) through the outbox, once committed. */
async function created(ctx: ExecutionContext, thread: Thread): Promise<Thread> {
  await ctx.messageStore.recordThreadCreated(ctx.uow, thread);
  return thread;
}

const asMetadata = (value: unknown) => (value ?? undefined) as Record<string, unknown> | undefined;

builder.mutationFields((t) => ({
  createThread: t.withAuth({ authenticated: true }).field({
    type: ThreadRef,
    args: { input: t.arg({ type: CreateThreadInput, required: false }) },
    resolve: async (_root, { input }, ctx) => {
      const retainUntil = input?.retainUntil ?? null;
      // After commit: a sweep that ran before would not see the thread yet.
      ctx.uow.afterCommit(() => ctx.eraser.retentionSet(retainUntil));
      return created(
        ctx,
        await insertThread(await ctx.uow.writer(), {
          id: ids.threadId('api'),
          ownerId: ctx.userId,
          title: input?.title ?? null,
          metadata: asMetadata(input?.metadata) ?? {},
          retainUntil,
        }),
      );
    },
  }),
  getOrCreateActiveThread: t.withAuth({ authenticated: true }).field({
    type: ThreadRef,
    description: "The viewer's active thread, created if there is none (at most one is created, even under concurrent calls).",
    resolve: async (_root, _args, ctx) => {
      const trx = await ctx.uow.writer();
      await lockThreadCreationForOwner(trx, ctx.userId);
      return (
        (await findActiveThread(trx, ctx.userId)) ??
        created(ctx, await insertThread(trx, { id: ids.threadId('session'), ownerId: ctx.userId, title: null, metadata: {} }))
      );
    },
  }),
  updateThread: t.withAuth({ authenticated: true }).field({
    type: ThreadRef,
    args: { input: t.arg({ type: UpdateThreadInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const retainUntil = input.retainUntil ?? null;
      ctx.uow.afterCommit(() => ctx.eraser.retentionSet(retainUntil));
      return announced(
        ctx,
        await updateThread(await ctx.uow.writer(), ctx.userId, parseThreadId(input.id), {
          title: input.title === undefined ? undefined : (input.title ?? null),
          metadata: asMetadata(input.metadata),
          retainUntil: input.retainUntil === undefined ? undefined : (input.retainUntil ?? null),
        }),
      );
    },
  }),
  archiveThread: t.withAuth({ authenticated: true }).field({
    type: ThreadRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const [thread] = await archiveThreads(await ctx.uow.writer(), ctx.userId, [parseThreadId(args.id)]);
      return announced(ctx, thread as Thread);
    },
  }),
  unarchiveThread: t.withAuth({ authenticated: true }).field({
    type: ThreadRef,
    description: 'Makes an archived thread ACTIVE again; a thread that is not archived comes back unchanged.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const { thread, changed } = await unarchiveThread(await ctx.uow.writer(), ctx.userId, parseThreadId(args.id));
      return changed ? announced(ctx, thread) : thread;
    },
  }),
  archiveThreads: t.withAuth({ authenticated: true }).field({
    type: [ThreadRef],
    description: `Archives all the named threads or none (at most ${MAX_ARCHIVE_BATCH}).`,
    args: { ids: t.arg.idList({ required: true, validate: z.array(z.unknown()).max(MAX_ARCHIVE_BATCH) }) },
    resolve: async (_root, args, ctx) => {
      const threadIds = [...new Set(args.ids.map(parseThreadId))];
      const archived = await archiveThreads(await ctx.uow.writer(), ctx.userId, threadIds);
      for (const thread of archived) await announced(ctx, thread);
      return archived;
    },
  }),
  markThreadRead: t.withAuth({ authenticated: true }).field({
    type: ThreadRef,
    description: "Records that the viewer has read the thread up to `seq`. Never moves backwards: a lower seq keeps the higher position.",
    args: { input: t.arg({ type: MarkThreadReadInput, required: true }) },
    resolve: (_root, { input }, ctx) => markThreadRead(ctx.uow, ctx.messageStore, ctx.userId, parseThreadId(input.threadId), input.seq),
  }),
  generateThreadTitle: t.withAuth({ authenticated: true }).field({
    type: ThreadRef,
    description: 'Sets the title from the first user message (deterministic, no model call).',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const threadId = parseThreadId(args.id);
      // The first user message is read from Postgres, and one acked a moment ago may be in Redis only.
      await ctx.messageStore.awaitPersisted(TITLE_PERSISTED_WAIT_MS);
      const trx = await ctx.uow.writer();
      const thread = await lockOwnedThread(trx, ctx.userId, threadId);
      const first = await findFirstMessageByRole(trx, thread.id, 'USER');
      const title = first && deriveThreadTitle(first.content);
      if (!title) throw new InvalidInputError(`Thread ${thread.id} has no user message to derive a title from`);
      return announced(ctx, await updateThread(trx, ctx.userId, thread.id, { title }));
    },
  }),
}));
