import { assertReportedRunTransition, cancelTargetOf, isTerminalRunStatus, type MultitaskStrategy, type RunStatus } from '../../domain/run.js';
import { ids } from '../../ids/generate-ids.js';
import { parseRunId, parseThreadId } from '../../ids/parse-ids.js';
import { insertRun, lockActiveRunsOfThread, lockOwnedRun, updateRunStatus } from '../../repositories/runs-repository.js';
import { findThreadsByIds, lockOwnedThread } from '../../repositories/threads-repository.js';
import { assertThreadWritable } from '../../domain/thread.js';
import { ThreadBusyError } from '../../errors/domain-errors.js';
import type { AuthenticatedContext } from '../../context/execution-context.js';
import type { Database } from '../../db/database.js';
import type { Run } from '../../domain/run.js';
import type { Transaction } from 'kysely';
import { builder } from '../builder.js';
import { RunRef, RunStatusEnum } from './run.js';
import { metadataSchema } from '../../domain/metadata.js';
import { modelSchema, tokenCountSchema, MAX_MODEL_LENGTH, MAX_TOKEN_COUNT } from '../../domain/run-usage.js';
import type { RunStatusChange } from '../../repositories/runs-repository.js';
import { z } from 'zod';

const MAX_RUN_ERROR_LENGTH = 10_000;

const MultitaskStrategyEnum = builder.enumType('MultitaskStrategy', {
  description: 'What startRun does when the thread has an active run (QUEUED, IN_PROGRESS, REQUIRES_ACTION or CANCELLING).',
  values: {
    REJECT: { description: 'Start nothing: refused with THREAD_BUSY.' },
    ENQUEUE: { description: 'The new run waits, QUEUED, behind the others (in createdAt order).' },
    INTERRUPT: { description: 'Cancel the active runs (QUEUED ones at once, working ones to CANCELLING), then queue the new run.' },
  } satisfies Record<MultitaskStrategy, unknown>,
});

const StartRunInput = builder.inputType('StartRunInput', {
  fields: (t) => ({
    threadId: t.id({ required: true }),
    metadata: t.field({ type: 'JSON', required: false, validate: metadataSchema.nullish() }),
    multitaskStrategy: t.field({ type: MultitaskStrategyEnum, required: true, defaultValue: 'ENQUEUE' }),
  }),
});

const RunUsageInput = builder.inputType('RunUsageInput', {
  description: `The run's token totals so far (not an increment): each from 0 to ${MAX_TOKEN_COUNT}.`,
  fields: (t) => ({
    inputTokens: t.int({ required: true, validate: tokenCountSchema }),
    outputTokens: t.int({ required: true, validate: tokenCountSchema }),
  }),
});

const UpdateRunStatusInput = builder.inputType('UpdateRunStatusInput', {
  fields: (t) => ({
    id: t.id({ required: true }),
    status: t.field({ type: RunStatusEnum, required: true }),
    error: t.string({ required: false, description: 'Why the run failed; kept with the run.', validate: z.string().max(MAX_RUN_ERROR_LENGTH).nullish() }),
    model: t.string({
      required: false,
      description: `The model the run uses, at most ${MAX_MODEL_LENGTH} characters; replaces the one reported before. Omitted or null: unchanged.`,
      validate: modelSchema.nullish(),
    }),
    usage: t.field({
      type: RunUsageInput,
      required: false,
      description: "The run's token totals so far; replace the ones reported before. Omitted or null: unchanged.",
    }),
  }),
});

/** Once committed: the fast path learns the run exists, the archive gets the transition, subscribers hear of it. */
async function announced(ctx: AuthenticatedContext, run: Run): Promise<Run> {
  await ctx.messageStore.recordRunChange(ctx.uow, run, ctx.userId);
  return run;
}

/** What an agent may report with a transition besides the status. */
type RunReport = Pick<RunStatusChange, 'error' | 'model' | 'usage'>;

/** Moves a locked run to `to` (already checked legal) and announces it. */
async function moveRun(ctx: AuthenticatedContext, trx: Transaction<Database>, run: Run, to: RunStatus, report: RunReport): Promise<Run> {
  const updated = await updateRunStatus(trx, run.id, { ...report, status: to, started: to === 'IN_PROGRESS', completed: isTerminalRunStatus(to) });
  return announced(ctx, updated);
}

/** A locked run cancelled as cancelRun would: unchanged when already CANCELLING. */
async function cancelLockedRun(ctx: AuthenticatedContext, trx: Transaction<Database>, run: Run): Promise<Run> {
  const to = cancelTargetOf(run.status);
  return to ? moveRun(ctx, trx, run, to, { error: run.error }) : run;
}

/**
 * Applies the strategy to the thread's active runs. The caller holds the thread's lock, so
 * concurrent startRuns on one thread decide one after the other, each seeing what the one
 * before it committed.
 */
async function makeRoomForRun(ctx: AuthenticatedContext, trx: Transaction<Database>, threadId: Run['threadId'], strategy: MultitaskStrategy): Promise<void> {
  if (strategy === 'ENQUEUE') return;
  const active = await lockActiveRunsOfThread(trx, threadId);
  if (strategy === 'REJECT') {
    const [busy] = active;
    if (busy) throw new ThreadBusyError(`Thread ${threadId} has an active run, ${busy.id} (${busy.status})`, { threadId, runId: busy.id });
    return;
  }
  for (const run of active) await cancelLockedRun(ctx, trx, run);
}

builder.mutationFields((t) => ({
  startRun: t.withAuth({ authenticated: true }).field({
    type: RunRef,
    description:
      "Creates a QUEUED run in one of the viewer's threads. With an active run there already, `multitaskStrategy` decides: " +
      'REJECT (THREAD_BUSY), ENQUEUE (the default: queue behind it) or INTERRUPT (cancel it, then queue this one), in one transaction.',
    args: { input: t.arg({ type: StartRunInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const trx = await ctx.uow.writer();
      const thread = await lockOwnedThread(trx, ctx.userId, parseThreadId(input.threadId));
      assertThreadWritable(thread);
      await makeRoomForRun(ctx, trx, thread.id, input.multitaskStrategy);
      const metadata = (input.metadata ?? {}) as Record<string, unknown>;
      const run = await insertRun(trx, { id: ids.runId(thread.id), threadId: thread.id, metadata, actor: ctx.actor });
      return announced(ctx, run);
    },
  }),
  cancelRun: t.withAuth({ authenticated: true }).field({
    type: RunRef,
    description:
      'Cancels a run: a QUEUED run becomes CANCELLED at once; an IN_PROGRESS or REQUIRES_ACTION one becomes CANCELLING until its agent ' +
      'confirms CANCELLED (or reports FAILED) with updateRunStatus. A CANCELLING run comes back unchanged; a final one is BAD_USER_INPUT. ' +
      'Allowed in an archived thread: it ends work, as a final updateRunStatus does.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const trx = await ctx.uow.writer();
      return cancelLockedRun(ctx, trx, await lockOwnedRun(trx, ctx.userId, parseRunId(args.id)));
    },
  }),
  updateRunStatus: t.withAuth({ authenticated: true }).field({
    type: RunRef,
    description:
      'Moves a run along its lifecycle, as its agent reports; illegal transitions are refused with BAD_USER_INPUT, and so is CANCELLING ' +
      '(a cancel is asked for with cancelRun). The agent may report the model and token usage with it; invalid ones are ' +
      'BAD_USER_INPUT and change nothing.',
    args: { input: t.arg({ type: UpdateRunStatusInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const trx = await ctx.uow.writer();
      const run = await lockOwnedRun(trx, ctx.userId, parseRunId(input.id));
      assertReportedRunTransition(run.status, input.status);
      // An archived thread's runs may still be ended, never moved on. The thread is locked already
      // (lockOwnedRun takes it first), so its status cannot change under this check.
      if (!isTerminalRunStatus(input.status)) {
        const [thread] = await findThreadsByIds(trx, ctx.userId, [run.threadId]);
        if (thread) assertThreadWritable(thread);
      }
      return moveRun(ctx, trx, run, input.status, { error: input.error ?? null, model: input.model ?? undefined, usage: input.usage ?? undefined });
    },
  }),
}));
