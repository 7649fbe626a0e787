import { requireAuthenticated, type AuthenticatedContext, type ExecutionContext } from '../context/execution-context.js';
import { InvalidInputError } from '../errors/domain-errors.js';
import { clientError } from '../errors/error-codes.js';
import { parseRunId, parseThreadId, threadIdOf } from '../ids/parse-ids.js';
import type { SubscriptionRegistry } from './subscription-registry.js';
import { messageReplaySource, replayUnavailable, runRefreshSource } from './tail-sources.js';
import type { ThreadEvent } from './thread-events.js';
import { openThreadTail, type TailItem } from './thread-tail.js';

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

/**
 * Subscribes the caller to one of their threads' events, replaying from `afterSeq` when given.
 * The thread ID (INVALID_ID), ownership (NOT_FOUND for another user's or an absent thread),
 * `afterSeq` and the per-user limit are checked here before anything is registered.
 */
export async function subscribeToThread(
  caller: ExecutionContext,
  rawThreadId: string,
  afterSeq: number | null | undefined,
  accepts: (event: ThreadEvent) => boolean,
): Promise<AsyncIterableIterator<TailItem>> {
  const { ctx, registry } = authenticatedSubscriber(caller);
  const threadId = parseThreadId(rawThreadId);
  if (afterSeq != null && afterSeq < 0) throw new InvalidInputError(`afterSeq must be 0 or more, not ${afterSeq}`);
  const maxReplay = registry.limits.maxReplayMessages;
  const source = messageReplaySource(ctx, threadId, maxReplay);
  const from = await registry.read(async () => {
    const thread = await ctx.loaders.threadById.load(threadId);
    // "From now" means from before registering: whatever is sent once the subscription
    // counts as registered is delivered, even before Redis confirmed the channel.
    if (afterSeq == null) return source.latestSeq();
    // lastSeq in Postgres trails the hot tier, so this only catches what is surely too far back;
    // the replay itself enforces the bound exactly, and says the same.
    const behind = thread.lastSeq - afterSeq;
    if (behind > maxReplay) throw replayUnavailable(afterSeq, `${behind} messages came after it and at most ${maxReplay} are replayed`, maxReplay);
    if (afterSeq > thread.lastSeq) await refuseBeyondHead(afterSeq, source);
    return afterSeq;
  });
  return openThreadTail({ ctx, registry, threadId, afterSeq: from, accepts, source });
}

/**
 * Subscribes the caller to one run's status changes, routed by the thread its ID names. A
 * change is delivered once: the filter drops a repeat of the status last delivered (a refresh
 * after a Redis reconnect repeats it when nothing changed).
 */
export async function subscribeToRun(caller: ExecutionContext, rawRunId: string): Promise<AsyncIterableIterator<TailItem>> {
  const { ctx, registry } = authenticatedSubscriber(caller);
  const runId = parseRunId(rawRunId);
  const threadId = threadIdOf(runId);
  const run = await registry.read(async () => {
    await ctx.loaders.threadById.load(threadId);
    return ctx.loaders.runById.load(runId);
  });
  let delivered = fingerprint(run);
  const accepts = (event: ThreadEvent) => {
    if (event.type !== 'RunStatusChanged' || event.run.id !== runId) return false;
    const seen = fingerprint(event.run);
    if (seen === delivered) return false;
    delivered = seen;
    return true;
  };
  return openThreadTail({ ctx, registry, threadId, afterSeq: null, accepts, source: runRefreshSource(ctx, runId, threadId) });
}

function fingerprint(run: { status: string; error: string | null; completedAt: Date | null; startedAt: Date | null }): string {
  return JSON.stringify([run.status, run.error, run.startedAt?.getTime(), run.completedAt?.getTime()]);
}
