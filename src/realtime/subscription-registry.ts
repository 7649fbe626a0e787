import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { isolationKey } from '../context/isolation-key.js';
import { clientError } from '../errors/error-codes.js';
import type { ThreadId } from '../ids/id-types.js';
import { realtimeSubscriptions } from '../observability/metrics.js';
import { createReadGate } from './read-gate.js';
import { writingFramesTogether } from './socket-frames.js';
import { createThreadChannels } from './thread-channels.js';
import type { ThreadEvent } from './thread-events.js';
import { createUserQuota } from './user-quota.js';

/** One live subscription, as the registry sees it. */
export interface Subscriber {
  /** An event of the subscribed thread. */
  deliver(event: ThreadEvent): void;
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
  const channels = createThreadChannels({ redis: options.redis, log, onEvent: deliver, onResubscribed: resyncAll });

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
    for (const subscribers of byKey.values()) for (const subscriber of subscribers) subscriber.resync();
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
      if (closing) throw new Error('The subscription registry is shutting down');
      if (!quota.tryAcquire(ctx.userId)) {
        throw clientError('LIMIT_EXCEEDED', `Too many subscriptions: at most ${quota.limit} per user; complete some first`, { limit: quota.limit });
      }
      add(isolationKey(ctx, threadId), threadId, subscriber);
      size += 1;
      realtimeSubscriptions.inc();
      const subscribed = channels.join(threadId);
      let removed = false;
      return {
        subscribed,
        remove() {
          if (removed) return;
          removed = true;
          remove(isolationKey(ctx, threadId), threadId, subscriber);
          size -= 1;
          realtimeSubscriptions.dec();
          channels.leave(threadId);
          quota.release(ctx.userId);
        },
      };
    },

    /** Registered subscriptions. */
    get size(): number {
      return size;
    },

    /** Thread channels this instance is subscribed to. */
    get channels(): number {
      return channels.count;
    },

    /** Ends every subscription (each removes itself), then leaves every channel. */
    async close(): Promise<void> {
      closing = true;
      for (const subscribers of [...byKey.values()]) for (const subscriber of [...subscribers]) subscriber.end();
      await channels.close();
    },
  };
}

export type SubscriptionRegistry = ReturnType<typeof createSubscriptionRegistry>;
