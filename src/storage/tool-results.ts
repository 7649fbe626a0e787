import type { Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import type { UnitOfWork } from '../db/unit-of-work.js';
import { assertPartsAcceptable, type MessagePartRules } from '../domain/message-parts.js';
import {
  assertAnswersEveryOpenCall, assertDistinctCallIds, openToolCallsOf, type ToolCallPart, type ToolResultPart,
} from '../domain/required-action.js';
import { assertReportedRunTransition, type Run } from '../domain/run.js';
import { assertThreadWritable } from '../domain/thread.js';
import { InvalidInputError } from '../errors/domain-errors.js';
import { ids } from '../ids/generate-ids.js';
import type { RunId } from '../ids/id-types.js';
import { findOpenToolCallsOfRun } from '../repositories/messages-repository.js';
import { lockOwnedRun, updateRunStatus } from '../repositories/runs-repository.js';
import { findThreadsByIds, threadNotFound } from '../repositories/threads-repository.js';
import type { MessageStore } from './message-store.js';

/** The most messages a thread can have acked beyond Postgres that a required action looks through. */
const MAX_UNPERSISTED_SCANNED = 10_000;

/**
 * The run's open tool calls across the tiers: what Postgres holds up to its thread's last
 * committed seq, then the messages sequenced after it (Redis's window keeps every message
 * Postgres lacks, so FAST sends of a moment ago count). `lastSeq` must be read before the calls,
 * so a message persisted in between is seen twice rather than not at all.
 */
export async function findOpenToolCalls(store: MessageStore, reader: Kysely<Database>, run: Run, lastSeq: number): Promise<ToolCallPart[]> {
  const persisted = await findOpenToolCallsOfRun(reader, run.threadId, run.id);
  const later = (await store.readPages(reader, [run.threadId], { after: lastSeq, limit: MAX_UNPERSISTED_SCANNED, backwards: false })).get(run.threadId);
  return openToolCallsOf(run.id, persisted, later ?? []);
}

export interface ToolResultsSubmission {
  runId: RunId;
  results: ReadonlyArray<Omit<ToolResultPart, 'type'>>;
}

export interface SubmitterContext {
  uow: UnitOfWork;
  messageStore: MessageStore;
  userId: string;
  actor: string | null;
  limits: MessagePartRules;
}

/**
 * Answers every open tool call of a run in REQUIRES_ACTION with one TOOL message and moves the
 * run back to IN_PROGRESS, in one Postgres transaction under the thread's lock, then the run's
 * (the order every run writer takes). Everything is checked before anything is written; the
 * message is sequenced last (Redis's send script refuses it, and the transaction rolls back, if
 * a FAST result answered one of the calls meanwhile), and the run's change reaches Redis, the
 * stream and subscribers through the outbox once the transaction commits.
 */
export async function submitToolResults(ctx: SubmitterContext, submission: ToolResultsSubmission): Promise<Run> {
  assertDistinctCallIds(submission.results);
  const parts = submission.results.map((result): ToolResultPart => ({ type: 'toolResult', ...result }));
  assertPartsAcceptable(parts, 'TOOL', ctx.limits);

  const trx = await ctx.uow.writer();
  const run = await lockOwnedRun(trx, ctx.userId, submission.runId);
  if (run.status !== 'REQUIRES_ACTION') {
    throw new InvalidInputError(`Run ${run.id} is ${run.status}, not REQUIRES_ACTION: it asks for no tool results`, { id: run.id, status: run.status });
  }
  assertReportedRunTransition(run.status, 'IN_PROGRESS');
  const [thread] = await findThreadsByIds(trx, ctx.userId, [run.threadId]);
  if (!thread) throw threadNotFound(run.threadId);
  assertThreadWritable(thread);
  assertAnswersEveryOpenCall(await findOpenToolCalls(ctx.messageStore, trx, run, thread.lastSeq), submission.results);

  const moved = await updateRunStatus(trx, run.id, { status: 'IN_PROGRESS', error: null, started: true, completed: false });
  await ctx.messageStore.recordRunChange(ctx.uow, moved, ctx.userId);
  await ctx.messageStore.sendInTransaction(
    {
      id: ids.messageId(),
      ownerId: ctx.userId,
      actor: ctx.actor,
      threadId: run.threadId,
      runId: run.id,
      role: 'TOOL',
      content: '',
      parts,
      metadata: {},
      clientMessageId: null,
      durability: 'FAST',
    },
    ctx.uow,
  );
  return moved;
}
