import { z } from 'zod';
import { RUN_STATUSES, type RunStatus } from '../domain/run.js';
import { InvalidInputError } from '../errors/domain-errors.js';
import { clickhouseDateTime, countValue, type ArchiveClient } from './clickhouse-client.js';

/** Longest range one analytics query may cover, in days: a year, leap day included. */
export const MAX_RANGE_DAYS = 366;
/** Most threads `threadMessageCounts` returns. */
export const MAX_THREAD_COUNT_LIMIT = 100;

const DAY_MS = 86_400_000;

export interface DailyMessageCount {
  /** UTC calendar day, YYYY-MM-DD. */
  day: string;
  count: number;
}
export interface ThreadMessageCount {
  threadId: string;
  count: number;
}
export interface RunDurationStats {
  /** Null when no completed run falls in the range. */
  p50Seconds: number | null;
  p95Seconds: number | null;
  count: number;
}
export interface ToolCallCount {
  name: string;
  count: number;
}
export interface TokenUsageDay {
  /** UTC calendar day the runs were created, YYYY-MM-DD. */
  day: string;
  /** Null for runs that reported usage but no model. */
  model: string | null;
  inputTokens: number;
  outputTokens: number;
}
export interface FeedbackDay {
  /** UTC calendar day of the ratings, YYYY-MM-DD. */
  day: string;
  positive: number;
  negative: number;
}
export interface RunStatusCount {
  status: RunStatus;
  count: number;
}

/** A half-open range [from, to): non-empty and at most MAX_RANGE_DAYS long. */
export function assertAnalyticsRange(from: Date, to: Date): void {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw new InvalidInputError('from and to must be valid dates');
  if (from.getTime() >= to.getTime()) {
    throw new InvalidInputError('from must be before to', { from: from.toISOString(), to: to.toISOString() });
  }
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY_MS) {
    throw new InvalidInputError(`The range may cover at most ${MAX_RANGE_DAYS} days`, { from: from.toISOString(), to: to.toISOString() });
  }
}

export function assertThreadCountLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_THREAD_COUNT_LIMIT) {
    throw new InvalidInputError(`limit must be an integer from 1 to ${MAX_THREAD_COUNT_LIMIT}`, { limit });
  }
}

// Every query is scoped to one owner through the leading column of the sorting key, so it reads
// only that owner's granules. Rows may still hold duplicates from redelivery until ClickHouse
// merges them (maybe never): messages are counted as distinct IDs and runs are grouped by run_id
// first, which is exact whatever the merge state, without paying for FINAL.

const MESSAGE_RANGE = `owner_id = {ownerId:String}
  AND created_at >= {from:DateTime64(3, 'UTC')} AND created_at < {to:DateTime64(3, 'UTC')}`;

const MESSAGES_PER_DAY = `/* messagesPerDay */
SELECT toString(toDate(created_at)) AS day, uniqExact(message_id) AS count
FROM messages_archive
WHERE ${MESSAGE_RANGE}
GROUP BY day
ORDER BY day`;

const THREAD_MESSAGE_COUNTS = `/* threadMessageCounts */
SELECT thread_id AS threadId, uniqExact(message_id) AS count
FROM messages_archive
WHERE ${MESSAGE_RANGE}
GROUP BY thread_id
ORDER BY count DESC, threadId ASC
LIMIT {limit:UInt32}`;

// One row per message first (redelivery and a streamed message's final form repeat it), then
// one per tool call it makes.
const TOOL_CALLS = `/* toolCalls */
SELECT name, count() AS count
FROM (
  SELECT message_id, any(tool_names) AS names
  FROM messages_archive
  WHERE ${MESSAGE_RANGE}
  GROUP BY message_id
)
ARRAY JOIN names AS name
GROUP BY name
ORDER BY count DESC, name ASC`;

// Runs are selected by when they were created, the archive's partition and sort column.
const RUN_RANGE = MESSAGE_RANGE;

// quantileExactInclusive interpolates like a spreadsheet's PERCENTILE.INC; exact is affordable
// because one owner's runs in one year are few, and it keeps the numbers reproducible.
const RUN_DURATION_PERCENTILES = `/* runDurationPercentiles */
SELECT count() AS count, quantilesExactInclusive(0.5, 0.95)(seconds) AS quantiles
FROM (
  SELECT run_id,
    any(toUnixTimestamp64Milli(assumeNotNull(completed_at)) - toUnixTimestamp64Milli(assumeNotNull(started_at))) / 1000 AS seconds
  FROM run_transitions
  WHERE ${RUN_RANGE}
    AND status = 'COMPLETED' AND started_at IS NOT NULL AND completed_at IS NOT NULL
  GROUP BY run_id
)`;

// A run's status is that of its latest transition; on a tie in time a terminal status wins,
// since nothing follows one.
const RUN_STATUS_COUNTS = `/* runStatusCounts */
SELECT status, count() AS count
FROM (
  SELECT run_id, argMax(status, (at, status IN ('COMPLETED', 'FAILED', 'CANCELLED'))) AS status
  FROM run_transitions
  WHERE ${RUN_RANGE}
  GROUP BY run_id
)
GROUP BY status
ORDER BY status`;

// A run has a row per transition, each with its usage as it stood then: one row per run first,
// its latest report (the agent reports totals, not increments), then summed per day and model.
// On a tie in time the larger report wins, since totals only grow. Runs that never reported
// usage are left out; their model, if any, is its latest report too.
const TOKEN_USAGE = `/* tokenUsage */
SELECT toString(toDate(run_created_at)) AS day, run_model AS model, sum(usage.1) AS inputTokens, sum(usage.2) AS outputTokens
FROM (
  SELECT run_id, any(created_at) AS run_created_at,
    argMaxIf(model, at, model IS NOT NULL) AS run_model,
    argMaxIf(
      tuple(assumeNotNull(input_tokens), assumeNotNull(output_tokens)),
      (at, assumeNotNull(input_tokens) + assumeNotNull(output_tokens)),
      input_tokens IS NOT NULL AND output_tokens IS NOT NULL
    ) AS usage
  FROM run_transitions
  WHERE ${RUN_RANGE}
  GROUP BY run_id
  HAVING countIf(input_tokens IS NOT NULL AND output_tokens IS NOT NULL) > 0
)
GROUP BY day, model
ORDER BY day, model NULLS LAST`;

// A message's rating is its latest (re-rating replaces it); it counts on the day it was given,
// so the range applies to that latest rating, after grouping: an earlier rating that was
// replaced counts nowhere. One owner's ratings are read whole, as they are few.
const FEEDBACK_PER_DAY = `/* feedbackPerDay */
SELECT toString(toDate(latest_at)) AS day, countIf(latest_score = 1) AS positive, countIf(latest_score = -1) AS negative
FROM (
  SELECT message_id, max(rated_at) AS latest_at, argMax(score, rated_at) AS latest_score
  FROM message_feedback
  WHERE owner_id = {ownerId:String}
  GROUP BY message_id
)
WHERE latest_at >= {from:DateTime64(3, 'UTC')} AND latest_at < {to:DateTime64(3, 'UTC')}
GROUP BY day
ORDER BY day`;

const DailyRow = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), count: countValue });
const ThreadRow = z.object({ threadId: z.string(), count: countValue });
const DurationRow = z.object({ count: countValue, quantiles: z.array(z.number().nullable()).length(2) });
const ToolCallRow = z.object({ name: z.string(), count: countValue });
const TokenUsageRow = z.object({
  day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  model: z.string().nullable(),
  inputTokens: countValue,
  outputTokens: countValue,
});
const FeedbackRow = z.object({ day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), positive: countValue, negative: countValue });
const StatusRow = z.object({ status: z.enum(RUN_STATUSES), count: countValue });

/** Analytics over the ClickHouse archive. Each function answers for one owner only: the viewer. */
export function createArchiveQueries(client: ArchiveClient) {
  function rangeParams(ownerId: string, from: Date, to: Date) {
    assertAnalyticsRange(from, to);
    return { ownerId, from: clickhouseDateTime(from), to: clickhouseDateTime(to) };
  }

  return {
    /** Messages created per UTC day in [from, to); days without messages are absent. */
    async messagesPerDay(ownerId: string, from: Date, to: Date): Promise<DailyMessageCount[]> {
      return client.query('messagesPerDay', MESSAGES_PER_DAY, rangeParams(ownerId, from, to), DailyRow);
    },

    /** The owner's busiest threads in [from, to), most messages first. */
    async threadMessageCounts(ownerId: string, from: Date, to: Date, limit: number): Promise<ThreadMessageCount[]> {
      assertThreadCountLimit(limit);
      return client.query('threadMessageCounts', THREAD_MESSAGE_COUNTS, { ...rangeParams(ownerId, from, to), limit }, ThreadRow);
    },

    /** How often each tool was called in messages created in [from, to), most called first. */
    async toolCalls(ownerId: string, from: Date, to: Date): Promise<ToolCallCount[]> {
      return client.query('toolCalls', TOOL_CALLS, rangeParams(ownerId, from, to), ToolCallRow);
    },

    /** p50/p95 of completed_at - started_at, in seconds, over completed runs created in [from, to). */
    async runDurationPercentiles(ownerId: string, from: Date, to: Date): Promise<RunDurationStats> {
      const rows = await client.query('runDurationPercentiles', RUN_DURATION_PERCENTILES, rangeParams(ownerId, from, to), DurationRow);
      const row = rows[0] ?? { count: 0, quantiles: [null, null] };
      // With no rows ClickHouse answers NaN (null in JSON): "no data", not a number. Durations are
      // whole milliseconds, so the millisecond is all the precision there is to report.
      const value = (q: number | null | undefined) => (row.count === 0 || q === null || q === undefined ? null : Math.round(q * 1000) / 1000);
      return { count: row.count, p50Seconds: value(row.quantiles[0]), p95Seconds: value(row.quantiles[1]) };
    },

    /** Tokens used by the runs created in [from, to), per UTC day and model; each run's latest report counts once. */
    async tokenUsage(ownerId: string, from: Date, to: Date): Promise<TokenUsageDay[]> {
      return client.query('tokenUsage', TOKEN_USAGE, rangeParams(ownerId, from, to), TokenUsageRow);
    },

    /** The owner's message ratings per UTC day in [from, to), each message at its latest rating; days without any are absent. */
    async feedbackPerDay(ownerId: string, from: Date, to: Date): Promise<FeedbackDay[]> {
      return client.query('feedbackPerDay', FEEDBACK_PER_DAY, rangeParams(ownerId, from, to), FeedbackRow);
    },

    /** Runs created in [from, to), by their current status. */
    async runStatusCounts(ownerId: string, from: Date, to: Date): Promise<RunStatusCount[]> {
      return client.query('runStatusCounts', RUN_STATUS_COUNTS, rangeParams(ownerId, from, to), StatusRow);
    },
  };
}

export type ArchiveQueries = ReturnType<typeof createArchiveQueries>;
