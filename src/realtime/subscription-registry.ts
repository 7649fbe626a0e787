import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isolationKey } from '../context/isolation-key.js';
import { clientError } from '../errors/error-codes.js';
import type { ThreadId } from '../ids/id-types.js';
import { realtimeSubscriptions } from '../observability/metrics.js';
import { createReadGate } from './read-gate.js';
import { writingFramesTogether } from './socket-frames.js';
import { createRedisChannels, createThreadChannels } from './redis-channels.js';
import type { ThreadEvent } from './thread-events.js';
import { decodeViewerEvent, type ViewerEvent } from './viewer-events.js';
import { parseFeedAnnouncement } from '../storage/viewer-feed.js';
import { viewerChannel } from '../storage/redis-keys.js';
import { createUserQuota } from './user-quota.js';

/** One live subscription, as the registry sees it. */
export interface Subscriber<Event = ThreadEvent> {
  /** An event of the subscribed thread (or, for a viewer subscriber, of the viewer's feed). */
  deliver(event: Event): void;
  /** Events may have been missed (Redis reconnected): catch up from storage. */
  resync(): void;
  /** The server is shutting down: end the subscription (its queue's close removes it). */
  end(): void;
}

export interface Registration {
  /** Settles once this instance receives the thread's events from Redis. */
  readonly subscribed: Promise<void>;
  /** Idempotent: complete, socket close, error and shutdown may all get here. */
  remove(): void;
}

export interface SubscriptionRegistryOptions {
  /** A dedicated Redis connection for SUBSCRIBE; null without Redis. */
  redis: Redis | null;
  log: Logger;
  /** Live subscriptions per user in this instance. Default from config: 200. */
  maxSubscriptionsPerUser: number;
  /** Most messages one subscription replays. Default from config: 1000. */
  maxReplayMessages: number;
  /** Events queued for one slow subscriber before it is ended. Default from config: 1000. */
  maxQueuedEvents: number;
  /** Subscription setups and catch-ups reading storage at once (build-app passes half the Postgres pool). */
  maxConcurrentReads: number;
}

/**
 * The per-instance subscription registry, keyed by isolation key (`<userId>:<threadId>`, from
 * the one function that makes it, at registration and at removal). Redis feeds it through one
 * channel per thread; it hands each event to the subscribers of that thread only.
 */
export function createSubscriptionRegistry(options: SubscriptionRegistryOptions) {
  const { log } = options;
  const byKey = new Map<string, Set<Subscriber>>();
  const keysByThread = new Map<ThreadId, Set<string>>();
  const quota = createUserQuota(options.maxSubscriptionsPerUser);
  let size = 0;
  let closing = false;
  const channels = createThreadChannels({ redis: options.redis, log, onEvent: deliver, onResubscribed: () => resync(byKey.values()) });
  /** viewerEvents subscribers by user, fed by one channel per user (the feed's announcements). */
  const viewers = new Map<string, Set<Subscriber<ViewerEvent>>>();
  const viewerChannels = createRedisChannels<string, ViewerEvent>({
    redis: options.redis,
    log,
    channelOf: viewerChannel,
    decode: (message) => {
      const entry = parseFeedAnnouncement(message);
      if (!entry) throw new Error('not a feed announcement');
      return decodeViewerEvent(entry);
    },
    onEvent: deliverToViewer,
    onResubscribed: () => resync(viewers.values()),
  });

  function deliverToViewer(userId: string, event: ViewerEvent): void {
    writingFramesTogether(() => {
      for (const subscriber of viewers.get(userId) ?? []) {
        try {
          subscriber.deliver(event);
        } catch (error) {
          log.error({ err: error, userId }, 'viewer subscriber failed on an event');
        }
      }
    });
  }

  function resync(groups: Iterable<Set<{ resync(): void }>>): void {
    for (const subscribers of groups) for (const subscriber of subscribers) subscriber.resync();
  }

  /** A place in the user's quota and the registry's count, or LIMIT_EXCEEDED with nothing taken. */
  function admit(userId: string): void {
    if (closing) throw new Error('The subscription registry is shutting down');
    if (!quota.tryAcquire(userId)) {
      throw clientError('LIMIT_EXCEEDED', `Too many subscriptions: at most ${quota.limit} per user; complete some first`, { limit: quota.limit });
    }
    size += 1;
    realtimeSubscriptions.inc();
  }

  function release(userId: string): void {
    size -= 1;
    realtimeSubscriptions.dec();
    quota.release(userId);
  }

  function deliver(threadId: ThreadId, event: ThreadEvent): void {
    writingFramesTogether(() => {
      for (const key of keysByThread.get(threadId) ?? []) {
        for (const subscriber of byKey.get(key) ?? []) {
          try {
            subscriber.deliver(event);
          } catch (error) {
            log.error({ err: error, key }, 'subscriber failed on an event');
          }
        }
      }
    });
  }

  function resyncAll(): void {
    resync(byKey.values());
    resync(viewers.values());
  }

  function add(key: string, threadId: ThreadId, subscriber: Subscriber): void {
    let subscribers = byKey.get(key);
    if (!subscribers) {
      byKey.set(key, (subscribers = new Set()));
      let keys = keysByThread.get(threadId);
      if (!keys) keysByThread.set(threadId, (keys = new Set()));
      keys.add(key);
    }
    subscribers.add(subscriber);
  }

  function remove(key: string, threadId: ThreadId, subscriber: Subscriber): void {
    const subscribers = byKey.get(key);
    if (!subscribers?.delete(subscriber)) return;
    if (subscribers.size === 0) {
      byKey.delete(key);
      const keys = keysByThread.get(threadId);
      keys?.delete(key);
      if (keys?.size === 0) keysByThread.delete(threadId);
    }
  }

  return {
    limits: { maxReplayMessages: options.maxReplayMessages, maxQueuedEvents: options.maxQueuedEvents },

    /** Runs a setup's or a catch-up's storage reads when a place is free (read-gate.ts). */
    read: createReadGate(options.maxConcurrentReads),

    /** Hands an event to the local subscribers of its thread (Redis messages arrive here). */
    deliver,

    /** Tells every subscriber it may have missed events (Redis reconnected). */
    resyncAll,

    /**
     * Registers a subscriber of a thread the caller was checked to own. Throws LIMIT_EXCEEDED,
     * with nothing registered, when the user is at the limit.
     */
    register(ctx: { userId: string }, threadId: ThreadId, subscriber: Subscriber): Registration {
      admit(ctx.userId);
      add(isolationKey(ctx, threadId), threadId, subscriber);
      return registrationOf(channels.join(threadId), () => {
        remove(isolationKey(ctx, threadId), threadId, subscriber);
        channels.leave(threadId);
        release(ctx.userId);
      });
    },

    /**
     * Registers a viewerEvents subscriber of the authenticated user: it gets that user's feed
     * announcements only. Counts against the same per-user limit as thread subscriptions.
     */
    registerViewer(ctx: { userId: string }, subscriber: Subscriber<ViewerEvent>): Registration {
      admit(ctx.userId);
      let subscribers = viewers.get(ctx.userId);
      if (!subscribers) viewers.set(ctx.userId, (subscribers = new Set()));
      subscribers.add(subscriber);
      return registrationOf(viewerChannels.join(ctx.userId), () => {
        const own = viewers.get(ctx.userId);
        if (own?.delete(subscriber) && own.size === 0) viewers.delete(ctx.userId);
        viewerChannels.leave(ctx.userId);
        release(ctx.userId);
      });
    },

    /** Registered subscriptions. */
    get size(): number {
      return size;
    },

    /** Thread and viewer channels this instance is subscribed to. */
    get channels(): number {
      return channels.count + viewerChannels.count;
    },

    /** Ends every subscription (each removes itself), then leaves every channel. */
    async close(): Promise<void> {
      closing = true;
      for (const subscribers of [...byKey.values(), ...viewers.values()]) for (const subscriber of [...subscribers]) subscriber.end();
      await Promise.all([channels.close(), viewerChannels.close()]);
    },
  };
}

export type SubscriptionRegistry = ReturnType<typeof createSubscriptionRegistry>;

/** A registration whose removal runs once, however many of complete, close, error and shutdown get there. */
function registrationOf(subscribed: Promise<void>, removal: () => void): Registration {
  let removed = false;
  return {
    subscribed,
    remove() {
      if (removed) return;
      removed = true;
      removal();
    },
  };
}
