import {
  assertAnalyticsRange,
  MAX_RANGE_DAYS,
  MAX_THREAD_COUNT_LIMIT,
  type DailyMessageCount,
  type RunDurationStats,
  type RunStatusCount,
  type ThreadMessageCount,
  type ToolCallCount,
  type TokenUsageDay,
  type FeedbackDay,
} from '../../archive/analytics-queries.js';
import { builder } from '../builder.js';
import { RunStatusEnum } from './run.js';

/** What `Query.analytics` resolves to: the viewer and a validated range, queried field by field. */
interface AnalyticsScope {
  ownerId: string;
  from: Date;
  to: Date;
}

const DEFAULT_THREAD_LIMIT = 20;

const DailyMessageCountRef = builder.objectRef<DailyMessageCount>('DailyMessageCount').implement({
  description: 'Messages created on one UTC day.',
  fields: (t) => ({
    day: t.exposeString('day', { description: 'The UTC calendar day, YYYY-MM-DD.' }),
    count: t.exposeInt('count'),
  }),
});

const ThreadMessageCountRef = builder.objectRef<ThreadMessageCount>('ThreadMessageCount').implement({
  description: 'Messages of one thread within the range.',
  fields: (t) => ({
    threadId: t.exposeID('threadId'),
    count: t.exposeInt('count'),
  }),
});

const RunDurationStatsRef = builder.objectRef<RunDurationStats>('RunDurationStats').implement({
  description: 'How long completed runs took, from start to completion.',
  fields: (t) => ({
    p50Seconds: t.exposeFloat('p50Seconds', { nullable: true, description: 'Median; null when no run completed.' }),
    p95Seconds: t.exposeFloat('p95Seconds', { nullable: true, description: '95th percentile; null when no run completed.' }),
    count: t.exposeInt('count', { description: 'Completed runs measured.' }),
  }),
});

const RunStatusCountRef = builder.objectRef<RunStatusCount>('RunStatusCount').implement({
  description: 'Runs currently in one status.',
  fields: (t) => ({
    status: t.expose('status', { type: RunStatusEnum }),
    count: t.exposeInt('count'),
  }),
});

const ToolCallCountRef = builder.objectRef<ToolCallCount>('ToolCallCount').implement({
  description: 'How many tool calls named one tool.',
  fields: (t) => ({
    name: t.exposeString('name'),
    count: t.exposeInt('count'),
  }),
});

const TokenUsageDayRef = builder.objectRef<TokenUsageDay>('TokenUsageDay').implement({
  description: 'Tokens used on one UTC day by the runs of one model, each run counted once at its latest reported usage.',
  fields: (t) => ({
    day: t.exposeString('day', { description: 'The UTC calendar day the runs were created, YYYY-MM-DD.' }),
    model: t.exposeString('model', { nullable: true, description: 'The model the runs reported; null for runs that reported none.' }),
    // Sums of many runs may pass Int's 2^31 - 1; SafeInt is exact to 2^53 - 1.
    inputTokens: t.expose('inputTokens', { type: 'SafeInt' }),
    outputTokens: t.expose('outputTokens', { type: 'SafeInt' }),
  }),
});

const FeedbackDayRef = builder.objectRef<FeedbackDay>('FeedbackDay').implement({
  description: 'Messages rated on one UTC day, each at its latest rating (rateMessage).',
  fields: (t) => ({
    day: t.exposeString('day', { description: 'The UTC calendar day of the rating, YYYY-MM-DD.' }),
    positive: t.exposeInt('positive', { description: 'Messages rated 1.' }),
    negative: t.exposeInt('negative', { description: 'Messages rated -1.' }),
  }),
});

const AnalyticsRef = builder.objectRef<AnalyticsScope>('Analytics').implement({
  description:
    "The viewer's activity in a time range [from, to), served from the ClickHouse archive: it may lag the " +
    'live data by a few seconds, more while the archive is catching up.',
  fields: (t) => ({
    messagesPerDay: t.field({
      type: [DailyMessageCountRef],
      description: 'Messages per UTC day, oldest first; days without messages are left out.',
      resolve: (scope, _args, ctx) => ctx.archive.messagesPerDay(scope.ownerId, scope.from, scope.to),
    }),
    threadMessageCounts: t.field({
      type: [ThreadMessageCountRef],
      description: 'The threads with the most messages in the range, most first.',
      args: {
        limit: t.arg.int({ defaultValue: DEFAULT_THREAD_LIMIT, description: `1 to ${MAX_THREAD_COUNT_LIMIT}.` }),
      },
      resolve: (scope, args, ctx) =>
        ctx.archive.threadMessageCounts(scope.ownerId, scope.from, scope.to, args.limit ?? DEFAULT_THREAD_LIMIT),
    }),
    runDurations: t.field({
      type: RunDurationStatsRef,
      description: 'Duration percentiles of the runs created in the range that completed.',
      resolve: (scope, _args, ctx) => ctx.archive.runDurationPercentiles(scope.ownerId, scope.from, scope.to),
    }),
    runStatusCounts: t.field({
      type: [RunStatusCountRef],
      description: 'The runs created in the range, by current status; statuses without runs are left out.',
      resolve: (scope, _args, ctx) => ctx.archive.runStatusCounts(scope.ownerId, scope.from, scope.to),
    }),
    tokenUsage: t.field({
      type: [TokenUsageDayRef],
      description:
        'Tokens used by the runs created in the range that reported usage (updateRunStatus), per UTC day and model, oldest ' +
        'day first; each run counts once, at its latest report.',
      resolve: (scope, _args, ctx) => ctx.archive.tokenUsage(scope.ownerId, scope.from, scope.to),
    }),
    feedback: t.field({
      type: [FeedbackDayRef],
      description:
        "The viewer's message ratings per UTC day, oldest first: each message counts once, at its latest rating, on the day " +
        'it was given; days without ratings are left out.',
      resolve: (scope, _args, ctx) => ctx.archive.feedbackPerDay(scope.ownerId, scope.from, scope.to),
    }),
    toolCalls: t.field({
      type: [ToolCallCountRef],
      description: 'The tool calls (ToolCallPart) of messages created in the range, per tool name, most called first.',
      resolve: (scope, _args, ctx) => ctx.archive.toolCalls(scope.ownerId, scope.from, scope.to),
    }),
  }),
});

builder.queryField('analytics', (t) =>
  t.withAuth({ authenticated: true }).field({
    type: AnalyticsRef,
    description: `The viewer's analytics over [from, to), at most ${MAX_RANGE_DAYS} days.`,
    args: {
      from: t.arg({ type: 'DateTime', required: true }),
      to: t.arg({ type: 'DateTime', required: true }),
    },
    // Checked here, once, so a bad range is one error on `analytics`, not one per field.
    resolve: (_root, args, ctx) => {
      assertAnalyticsRange(args.from, args.to);
      return { ownerId: ctx.userId, from: args.from, to: args.to };
    },
  }),
);
