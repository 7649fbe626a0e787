import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, RunRow } from '../db/database.js';
import { ACTIVE_RUN_STATUSES, type Run, type RunStatus } from '../domain/run.js';
import type { RunUsage } from '../domain/run-usage.js';
import type { RunId, ThreadId } from '../ids/id-types.js';
import { threadIdOf } from '../ids/parse-ids.js';
import { NotFoundError } from '../errors/domain-errors.js';
import type { PageWindow, TimeCursor } from './page-window.js';
import { groupBy } from './group-by.js';

export function toRun(row: RunRow): Run {
  return {
    id: row.id as RunId,
    threadId: row.thread_id as ThreadId,
    status: row.status,
    metadata: row.metadata,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    completedAt: row.completed_at,
    actor: row.actor,
    model: row.model,
    usage: row.input_tokens === null || row.output_tokens === null ? null : { inputTokens: row.input_tokens, outputTokens: row.output_tokens },
  };
}

/** Runs of the owner's threads only. */
export async function findRunsByIds(db: Kysely<Database>, ownerId: string, ids: readonly RunId[]): Promise<Run[]> {
  const rows = await db
    .selectFrom('runs')
    .innerJoin('threads', 'threads.id', 'runs.thread_id')
    .selectAll('runs')
    .modifyEnd(sql`/* runs.findRunsByIds */`)
    .where('runs.id', '=', sql<string>`any(${sql.val(ids)})`)
    .where('threads.owner_id', '=', ownerId)
    .execute();
  return rows.map(toRun);
}

/**
 * One page of runs for each thread, newest first, in a single statement: a LATERAL subquery
 * per thread walks `runs_thread_created_idx`, so the cost grows with the page, not the table.
 */
export async function findRunPagesByThreadIds(
  db: Kysely<Database>,
  threadIds: readonly ThreadId[],
  window: PageWindow<TimeCursor>,
  status: RunStatus | undefined,
): Promise<Map<ThreadId, Run[]>> {
  const direction = sql.raw(window.backwards ? 'asc' : 'desc');
  const after = window.after ? sql`and (r.created_at, r.id) < (${window.after.at}, ${window.after.id})` : sql``;
  const before = window.before ? sql`and (r.created_at, r.id) > (${window.before.at}, ${window.before.id})` : sql``;
  const byStatus = status ? sql`and r.status = ${status}` : sql``;
  const { rows } = await sql<RunRow>`/* runs.findRunPagesByThreadIds */
    select page.* from unnest(${sql.val(threadIds)}::text[]) as t(id)
    cross join lateral (
      select r.* from runs r
      where r.thread_id = t.id ${byStatus} ${after} ${before}
      order by r.created_at ${direction}, r.id ${direction}
      limit ${window.limit}
    ) page`.execute(db);
  return groupBy(rows.map(toRun), (run) => run.threadId);
}

export async function insertRun(
  trx: Transaction<Database>,
  run: Pick<Run, 'id' | 'threadId' | 'metadata' | 'actor'>,
): Promise<Run> {
  const row = await trx
    .insertInto('runs')
    .values({
      id: run.id,
      thread_id: run.threadId,
      metadata: JSON.stringify(run.metadata),
      actor: run.actor,
      error: null,
      started_at: null,
      completed_at: null,
      // The clock when the row is written, not when the transaction began: startRun holds the
      // thread's lock by now, so a thread's queue in createdAt order is the order runs were accepted.
      created_at: sql<Date>`clock_timestamp()`,
    })
    .returningAll()
    .modifyEnd(sql`/* runs.insertRun */`)
    .executeTakeFirstOrThrow();
  return toRun(row);
}

/**
 * Locks the thread's active runs, oldest first. Called with the thread's row locked (startRun),
 * so no run can be added meanwhile; locking the runs too orders this against updateRunStatus
 * and cancelRun, which lock only the run, and re-reads each at its latest status.
 */
export async function lockActiveRunsOfThread(trx: Transaction<Database>, threadId: ThreadId): Promise<Run[]> {
  const rows = await trx
    .selectFrom('runs')
    .selectAll()
    .modifyEnd(sql`/* runs.lockActiveRunsOfThread */`)
    .where('thread_id', '=', threadId)
    .where('status', 'in', ACTIVE_RUN_STATUSES)
    .orderBy('created_at')
    .orderBy('id')
    .forUpdate()
    .execute();
  return rows.map(toRun);
}

/**
 * Each thread's active run, for `Thread.activeRun`: the oldest active run that is not QUEUED
 * (being worked on or being stopped), else the oldest QUEUED one (the next to start); by
 * createdAt, then ID. One statement for every thread, over `runs_thread_active_idx`.
 */
export async function findActiveRunsByThreadIds(db: Kysely<Database>, threadIds: readonly ThreadId[]): Promise<Map<ThreadId, Run>> {
  const rows = await db
    .selectFrom('runs')
    .selectAll()
    .distinctOn('thread_id')
    .modifyEnd(sql`/* runs.findActiveRunsByThreadIds */`)
    .where('thread_id', '=', sql<string>`any(${sql.val(threadIds)})`)
    .where('status', 'in', ACTIVE_RUN_STATUSES)
    .orderBy('thread_id')
    .orderBy(sql`status = 'QUEUED'`)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return new Map(rows.map((row) => [row.thread_id as ThreadId, toRun(row)]));
}

/**
 * Locks the run (of one of the owner's threads) so its status changes one at a time, and its
 * thread before it: the order every writer takes (startRun locks the thread, then its active
 * runs; a send locks the thread, then its message's foreign key shares the run). Locking the run
 * first would deadlock with them: announcing the change writes an outbox row whose foreign key
 * shares the thread's row, which a startRun may hold while it waits for this run.
 */
export async function lockOwnedRun(trx: Transaction<Database>, ownerId: string, id: RunId): Promise<Run> {
  const thread = await trx
    .selectFrom('threads')
    .select('id')
    .modifyEnd(sql`/* runs.lockThreadOfRun */`)
    .where('id', '=', threadIdOf(id))
    .where('owner_id', '=', ownerId)
    .forUpdate()
    .executeTakeFirst();
  if (!thread) throw runNotFound(id);
  const row = await trx
    .selectFrom('runs')
    .innerJoin('threads', 'threads.id', 'runs.thread_id')
    .selectAll('runs')
    .modifyEnd(sql`/* runs.lockOwnedRun */`)
    .where('runs.id', '=', id)
    .where('threads.owner_id', '=', ownerId)
    .forUpdate('runs')
    .executeTakeFirst();
  if (!row) throw runNotFound(id);
  return toRun(row);
}

/** A status change; `model` and `usage`, when given, replace what the run reported before. */
export interface RunStatusChange {
  status: RunStatus;
  error: string | null;
  started: boolean;
  completed: boolean;
  model?: string;
  usage?: RunUsage;
}

export async function updateRunStatus(trx: Transaction<Database>, id: RunId, change: RunStatusChange): Promise<Run> {
  const row = await trx
    .updateTable('runs')
    .set({
      status: change.status,
      error: change.error,
      updated_at: sql`now()`,
      ...(change.model === undefined ? {} : { model: change.model }),
      ...(change.usage === undefined ? {} : { input_tokens: change.usage.inputTokens, output_tokens: change.usage.outputTokens }),
      // Timestamps record the first time a run started and when it reached a terminal state.
      ...(change.started ? { started_at: sql<Date>`coalesce(started_at, now())` } : {}),
      ...(change.completed ? { completed_at: sql<Date>`now()` } : {}),
    })
    .modifyEnd(sql`/* runs.updateRunStatus */`)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return toRun(row);
}

export function runNotFound(id: string): NotFoundError {
  return new NotFoundError(`Run ${id} not found`, { id });
}
