import { GraphQLError } from 'graphql';
import type { ExecutionContext } from '../context/execution-context.js';
import { clientError } from '../errors/error-codes.js';
import { realtimeResyncs } from '../observability/metrics.js';
import type { MessageStore } from '../storage/message-store.js';
import { parseFeedCursor } from '../storage/viewer-feed.js';
import { compareStreamIds } from '../storage/stream-ids.js';
import { createEventQueue } from './event-queue.js';
import { sendDirect, socketFramesOf } from './socket-frames.js';
import type { SubscriptionRegistry } from './subscription-registry.js';
import { authenticatedSubscriber } from './thread-subscription.js';
import { decodeViewerEvent, type ViewerEvent } from './viewer-events.js';

/** Feed entries read per replay round trip. */
const REPLAY_PAGE = 200;

type ViewerFeed = NonNullable<MessageStore['viewerFeed']>;

/** What a viewerEvents subscription yields: an event, or the error that ends it. */
export type ViewerTailItem = { event: ViewerEvent } | { error: GraphQLError };

/** The event of an item, or its error thrown, for the subscription field's resolver. */
export function viewerEventOf(item: ViewerTailItem): ViewerEvent {
  if ('error' in item) throw item.error;
  return item.event;
}

/** One item per live event for all the viewer's subscriptions on this instance (shared-subscription-results.ts). */
const liveItems = new WeakMap<ViewerEvent, ViewerTailItem>();
function liveItemOf(event: ViewerEvent): ViewerTailItem {
  let item = liveItems.get(event);
  if (!item) liveItems.set(event, (item = { event }));
  return item;
}

/**
 * Subscribes the caller to their viewer feed: every event of all their threads, in one order,
 * resumable after a cursor. Authentication first; then the cursor is checked (malformed or past
 * the feed's head: BAD_USER_INPUT; trimmed away: REPLAY_UNAVAILABLE) before anything is registered.
 */
export async function subscribeToViewer(caller: ExecutionContext, after: string | null | undefined): Promise<AsyncIterableIterator<ViewerTailItem>> {
  const { ctx, registry } = authenticatedSubscriber(caller);
  const cursor = after == null ? null : parseFeedCursor(after);
  const feed = ctx.messageStore.viewerFeed;
  if (!feed) throw clientError('BAD_USER_INPUT', 'viewerEvents needs the Redis tier, and this server runs without one');
  const from = await registry.read(async () => {
    // "From now" is the head before registering: whatever is appended after it is delivered.
    if (cursor === null) return feed.head(ctx.userId);
    await feed.read(ctx.userId, cursor, 1);
    return cursor;
  });
  return openViewerTail({ ctx, registry, feed, from });
}

interface ViewerTailOptions {
  ctx: { userId: string; log: ExecutionContext['log'] };
  registry: SubscriptionRegistry;
  feed: ViewerFeed;
  /** The cursor the subscriber has: everything after it is delivered, once each, in order. */
  from: string;
}

/**
 * A viewer's feed for one subscriber, without gap or duplicate. It registers first and buffers
 * live events; once Redis confirmed the channel it replays the feed after the subscriber's
 * cursor (XRANGE), then drains the buffer, dropping every event at or before the last cursor
 * delivered. Cursors are the stream's entry IDs, so they order events; a Redis reconnect (a
 * channel message may have been lost) runs the same catch-up from the last cursor delivered.
 */
function openViewerTail(options: ViewerTailOptions): AsyncIterableIterator<ViewerTailItem> {
  const { registry, feed, ctx } = options;
  let last = options.from;
  let buffering = true;
  const buffered: ViewerEvent[] = [];
  let running = true;
  let pending = true;
  // A whole replay fits: the feed is capped, and a subscriber resuming must get all of it.
  const maxQueued = Math.max(registry.limits.maxQueuedEvents, 2 * feed.maxEvents);

  const frames = socketFramesOf(ctx);
  const queue = createEventQueue<ViewerTailItem>({
    maxQueued,
    overflow: () => ({
      error: clientError('LIMIT_EXCEEDED', `This subscription fell more than ${maxQueued} events behind and was ended; resubscribe with after to resume`),
    }),
    onClose: () => registration.remove(),
    sendDirect: frames && ((item) => 'event' in item && sendDirect(frames, item)),
  });
  const registration = registry.registerViewer(ctx, {
    deliver: (event) => (buffering ? buffered.push(event) : emit(event, liveItemOf(event))),
    resync: catchUp,
    end: () => {
      queue.end();
      registration.remove();
    },
  });

  function emit(event: ViewerEvent, item: ViewerTailItem): void {
    if (compareStreamIds(event.cursor, last) <= 0) return;
    last = event.cursor;
    queue.push(item);
  }

  function catchUp(): void {
    realtimeResyncs.inc({ cause: 'reconnect' });
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
        for (let full = true; full && !queue.closed; ) {
          const { entries } = await registry.read(() => feed.read(ctx.userId, last, REPLAY_PAGE));
          for (const entry of entries) {
            const event = decodeOrSkip(entry);
            if (event) emit(event, { event });
            // An undecodable entry is passed, not replayed forever.
            else if (compareStreamIds(entry.cursor, last) > 0) last = entry.cursor;
          }
          full = entries.length === REPLAY_PAGE;
        }
      }
    } finally {
      running = false;
    }
    // Synchronously after the last look at `pending`: a trigger from here on starts a new loop.
    buffering = false;
    for (const event of buffered.splice(0)) emit(event, liveItemOf(event));
  }

  function decodeOrSkip(entry: Parameters<typeof decodeViewerEvent>[0]): ViewerEvent | undefined {
    try {
      return decodeViewerEvent(entry);
    } catch (error) {
      ctx.log.warn({ err: error, cursor: entry.cursor }, 'undecodable viewer feed entry skipped');
      return undefined;
    }
  }

  function fail(error: unknown): void {
    if (queue.closed) return;
    const known = error instanceof GraphQLError ? error : undefined;
    if (!known) ctx.log.error({ err: error }, 'viewer feed catch-up failed');
    queue.push({ error: known ?? clientError('INTERNAL', 'Unexpected error.') });
    queue.end();
  }

  async function start(): Promise<void> {
    try {
      await registration.subscribed;
    } catch (error) {
      running = false;
      throw error;
    }
    await replayLoop();
  }

  void start().catch(fail);
  return queue.iterator;
}
