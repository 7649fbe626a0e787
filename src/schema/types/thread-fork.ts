import type { ThreadFork } from '../../domain/thread.js';
import { parseMessageId } from '../../ids/parse-ids.js';
import { forkThread } from '../../storage/thread-fork.js';
import { builder } from '../builder.js';
import { loadOrNull } from '../nullable-lookup.js';
import { ThreadRef } from './thread.js';

const ThreadForkRef = builder.objectRef<ThreadFork>('ThreadFork').implement({
  description: 'Where a forked thread was copied from: messages 1..seq of another thread.',
  fields: (t) => ({
    thread: t.field({
      type: ThreadRef,
      nullable: true,
      description: 'The source thread; null once it is deleted (the fork stays, with its seq).',
      resolve: (fork, _args, ctx) => (fork.threadId ? loadOrNull(ctx.loaders.threadById, fork.threadId) : null),
    }),
    seq: t.exposeInt('seq', { description: "The seq of the message forked at: the fork holds copies of the source's messages 1..seq." }),
  }),
});

builder.objectField(ThreadRef, 'forkedFrom', (t) =>
  t.field({
    type: ThreadForkRef,
    nullable: true,
    description: 'The thread and seq this thread was forked from (forkThread); null when it is no fork.',
    resolve: (thread) => thread.forkedFrom,
  }),
);

const ForkThreadInput = builder.inputType('ForkThreadInput', {
  fields: (t) => ({
    messageId: t.id({ required: true, description: 'The last message to copy: the fork holds its thread up to and including it.' }),
  }),
});

builder.mutationField('forkThread', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: ThreadRef,
    description:
      "A new thread of the viewer's holding copies of messages 1..seq of the message's thread (new IDs; role, content, parts, " +
      'metadata and actor kept; runs not copied, so runId is null). Its title is the source\'s. Refused while a message in ' +
      'that range is still streaming.',
    args: { input: t.arg({ type: ForkThreadInput, required: true }) },
    resolve: (_root, { input }, ctx) => forkThread(ctx.uow, ctx.messageStore, ctx.userId, parseMessageId(input.messageId)),
  }),
);
