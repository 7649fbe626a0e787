import type { Message } from '../../domain/message.js';
import type { Run } from '../../domain/run.js';
import { totalTokensOf, type RunUsage } from '../../domain/run-usage.js';
import { RUN_STATUSES } from '../../domain/run.js';
import { RUN_ID_REGEX } from '../../ids/id-formats.js';
import { parseRunId } from '../../ids/parse-ids.js';
import { builder } from '../builder.js';
import { parseSeqCursor, seqCursor } from '../pagination/cursors.js';
import { resolvePage } from '../pagination/resolve-page.js';
import { MessageConnection, MessageRef } from './message.js';
import { ThreadRef } from './thread.js';
import { loadOrNull, nullWhenNotFound } from '../nullable-lookup.js';

export const RunStatusEnum = builder.enumType('RunStatus', { values: RUN_STATUSES });

export const RunRef = builder.objectRef<Run>('Run');

const RunUsageRef = builder.objectRef<RunUsage>('RunUsage').implement({
  description: "The tokens a run used, as its agent last reported them (updateRunStatus's `usage`).",
  fields: (t) => ({
    inputTokens: t.exposeInt('inputTokens'),
    outputTokens: t.exposeInt('outputTokens'),
    totalTokens: t.int({ description: 'inputTokens + outputTokens.', resolve: totalTokensOf }),
  }),
});

builder.node(RunRef, {
  description: 'One agent run inside a thread. Its ID embeds the thread ID.',
  id: { resolve: (run) => run.id },
  isTypeOf: (value) => RUN_ID_REGEX.test((value as Run).id),
  loadMany: (ids, ctx) => ctx.loaders.runById.loadMany(ids.map(parseRunId)).then(nullWhenNotFound),
  fields: (t) => ({
    threadId: t.exposeID('threadId'),
    thread: t.field({ type: ThreadRef, resolve: (run, _args, ctx) => ctx.loaders.threadById.load(run.threadId) }),
    status: t.expose('status', { type: RunStatusEnum }),
    metadata: t.expose('metadata', { type: 'JSON' }),
    error: t.exposeString('error', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    completedAt: t.expose('completedAt', { type: 'DateTime', nullable: true }),
    actor: t.exposeString('actor', {
      nullable: true,
      description: "Who started it on the owner's behalf: the `act.sub` of a delegated token; null when the owner did.",
    }),
    model: t.exposeString('model', { nullable: true, description: 'The model the agent reported running on; null until it reports one.' }),
    usage: t.field({
      type: RunUsageRef,
      nullable: true,
      description: 'The tokens the agent last reported; null until it reports any.',
      resolve: (run) => run.usage,
    }),
    messages: t.connection(
      {
        type: MessageRef,
        description: 'Messages produced in this run, in seq order.',
        resolve: (run, args, ctx) =>
          resolvePage(args, { toCursor: (m: Message) => seqCursor(m.seq), parse: parseSeqCursor }, (window) =>
            ctx.loaders.messagesOfRun.load({ parentId: run.id, window }),
          ),
      },
      MessageConnection,
    ),
  }),
});

export const RunConnection = builder.connectionObject({ type: RunRef, name: 'RunConnection' }, { name: 'RunEdge' });

builder.queryField('run', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: RunRef,
    nullable: true,
    description: "A run in one of the viewer's threads; null when absent or another user's.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => loadOrNull(ctx.loaders.runById, parseRunId(args.id)),
  }),
);
