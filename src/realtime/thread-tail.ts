import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { clientError } from '../errors/error-codes.js';
import type { ThreadId } from '../ids/id-types.js';
import { realtimeResyncs } from '../observability/metrics.js';
import { createEventQueue } from './event-queue.js';
import { sendDirect, socketFramesOf } from './socket-frames.js';
import type { SubscriptionRegistry } from './subscription-registry.js';
import type { ThreadEvent } from './thread-events.js';

/**
 * A gap that a catch-up did not close (storage lagging what Redis announced, e.g. a Redis read
 * that fell back to Postgres) is retried this many times, pausing longer each time, then ends
 * the subscription with an error rather than looping or skipping.
 */
const GAP_RETRIES = 5;
const GAP_RETRY_PAUSE_MS = 50;

/** What a subscription yields: an event, or the error that ends it (a resolver throws it). */
export type TailItem = { event: ThreadEvent } | { error: GraphQLError };

/** Where a tail catches up from when live events are not enough. */
export interface TailSource {
  /** What came after `seq`, in order. Throws REPLAY_UNAVAILABLE when that cannot be told in full. */
  missedSince(seq: number): Promise<ThreadEvent[]>;
}

export interface ThreadTailOptions {
  ctx: { userId: string; log: Logger };
  registry: SubscriptionRegistry;
  threadId: ThreadId;
  /** The seq the subscriber has: what came after it is replayed first. Null: no replay at start. */
  afterSeq: number | null;
  /** The events this subscription wants. */
  accepts: (event: ThreadEvent) => boolean;
  source: TailSource;
}

/**
 * One item per live event for all its subscribers: the payload object is what lets the server
 * execute an event once for a whole audience (server/shared-subscription-results.ts).
 */
const liveItems = new WeakMap<ThreadEvent, TailItem>();
function liveItemOf(event: ThreadEvent): TailItem {
  let item = liveItems.get(event);
  if (!item) liveItems.set(event, (item = { event }));
  return item;
}

/** The event of an item, or its error thrown, for the subscription field's resolver. */
export function eventOf(item: TailItem): ThreadEvent {
  if ('error' in item) throw item.error;
  return item.event;
}

/**
 * A thread's events for one subscriber, resumable without gap or duplicate. It registers first
 * and buffers live events; once Redis confirmed the channel it replays from storage what came
 * after the subscriber's seq, then drains the buffer, skipping MessageAdded events it already
 * replayed. The same catch-up runs again after a Redis reconnect and when a live MessageAdded
 * skips a seq (a message that was written but not published, e.g. on the Postgres fallback).
 * Only MessageAdded carries a replayable seq: other events are delivered as they arrive.
 */
export function openThreadTail(options: ThreadTailOptions): AsyncIterableIterator<TailItem> {
  const { registry, source, accepts } = options;
  let lastSeq = 0;
  let buffering = true;
  const buffered: ThreadEvent[] = [];
  let running = true;
  let pending = false;
  /** Catch-ups caused by a gap since lastSeq last moved. */
  let gapStreak = 0;

  // Over a graphql-ws socket, live events may go straight to it (socket-frames.ts).
  const frames = socketFramesOf(options.ctx);
  const queue = createEventQueue<TailItem>({
    maxQueued: registry.limits.maxQueuedEvents,
    overflow: () => ({
      error: clientError(
        'LIMIT_EXCEEDED',
        `This subscription fell more than ${registry.limits.maxQueuedEvents} events behind and was ended; resubscribe with afterSeq to resume`,
      ),
    }),
    onClose: () => registration.remove(),
    sendDirect: frames && ((item) => 'event' in item && sendDirect(frames, item)),
  });
  const registration = registry.register(options.ctx, options.threadId, {
    deliver: (event) => {
      if (event.type === 'ThreadDeleted') return endWithDeletion(event);
      if (accepts(event)) receive(event);
    },
    resync: () => catchUp('reconnect'),
    end: () => {
      queue.end();
      registration.remove();
    },
  });

  /** Nothing follows a deletion: the subscriber gets it (if it takes such events), then the end. */
  function endWithDeletion(event: ThreadEvent): void {
    if (accepts(event)) queue.push(liveItemOf(event));
    queue.end();
  }

  function receive(event: ThreadEvent): void {
    if (buffering) buffered.push(event);
    else emit(event);
  }

  function emit(event: ThreadEvent): void {
    if (event.type === 'MessageAdded') {
      if (event.seq <= lastSeq) return;
      if (event.seq > lastSeq + 1) {
        buffered.push(event);
        return catchUp('gap');
      }
      advance(event.seq);
    }
    queue.push(liveItemOf(event));
  }

  function advance(seq: number): void {
    lastSeq = seq;
    gapStreak = 0;
  }

  function catchUp(cause: 'reconnect' | 'gap'): void {
    realtimeResyncs.inc({ cause });
    if (cause === 'gap') gapStreak += 1;
    buffering = true;
    pending = true;
    if (running) return;
    running = true;
    void replayLoop().catch(fail);
  }

  async function replayLoop(): Promise<void> {
    try {
      while (pending && !queue.closed) {
        pending = false;
        if (gapStreak > GAP_RETRIES) {
          throw clientError('REPLAY_UNAVAILABLE', `Message seq ${lastSeq + 1} was announced but cannot be read; resubscribe with afterSeq ${lastSeq}`);
        }
        if (gapStreak > 1) await new Promise((resolve) => setTimeout(resolve, GAP_RETRY_PAUSE_MS * (gapStreak - 1)));
        const missed = await registry.read(() => source.missedSince(lastSeq));
        for (const event of missed) {
          if (!accepts(event)) continue;
          if (event.type === 'MessageAdded') {
            if (event.seq <= lastSeq) continue;
            advance(event.seq);
          }
          queue.push({ event });
        }
      }
    } finally {
      running = false;
    }
    // Synchronously after the last look at `pending`: a trigger from here on starts a new loop.
    buffering = false;
    for (const event of buffered.splice(0)) receive(event);
  }

  async function start(): Promise<void> {
    try {
      await registration.subscribed;
      if (options.afterSeq !== null) [lastSeq, pending] = [options.afterSeq, true];
    } catch (error) {
      running = false;
      throw error;
    }
    await replayLoop();
  }

  function fail(error: unknown): void {
    if (queue.closed) return;
    const known = error instanceof GraphQLError ? error : undefined;
    if (!known) options.ctx.log.error({ err: error }, 'subscription catch-up failed');
    queue.push({ error: known ?? clientError('INTERNAL', 'Unexpected error.') });
    queue.end();
  }

  void start().catch(fail);
  return queue.iterator;
}
