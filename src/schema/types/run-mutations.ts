import { assertRunTransition, isTerminalRunStatus } from '../../domain/run.js';
import { ids } from '../../ids/generate-ids.js';
import { parseRunId, parseThreadId } from '../../ids/parse-ids.js';
import { insertRun, lockOwnedRun, updateRunStatus } from '../../repositories/runs-repository.js';
import { findThreadsByIds, lockOwnedThread } from '../../repositories/threads-repository.js';
import { assertThreadWritable } from '../../domain/thread.js';
import type { AuthenticatedContext } from '../../context/execution-context.js';
import type { Run } from '../../domain/run.js';
import { builder } from '../builder.js';
import { RunRef, RunStatusEnum } from './run.js';
import { metadataSchema } from '../../domain/metadata.js';
import { z } from 'zod';

const MAX_RUN_ERROR_LENGTH = 10_000;

const StartRunInput = builder.inputType('StartRunInput', {
  fields: (t) => ({
    threadId: t.id({ required: true }),
    metadata: t.field({ type: 'JSON', required: false, validate: metadataSchema.nullish() }),
  }),
});

const UpdateRunStatusInput = builder.inputType('UpdateRunStatusInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    status: t.field({ type: RunStatusEnum, required: true }),
    error: t.string({ required: false, description: 'Why the run failed; kept with the run.', validate: z.string().max(MAX_RUN_ERROR_LENGTH).nullish() }),
  }),
});

/** Once committed: the fast path learns the run exists, the archive gets the transition, subscribers hear of it. */
async function announced(ctx: AuthenticatedContext, run: Run): Promise<Run> {
  await ctx.messageStore.recordRunChange(ctx.uow, run, ctx.userId);
  return run;
}

builder.mutationFields((t) => ({
  startRun: t.withAuth({ authenticated: true }).field({
    type: RunRef,
    description: 'Creates a QUEUED run in one of the viewer\'s threads.',
    args: { input: t.arg({ type: StartRunInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const trx = await ctx.uow.writer();
      const thread = await lockOwnedThread(trx, ctx.userId, parseThreadId(input.threadId));
      assertThreadWritable(thread);
      const metadata = (input.metadata ?? {}) as Record<string, unknown>;
      const run = await insertRun(trx, { id: ids.runId(thread.id), threadId: thread.id, metadata, actor: ctx.actor });
      return announced(ctx, run);
    },
  }),
  updateRunStatus: t.withAuth({ authenticated: true }).field({
    type: RunRef,
    description: 'Moves a run along its lifecycle; illegal transitions are refused with BAD_USER_INPUT.',
    args: { input: t.arg({ type: UpdateRunStatusInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const trx = await ctx.uow.writer();
      const run = await lockOwnedRun(trx, ctx.userId, parseRunId(input.id));
      assertRunTransition(run.status, input.status);
      // An archived thread's runs may still be ended, never moved on. Read, not locked: the run's
      // lock is held, and taking the thread's after it could deadlock with a send naming the run.
      if (!isTerminalRunStatus(input.status)) {
        const [thread] = await findThreadsByIds(trx, ctx.userId, [run.threadId]);
        if (thread) assertThreadWritable(thread);
      }
      const updated = await updateRunStatus(trx, run.id, {
        status: input.status,
        error: input.error ?? null,
        started: input.status === 'IN_PROGRESS',
        completed: isTerminalRunStatus(input.status),
      });
      return announced(ctx, updated);
    },
  }),
}));
