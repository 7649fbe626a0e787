import { requireAuthenticated, type AuthenticatedContext, type ExecutionContext } from '../context/execution-context.js';
import { InvalidInputError } from '../errors/domain-errors.js';
import { clientError } from '../errors/error-codes.js';
import { parseRunId, parseThreadId, threadIdOf } from '../ids/parse-ids.js';
import type { SubscriptionRegistry } from './subscription-registry.js';
import { messageReplaySource, replayUnavailable, runRefreshSource } from './tail-sources.js';
import type { ThreadEvent } from './thread-events.js';
import { openThreadTail, type TailItem, type TailStart } from './thread-tail.js';
import { cursorReplayUnavailable, formatThreadCursor, parseThreadCursor, type ThreadPosition } from './thread-cursor.js';
import type { ThreadId } from '../ids/id-types.js';
import type { ThreadEventLog } from '../storage/thread-event-log.js';
import { compareStreamIds } from '../storage/stream-ids.js';

/** The registry, or a clear error for a subscription that came over HTTP. */
function registryOf(ctx: AuthenticatedContext): SubscriptionRegistry {
  if (!ctx.realtime) {
    throw clientError('BAD_USER_INPUT', 'Subscriptions are served over WebSocket (graphql-transport-ws) at /graphql');
  }
  return ctx.realtime;
}

/**
 * The subscription fields authenticate here, once, rather than with scope-auth's withAuth: that
 * checks again on every event (making each result asynchronous, so it cannot be shared as one
 * frame) or, with authorizeOnSubscribe, keeps a scope cache for the subscription's whole life.
 * Authentication comes first, so an anonymous caller learns nothing about its arguments.
 */
export function authenticatedSubscriber(ctx: ExecutionContext): { ctx: AuthenticatedContext; registry: SubscriptionRegistry } {
  const authenticated = requireAuthenticated(ctx);
  return { ctx: authenticated, registry: registryOf(authenticated) };
}

/**
 * A seq no message has yet cannot be resumed from: the tail would take it as delivered and drop
 * the live messages up to it. Refused against the real head (the hot tier's newest message,
 * which Postgres's lastSeq may trail), read only when afterSeq is past what Postgres knows.
 */
async function refuseBeyondHead(afterSeq: number, source: { latestSeq(): Promise<number> }): Promise<void> {
  const head = await source.latestSeq();
  if (afterSeq <= head) return;
  throw new InvalidInputError(
    `afterSeq ${afterSeq} is past the thread's newest message (seq ${head}): subscribe with afterSeq at most ${head}, or without it to start from now`,
  );
}

/** Where a subscription resumes: at most one of a message seq and an event cursor. */
export interface Resume {
  afterSeq?: number | null | undefined;
  after?: string | null | undefined;
}

/**
 * Subscribes the caller to one of their threads' events, replaying after `afterSeq` or `after`
 * when given. The thread ID (INVALID_ID), ownership (NOT_FOUND for another user's or an absent
 * thread), the resume point and the per-user limit are checked here before anything is registered.
 */
export async function subscribeToThread(
  caller: ExecutionContext,
  rawThreadId: string,
  resume: Resume,
  accepts: (event: ThreadEvent) => boolean,
): Promise<AsyncIterableIterator<TailItem>> {
  const { ctx, registry } = authenticatedSubscriber(caller);
  const threadId = parseThreadId(rawThreadId);
  const maxReplay = registry.limits.maxReplayMessages;
  const source = messageReplaySource(ctx, threadId, maxReplay);
  const log = ctx.messageStore.threadEventLog;
  const start = await registry.read(async () => {
    const thread = await ctx.loaders.threadById.load(threadId);
    // Ownership first: another user's thread is NOT_FOUND whatever the resume point.
    const cursor = parseResume(resume);
    // "From now" means from before registering: whatever is sent once the subscription
    // counts as registered is delivered, even before Redis confirmed the channel.
    if (cursor) return resumeAt(cursor, threadId, log, source);
    const { afterSeq } = resume;
    if (afterSeq == null) return fromNow(ctx, threadId, log, source);
    const entry = await logHead(ctx, threadId, log);
    // lastSeq in Postgres trails the hot tier, so this only catches what is surely too far back;
    // the replay itself enforces the bound exactly, and says the same.
    const behind = thread.lastSeq - afterSeq;
    if (behind > maxReplay) throw replayUnavailable(afterSeq, `${behind} messages came after it and at most ${maxReplay} are replayed`, maxReplay);
    if (afterSeq > thread.lastSeq) await refuseBeyondHead(afterSeq, source);
    return { entry, seq: afterSeq, exact: false, replay: true };
  });
  return openThreadTail({ ctx, registry, threadId, start, log, messages: true, accepts, source });
}

/** The cursor to resume after, if any; BAD_USER_INPUT for both resume points, a negative seq, or a malformed cursor. */
function parseResume(resume: Resume): ThreadPosition | null {
  if (resume.after != null && resume.afterSeq != null) {
    throw new InvalidInputError('Give afterSeq or after, not both: after (an event cursor) resumes every kind of event, afterSeq messages only');
  }
  if (resume.afterSeq != null && resume.afterSeq < 0) throw new InvalidInputError(`afterSeq must be 0 or more, not ${resume.afterSeq}`);
  return resume.after == null ? null : parseThreadCursor(resume.after);
}

/** Where a subscription without a resume point starts: the log's head and the newest message, read before registering. */
async function fromNow(ctx: AuthenticatedContext, threadId: ThreadId, log: ThreadEventLog | null, source: { latestSeq(): Promise<number> }): Promise<TailStart> {
  return { entry: await logHead(ctx, threadId, log), seq: await source.latestSeq(), exact: false, replay: true };
}

/** The log's head; '0-0' when Redis cannot tell, where catch-ups come from the message store alone. */
async function logHead(ctx: AuthenticatedContext, threadId: ThreadId, log: ThreadEventLog | null): Promise<string> {
  if (!log) return '0-0';
  return log.open(threadId).catch((error: unknown) => {
    ctx.log.warn({ err: error, threadId }, 'thread event log unavailable; subscribing from the message store');
    return '0-0';
  });
}

/**
 * A client's cursor, checked against the thread's log: one the log no longer covers (trimmed,
 * expired, lost with Redis) is REPLAY_UNAVAILABLE, one past its newest event or newest message
 * BAD_USER_INPUT (the tail would take what it names as delivered).
 */
async function resumeAt(
  cursor: ThreadPosition,
  threadId: ThreadId,
  log: ThreadEventLog | null,
  source: { latestSeq(): Promise<number> },
): Promise<TailStart> {
  const text = formatThreadCursor(cursor);
  if (!log) throw cursorReplayUnavailable(text, 0, 'this server runs without the Redis tier that keeps it');
  const page = await log.read(threadId, cursor.entry, 0).catch(() => {
    throw cursorReplayUnavailable(text, log.limits.maxEvents, 'the log cannot be read right now');
  });
  if (!page) throw cursorReplayUnavailable(text, log.limits.maxEvents);
  if (compareStreamIds(cursor.entry, page.head) > 0) {
    throw new InvalidInputError(`Cursor ${text} is past the thread's newest event: pass the cursor of an event you received, or subscribe without after to start from now`);
  }
  const newest = await source.latestSeq();
  if (cursor.seq > newest) throw new InvalidInputError(`Cursor ${text} names seq ${cursor.seq}, past the thread's newest message (seq ${newest})`);
  return { ...cursor, exact: true, replay: true };
}

/**
 * Subscribes the caller to one run's status changes, routed by the thread its ID names, replaying
 * after `after` (a cursor of this subscription or of the thread's threadEvents) when given. A
 * change is delivered once: the filter drops a repeat of the status last delivered (a refresh
 * after a Redis reconnect, when the log cannot be replayed, repeats it when nothing changed).
 */
export async function subscribeToRun(caller: ExecutionContext, rawRunId: string, after: string | null | undefined): Promise<AsyncIterableIterator<TailItem>> {
  const { ctx, registry } = authenticatedSubscriber(caller);
  const runId = parseRunId(rawRunId);
  const threadId = threadIdOf(runId);
  const log = ctx.messageStore.threadEventLog;
  // Runs have no seq, but a cursor names the thread's newest message too: the message store tells it.
  const messageSource = messageReplaySource(ctx, threadId, registry.limits.maxReplayMessages);
  const { run, start, cursor } = await registry.read(async () => {
    await ctx.loaders.threadById.load(threadId);
    const found = await ctx.loaders.runById.load(runId);
    // After the ownership checks, as for threadEvents.
    const resumeFrom = parseResume({ after });
    const at = await (resumeFrom ? resumeAt(resumeFrom, threadId, log, messageSource) : fromNow(ctx, threadId, log, messageSource));
    return { run: found, start: at, cursor: resumeFrom };
  });
  // A resuming client has what its cursor says, not necessarily the run as it is now.
  let delivered = cursor ? null : fingerprint(run);
  const accepts = (event: ThreadEvent) => {
    if (event.type !== 'RunStatusChanged' || event.run.id !== runId) return false;
    const seen = fingerprint(event.run);
    if (seen === delivered) return false;
    delivered = seen;
    return true;
  };
  return openThreadTail({ ctx, registry, threadId, start, log, messages: false, accepts, source: runRefreshSource(ctx, runId, threadId) });
}

function fingerprint(run: { status: string; error: string | null; completedAt: Date | null; startedAt: Date | null }): string {
  return JSON.stringify([run.status, run.error, run.startedAt?.getTime(), run.completedAt?.getTime()]);
}
